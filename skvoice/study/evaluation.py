"""Evaluation protocols and cross-validation of one model with one protocol.

A :class:`Protocol` is a named list of ``(train, test)`` index pairs. :func:`cross_validate_model`
runs :func:`sklearn.model_selection.cross_validate` over it: each split builds a fresh model sized
for its training part (:class:`BuildOnFit`), fits it on the training recordings and scores the test
recordings per recording and, for frame-vote pipelines, per frame (:class:`RecordingFrameScorer`).
Zero-shot models fit nothing, so :func:`score_fixed_predictions` scores their predictions on the same
splits instead.
"""

from __future__ import annotations

import dataclasses
from contextlib import nullcontext

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .models import FRAMES
from .results import FRAME, RECORDING, MetricSummary, ProtocolInfo, ProtocolResult

__all__ = ["METRICS", "Protocol", "Evaluation", "BuildOnFit", "RecordingFrameScorer", "gender_protocols",
           "speaker_protocols", "score_predictions", "cross_validate_model", "score_fixed_predictions",
           "single_openmp", "thread_limit"]

METRICS = ("accuracy", "precision", "recall", "f1")


@dataclasses.dataclass
class Protocol:
    """A named evaluation protocol: its splits and what the report says about it."""

    key: str
    info: ProtocolInfo
    splits: list
    confusion: bool = True  # draw the confusion matrix of its out-of-fold predictions


def gender_protocols(corpus, budget, seed):
    """The two gender protocols: the study's stratified 80/20 split and a speaker-disjoint grouped k-fold."""
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedShuffleSplit

    y, groups = corpus.gender, corpus.speaker
    idx = np.arange(len(y))
    study = list(StratifiedShuffleSplit(n_splits=1, test_size=0.2, random_state=seed).split(idx, y))
    train, test = study[0]
    shared = sorted(set(groups[train]) & set(groups[test]))
    n_min = min(np.unique(groups[y == c]).size for c in np.unique(y))
    k = max(2, min(budget.gender_folds, n_min))
    disjoint = list(StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed).split(idx, y, groups))
    return {
        "study_split": Protocol("study_split", ProtocolInfo(
            "random stratified 80/20 split of recordings (the study's protocol)", 1, n_train=int(len(train)),
            n_test=int(len(test)), speakers_in_train_and_test=len(shared), n_speakers=len(np.unique(groups)),
            speaker_disjoint=len(shared) == 0), study, confusion=False),
        "speaker_disjoint": Protocol("speaker_disjoint", ProtocolInfo(
            f"StratifiedGroupKFold({k}) by speaker (speaker-disjoint)", k, speaker_disjoint=True), disjoint),
    }


