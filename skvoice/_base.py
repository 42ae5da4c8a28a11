"""The one base for estimators that read audio, and the output rules of every skvoice transformer.

:class:`AudioEstimatorMixin` owns what every audio-input estimator shares, the
way :class:`sklearn.mixture.BaseMixture` does for mixtures:

- the shared parameters (``sample_rate``, ``on_error``, ``n_jobs``,
  ``verbose``, and for torch models ``batch_size``, ``device``,
  ``n_threads``): their assignment (``super().__init__(...)`` from the
  subclass's ``__init__``, which keeps its own signature and defaults), their
  constraints and their docstring paragraphs (write ``%(on_error)s`` on a line
  of its own in a class docstring);
- validation of audio input (:meth:`~AudioEstimatorMixin._check_audio`, and
  :meth:`~AudioEstimatorMixin._validate_fit_audio` for ``fit``) and the
  input tags of audio (:func:`set_audio_input_tags`, also used by the
  degradations of :mod:`skvoice.augment`);
- the block loop over recordings (:meth:`~AudioEstimatorMixin._map_audio`):
  decode and prepare each recording in joblib workers, run the model on blocks
  of prepared recordings in this process, show progress, apply the error policy
  and report failed recordings;
- with :class:`TorchModelMixin`, torch device and thread handling.

A subclass implements only "one recording -> payload" (a picklable function run
in workers) and, for models, "a batch of payloads -> results".

Transform and predict never change the estimator's state: the report of failed
recordings of the last call is kept beside the estimator, not in it
(``failures_`` is a read-only view), so ``joblib.hash``, ``Pipeline(memory=...)``
caching, ``clone`` and pickles are unaffected by calling them.

:class:`RecordingSetOutputMixin` makes ``set_output(transform="pandas")`` and
``sklearn.set_config(transform_output="pandas")`` work for transformers whose
output may be a ragged recording set: ragged outputs pass through unchanged,
2-D outputs become DataFrames named by ``get_feature_names_out``.

:class:`FrameTransformer` and :class:`FrameClassifier` are the bases of the
estimators whose input is frame features (recording sets).
"""

from __future__ import annotations

import contextlib
import functools
import numbers
import weakref

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin

from ._audio import check_waveform, is_path_like, source_name
from ._docs import PARAGRAPHS, fill_doc, fill_text
from ._parallel import map_recordings, warn_failures
from ._persistence import VersionedPickleMixin
from ._ragged import check_audio_input
from ._sklearn_compat import Interval, StrOptions, output_container, supported_outputs, wrap_in_container

__all__ = ["AudioEstimatorMixin", "TorchModelMixin", "AudioTransformer", "AudioClassifier", "RecordingSetOutputMixin",
           "AudioOutputMixin", "FrameTransformer", "FrameClassifier", "ScorePredictMixin", "AUDIO_CONSTRAINTS",
           "TORCH_CONSTRAINTS", "set_audio_input_tags"]

AUDIO_CONSTRAINTS = {
    "sample_rate": [Interval(numbers.Integral, 1000, None, closed="left")],
    "on_error": [StrOptions({"raise", "warn", "skip"})],
    "n_jobs": [numbers.Integral, None],
    "verbose": ["verbose"],
}
TORCH_CONSTRAINTS = {
    "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
    "device": [StrOptions({"auto", "cpu", "cuda"})],
    "n_threads": [Interval(numbers.Integral, 1, None, closed="left"), None],
}

