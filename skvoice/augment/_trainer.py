"""Fit-time augmentation: fit any estimator on clean + degraded copies; predict on the input unchanged."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.utils import check_random_state, get_tags, metadata_routing
from sklearn.utils.metadata_routing import process_routing
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .._audio import is_path_like, pcm_to_float
from .._base import set_audio_input_tags
from .._persistence import VersionedPickleMixin
from .._ragged import as_recording_set, check_audio_input, take_params, take_rows
from .._routing import fit_router, groups_parameter, request_groups, route_fit_params
from .._sklearn_compat import HasMethods, Interval, check_sample_weight, routing_enabled, sklearn_num_samples
from ._base import coerce_object_matrix

__all__ = ["AugmentedTrainer"]


def _estimator_has(attr):
    def check(self):
        return hasattr(self.estimator_ if hasattr(self, "estimator_") else self.estimator, attr)

    return check


def _delegate(name, note=" on the input unchanged."):
    """``AugmentedTrainer.<name>``: ``estimator_.<name>(X)``, present only when the estimator has it."""
    def method(self, X, *args, **params):
        check_is_fitted(self)
        return getattr(self.estimator_, name)(X, *args, **params)

    method.__name__ = name
    method.__qualname__ = f"AugmentedTrainer.{name}"
    method.__doc__ = f"``estimator_.{name}(X)``{note}"
    return available_if(_estimator_has(name))(method)


def _rows(part):
    """The recordings of a recording set (list, object array, Series) or the rows of a 2-D array."""
    return list(part)


def _seeded(augmenter, rng):
    """``augmenter`` with its ``random_state`` drawn from ``rng``; for one without its own (a Pipeline of
    degradations), each of its estimators' ``random_state``, so that copies differ and the seed reproduces them."""
    own = augmenter.get_params(deep=False)
    if "random_state" in own:  # skvoice's degradations (Degrade, RandomChoice) seed their steps from their own
        keys = ["random_state"]
    else:
        keys = sorted(k for k in augmenter.get_params(deep=True) if k.endswith("__random_state"))
    return augmenter.set_params(**{k: int(rng.randint(np.iinfo(np.int32).max)) for k in keys}) if keys else augmenter


