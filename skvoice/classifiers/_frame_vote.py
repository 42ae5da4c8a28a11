"""Train any classifier on frames; predict recordings by voting."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import MetaEstimatorMixin, clone
from sklearn.utils import metadata_routing

from .._base import FrameClassifier
from .._docs import fill_doc
from .._ragged import check_recording_targets, segment_mean, split_frames
from .._routing import fit_router, route_fit_params
from .._sklearn_compat import HasMethods, Interval, StrOptions

__all__ = ["FrameVoteClassifier"]


@fill_doc
class FrameVoteClassifier(MetaEstimatorMixin, FrameClassifier):
    """Fit a classifier on frames, predict each recording by majority or soft vote.

    Every frame is labelled with its recording's label and ``estimator`` is
    fitted on all (or a per-recording subsample of) the frames. A recording is
    then classified by the majority of its frame predictions
    (``voting="hard"``) or by the mean of its frame probabilities
    (``voting="soft"``). This is the study's per-frame training with
    per-audio evaluation, for any scikit-learn classifier.

    Parameters
    ----------
    estimator : classifier or None, default=None
        Frame classifier; ``None`` uses
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier`.
    voting : {"hard", "soft"}, default="hard"
        ``"hard"``: majority of frame labels; ``predict_proba`` gives the
        fraction of frames voting for each class. An exact tie is broken by
        the mean frame probability when the frame classifier has one (the
        tied classes then share half a vote more in ``predict_proba``, in
        proportion to it), else by the first class. ``"soft"``:
        argmax of mean frame probabilities (needs ``predict_proba``), which
        ``predict_proba`` returns.
    max_frames : int or None, default=None
        Train on at most this many random frames per recording (faster, and
        long recordings no longer dominate). ``None`` uses all frames.
    random_state : int, RandomState instance or None, default=None
        Seeds the frame subsampling.

    Attributes
    ----------
    estimator_ : classifier
        The fitted frame classifier.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Features per frame.
    n_frames_fit_ : int
        Number of frames the frame classifier was trained on.

    See Also
    --------
    skvoice.features.StatsPooling : pool frames to one vector per recording instead.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skvoice.classifiers import FrameVoteClassifier
    >>> from skvoice.datasets import make_voices
    >>> from skvoice.features import CMVN, MFCCExtractor
    >>> voices = make_voices(n_speakers=4, n_utterances=3, duration=1.0, random_state=0)
    >>> model = make_pipeline(MFCCExtractor(), CMVN(),
    ...                       FrameVoteClassifier(LogisticRegression(max_iter=500)))
    >>> model.fit(voices.waveforms, voices.gender).predict(voices.waveforms[:2])
    array(['F', 'F'], dtype=object)
    >>> model.score(voices.waveforms, voices.gender)
    1.0
    """

    # sample_weight is routed to the inner estimator (its request decides), never consumed here
    __metadata_request__fit = {"sample_weight": metadata_routing.UNUSED}

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "voting": [StrOptions({"hard", "soft"})],
        "max_frames": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    _fitted_attribute = "estimator_"

    def __init__(self, estimator=None, *, voting="hard", max_frames=None, random_state=None):
        self.estimator = estimator
        self.voting = voting
        self.max_frames = max_frames
        self.random_state = random_state

    def _make_estimator(self):
        if self.estimator is None:
            from sklearn.ensemble import HistGradientBoostingClassifier

            return HistGradientBoostingClassifier(random_state=0)
        return clone(self.estimator)

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the frame classifier.

        Parameters
        ----------
        %(X_frames)s
        %(y_recordings)s
        sample_weight : array-like of shape (n_recordings,) or (n_frames,), default=None
            Passed on to the frame classifier's ``fit`` like ``fit_params``
            (to a Pipeline's final step):
            one weight per recording is repeated over its frames, one per
            frame follows the ``max_frames`` subsample. (Named in the
            signature so that wrappers such as ``CalibratedClassifierCV``
            see that weights are taken.)
        **fit_params : dict
            Passed to the frame classifier's ``fit`` (with metadata routing
            enabled, those it requested). An array-like with one entry per
            recording, such as ``sample_weight``, is repeated over the
            recording's frames (like ``y``), so ``sample_weight`` weighs
            recordings; one with an entry per frame follows the
            ``max_frames`` subsample.

        Returns
        -------
        self : FrameVoteClassifier
        """
        if sample_weight is not None:
            fit_params["sample_weight"] = sample_weight
        estimator = self._make_estimator()
        if self.voting == "soft" and not hasattr(estimator, "predict_proba"):
            raise AttributeError(  # before the frame fit (e.g. SVC(probability=False)), not after it
                f"voting='soft' needs a frame classifier with predict_proba; "
                f"{type(estimator).__name__} has none. Use voting='hard'.")
        params = route_fit_params(self, fit_params, {"estimator": estimator})["estimator"]
        frames, y_frames, params = self._training_frames(X, y, self.random_state, params)
        self.estimator_ = estimator.fit(frames, y_frames, **params)
        if self.voting == "soft" and not hasattr(self.estimator_, "predict_proba"):
            raise AttributeError(
                f"voting='soft' needs a frame classifier with predict_proba; "
                f"{type(self.estimator_).__name__} has none after fitting. Use voting='hard'.")
        self.classes_ = self.estimator_.classes_
        self.n_frames_fit_ = int(len(frames))
        return self

    def get_metadata_routing(self):
        """Metadata routing: ``fit`` metadata goes to the frame classifier's ``fit``.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
        """
        return fit_router(self, {"estimator": self._make_estimator()})

    def predict_frames(self, X):
        """Predict every frame.

        %(parameters_X_frames)s

        Returns
        -------
        labels : ndarray of object, shape (n_recordings,)
            One 1-D array of frame labels per recording.
        """
        frames, lengths = self._test_frames(X)
        return split_frames(self.estimator_.predict(frames), lengths)

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`: ``-inf`` for a class no frame voted for (``voting="hard"``).

        It makes the classifier usable where log-probabilities are the
        scores, e.g. as a system of :class:`ScoreFusion` (which reads a
        probability of 0 as 1e-6).

        %(parameters_X_frames)s

        %(returns_log_proba)s
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def _recording_proba(self, frames, lengths):
        if self.voting == "soft":
            return segment_mean(self.estimator_.predict_proba(frames), lengths)
        pred = self.estimator_.predict(frames)
        onehot = (pred[:, None] == self.classes_[None, :]).astype(np.float64)
        fractions = segment_mean(onehot, lengths)
        if hasattr(self.estimator_, "predict_proba"):
            # an exact tie between vote counts is broken by the mean frame probability, in the probabilities
            # themselves so that predict is their argmax: half a vote shared as the frames' mean probabilities
            votes = np.round(fractions * lengths[:, None])
            tie = (votes == votes.max(axis=1, keepdims=True)).sum(axis=1) > 1
            if tie.any():
                mean_p = segment_mean(self.estimator_.predict_proba(frames[np.repeat(tie, lengths)]), lengths[tie])
                fractions[tie] = (votes[tie] + 0.5 * mean_p) / (lengths[tie, None] + 0.5)
        return fractions

    def _recording_scores(self, frames, lengths):
        return self._recording_proba(frames, lengths)

    def score_frames(self, X, y):
        """Frame-level accuracy (every frame labelled with its recording's label).

        Parameters
        ----------
        %(X_frames)s
        %(y_recordings)s

        Returns
        -------
        accuracy : float
        """
        frames, lengths = self._test_frames(X)
        y = check_recording_targets(lengths, y, self)
        return float(np.mean(self.estimator_.predict(frames) == np.repeat(y, lengths)))