# Docstring paragraphs of the shared parameters. ``{failed}`` is the class's ``_failed_slot``.
_DOCS = {
    "on_error": '''on_error : {{"raise", "warn", "skip"}}, default="raise"
    What to do with a recording that cannot be used (missing, corrupt,
    empty, silent, too short, NaN...). ``"raise"`` raises
    :class:`~skvoice.AudioError` naming the file and the reason. ``"warn"``
    and ``"skip"`` keep its slot as {failed}, so ``y`` and ``groups`` stay
    aligned, and list it in ``failures_``; ``"warn"`` also emits one
    :class:`~skvoice.SkippedRecordingsWarning` (whose ``failures`` attribute
    holds the same list).''',
    "n_jobs": '''n_jobs : int or None, default=None
    Parallel jobs over recordings for decoding and per-recording work
    (joblib semantics: ``None`` is one job unless a
    ``joblib.parallel_config`` context says otherwise, ``-1`` uses all
    cores; a dask or ray joblib backend distributes the work).''',
    "verbose": '''verbose : int, default=0
    Show a progress bar over recordings when > 0.''',
    "device": '''device : {{"auto", "cpu", "cuda"}}, default="auto"
    Torch device; ``"auto"`` picks CUDA when available, else the CPU.''',
    "n_threads": '''n_threads : int or None, default={n_threads}
    Torch intra-op threads while the model runs (the previous setting is
    restored afterwards). ``None``: torch's setting, capped at the CPUs this
    process may use (a CPU quota or affinity mask is respected).''',
    "X_audio": '''X : sequence of str, os.PathLike or 1-D arrays
    Audio file paths, or waveforms at ``sample_rate``. A 2-D numeric
    array is read as one waveform per row.''',
    "failures_": '''failures_ : list of dict
    ``{{"index", "source", "reason"}}`` of each recording that failed in the
    most recent transform/predict call of this instance (empty unless
    ``on_error`` is "warn" or "skip"). A read-only diagnostic kept beside the
    estimator, not in it: it is not pickled, cloned or hashed.''',
}
# the whole ``Parameters`` section of a method whose only argument is audio (``transform``, ``predict``...)
_DOCS["parameters_X_audio"] = "Parameters\n----------\n" + _DOCS["X_audio"]
# the transformers whose output is waveforms (Denoise, VoiceActivityDetector): their last parameters, and the
# ``Returns`` section of ``transform`` (a class adds what its waveforms are on further indented lines)
_DOCS["waveform_output_parameters"] = "\n".join([
    """sample_rate : int, default=16000
    Rate of waveform input, of the decoded files and of the output.""", _DOCS["on_error"], _DOCS["n_jobs"],
    _DOCS["verbose"]])
_DOCS["returns_waveforms"] = """Returns
-------
waveforms : ndarray of object, shape (n_recordings,)
    One float32 waveform per recording, at ``sample_rate`` ({failed} for a
    failed recording)."""
# the whole ``Parameters`` section of the ``fit`` of a transformer that learns nothing and checks only the type
# and shape of the audio (``_check_audio`` without ``check_waveforms``)
_DOCS["parameters_fit_X_unread"] = """Parameters
----------
X : sequence of paths or waveforms, optional
    Validated (type and shape only; no audio is decoded).
y : ignored"""

# estimator -> {diagnostic name: value} of its most recent call (kept outside the estimator, so transform and
# predict never change its state)
_LAST_CALL = weakref.WeakKeyDictionary()


def _fill_doc(doc, cls):
    """Replace lines holding only ``%(name)s`` by the shared paragraph, indented like the placeholder.

    The audio paragraphs above come first, then the general ones of :data:`skvoice._docs.PARAGRAPHS`.
    """
    if not doc or "%(" not in doc:
        return doc
    fields = {"failed": cls._failed_slot, "n_threads": _default_of(cls, "n_threads")}

    def lookup(name):
        if name in _DOCS:
            return _DOCS[name].format(**fields)
        return PARAGRAPHS.get(name)

    return fill_text(doc, lookup)


def set_audio_input_tags(tags):
    """Set the tags of an estimator whose input is audio; returns ``tags``.

    Input: file paths (strings) or waveforms, a 2-D numeric array being one
    waveform per row; NaN is unusable audio. A transformer's output is
    float32, as decoded audio is.
    """
    tags.input_tags.two_d_array = True
    tags.input_tags.string = True
    tags.input_tags.allow_nan = False
    if tags.transformer_tags is not None:
        tags.transformer_tags.preserves_dtype = ["float32"]
    return tags


def _default_of(cls, name):
    import inspect

    try:
        param = inspect.signature(cls.__init__).parameters.get(name)
    except (TypeError, ValueError):
        return None
    return None if param is None else param.default