class AugmentedTrainer(VersionedPickleMixin, MetaEstimatorMixin, BaseEstimator):
    """Fit an estimator on clean and degraded copies of the training recordings (multi-condition training).

    ``fit(X, y)`` degrades the training recordings ``n_copies`` times with
    ``augmenter`` (each copy with its own seed), appends the copies to the
    clean recordings (``keep_clean=True``), repeats the labels (and any
    per-recording fit parameter such as ``sample_weight`` or ``groups``), and
    fits a clone of ``estimator`` on the lot. ``predict``, ``predict_proba``,
    ``decision_function``, ``transform`` and ``score`` pass their input to the
    fitted estimator **unchanged**.

    Augmentation therefore happens at fit time only, which keeps evaluation
    honest: inside ``cross_val_score`` or ``GridSearchCV`` each training fold
    is augmented and each test fold is left as it is, so degraded copies of a
    test recording never reach training. Tune the wrapped estimator with
    ``estimator__<param>`` names, the augmentation with ``augmenter__<param>``
    and ``n_copies``.

    Parameters
    ----------
    estimator : estimator object
        The model to train, normally a pipeline that starts from audio (for
        example ``MFCCExtractor -> CMVN -> FrameVoteClassifier``). It sees
        the clean recordings as given (paths stay paths) and the degraded
        copies as waveforms at the augmenter's ``sample_rate``, which must
        match the estimator's (checked when both declare a ``sample_rate``).
    augmenter : transformer
        Audio in, waveforms out: a skvoice degradation (:class:`AddNoise`,
        :class:`Reverb`, :class:`RandomChoice`, :class:`Degrade`, ...) or any
        transformer with that contract. Cloned for each copy.
    n_copies : int, default=1
        Degraded copies of each training recording (0 with ``keep_clean``
        trains on the clean data only, a baseline for a grid search).
    keep_clean : bool, default=True
        Also train on the clean recordings.
    random_state : int, RandomState or None, default=None
        Seeds the copies: copy ``k`` uses the augmenter with
        ``random_state`` set to the ``k``-th draw from this seed (the
        augmenter's own ``random_state`` is overridden). An augmenter
        without a ``random_state`` of its own (a
        :class:`~sklearn.pipeline.Pipeline` of degradations) gets a draw for
        each of its steps' ``random_state``.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone of ``estimator``.
    classes_ : ndarray
        The classes of ``estimator_`` (classifiers only).
    n_fit_recordings_ : int
        Number of recordings ``estimator_`` was fitted on (clean + copies).

    See Also
    --------
    RandomChoice : one random degradation per recording, for varied copies.
    make_condition : named degradations.

    Notes
    -----
    Fitting costs ``keep_clean + n_copies`` times the clean fit: feature
    extraction of the copies is not cached, since every copy differs.
    The degraded copies are decoded waveforms held in memory while
    ``estimator`` fits (float32 at ``sample_rate``: about 230 MB per hour
    of training audio and copy at 16 kHz), whereas clean recordings given
    as paths are read by the estimator as it goes. For a corpus of many
    hours, fit on a subset or with fewer copies.
    If ``estimator`` itself cross-validates (e.g. a ``GridSearchCV``), pass
    ``groups`` to ``fit``: they are repeated for the copies, so a recording
    and its copies always fall in the same inner fold. Simpler: put the
    search outside (``GridSearchCV(AugmentedTrainer(...))``). An estimator
    whose ``fit`` names a ``groups`` parameter (such as
    :class:`~skvoice.classifiers.ScoreFusion`), or a ``Pipeline`` ending in
    one, gets these groups automatically.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn.pipeline import make_pipeline
    >>> from skvoice.augment import AddNoise, AugmentedTrainer
    >>> from skvoice.datasets import make_voices
    >>> from skvoice.features import MFCCExtractor, StatsPooling
    >>> voices = make_voices(n_speakers=4, n_utterances=3, duration=1.0, random_state=0)
    >>> model = AugmentedTrainer(
    ...     make_pipeline(MFCCExtractor(), StatsPooling(), LogisticRegression(max_iter=1000)),
    ...     AddNoise("brown", snr_db=(5, 20)), n_copies=1, random_state=0)
    >>> model.fit(voices.waveforms, voices.speaker).n_fit_recordings_
    24
    >>> scores = cross_val_score(model, voices.waveforms, voices.speaker, cv=3)
    >>> scores.shape
    (3,)
    """

    # sample_weight is routed to the inner estimator (its request decides), never consumed here
    __metadata_request__fit = {"sample_weight": metadata_routing.UNUSED}

    _parameter_constraints = {
        "estimator": [HasMethods(["fit"])],
        "augmenter": [HasMethods(["fit_transform"])],
        "n_copies": [Interval(numbers.Integral, 0, None, closed="left")],
        "keep_clean": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator, augmenter, *, n_copies=1, keep_clean=True, random_state=None):
        self.estimator = estimator
        self.augmenter = augmenter
        self.n_copies = n_copies
        self.keep_clean = keep_clean
        self.random_state = random_state

    def _check_rates(self):
        aug_rate = self.augmenter.get_params().get("sample_rate") if hasattr(self.augmenter, "get_params") else None
        if aug_rate is None or not hasattr(self.estimator, "get_params"):
            return
        rates = {k: v for k, v in self.estimator.get_params(deep=True).items()
                 if (k == "sample_rate" or k.endswith("__sample_rate")) and isinstance(v, numbers.Integral)}
        bad = {k: v for k, v in rates.items() if v != aug_rate}
        if bad:
            raise ValueError(f"AugmentedTrainer: the augmenter produces waveforms at {aug_rate} Hz but the estimator "
                             f"reads waveforms at {bad}; set the same sample_rate on both.")

    def fit(self, X, y=None, sample_weight=None, **fit_params):
        """Fit the estimator on the clean and the degraded training recordings.

        Parameters
        ----------
        X : sequence of paths or waveforms, or array of shape (n_recordings, n_samples)
            Training recordings.
        y : array-like of shape (n_recordings,), optional
            Targets; repeated for each copy.
        sample_weight : array-like of shape (n_recordings,), default=None
            Passed on to ``estimator.fit`` like ``fit_params`` (to a
            Pipeline's final step), repeated for each copy. (Named in the
            signature so that wrappers such as ``CalibratedClassifierCV``
            see that weights are taken.)
        **fit_params : dict
            Passed to ``estimator.fit``; array-likes with one entry per
            recording (``sample_weight``, ``groups``, ...) are repeated for
            each copy, in the same order as the recordings. When
            ``estimator.fit`` (or the final step of a ``Pipeline``) has a
            ``groups`` parameter and none is given, it receives the index of
            the original recording, so a recording and its degraded copies
            form one group (e.g. they share a cross-fitting fold of
            :class:`~skvoice.classifiers.ScoreFusion`). With metadata routing
            enabled, each parameter goes where it was requested.

        Returns
        -------
        self : AugmentedTrainer
        """
        self._validate_params()
        if self.n_copies == 0 and not self.keep_clean:
            raise ValueError("n_copies=0 with keep_clean=False leaves nothing to train on.")
        self._check_rates()
        X = coerce_object_matrix(X)
        items = check_audio_input(X, estimator=self)
        n = len(items)
        if sample_weight is not None:  # one finite weight per recording, repeated for its copies below
            fit_params["sample_weight"] = check_sample_weight(sample_weight, items)
        if y is None and get_tags(self.estimator).target_tags.required:
            raise ValueError(f"{type(self.estimator).__name__} requires y to be passed, but the target y is None.")
        if y is not None and sklearn_num_samples(y) != n:
            raise ValueError(f"X has {n} recordings but y has {sklearn_num_samples(y)} entries.")
        rng = check_random_state(self.random_state)
        parts = [items] if self.keep_clean else []
        for _ in range(self.n_copies):
            augmenter = _seeded(clone(self.augmenter), rng)
            copy = augmenter.fit_transform(X)
            if sklearn_num_samples(copy) != n:
                raise ValueError(f"the augmenter returned {sklearn_num_samples(copy)} recordings for {n}; it must "
                                 "return one degraded recording per input recording.")
            parts.append(copy)
        X_train = self._concatenate(parts)
        index = np.tile(np.arange(n), len(parts))
        y_train = None if y is None else take_rows(y, index)
        params = take_params(route_fit_params(self, fit_params, {"estimator": self.estimator})["estimator"], n, index)
        self.estimator_ = clone(self.estimator)
        request_groups(self.estimator_)  # with routing on: an unset groups request takes the copy groups
        groups_key = groups_parameter(self.estimator_)
        if groups_key is not None and groups_key not in params and "groups" not in params:
            params[groups_key] = index  # a recording and its copies: one group (cross-fitting stays honest)
        if y_train is None:
            self.estimator_.fit(X_train, **params)
        else:
            self.estimator_.fit(X_train, y_train, **params)
        self.n_fit_recordings_ = len(index)
        return self

    def get_metadata_routing(self):
        """Metadata routing: ``fit`` metadata goes to ``estimator.fit`` (repeated for the copies), ``score``
        metadata to ``estimator.score``.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
        """
        return fit_router(self, {"estimator": self.estimator}, methods=("fit", "score"))

    @staticmethod
    def _concatenate(parts):
        """One recording set of all parts: a 2-D array when every recording is an in-memory waveform of one
        length (so plain scikit-learn estimators can be wrapped too), else a 1-D object array."""
        items = [item for part in parts for item in _rows(part)]
        if all(not is_path_like(it) and np.ndim(it) == 1 for it in items) and len({len(it) for it in items}) == 1:
            # integer PCM scaled like the degraded copies (float in [-1, 1)): cast unscaled, the clean rows were
            # 32768 times louder than their copies
            arrays = [pcm_to_float(np.asarray(it)) for it in items]
            if all(np.issubdtype(a.dtype, np.number) for a in arrays):
                return np.vstack(arrays).astype(np.result_type(*arrays), copy=False)
        return as_recording_set(items)

    # ------------------------------------------------------------------ delegation on unchanged input
    predict = _delegate("predict", ": no augmentation at prediction time.")
    predict_proba = _delegate("predict_proba")
    predict_log_proba = _delegate("predict_log_proba")
    decision_function = _delegate("decision_function")
    transform = _delegate("transform")
    speaker_scores = _delegate("speaker_scores")
    verify = _delegate("verify")

    @available_if(_estimator_has("transform"))
    def fit_transform(self, X, y=None, **fit_params):
        """Fit on the clean and degraded recordings, then ``transform`` the input unchanged.

        Parameters
        ----------
        X : sequence of paths or waveforms, or array of shape (n_recordings, n_samples)
            Training recordings.
        y : array-like of shape (n_recordings,), optional
            Targets.
        **fit_params : dict
            As for :meth:`fit`.

        Returns
        -------
        Xt : the estimator's output for ``X``
        """
        if not hasattr(X, "__len__"):  # a generator: read once, used for both
            X = list(X)
        return self.fit(X, y, **fit_params).transform(X)

    @available_if(_estimator_has("get_feature_names_out"))
    def get_feature_names_out(self, input_features=None):
        """``estimator_.get_feature_names_out(input_features)``: the names of :meth:`transform`'s columns."""
        check_is_fitted(self)
        return self.estimator_.get_feature_names_out(input_features)

    @available_if(_estimator_has("set_output"))
    def set_output(self, *, transform=None):
        """Set the output container of :meth:`transform` on the estimator (and on the fitted one).

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            As :meth:`sklearn.pipeline.Pipeline.set_output`; None leaves it unchanged.

        Returns
        -------
        self : AugmentedTrainer
        """
        if transform is None:
            return self
        self.estimator.set_output(transform=transform)  # as Pipeline.set_output sets its steps'
        if hasattr(self, "estimator_"):
            self.estimator_.set_output(transform=transform)
        return self

    @available_if(_estimator_has("score"))
    def score(self, X, y=None, **params):
        """``estimator_.score(X, y)`` on the input unchanged.

        ``params`` (e.g. ``sample_weight``) go to ``estimator_.score``; with
        metadata routing enabled, those it requested
        (``set_score_request``).
        """
        check_is_fitted(self)
        if routing_enabled():
            params = dict(process_routing(self, "score", **params).estimator.score)
        return self.estimator_.score(X, y, **params)

    @property
    def classes_(self):
        """Class labels of the fitted estimator."""
        check_is_fitted(self)
        return self.estimator_.classes_

    @property
    def n_features_in_(self):
        """Number of input features of the fitted estimator (only when it has one)."""
        check_is_fitted(self)
        return self.estimator_.n_features_in_

    def __sklearn_tags__(self):
        tags = set_audio_input_tags(super().__sklearn_tags__())  # before transformer_tags: those are the inner's
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.transformer_tags = inner.transformer_tags
        tags.target_tags.required = inner.target_tags.required
        tags.input_tags.sparse = False
        return tags
