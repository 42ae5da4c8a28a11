"""Train any classifier on frames; predict recordings by voting."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils.validation import check_is_fitted

from .._persistence import VersionedPickleMixin
from .._ragged import (
    check_recording_targets,
    segment_mean,
    split_frames,
    stack_frames,
    subsample_frames,
    validate_recordings,
)
from .._sklearn_compat import HasMethods, Interval, StrOptions

__all__ = ["FrameVoteClassifier"]


class FrameVoteClassifier(VersionedPickleMixin, MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
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
        ``"hard"``: majority of frame labels (ties broken by the mean
        probability when available, else the first class). ``"soft"``: argmax
        of mean frame probabilities (needs ``predict_proba``).
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

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "voting": [StrOptions({"hard", "soft"})],
        "max_frames": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    }

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

    def fit(self, X, y, **fit_params):
        """Fit the frame classifier.

        Parameters
        ----------
        X : recording set or array-like of shape (n_recordings, n_features)
            Frame features per recording.
        y : array-like of shape (n_recordings,)
            One label per recording.
        **fit_params : dict
            Passed to the frame classifier's ``fit``.

        Returns
        -------
        self : FrameVoteClassifier
        """
        self._validate_params()
        recs, _ = validate_recordings(self, X, reset=True)
        y = check_recording_targets(recs, y, self)
        frames, lengths = stack_frames(recs)
        y_frames = np.repeat(y, lengths)
        idx = subsample_frames(lengths, self.max_frames, self.random_state)
        if idx is not None:
            frames, y_frames = frames[idx], y_frames[idx]
        self.estimator_ = self._make_estimator().fit(frames, y_frames, **fit_params)
        if self.voting == "soft" and not hasattr(self.estimator_, "predict_proba"):
            raise AttributeError(
                f"voting='soft' needs a frame classifier with predict_proba; "
                f"{type(self.estimator_).__name__} has none. Use voting='hard'.")
        self.classes_ = self.estimator_.classes_
        self.n_frames_fit_ = int(len(frames))
        return self

    def _frames(self, X):
        check_is_fitted(self, "estimator_")
        recs, _ = validate_recordings(self, X, reset=False, ensure_min_frames=0)
        frames, lengths = stack_frames(recs)
        empty = np.flatnonzero(lengths == 0)
        if empty.size:
            raise ValueError(
                f"{type(self).__name__}: recording(s) {empty[:20].tolist()} have no frames, so they cannot be "
                "classified (skipped or failed audio?). Remove them, or check the extractor's failures_.")
        return frames, lengths

    def predict_frames(self, X):
        """Predict every frame.

        Parameters
        ----------
        X : recording set or array-like of shape (n_recordings, n_features)

        Returns
        -------
        labels : ndarray of object, shape (n_recordings,)
            One 1-D array of frame labels per recording.
        """
        frames, lengths = self._frames(X)
        return split_frames(self.estimator_.predict(frames), lengths)

    def predict_proba(self, X):
        """Per-recording class probabilities.

        Soft voting: mean frame probability. Hard voting: fraction of frames
        voting for each class.

        Parameters
        ----------
        X : recording set or array-like of shape (n_recordings, n_features)

        Returns
        -------
        proba : ndarray of shape (n_recordings, n_classes)
        """
        frames, lengths = self._frames(X)
        return self._proba(frames, lengths)

    def _proba(self, frames, lengths):
        if self.voting == "soft":
            return segment_mean(self.estimator_.predict_proba(frames), lengths)
        pred = self.estimator_.predict(frames)
        onehot = (pred[:, None] == self.classes_[None, :]).astype(np.float64)
        return segment_mean(onehot, lengths)

    def predict(self, X):
        """Predict one label per recording.

        Parameters
        ----------
        X : recording set or array-like of shape (n_recordings, n_features)

        Returns
        -------
        y : ndarray of shape (n_recordings,)
        """
        frames, lengths = self._frames(X)
        scores = self._proba(frames, lengths)
        if self.voting == "hard" and hasattr(self.estimator_, "predict_proba"):
            # break exact ties between vote counts with the mean frame probability
            votes = np.round(scores * lengths[:, None])
            tie = (votes == votes.max(axis=1, keepdims=True)).sum(axis=1) > 1
            if tie.any():
                mean_p = segment_mean(self.estimator_.predict_proba(frames), lengths)
                scores = np.where(tie[:, None], votes + 0.5 * mean_p, votes)
        return self.classes_[np.argmax(scores, axis=1)]

    def score_frames(self, X, y):
        """Frame-level accuracy (every frame labelled with its recording's label).

        Parameters
        ----------
        X : recording set or array-like of shape (n_recordings, n_features)
        y : array-like of shape (n_recordings,)

        Returns
        -------
        accuracy : float
        """
        frames, lengths = self._frames(X)
        y = check_recording_targets(lengths, y, self)
        return float(np.mean(self.estimator_.predict(frames) == np.repeat(y, lengths)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