class AudioEstimatorMixin(VersionedPickleMixin):
    """Shared machinery of estimators whose input is audio (file paths or 1-D waveforms).

    Subclasses set ``_parameter_constraints = {**AUDIO_CONSTRAINTS, ...}``
    (plus ``TORCH_CONSTRAINTS`` and :class:`TorchModelMixin` for torch models),
    pass the shared parameters on to ``super().__init__``, write ``%(on_error)s``-style
    placeholders in their docstrings (the class's and its methods', e.g.
    ``%(X_audio)s`` in ``transform``), and call :meth:`_map_audio` from
    ``transform``/``predict``.
    """

    #: what a failed recording's slot holds, for the docs and the warning
    _failed_slot = "an empty (0-row) array"
    #: recordings decoded per step of the block loop (None: all at once)
    _block_size = 128
    #: False for transformers that learn nothing: ``transform`` works unfitted (the ``requires_fit`` tag)
    _requires_fit = True

    def __init__(self, *, sample_rate, on_error, n_jobs, verbose):
        # the shared parameters, set once here: each subclass's ``__init__`` lists all its parameters with
        # their defaults (what ``get_params`` reads) and passes these on with ``super().__init__(...)``
        self.sample_rate = sample_rate
        self.on_error = on_error
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__doc__" in cls.__dict__ and cls.__doc__:
            cls.__doc__ = _fill_doc(cls.__doc__, cls)
        for member in vars(cls).values():  # the methods the class defines
            if callable(member) and "%(" in (getattr(member, "__doc__", None) or ""):
                member.__doc__ = _fill_doc(member.__doc__, cls)

    def __sklearn_tags__(self):
        tags = set_audio_input_tags(super().__sklearn_tags__())
        if not self._requires_fit:
            tags.requires_fit = False
        return tags

    # ------------------------------------------------------------------ diagnostics of the last call
    def _reset_last_call(self):
        """Start the per-call diagnostics afresh (``failures_`` empty): every ``fit`` calls it, a refit keeps
        nothing of earlier calls (through :meth:`_validate_fit_audio`, or directly where a fit checks its
        audio otherwise)."""
        _LAST_CALL[self] = {"failures": []}

    def _set_last(self, name, value):
        _LAST_CALL.setdefault(self, {})[name] = list(value)

    def _get_last(self, name):
        try:
            return list(_LAST_CALL[self][name])
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has processed no audio yet: no `{name}_`.") from None

    @property
    def failures_(self):
        return self._get_last("failures")

    def _set_failures(self, failures):
        self._set_last("failures", failures)

    # ------------------------------------------------------------------ input validation
    def _check_audio(self, X, *, check_waveforms=False):
        """Validate a recording set of audio (see :func:`skvoice._ragged.check_audio_input`); returns a list.

        With ``check_waveforms`` (and ``on_error="raise"``), in-memory waveforms are checked now (1-D, finite,
        non-empty) so that ``fit`` fails early; files are only read when transforming.
        """
        items = check_audio_input(X, estimator=self)
        if check_waveforms and getattr(self, "on_error", "raise") == "raise":
            for i, item in enumerate(items):
                if not is_path_like(item):
                    check_waveform(item, source=source_name(item, i))
        return items

    def _validate_fit_audio(self, X):
        """Validate the parameters and, when given, the audio of ``fit`` (waveforms now); returns the items or None.

        It also starts the diagnostics afresh (``failures_`` empty): a refit keeps nothing of earlier calls.
        """
        self._validate_params()
        self._reset_last_call()
        return None if X is None else self._check_audio(X, check_waveforms=True)

    # ------------------------------------------------------------------ the block loop
    def _recordings_per_block(self):
        return self._block_size

    def _map_audio(self, items, prepare, *, encode=None, desc="recordings"):
        """Run ``prepare`` on every recording (joblib workers) and ``encode`` on blocks of them (this process).

        Parameters
        ----------
        items : list
            Validated audio items (paths or waveforms).
        prepare : callable
            ``prepare(item, index) -> payload``: decode and pre-process one
            recording; raise :class:`~skvoice.AudioError` for unusable audio.
            Runs in joblib workers: keep it picklable and free of models.
        encode : callable or None
            ``encode(ready, final) -> iterable of (index, result)``, where
            ``ready`` is a list of ``(index, payload)`` of one block. It may
            hold items back to batch them with the next block, and must
            return everything it holds when ``final`` is true. ``None``: the
            payload is the result.
        desc : str
            Progress bar label.

        Returns
        -------
        results : list
            One entry per item, ``None`` for recordings that failed (only with
            ``on_error`` "warn"/"skip"). The failures are then available as
            ``failures_`` and, with ``"warn"``, in one warning.
        """
        n = len(items)
        results = [None] * n
        failures = []
        block = self._recordings_per_block() or n
        policy = "raise" if self.on_error == "raise" else "skip"
        name = type(self).__name__
        with _progress_bar(self.verbose, n, f"{name}: {desc}") as bar:
            for start in range(0, n, block):
                stop = min(n, start + block)
                payloads, fails = map_recordings(prepare, items[start:stop], n_jobs=self.n_jobs, on_error=policy,
                                                 estimator_name=name, offset=start,
                                                 progress=bar.update if bar is not None and encode is None else None)
                failures.extend(fails)
                ready = [(start + k, p) for k, p in enumerate(payloads) if p is not None]
                del payloads
                for index, result in (ready if encode is None else encode(ready, stop >= n)):
                    results[index] = result
                if bar is not None and encode is not None:
                    bar.update(stop - start)
        self._set_failures(failures)
        if self.on_error == "warn":
            warn_failures(name, failures, n, f"were left as {self._failed_slot}", stacklevel=4)
        return results


