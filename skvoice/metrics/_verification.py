"""Detection metrics for speaker verification: EER, minimum/actual DCF, Cllr.

All functions take binary trial labels (target / non-target) and one score per
trial, larger meaning "more likely the claimed speaker". A trial is accepted
when ``score >= threshold`` (the convention of :func:`sklearn.metrics.roc_curve`).
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.utils.validation import column_or_1d

from .._docs import fill_doc
from .._sklearn_compat import Interval, StrOptions, validate_params
from .._validation import check_labels_present

__all__ = ["equal_error_rate", "min_dcf", "actual_dcf", "cllr", "min_cllr", "detection_operating_points",
           "bayes_threshold"]

_LN2 = np.log(2.0)

# the arguments every trial metric takes
_TRIALS = {"y_true": ["array-like"], "y_score": ["array-like"], "pos_label": [Real, str, "boolean", None],
           "sample_weight": ["array-like", None]}
_COSTS = {"p_target": [Interval(Real, 0, 1, closed="neither")],
          "c_miss": [Interval(Real, 0, None, closed="neither")],
          "c_fa": [Interval(Real, 0, None, closed="neither")]}


def _check_trials(y_true, y_score, pos_label=None, sample_weight=None, *, allow_inf=True):
    """Validate trial labels and scores; return ``(is_target, score, weight)`` with zero-weight trials dropped."""
    y_true = column_or_1d(y_true)
    try:
        y_score = column_or_1d(y_score).astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError("y_score must be numeric (one score per trial).") from None
    if len(y_true) != len(y_score):
        raise ValueError(f"y_true has {len(y_true)} trials but y_score has {len(y_score)}.")
    if len(y_true) == 0:
        raise ValueError("Cannot compute a detection metric on an empty set of trials.")
    if np.isnan(y_score).any():
        raise ValueError(f"y_score contains {int(np.isnan(y_score).sum())} NaN score(s); every trial needs a score.")
    if not allow_inf and np.isinf(y_score).any():
        raise ValueError("y_score contains infinite values.")
    check_labels_present(y_true, name="y_true")
    labels = np.unique(y_true)
    if len(labels) > 2:
        raise ValueError(f"y_true must be binary (target / non-target trials), got {len(labels)} distinct labels: "
                         f"{labels[:10].tolist()}. For a score matrix over enrolled speakers, flatten it into "
                         "trials with skvoice.metrics.trial_scores.")
    if pos_label is None:
        known = ({0, 1}, {-1, 1}, {0}, {1}, {-1})
        if y_true.dtype.kind not in "biufO" or not any(set(labels.tolist()) <= k for k in known):
            raise ValueError(f"y_true takes the values {labels.tolist()}: pass pos_label= to say which one marks "
                             "a target trial (labels {0, 1}, {-1, 1} or booleans need no pos_label).")
        pos_label = 1
    is_target = y_true == pos_label
    if sample_weight is None:
        weight = np.ones(len(y_true))
    else:
        weight = column_or_1d(sample_weight).astype(np.float64)
        if len(weight) != len(y_true):
            raise ValueError(f"sample_weight has {len(weight)} entries but there are {len(y_true)} trials.")
        if not np.isfinite(weight).all() or (weight < 0).any():
            raise ValueError("sample_weight must be finite and non-negative.")
        keep = weight > 0
        is_target, y_score, weight = is_target[keep], y_score[keep], weight[keep]
    n_tar, n_non = int(is_target.sum()), int((~is_target).sum())
    if n_tar == 0 or n_non == 0:
        missing = "target" if n_tar == 0 else "non-target"
        raise ValueError(f"Detection metrics need both target and non-target trials; got no {missing} trial "
                         f"(pos_label={pos_label!r}, labels present: {labels.tolist()}).")
    return is_target, y_score, weight


def _operating_points(is_target, score, weight):
    """Miss and false-alarm rates at every distinct threshold, from 'reject all' to 'accept all'."""
    order = np.argsort(-score, kind="mergesort")
    score, is_target, weight = score[order], is_target[order], weight[order]
    tar = np.cumsum(weight * is_target)
    non = np.cumsum(weight * ~is_target)
    # last trial of each run of equal scores (compared, not subtracted: inf - inf is NaN, which split runs of
    # tied infinite scores into impossible operating points)
    last = np.r_[np.flatnonzero(score[1:] != score[:-1]), len(score) - 1]
    p_miss = np.r_[1.0, 1.0 - tar[last] / tar[-1]]
    p_fa = np.r_[0.0, non[last] / non[-1]]
    thresholds = np.r_[np.inf, score[last]]
    # inf labels "reject all": the point that accepts +inf scores is reached from the largest float
    thresholds[1:][np.isposinf(thresholds[1:])] = np.finfo(np.float64).max
    p_miss[-1], p_fa[-1] = 0.0, 1.0
    return np.clip(p_fa, 0.0, 1.0), np.clip(p_miss, 0.0, 1.0), thresholds


@validate_params(_TRIALS, prefer_skip_nested_validation=True)
@fill_doc
def detection_operating_points(y_true, y_score, *, pos_label=None, sample_weight=None):
    """False-alarm and miss rates at every distinct score threshold.

    Unlike :func:`sklearn.metrics.det_curve`, every operating point is kept,
    including the two trivial ones ("reject all": false-alarm rate 0, miss
    rate 1, threshold ``inf``; "accept all": false-alarm rate 1, miss rate 0).

    Parameters
    ----------
    %(y_true_trials)s
    %(y_score_trials)s
    %(pos_label_sample_weight)s

    Returns
    -------
    p_fa : ndarray of shape (n_thresholds,)
        False-alarm rate (non-targets accepted), non-decreasing.
    p_miss : ndarray of shape (n_thresholds,)
        Miss rate (targets rejected), non-increasing.
    thresholds : ndarray of shape (n_thresholds,)
        Decreasing thresholds; a trial is accepted when ``score >= threshold``.

    Examples
    --------
    >>> from skvoice.metrics import detection_operating_points
    >>> p_fa, p_miss, thr = detection_operating_points([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    >>> p_fa.tolist(), p_miss.tolist(), thr.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [1.0, 0.5, 0.5, 0.0, 0.0], [inf, 0.9, 0.6, 0.4, 0.1])
    """
    return _operating_points(*_check_trials(y_true, y_score, pos_label, sample_weight))


def _lower_hull(x, y):
    """Vertices of the lower-left convex hull of the points, ordered by x (Andrew's monotone chain)."""
    order = np.lexsort((y, x))
    hull = []
    for i in order:
        while len(hull) >= 2:
            o, a = hull[-2], hull[-1]
            if (x[a] - x[o]) * (y[i] - y[o]) - (y[a] - y[o]) * (x[i] - x[o]) <= 0:
                hull.pop()
            else:
                break
        hull.append(i)
    return np.asarray(hull)


def _rocch(p_fa, p_miss):
    """Indices of the operating points that are vertices of the ROC convex hull (ROCCH).

    Only "inner corners" can be vertices: points reached by a drop in miss
    rate and left by a rise in false-alarm rate. A point entered horizontally
    has its predecessor level with it and to the left, one left vertically
    has its successor straight below it (the hull is non-increasing), so
    dropping the others first keeps the result and makes the hull loop run
    over at most one point per target/non-target alternation.
    """
    n = len(p_fa)
    entered_by_drop = np.r_[True, p_miss[1:] < p_miss[:-1]]
    left_by_rise = np.r_[p_fa[1:] > p_fa[:-1], True]
    candidates = np.flatnonzero(entered_by_drop & left_by_rise)
    candidates = np.union1d(candidates, [0, n - 1])
    return candidates[_lower_hull(p_fa[candidates], p_miss[candidates])]


def _crossing(p_fa, p_miss):
    """Where the polyline through (p_fa, p_miss) (p_miss - p_fa non-increasing) meets p_miss == p_fa."""
    d = p_miss - p_fa
    j = int(np.argmax(d <= 0))  # d[-1] = -1 <= 0, so there is one
    if j == 0:
        return float(p_fa[0])
    t = d[j - 1] / (d[j - 1] - d[j])
    return float(p_fa[j - 1] + t * (p_fa[j] - p_fa[j - 1]))


@validate_params({**_TRIALS, "method": [StrOptions({"rocch", "linear"})], "return_threshold": ["boolean"]},
                 prefer_skip_nested_validation=True)
@fill_doc
def equal_error_rate(y_true, y_score, *, pos_label=None, sample_weight=None, method="rocch",
                     return_threshold=False):
    """Equal error rate (EER): the operating point where miss and false-alarm rates are equal.

    Parameters
    ----------
    %(y_true_trials)s
    %(y_score_trials)s
    %(pos_label_sample_weight)s
    method : {"rocch", "linear"}, default="rocch"
        How the EER is read between the finitely many operating points:

        - ``"rocch"``: where the convex hull of the ROC/DET operating points
          (in (false-alarm, miss) space) crosses the line miss = false alarm.
          This is the ROCCH-EER of the BOSARIS toolkit: the error rate that
          can be reached at equal miss and false-alarm rates by randomising
          between two thresholds, and the largest Bayes error over all
          priors, ``max_a min_t a*P_miss(t) + (1-a)*P_fa(t)``. It is
          well defined with tied scores and never above ``"linear"``.
        - ``"linear"``: linear interpolation between the two consecutive
          operating points between which ``P_miss - P_fa`` changes sign (the
          common ``brentq(1 - x - interp(fpr, tpr, x))`` recipe on
          :func:`sklearn.metrics.roc_curve` points).
    return_threshold : bool, default=False
        Also return a score threshold: the realisable operating point closest
        to the EER, i.e. the one minimising ``max(P_miss, P_fa)``, the most
        balanced one among ties (accept when ``score >= threshold``; ``inf`` means reject all).

    Returns
    -------
    eer : float
        The EER as a fraction in [0, 1] (0.5 for uninformative scores).
    threshold : float
        Only with ``return_threshold=True``.

    Raises
    ------
    ValueError
        Trials of a single class, NaN scores, non-binary labels, or length
        mismatches.

    See Also
    --------
    min_dcf : Minimum of the NIST detection cost function.
    detection_operating_points : All (false alarm, miss) operating points.

    Examples
    --------
    >>> from skvoice.metrics import equal_error_rate
    >>> y = [1, 1, 1, 1, 0, 0, 0, 0]
    >>> s = [0.9, 0.8, 0.7, 0.3, 0.6, 0.2, 0.1, 0.0]
    >>> equal_error_rate(y, s)  # randomise between thresholds 0.7 and 0.3: 12.5 % misses and false alarms
    0.125
    >>> equal_error_rate(y, s, method="linear")  # the operating point at threshold 0.6 has both rates at 25 %
    0.25
    >>> equal_error_rate(y, s, return_threshold=True)
    (0.125, 0.6)
    """
    p_fa, p_miss, thresholds = _operating_points(*_check_trials(y_true, y_score, pos_label, sample_weight))
    if method == "rocch":
        hull = _rocch(p_fa, p_miss)
        eer = _crossing(p_fa[hull], p_miss[hull])
    else:
        eer = _crossing(p_fa, p_miss)
    if return_threshold:
        best = np.lexsort((np.abs(p_miss - p_fa), np.maximum(p_fa, p_miss)))[0]
        return eer, float(thresholds[best])
    return eer


def _cost_weights(p_target, c_miss, c_fa):
    """Weights of misses and false alarms, ``(c_miss * p_target, c_fa * (1 - p_target))`` (ranges: ``_COSTS``)."""
    return float(c_miss) * float(p_target), float(c_fa) * (1.0 - float(p_target))


@validate_params(_COSTS, prefer_skip_nested_validation=True)
@fill_doc
def bayes_threshold(p_target=0.01, c_miss=1, c_fa=1):
    """The Bayes decision threshold for calibrated log-likelihood-ratio scores.

    Accepting a trial when its natural-log LLR is at least
    ``log(c_fa * (1 - p_target) / (c_miss * p_target))`` minimises the
    expected detection cost when the scores are well calibrated.

    Parameters
    ----------
    %(cost_model)s

    Returns
    -------
    threshold : float

    Examples
    --------
    >>> from skvoice.metrics import bayes_threshold
    >>> round(bayes_threshold(0.01), 4)
    4.5951
    >>> bayes_threshold(0.5)
    0.0
    """
    w_miss, w_fa = _cost_weights(p_target, c_miss, c_fa)
    return float(np.log(w_fa / w_miss))


@validate_params({**_TRIALS, **_COSTS, "normalize": ["boolean"], "return_threshold": ["boolean"]},
                 prefer_skip_nested_validation=True)
@fill_doc
def min_dcf(y_true, y_score, *, p_target=0.01, c_miss=1, c_fa=1, normalize=True, pos_label=None,
            sample_weight=None, return_threshold=False):
    """Minimum detection cost (NIST SRE DCF) over all score thresholds.

    The detection cost at threshold ``t`` is
    ``c_miss * p_target * P_miss(t) + c_fa * (1 - p_target) * P_fa(t)``.
    Normalised, it is divided by ``min(c_miss * p_target, c_fa * (1 - p_target))``,
    the cost of the best trivial system (always reject or always accept), so
    1 means "no better than not looking at the scores" and values above 1
    cannot occur for the minimum.

    Parameters
    ----------
    %(y_true_trials)s
    %(y_score_trials)s
    %(cost_model)s
    normalize : bool, default=True
        Divide by the cost of the best trivial system.
    %(pos_label_sample_weight)s
    return_threshold : bool, default=False
        Also return the threshold reaching the minimum (accept when
        ``score >= threshold``; ``inf`` means reject all).

    Returns
    -------
    dcf : float
        The minimum (normalised) detection cost.
    threshold : float
        Only with ``return_threshold=True``.

    See Also
    --------
    actual_dcf : The cost at a fixed threshold (judges calibration).
    equal_error_rate : The equal error rate.

    Examples
    --------
    >>> from skvoice.metrics import min_dcf
    >>> y = [1, 1, 1, 1, 0, 0, 0, 0]
    >>> s = [0.9, 0.8, 0.7, 0.3, 0.6, 0.2, 0.1, 0.0]
    >>> min_dcf(y, s, p_target=0.5, return_threshold=True)  # accept the top 3: 1 miss in 4 targets
    (0.25, 0.7)
    >>> s[4] = 0.95  # the best score is now a non-target: at p_target=0.01 a false alarm costs
    >>> min_dcf(y, s, return_threshold=True)  # 99 times a miss, rejecting every trial is best
    (1.0, inf)
    """
    w_miss, w_fa = _cost_weights(p_target, c_miss, c_fa)
    p_fa, p_miss, thresholds = _operating_points(*_check_trials(y_true, y_score, pos_label, sample_weight))
    dcf = w_miss * p_miss + w_fa * p_fa
    best = int(np.argmin(dcf))
    value = float(dcf[best] / min(w_miss, w_fa)) if normalize else float(dcf[best])
    return (value, float(thresholds[best])) if return_threshold else value


@validate_params({**_TRIALS, **_COSTS, "threshold": [Real, None], "normalize": ["boolean"]},
                 prefer_skip_nested_validation=True)
@fill_doc
def actual_dcf(y_true, y_score, *, threshold=None, p_target=0.01, c_miss=1, c_fa=1, normalize=True,
               pos_label=None, sample_weight=None):
    """Detection cost at a fixed threshold, by default the Bayes threshold for LLR scores.

    Comparing it with :func:`min_dcf` shows the cost of miscalibration: the
    minimum uses the best threshold chosen with hindsight on these very
    trials, the actual cost uses the threshold fixed in advance.

    Parameters
    ----------
    %(y_true_trials)s
    y_score : array-like of shape (n_trials,)
        Trial scores. With ``threshold=None`` they are read as natural-log
        likelihood ratios.
    threshold : float, default=None
        Accept a trial when ``score >= threshold``; ``inf`` rejects every
        trial (as in the thresholds :func:`min_dcf` and
        :func:`detection_operating_points` return). ``None`` uses the Bayes
        threshold for log-likelihood ratios,
        ``log(c_fa * (1 - p_target) / (c_miss * p_target))``
        (:func:`bayes_threshold`; 4.595 for ``p_target=0.01``).
    %(cost_model)s
    normalize : bool, default=True
        Divide by ``min(c_miss * p_target, c_fa * (1 - p_target))``. A
        normalised actual DCF above 1 means the decisions are worse than
        ignoring the scores.
    %(pos_label_sample_weight)s

    Returns
    -------
    dcf : float

    See Also
    --------
    min_dcf : The cost at the best threshold.
    cllr : Calibration-sensitive cost over all operating points.

    Examples
    --------
    >>> from skvoice.metrics import actual_dcf
    >>> y = [1, 1, 0, 0]
    >>> llr = [6.0, 2.0, -3.0, 5.0]  # Bayes threshold 4.595 at p_target=0.01
    >>> round(actual_dcf(y, llr), 4)  # 1 miss of 2, 1 false alarm of 2: (0.01*0.5 + 0.99*0.5) / 0.01
    50.0
    >>> actual_dcf(y, llr, threshold=5.5, p_target=0.5)
    0.5
    """
    w_miss, w_fa = _cost_weights(p_target, c_miss, c_fa)
    is_target, score, weight = _check_trials(y_true, y_score, pos_label, sample_weight)
    if threshold is None:
        threshold = np.log(w_fa / w_miss)
    elif np.isnan(threshold):
        raise ValueError(f"threshold must be a real number or None, got {threshold!r}.")
    accept = score >= threshold if threshold < np.inf else np.zeros(len(score), dtype=bool)
    p_miss = weight[is_target & ~accept].sum() / weight[is_target].sum()
    p_fa = weight[~is_target & accept].sum() / weight[~is_target].sum()
    dcf = w_miss * p_miss + w_fa * p_fa
    return float(dcf / min(w_miss, w_fa)) if normalize else float(dcf)


def _cllr(is_target, llr, weight):
    # log2(1 + exp(-llr)) for targets, log2(1 + exp(llr)) for non-targets, each class averaged, then halved
    tar = np.average(np.logaddexp(0.0, -llr[is_target]), weights=weight[is_target])
    non = np.average(np.logaddexp(0.0, llr[~is_target]), weights=weight[~is_target])
    return float((tar + non) / (2.0 * _LN2))


@validate_params({**{k: v for k, v in _TRIALS.items() if k != "y_score"}, "llr": ["array-like"]},
                 prefer_skip_nested_validation=True)
@fill_doc
def cllr(y_true, llr, *, pos_label=None, sample_weight=None):
    """Log-likelihood-ratio cost (Cllr, Brümmer & du Preez 2006), in bits.

    ``Cllr = (mean_targets log2(1 + exp(-llr)) + mean_nontargets log2(1 + exp(llr))) / 2``.
    It scores LLRs as probabilistic statements across all operating points:
    0 for perfect, confident and correct LLRs; 1 for a system that always
    outputs LLR 0; unbounded for confident mistakes. ``cllr - min_cllr`` is
    the calibration loss.

    Parameters
    ----------
    %(y_true_trials)s
    llr : array-like of shape (n_trials,)
        Natural-log likelihood ratios (target vs non-target). ``±inf`` is
        allowed (a confident wrong ``inf`` gives an infinite cost).
    %(pos_label_sample_weight)s
        Averages are weighted within each class.

    Returns
    -------
    cllr : float

    See Also
    --------
    min_cllr : Cllr after the best monotonic recalibration.
    actual_dcf : Cost at one operating point.

    Examples
    --------
    >>> from skvoice.metrics import cllr
    >>> cllr([1, 0], [0.0, 0.0])
    1.0
    >>> round(cllr([1, 1, 0, 0], [4.0, 2.0, -3.0, -5.0]), 4)
    0.0723
    """
    return _cllr(*_check_trials(y_true, llr, pos_label, sample_weight))


@validate_params(_TRIALS, prefer_skip_nested_validation=True)
@fill_doc
def min_cllr(y_true, y_score, *, pos_label=None, sample_weight=None):
    """Minimum Cllr: Cllr after the optimal monotonic calibration of the scores.

    The scores are mapped to the best possible LLRs by the pool-adjacent-
    violators algorithm (isotonic regression of the target label on the score,
    then posterior log-odds minus the prior log-odds of the trials), as in the
    BOSARIS toolkit. It measures discrimination only; ``cllr(y, llr) -
    min_cllr(y, llr)`` is the calibration loss of LLR scores.

    Parameters
    ----------
    %(y_true_trials)s
    y_score : array-like of shape (n_trials,)
        Any finite scores, larger for "more likely target" (need not be LLRs).
    %(pos_label_sample_weight)s

    Returns
    -------
    min_cllr : float
        In [0, 1]: 0 for perfectly separated scores, 1 for uninformative ones.

    Examples
    --------
    >>> from skvoice.metrics import min_cllr
    >>> min_cllr([1, 1, 0, 0], [3.0, 2.0, 1.0, 0.0])  # perfectly separated
    0.0
    >>> min_cllr([1, 0, 1, 0], [1.0, 1.0, 1.0, 1.0])  # tied scores carry no information
    1.0
    """
    from sklearn.isotonic import IsotonicRegression

    is_target, score, weight = _check_trials(y_true, y_score, pos_label, sample_weight, allow_inf=False)
    post = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit_transform(
        score, is_target.astype(np.float64), sample_weight=weight)
    prior = weight[is_target].sum() / weight.sum()
    with np.errstate(divide="ignore"):
        llr = np.log(post) - np.log1p(-post) - (np.log(prior) - np.log1p(-prior))
    return _cllr(is_target, llr, weight)
