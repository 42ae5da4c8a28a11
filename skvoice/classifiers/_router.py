"""Route each recording to a wide-band or a narrow-band model by the bandwidth measured in its audio."""

from __future__ import annotations

import functools
import numbers

import numpy as np
from scipy.signal import welch
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils import metadata_routing
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .._audio import AudioError, read_input
from .._base import set_audio_input_tags
from .._docs import fill_doc
from .._parallel import map_recordings
from .._persistence import VersionedPickleMixin
from .._ragged import check_audio_input, num_samples, take_rows
from .._routing import fit_router, groups_parameter, route_fit_params
from .._sklearn_compat import HasMethods, Interval, routing_enabled
from .._validation import forget_input_features
from ._verification import shared_fusion_fits

__all__ = ["BandwidthRouter", "high_band_ratio"]


def high_band_ratio(y, sample_rate=16000, cutoff=4000.0):
    """Power above ``cutoff`` relative to the power between 300 Hz and ``cutoff``, in dB.

    Wide-band speech keeps its fricatives and upper harmonics above 4 kHz (a
    ratio of about -10 to -35 dB); speech that passed through a narrow-band
    channel (a telephone line sampled at 8 kHz, a narrow-band codec) has
    nothing there but the noise of the resampler (-60 dB and below).

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono waveform.
    sample_rate : int, default=16000
        Its sample rate.
    cutoff : float, default=4000.0
        The edge between the two bands, in Hz (below the Nyquist frequency).

    Returns
    -------
    ratio_db : float
        ``-inf`` when nothing is above ``cutoff``; ``nan`` when the waveform
        is silent below it.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.augment import telephone
    >>> from skvoice.classifiers import high_band_ratio
    >>> y = np.random.RandomState(0).standard_normal(16000).astype("float32") * 0.1
    >>> round(high_band_ratio(y))  # white noise: as much power above 4 kHz as below
    0
    >>> high_band_ratio(telephone(y, 16000)) < -40
    True
    """
    y = np.asarray(y, dtype=np.float64)
    freqs, power = welch(y, fs=sample_rate, nperseg=min(512, max(len(y), 1)))
    low = power[(freqs >= 300.0) & (freqs < cutoff)].sum()
    high = power[freqs >= cutoff].sum()
    if low <= 0:
        return float("nan")
    return float(10 * np.log10(high / low)) if high > 0 else float("-inf")


def _ratio(item, index, sample_rate, cutoff):
    try:
        y = read_input(item, sample_rate, index)
    except AudioError:  # unreadable: measured as nothing; the wide-band model reports the recording's error
        return float("nan")
    return high_band_ratio(y, sample_rate, cutoff)


def _both_have(method):
    def check(self):
        for name in ("wideband", "narrowband"):
            est = getattr(self, name + "_", getattr(self, name))
            if not hasattr(est, method):
                return False
        return True
    return check


def _routed_method(method, summary, returns):
    """``BandwidthRouter.<method>``: ``method`` of the model of each recording's channel, available when both
    models have it. ``returns`` is the docstring's ``Returns`` section (or a :data:`PARAGRAPHS` placeholder)."""
    def routed(self, X):
        return self._route(method, X)

    routed.__name__ = method
    routed.__qualname__ = f"BandwidthRouter.{method}"
    routed.__doc__ = f"{summary}\n\n        %(parameters_X_routed)s\n\n        {returns}\n        "
    return available_if(_both_have(method))(routed)