class TorchModelMixin:
    """The parameters of audio estimators that run a torch model on batches: ``batch_size``, ``device``, ``n_threads``.

    Put it before the audio base in the bases: its ``__init__`` sets these three
    and passes the shared audio parameters on to :class:`AudioEstimatorMixin`;
    their constraints are :data:`TORCH_CONSTRAINTS`.
    """

    def __init__(self, *, batch_size, device, n_threads, sample_rate, on_error, n_jobs, verbose):
        self.batch_size = batch_size
        self.device = device
        self.n_threads = n_threads
        super().__init__(sample_rate=sample_rate, on_error=on_error, n_jobs=n_jobs, verbose=verbose)

    #: the extra that installs this estimator's model code (named when torch is missing)
    _extra = "torch"

    def _torch_device(self):
        from ._optional import import_optional
        from ._torch import resolve_device

        import_optional("torch", self._extra, type(self).__name__)
        return resolve_device(self.device)

    def _torch_threads(self):
        from ._torch import torch_threads

        return torch_threads(self.n_threads)


@contextlib.contextmanager
def _progress_bar(verbose, total, desc):
    if not verbose:
        yield None
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc=desc, unit="file", leave=False)
    try:
        yield bar
    finally:
        bar.close()


# ---------------------------------------------------------------------------------------------- set_output
def _wrap_output(estimator, out, X):
    """2-D numeric output -> the configured container; ragged (object) output and containers pass through.

    Estimators without ``get_feature_names_out`` (e.g. degradations, whose 2-D output is waveforms) are never
    wrapped, as in scikit-learn.
    """
    named = hasattr(estimator, "get_feature_names_out") and getattr(estimator, "_output_kind", None) != "audio"
    if isinstance(out, np.ndarray) and out.ndim == 1 and out.dtype == object:
        return _named_frames(estimator, out) if named else out
    if not (isinstance(out, np.ndarray) and out.ndim == 2 and out.dtype != object):
        return out
    if not named:
        return out  # waveforms (one per row) are not features
    container = output_container(estimator, "transform")
    if container == "default":
        return out
    return wrap_in_container(out, X, estimator, container)


def _named_frames(estimator, recordings):
    """A recording set of frames carrying the estimator's output feature names (for the next step's fit)."""
    from sklearn.exceptions import NotFittedError

    from ._ragged import with_feature_names

    try:
        names = estimator.get_feature_names_out()
    except (NotFittedError, AttributeError, ValueError, TypeError):
        return recordings
    if names is None or any(np.ndim(r) != 2 or np.shape(r)[1] != len(names) for r in recordings):
        return recordings
    return with_feature_names(recordings, names)


def _output_wrapped(method):
    @functools.wraps(method)
    def wrapped(self, X, *args, **kwargs):
        return _wrap_output(self, method(self, X, *args, **kwargs), X)

    wrapped._skvoice_output_wrapped = True
    return wrapped


class AudioOutputMixin:
    """For transformers from audio to audio (voice activity detection, denoising, degradations).

    Their output is waveforms, never wrapped in a DataFrame, and they have no
    feature names of their own: ``get_feature_names_out`` passes the names it
    is given through, so ``Pipeline.get_feature_names_out`` of
    ``[VAD, MFCC, StatsPooling]`` names the pooled MFCC columns as it does
    without the VAD.
    """

    _output_kind = "audio"  # for skvoice.utils.estimator_checks: recording sets of waveforms out

    def get_feature_names_out(self, input_features=None):
        """The names given, unchanged: audio out has no feature names (the next step names its features).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Passed through.

        Returns
        -------
        feature_names_out : ndarray of str objects, or None
            ``input_features`` as an object array, or None when it is None.
        """
        return None if input_features is None else np.asarray(input_features, dtype=object)


