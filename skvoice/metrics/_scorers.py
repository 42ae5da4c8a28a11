"""Trials from score matrices, and verification scorers for cross_validate / GridSearchCV."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.validation import column_or_1d

from .._routing import final_step_method
from .._sklearn_compat import validate_params
from .._validation import check_labels_present, check_speaker_label_types, label_positions
from ._verification import actual_dcf, cllr, equal_error_rate, min_cllr, min_dcf

__all__ = ["trial_scores", "make_verification_scorer", "eer_scorer", "min_dcf_scorer"]

_METRICS = {"eer": equal_error_rate, "min_dcf": min_dcf, "actual_dcf": actual_dcf, "cllr": cllr,
            "min_cllr": min_cllr}


@validate_params({"scores": ["array-like"], "y_true": ["array-like"], "classes": ["array-like"],
                  "trials": [pd.DataFrame, None]}, prefer_skip_nested_validation=True)
def trial_scores(scores, y_true, classes, *, trials=None):
    """Flatten a score matrix (test items x enrolled speakers) into verification trials.

    Every test item is scored against every enrolled class; the trial is a
    target trial when the item's true label is that class. Test items whose
    label is not among ``classes`` (unenrolled speakers) give non-target
    trials only.

    Parameters
    ----------
    scores : array-like of shape (n_samples, n_classes) or (n_samples,)
        Scores in ``classes`` order, e.g. a classifier's
        ``decision_function(X)`` with ``classes=clf.classes_``. A 1-D array is
        the score of ``classes[1]`` (scikit-learn's binary convention), and
        gives one trial per sample: target when ``y_true == classes[1]``.
    y_true : array-like of shape (n_samples,)
        True labels of the test items.
    classes : array-like of shape (n_classes,)
        The enrolled labels, in the column order of ``scores``.
    trials : pandas.DataFrame, default=None
        Score only these trials: a table with ``test_index`` (row of
        ``scores``) and ``claimed_speaker`` (a member of ``classes``) columns,
        as made by :func:`skvoice.datasets.verification_trials`. Needs 2-D
        ``scores``.

    Returns
    -------
    is_target : ndarray of bool, shape (n_trials,)
        ``True`` for target trials.
    trial_score : ndarray of float, shape (n_trials,)
        The score of each trial. Without ``trials``, the trials are in
        row-major order (item 0 against every class, then item 1, ...).

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.metrics import trial_scores
    >>> scores = np.array([[0.9, 0.1, 0.3],
    ...                    [0.2, 0.8, 0.4]])
    >>> is_target, s = trial_scores(scores, ["a", "b"], classes=["a", "b", "c"])
    >>> is_target.tolist()
    [True, False, False, False, True, False]
    >>> s.tolist()
    [0.9, 0.1, 0.3, 0.2, 0.8, 0.4]
    """
    y_true = column_or_1d(y_true)
    classes = column_or_1d(classes)
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim not in (1, 2):
        raise ValueError(f"scores must be 1-D or 2-D, got shape {scores.shape}.")
    if scores.shape[0] != len(y_true):
        raise ValueError(f"scores has {scores.shape[0]} rows but y_true has {len(y_true)} labels.")
    if len(np.unique(classes)) != len(classes):
        raise ValueError("classes must not contain duplicates.")
    check_labels_present(y_true, name="y_true")  # a missing speaker would silently give non-target trials
    check_speaker_label_types(y_true, classes, what="classes")
    if scores.ndim == 1:
        if trials is not None:
            raise ValueError("trials= needs a 2-D score matrix (one column per enrolled class).")
        if len(classes) != 2:
            raise ValueError(f"1-D scores are the scores of classes[1] of a binary problem, but {len(classes)} "
                             "classes were given.")
        return y_true == classes[1], scores.copy()
    if scores.shape[1] != len(classes):
        raise ValueError(f"scores has {scores.shape[1]} columns but there are {len(classes)} classes.")
    if trials is None:
        return (y_true[:, None] == classes[None, :]).ravel(), scores.ravel()
    missing = {"test_index", "claimed_speaker"} - set(trials.columns)
    if missing:
        raise ValueError(f"trials lacks column(s) {sorted(missing)}.")
    rows = np.asarray(trials["test_index"], dtype=np.intp)
    if len(rows) and (rows.min() < 0 or rows.max() >= len(y_true)):
        raise ValueError(f"trials.test_index must lie in [0, {len(y_true)}).")
    claimed = trials["claimed_speaker"].to_numpy(dtype=object)
    cols = label_positions(claimed, classes)
    unknown = sorted({str(c) for c in claimed[cols < 0]})
    if unknown:
        raise ValueError(f"{len(unknown)} claimed speaker(s) are not among classes: {unknown[:10]}.")
    return y_true[rows] == classes[cols], scores[rows, cols]


class _VerificationScorer:
    """Callable ``scorer(estimator, X, y)`` evaluating all (test item x enrolled class) trials."""

    def __init__(self, metric, sign, response_method, kwargs):
        self._metric = metric
        self._sign = sign
        self._response_method = response_method
        self._kwargs = kwargs

    def _scores(self, estimator, X):
        methods = (self._response_method,) if isinstance(self._response_method, str) else self._response_method
        for name in methods:
            method = final_step_method(estimator, name)
            if method is not None:
                break
        else:
            raise AttributeError(f"{type(estimator).__name__} has none of the methods {tuple(methods)} needed to "
                                 "score verification trials.")
        classes = getattr(estimator, "classes_", None)
        if classes is None:
            raise AttributeError(f"{type(estimator).__name__} has no classes_: the score columns cannot be matched "
                                 "to enrolled speakers.")
        scores = np.asarray(method(X), dtype=np.float64)
        if name in ("predict_proba", "predict_log_proba") and scores.ndim == 2 and scores.shape[1] == 2:
            scores = scores[:, 1]  # binary: the score of classes_[1], as decision_function gives it
        return scores, classes

    def __call__(self, estimator, X, y_true, sample_weight=None):
        scores, classes = self._scores(estimator, X)
        is_target, trial_score = trial_scores(scores, y_true, classes)
        kwargs = dict(self._kwargs)
        if sample_weight is not None:
            per_trial = 1 if scores.ndim == 1 else scores.shape[1]
            kwargs["sample_weight"] = np.repeat(column_or_1d(sample_weight), per_trial)
        return self._sign * self._metric(is_target, trial_score, **kwargs)

    def set_score_request(self, *, sample_weight=None):
        """Request ``sample_weight`` for this scorer (with metadata routing enabled), as scikit-learn's scorers.

        Parameters
        ----------
        sample_weight : bool, str or None, default=None
            ``True``: ``cross_validate(params={"sample_weight": w})`` and
            ``GridSearchCV.fit(..., sample_weight=w)`` pass the test fold's
            weights to the scorer; ``False``: never; a string: that alias.

        Returns
        -------
        self : scorer
        """
        from sklearn.utils.metadata_routing import MetadataRequest

        from .._sklearn_compat import routing_enabled

        if not routing_enabled():
            raise RuntimeError("set_score_request is only available when metadata routing is enabled: "
                               "sklearn.set_config(enable_metadata_routing=True).")
        self._metadata_request = MetadataRequest(owner=self)
        self._metadata_request.score.add_request(param="sample_weight", alias=sample_weight)
        return self

    def get_metadata_routing(self):
        """The scorer's metadata request: ``sample_weight`` as set by :meth:`set_score_request` (unset: refused).

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRequest
        """
        from sklearn.utils.metadata_routing import MetadataRequest

        request = getattr(self, "_metadata_request", None)
        if request is None:
            request = MetadataRequest(owner=self)
            request.score.add_request(param="sample_weight", alias=None)
        return request

    def __repr__(self):
        name = next((k for k, f in _METRICS.items() if f is self._metric), getattr(self._metric, "__name__", "?"))
        args = [repr(name)] + [f"{k}={v!r}" for k, v in self._kwargs.items()]
        if self._sign > 0:
            args.append("greater_is_better=True")
        return f"make_verification_scorer({', '.join(args)})"


@validate_params({"greater_is_better": ["boolean"], "response_method": [str, tuple, list]},
                 prefer_skip_nested_validation=True)
def make_verification_scorer(metric="eer", *, greater_is_better=False,
                             response_method=("speaker_scores", "decision_function", "predict_proba"), **kwargs):
    """A scorer that evaluates a classifier as a speaker-verification system.

    The returned callable ``scorer(estimator, X, y)`` computes the estimator's
    scores for ``X`` (one column per enrolled speaker, in ``classes_`` order),
    builds every trial (each test item against each enrolled speaker, target
    when ``y`` equals the speaker, see :func:`trial_scores`) and applies
    ``metric`` to them with one threshold for all speakers. It can be passed
    as ``scoring=`` to :func:`~sklearn.model_selection.cross_validate`,
    :class:`~sklearn.model_selection.GridSearchCV` and friends, alone or in a
    dict of scorers.

    Parameters
    ----------
    metric : {"eer", "min_dcf", "actual_dcf", "cllr", "min_cllr"} or callable, default="eer"
        The trial metric, or any ``metric(is_target, scores, **kwargs)``.
    greater_is_better : bool, default=False
        Whether ``metric`` is a score (higher is better) or a loss. Losses
        are negated so that larger is always better, as scikit-learn's
        ``neg_*`` scorers do: an EER of 4 % is reported as -0.04.
    response_method : str or tuple of str, default=("speaker_scores", "decision_function", "predict_proba")
        The estimator method giving the scores; the first one the estimator
        has is used. ``speaker_scores`` (skvoice's speaker models) scores
        every item against every enrolled speaker, also when there are two.
        With two classes, the other methods give one trial per item, "is it
        ``classes_[1]``?": a 1-D ``decision_function`` as it is, binary
        ``predict_proba`` reduced to the probability of ``classes_[1]``.
    **kwargs
        Passed to ``metric`` (e.g. ``p_target=0.05`` for ``"min_dcf"``).

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y, sample_weight=None)`` -> float. Sample
        weights are repeated over each item's trials. With metadata routing
        enabled, ``scorer.set_score_request(sample_weight=True)`` lets
        ``cross_validate``/``GridSearchCV`` pass each test fold's weights.

    Notes
    -----
    This is a plain callable rather than a
    :func:`sklearn.metrics.make_scorer` object on purpose: a ``make_scorer``
    metric only receives ``(y_true, y_pred)``, not the estimator's
    ``classes_``, so the columns of a multi-class ``decision_function`` could
    not be matched to speakers when a test fold lacks some speaker.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_validate
    >>> from skvoice.metrics import make_verification_scorer
    >>> X, y = make_blobs(300, centers=5, cluster_std=3.0, random_state=0)
    >>> scoring = {"eer": make_verification_scorer("eer"),
    ...            "min_dcf_05": make_verification_scorer("min_dcf", p_target=0.05)}
    >>> res = cross_validate(LogisticRegression(), X, y, scoring=scoring, cv=3)
    >>> bool((res["test_eer"] < 0).all())  # negated losses
    True
    """
    if isinstance(metric, str):
        if metric not in _METRICS:
            raise ValueError(f"metric must be one of {sorted(_METRICS)} or a callable, got {metric!r}.")
        metric = _METRICS[metric]
    elif not callable(metric):
        raise TypeError(f"metric must be a name or a callable, got {type(metric).__name__}.")
    response_method = (response_method,) if isinstance(response_method, str) else tuple(response_method)
    if not response_method or not all(isinstance(m, str) for m in response_method):
        raise ValueError("response_method must be a method name or a non-empty tuple of names.")
    return _VerificationScorer(metric, 1.0 if greater_is_better else -1.0, response_method, kwargs)


eer_scorer = make_verification_scorer("eer")
min_dcf_scorer = make_verification_scorer("min_dcf", p_target=0.01)