@fill_doc
class BandwidthRouter(VersionedPickleMixin, MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Score wide-band recordings with one model and narrow-band (telephone) recordings with another.

    Both models are fitted on all the training recordings. At prediction each
    recording's bandwidth is measured (:func:`high_band_ratio`: the power
    above ``cutoff`` relative to the power below it), and a recording whose
    ratio is under ``threshold_db`` -- speech that passed through a telephone
    line or another narrow-band channel -- goes to ``narrowband``, every
    other one to ``wideband``. A model built on features of the narrow band
    only (e.g. MFCCs of 300-3400 Hz) loses little on such speech, while a
    wide-band model meets a channel it never saw; routing gives each
    recording the model that matches its channel instead of one compromise.

    Parameters
    ----------
    wideband : classifier
        The model for wide-band recordings; its input is the router's input
        (audio for the recipes).
    narrowband : classifier
        The model for narrow-band recordings; the same classes as
        ``wideband`` after fitting on the same data.
    cutoff : float, default=4000.0
        The band edge of :func:`high_band_ratio`, in Hz (4 kHz: the Nyquist
        frequency of an 8 kHz telephone channel).
    threshold_db : float, default=-50.0
        A recording with less high-band power than this (in dB relative to
        the band below ``cutoff``) is narrow-band. Wide-band speech, even
        reverberant or at -40 dB level, sits far above it; noise added after
        the channel fills the high band and makes a recording wide-band.
    sample_rate : int, default=16000
        Rate of waveform input; files are decoded at this rate to measure
        their bandwidth.
    n_jobs : int or None, default=None
        Parallel jobs over recordings for the bandwidth measurement.

    Attributes
    ----------
    wideband_, narrowband_ : estimator
        The fitted models.
    classes_ : ndarray of shape (n_classes,)
        The labels seen in ``fit``.

    See Also
    --------
    skvoice.recipes.speaker_id_pipeline : Uses it to route telephone speech.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skvoice.augment import telephone
    >>> from skvoice.classifiers import BandwidthRouter
    >>> from skvoice.datasets import make_voices
    >>> from skvoice.features import MFCCExtractor, StatsPooling
    >>> voices = make_voices(n_speakers=2, n_utterances=4, duration=1.0, random_state=0)
    >>> def model(fmax):
    ...     return make_pipeline(MFCCExtractor(fmax=fmax), StatsPooling(), LogisticRegression())
    >>> router = BandwidthRouter(model(None), model(3400.0)).fit(voices.waveforms, voices.speaker)
    >>> phone = [telephone(y, 16000) for y in voices.waveforms[:2]]
    >>> router.is_narrowband(list(voices.waveforms[:2]) + phone)
    array([False, False,  True,  True])
    >>> router.predict(phone).shape
    (2,)
    """

    # sample_weight is routed to both models (their requests decide), never consumed here
    __metadata_request__fit = {"sample_weight": metadata_routing.UNUSED}

    _parameter_constraints = {
        "wideband": [HasMethods(["fit", "predict"])],
        "narrowband": [HasMethods(["fit", "predict"])],
        "cutoff": [Interval(numbers.Real, 0, None, closed="neither")],
        "threshold_db": [Interval(numbers.Real, None, None, closed="neither")],
        "sample_rate": [Interval(numbers.Integral, 1000, None, closed="left")],
        "n_jobs": [numbers.Integral, None],
    }

    def __init__(self, wideband, narrowband, *, cutoff=4000.0, threshold_db=-50.0, sample_rate=16000, n_jobs=None):
        self.wideband = wideband
        self.narrowband = narrowband
        self.cutoff = cutoff
        self.threshold_db = threshold_db
        self.sample_rate = sample_rate
        self.n_jobs = n_jobs

    def fit(self, X, y, groups=None, sample_weight=None, **fit_params):
        """Fit both models on all the training recordings.

        Parameters
        ----------
        X : sequence of paths or waveforms, or array-like
            The models' training input.
        y : array-like of shape (n_recordings,)
            One label per recording.
        groups : array-like of shape (n_recordings,), default=None
            Passed on to each model whose ``fit`` takes ``groups`` (e.g.
            :class:`ScoreFusion`'s cross-fitting folds).
        sample_weight : array-like of shape (n_recordings,), default=None
            Passed on to both models' ``fit`` like ``fit_params``. (Named in
            the signature so that wrappers such as ``CalibratedClassifierCV``
            see that weights are taken.)
        **fit_params : dict
            Passed on to both models' ``fit`` (with metadata routing enabled,
            to the models that requested them).

        Returns
        -------
        self : BandwidthRouter
        """
        self._validate_params()
        if sample_weight is not None:
            fit_params["sample_weight"] = sample_weight
        items = check_audio_input(X, estimator=self)  # audio (or one waveform per row): not sparse, finite
        if not hasattr(X, "__len__"):  # a generator, now read: fit both models on what it gave
            X = items
        if self.cutoff >= self.sample_rate / 2:
            raise ValueError(f"cutoff={self.cutoff} Hz must be below the Nyquist frequency of sample_rate="
                             f"{self.sample_rate} ({self.sample_rate / 2} Hz).")
        forget_input_features(self)  # set again below only when the new wideband model has it
        fitted = []
        # with routing on, groups are metadata like the others: routed by request (an unset one raises
        # scikit-learn's error); with it off, they go where fit takes them: the model's own groups or a
        # Pipeline's last step (e.g. ScoreFusion)
        by_request = routing_enabled() and groups is not None
        routed = route_fit_params(self, {**fit_params, "groups": groups} if by_request else fit_params,
                                  {"wideband": self.wideband, "narrowband": self.narrowband})
        with shared_fusion_fits(X):  # a system (or front end) both models fuse is fitted (or run) once
            for name, est in (("wideband", self.wideband), ("narrowband", self.narrowband)):
                kw = routed[name]
                key = None if groups is None or by_request else groups_parameter(est)
                if key is not None and key not in kw:
                    kw[key] = groups
                fitted.append(clone(est).fit(X, y, **kw))
        self.wideband_, self.narrowband_ = fitted
        classes = [np.asarray(est.classes_) for est in fitted]
        if not np.array_equal(classes[0], classes[1]):
            raise ValueError("BandwidthRouter: the wideband and narrowband models learned different classes_.")
        self.classes_ = classes[0]
        if hasattr(self.wideband_, "n_features_in_"):
            self.n_features_in_ = self.wideband_.n_features_in_
        return self

    def get_metadata_routing(self):
        """Metadata routing: ``fit`` metadata goes to the ``fit`` of both models.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
        """
        return fit_router(self, {"wideband": self.wideband, "narrowband": self.narrowband})

    def high_band_ratio(self, X):
        """:func:`high_band_ratio` of every recording, in dB.

        %(parameters_X_bandwidth)s

        Returns
        -------
        ratio_db : ndarray of shape (n_recordings,)
        """
        items = check_audio_input(X, estimator=self)
        ratios, _ = map_recordings(functools.partial(_ratio, sample_rate=self.sample_rate, cutoff=float(self.cutoff)),
                                   items, n_jobs=self.n_jobs, estimator_name=type(self).__name__)
        return np.asarray(ratios, dtype=float)

    def is_narrowband(self, X):
        """Which recordings go to the ``narrowband`` model.

        %(parameters_X_bandwidth)s

        Returns
        -------
        narrowband : ndarray of bool, shape (n_recordings,)
        """
        return self.high_band_ratio(X) < self.threshold_db

    def _route(self, method, X, *args):
        return self._route_outputs(lambda est, *rows: (getattr(est, method)(*rows),), X, *args)[0]

    def _route_outputs(self, call, X, *args):
        """``call(model, X_part, *args_part)`` -> tuple of arrays, run with the model of each recording's channel;
        each array's rows are put back in the order of ``X``."""
        check_is_fitted(self, "classes_")
        if not hasattr(X, "__len__"):  # a generator: read once, both to measure the bandwidth and to predict
            X = check_audio_input(X, estimator=self)
        narrow = self.is_narrowband(X)
        parts = []  # (rows, the model's outputs for them), for each channel that has recordings
        for mask, est in ((~narrow, self.wideband_), (narrow, self.narrowband_)):
            idx = np.flatnonzero(mask)
            if len(idx):
                rows = [take_rows(X, idx)] + [take_rows(a, idx) for a in args]
                parts.append((idx, [np.asarray(v) for v in call(est, *rows)]))
        outputs = []
        for j, first in enumerate(parts[0][1]):
            out = np.empty((num_samples(X),) + first.shape[1:],
                           dtype=np.result_type(*(values[j].dtype for _, values in parts)))
            for idx, values in parts:
                out[idx] = values[j]
            outputs.append(out)
        return outputs

    def predict(self, X):
        """The label of each recording, by the model of its channel.

        %(parameters_X_routed)s

        Returns
        -------
        y : ndarray of shape (n_recordings,)
        """
        return self._route("predict", X)

    decision_function = _routed_method(
        "decision_function", "Scores of each recording by the model of its channel.", "%(returns_decision_function)s")
    predict_proba = _routed_method(
        "predict_proba", "Class probabilities of each recording by the model of its channel.", "%(returns_proba)s")
    speaker_scores = _routed_method(
        "speaker_scores", "Scores of every recording against every enrolled speaker, by the model of its channel.",
        "Returns\n        -------\n        scores : ndarray of shape (n_recordings, n_classes)\n"
        "            Columns follow ``classes_``.")

    @available_if(_both_have("verify"))
    def verify(self, X, claimed):
        """Score each recording against the speaker it claims to be, by the model of its channel.

        %(parameters_X_routed)s
        claimed : array-like of shape (n_recordings,)
            An enrolled speaker per recording.

        Returns
        -------
        scores : ndarray of shape (n_recordings,)
        """
        if num_samples(claimed) != num_samples(X):
            raise ValueError(f"verify: X has {num_samples(X)} recordings but claimed has "
                             f"{num_samples(claimed)} labels.")
        return self._route("verify", X, claimed)

    def __sklearn_tags__(self):
        tags = set_audio_input_tags(super().__sklearn_tags__())  # audio in: file paths or waveforms
        tags.input_tags.allow_nan = False
        return tags