class RecordingSetOutputMixin:
    """``set_output`` for transformers whose output may be a ragged recording set.

    scikit-learn's own wrapping would try to put a 1-D object array of
    recordings into a DataFrame and fail; this mixin turns it off and wraps
    only 2-D outputs. Put it before :class:`~sklearn.base.TransformerMixin` in
    the bases.
    """

    def __init_subclass__(cls, **kwargs):
        kwargs["auto_wrap_output_keys"] = None  # scikit-learn's wrapper: off (ours below decides per output)
        super().__init_subclass__(**kwargs)
        for name in ("transform", "fit_transform"):
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "_skvoice_output_wrapped", False):
                setattr(cls, name, _output_wrapped(method))

    def set_output(self, *, transform=None):
        """Set the output container of ``transform`` and ``fit_transform``.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            ``"pandas"``/``"polars"``: 2-D outputs become DataFrames whose
            columns are ``get_feature_names_out()``; ragged recording sets (one
            array per recording) are returned unchanged whatever the setting.
            ``None`` leaves the configuration unchanged.

        Returns
        -------
        self : estimator
        """
        if transform is None:
            return self
        if transform not in supported_outputs():
            raise ValueError(f"output config must be in {supported_outputs()}, got {transform}")
        if not hasattr(self, "_sklearn_output_config"):
            self._sklearn_output_config = {}
        self._sklearn_output_config["transform"] = transform
        return self


class AudioTransformer(AudioEstimatorMixin, RecordingSetOutputMixin, TransformerMixin, BaseEstimator):
    """Base of transformers from audio to features (recording sets or 2-D arrays)."""


class StatelessAudioTransformer(AudioTransformer):
    """Base of audio transformers that learn nothing: ``fit`` only checks, ``transform`` works unfitted."""

    _requires_fit = False

    def fit(self, X=None, y=None):
        """Check the parameters and, when given, the recordings (nothing is learned).

        Parameters
        ----------
        X : sequence of paths or waveforms, optional
            Validated only.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The transformer, unchanged but for the checks.
        """
        self._validate_fit_audio(X)
        return self