def speaker_protocols(corpus, budget, seed):
    """Closed-set speaker identification: a stratified k-fold over utterances (every speaker in every part)."""
    from sklearn.model_selection import StratifiedKFold

    y = corpus.speaker
    k = max(2, min(budget.speaker_folds, int(np.unique(y, return_counts=True)[1].min())))
    splits = list(StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    info = ProtocolInfo(f"closed-set StratifiedKFold({k}) over utterances, stratified by speaker", k)
    return {"closed_set": Protocol("closed_set", info, splits)}


# ------------------------------------------------------------------------------------------------ scoring
def score_predictions(y_true, y_pred, labels, pos_label):
    """``{metric: value}`` for :data:`METRICS`: binary for ``pos_label``, else macro-averaged."""
    from ..analysis import classification_table

    average = "binary" if pos_label is not None else "macro"
    row = classification_table(y_true, y_pred, labels=labels, pos_label=pos_label, average=average).iloc[0]
    return {m: float(row[m]) for m in METRICS}


class BuildOnFit(ClassifierMixin, BaseEstimator):
    """Build the model when fitting, from the size of the training part, then fit it (``model_``).

    The study's budgets cap training frames in all (e.g. about 8000 frames for a Keras net), so the
    frames per recording depend on how many recordings a split trains on; ``build(n_train)``
    returns that split's unfitted estimator. ``cross_validate`` clones this wrapper per split.
    """

    def __init__(self, build=None):
        self.build = build

    def fit(self, X, y):
        self.model_ = self.build(len(X))
        self.model_.fit(X, y)
        self.classes_ = getattr(self.model_, "classes_", None)
        return self

    def predict(self, X):
        return self.model_.predict(X)


class RecordingFrameScorer:
    """A multi-metric scorer for ``cross_validate``: ``{"<level>/<metric>": value}``.

    Every model is scored per recording; frame-vote pipelines (``kind="frames"``) also per frame,
    each frame against its recording's label (the study's *per frame* rows).
    """

    def __init__(self, kind, labels, pos_label):
        self.kind, self.labels, self.pos_label = kind, labels, pos_label

    def levels(self):
        return (RECORDING, FRAME) if self.kind == FRAMES else (RECORDING,)

    def __call__(self, estimator, X, y):
        model = getattr(estimator, "model_", estimator)
        scores = {}
        if self.kind == FRAMES:
            final, Xt = model[-1], model[:-1].transform(X)
            frame_pred = final.predict_frames(Xt)
            lengths = [len(p) for p in frame_pred]
            scores[RECORDING] = score_predictions(y, final.predict(Xt), self.labels, self.pos_label)
            scores[FRAME] = score_predictions(np.repeat(y, lengths), np.concatenate(list(frame_pred)), self.labels,
                                              self.pos_label)
        else:
            scores[RECORDING] = score_predictions(y, model.predict(X), self.labels, self.pos_label)
        return {f"{level}/{m}": v for level, values in scores.items() for m, v in values.items()}


# ------------------------------------------------------------------------------------------------ evaluation
@dataclasses.dataclass
class Evaluation:
    """A protocol's result with the per-split accuracies and (when asked) the out-of-fold predictions."""

    result: ProtocolResult
    split_accuracy: list[float]
    y_true: np.ndarray | None = None
    y_pred: np.ndarray | None = None


def single_openmp():
    """Context manager: OpenMP limited to one thread (see :func:`thread_limit`)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="openmp")


def thread_limit(spec):
    """Single-threaded OpenMP for scikit-learn models (HistGradientBoosting).

    With torch imported, two OpenMP runtimes (torch's and scikit-learn's libgomp) spin-wait against each
    other, and on a busy machine HistGradientBoosting with 2 threads was measured 15x slower than with 1.
    Torch models keep their threads.
    """
    return nullcontext() if spec.uses_torch else single_openmp()


def _metrics(scores, levels):
    return {level: {m: MetricSummary.from_values(scores[f"test_{level}/{m}"]) for m in METRICS} for level in levels}


def cross_validate_model(spec, X, y, protocol, *, labels, pos_label, predictions=False):
    """Cross-validate ``spec`` with ``protocol`` (each split: build, fit on train, score test).

    With ``predictions=True`` the out-of-fold recording predictions of the fitted split models are
    returned too (for the confusion matrix).
    """
    from sklearn.model_selection import cross_validate

    scorer = RecordingFrameScorer(spec.kind, labels, pos_label)
    with thread_limit(spec):
        cv = cross_validate(BuildOnFit(spec.build), X, y, cv=protocol.splits, scoring=scorer,
                            return_estimator=True, return_indices=True, error_score="raise")
        y_true = y_pred = None
        if predictions:
            tests = cv["indices"]["test"]
            y_true = np.concatenate([y[t] for t in tests])
            y_pred = np.concatenate([np.asarray(est.predict(X[t]), dtype=object)
                                     for est, t in zip(cv["estimator"], tests)])
    frames, epochs = [], []
    if spec.kind == FRAMES:
        for est in cv["estimator"]:
            vote = est.model_[-1]
            frames.append(int(vote.n_frames_fit_))
            n_epochs = getattr(vote.estimator_, "n_epochs_", None)
            if n_epochs is not None:
                epochs.append(int(n_epochs))
    result = ProtocolResult(n_splits=len(protocol.splits), metrics=_metrics(cv, scorer.levels()),
                            fit_seconds=float(np.sum(cv["fit_time"])), predict_seconds=float(np.sum(cv["score_time"])),
                            train_frames_per_split=frames, epochs_per_split=epochs)
    return Evaluation(result, [float(a) for a in cv[f"test_{RECORDING}/accuracy"]], y_true, y_pred)


def score_fixed_predictions(predictions, y, protocol, *, labels, pos_label):
    """Score predictions made once for every recording (a zero-shot model) on each test part of ``protocol``.

    Recordings the model could not predict (``None``) are left out of the scores, and counted in
    ``unscored_per_split`` (the report says so).
    """
    predictions = np.asarray(predictions, dtype=object)
    per_split, y_true, y_pred, unscored = [], [], [], []
    for _, test in protocol.splits:
        pred = predictions[test]
        ok = np.array([p is not None for p in pred], dtype=bool)
        unscored.append(int((~ok).sum()))
        per_split.append(score_predictions(y[test][ok], pred[ok], labels, pos_label))
        y_true.append(y[test][ok])
        y_pred.append(pred[ok])
    metrics = {RECORDING: {m: MetricSummary.from_values([s[m] for s in per_split]) for m in METRICS}}
    result = ProtocolResult(n_splits=len(protocol.splits), metrics=metrics, unscored_per_split=unscored)
    return Evaluation(result, [s["accuracy"] for s in per_split], np.concatenate(y_true), np.concatenate(y_pred))