class AudioClassifier(AudioEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Base of classifiers whose input is audio."""


@fill_doc
class FrameTransformer(VersionedPickleMixin, RecordingSetOutputMixin, TransformerMixin, BaseEstimator):
    """Base of transformers of frame features (recording sets or plain 2-D arrays).

    ``fit`` validates the parameters and the frames (recording ``n_features_in_``)
    and calls ``_fit_recordings(recordings)``; ``transform`` checks it is
    fitted, validates the frames against the fit and calls
    ``_transform_recordings(recordings, is_2d)``. Subclasses implement those two
    (``_fitted_attribute`` names an attribute that only ``fit`` sets).
    """

    _fitted_attribute = "n_features_in_"

    def fit(self, X, y=None):
        """Learn what the transformer needs from the training frames.

        Parameters
        ----------
        %(X_frames)s
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        from ._ragged import require_frames, validate_recordings

        self._validate_params()
        # a recording skipped by an extractor's on_error="skip" (0 frames) keeps its slot and contributes nothing
        recordings, _ = validate_recordings(self, X, reset=True, ensure_min_frames=0)
        require_frames(recordings, self)
        self._fit_recordings(recordings)
        return self

    def transform(self, X):
        """Transform the frames of each recording.

        Parameters
        ----------
        X : recording set or array-like of shape (n_recordings, n_features)
            Frame features with the ``n_features_in_`` of the fit.

        Returns
        -------
        Xt : recording set or ndarray
            One item per recording (a 2-D array for 2-D input, except where
            the class says otherwise).
        """
        from sklearn.utils.validation import check_is_fitted

        from ._ragged import validate_recordings

        check_is_fitted(self, self._fitted_attribute)
        recordings, is_2d = validate_recordings(self, X, reset=False, ensure_min_frames=0)
        return self._transform_recordings(recordings, is_2d)

    def _fit_recordings(self, recordings):
        """Learn from the validated recordings (default: nothing)."""

    def _transform_recordings(self, recordings, is_2d):
        raise NotImplementedError


class ScorePredictMixin:
    """``predict`` of classifiers that score every class: the class with the highest score wins.

    Subclasses implement ``_class_scores(X)``: one row per sample, one column
    per class of ``classes_``.
    """

    def predict(self, X):
        """Predict the class of each sample: the class with the highest score.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or recording set
            Samples in the form ``fit`` takes (for a classifier of frames,
            one recording per sample).

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        scores = self._class_scores(X)  # first: it checks that the estimator is fitted
        return self.classes_[np.argmax(scores, axis=1)]

    def _class_scores(self, X):
        raise NotImplementedError


@fill_doc
class FrameClassifier(VersionedPickleMixin, ScorePredictMixin, ClassifierMixin, BaseEstimator):
    """Base of classifiers trained on frames that predict one label per recording.

    Every training frame is labelled with its recording's label
    (:meth:`_training_frames`, with an optional ``max_frames`` subsample per
    recording). At prediction time the frames of each recording are
    validated against the fit (:meth:`_test_frames`) and subclasses turn them
    into one row of per-class scores per recording
    (``_recording_scores(frames, lengths)``: the largest wins, see
    :class:`ScorePredictMixin`) and of probabilities
    (``_recording_proba(frames, lengths)``).
    ``_fitted_attribute`` names an attribute that only ``fit`` sets.
    """

    _fitted_attribute = "classes_"

    def _training_frames(self, X, y, random_state, params=None):
        """Validate parameters, recordings and labels; return ``(frames, y_frames, frame_params)``.

        ``frames`` stacks the frames of all recordings (at most ``self.max_frames``
        random ones of each, drawn with ``random_state``); ``y_frames`` repeats each
        recording's label over its frames. ``frame_params`` are the fit parameters
        ``params`` for those frames: an array-like with one entry per recording
        (e.g. ``sample_weight``) is repeated over its frames like ``y``, one with
        an entry per frame follows the subsample, the others are unchanged.
        """
        from ._ragged import (
            check_recording_targets,
            frame_owner,
            require_frames,
            stack_frames,
            subsample_frames,
            take_params,
            validate_recordings,
        )

        self._validate_params()
        recordings, _ = validate_recordings(self, X, reset=True, ensure_min_frames=0)  # 0 frames: nothing to learn
        require_frames(recordings, self)
        y = check_recording_targets(recordings, y, self)
        frames, lengths = stack_frames(recordings)
        y_frames = np.repeat(y, lengths)
        keep = subsample_frames(lengths, self.max_frames, random_state)
        n_frames = len(frames)
        # per recording -> per frame; per-frame arrays (and scalars) pass through as they are
        frame_params = take_params(params or {}, len(recordings), frame_owner(lengths))
        if keep is not None:
            frames, y_frames = frames[keep], y_frames[keep]
            frame_params = take_params(frame_params, n_frames, keep)
        return frames, y_frames, frame_params

    def _test_frames(self, X):
        """Check the fit, validate ``X`` against it; ``(frames, lengths)`` of recordings that all have frames."""
        from sklearn.utils.validation import check_is_fitted

        from ._ragged import stack_frames, validate_recordings

        check_is_fitted(self, self._fitted_attribute)
        recordings, _ = validate_recordings(self, X, reset=False, ensure_min_frames=0)
        frames, lengths = stack_frames(recordings)
        empty = np.flatnonzero(lengths == 0)
        if empty.size:
            raise ValueError(
                f"{type(self).__name__}: recording(s) {empty[:20].tolist()} have no frames, so they cannot be "
                "classified (0 frames: skipped or failed audio?). Remove them, or check the extractor's failures_.")
        return frames, lengths

    def _class_scores(self, X):
        return self._recording_scores(*self._test_frames(X))

    def predict_proba(self, X):
        """Per-recording class probabilities (the class description says how they are made).

        %(parameters_X_frames)s

        %(returns_proba)s
        """
        return self._recording_proba(*self._test_frames(X))

    def _recording_scores(self, frames, lengths):
        raise NotImplementedError

    def _recording_proba(self, frames, lengths):
        raise NotImplementedError
