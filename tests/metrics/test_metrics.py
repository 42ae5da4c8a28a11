"""EER, DCF, Cllr, DET plot, trial flattening and verification scorers."""

import pickle

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import det_curve, log_loss, roc_curve
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_validate
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import NearestCentroid

from skvoice.metrics import (
    actual_dcf,
    bayes_threshold,
    cllr,
    detection_operating_points,
    eer_scorer,
    equal_error_rate,
    make_verification_scorer,
    min_cllr,
    min_dcf,
    min_dcf_scorer,
    plot_det,
    trial_scores,
)

Y8 = [1, 1, 1, 1, 0, 0, 0, 0]
S8 = [0.9, 0.8, 0.7, 0.3, 0.6, 0.2, 0.1, 0.0]


def _gaussian_trials(seed, n_tar=200, n_non=1000, d=1.5, ties=False):
    rng = np.random.RandomState(seed)
    s = np.r_[rng.normal(d, 1, n_tar), rng.normal(0, 1, n_non)]
    if ties:
        s = np.round(s, 1)
    y = np.r_[np.ones(n_tar, dtype=int), np.zeros(n_non, dtype=int)]
    perm = rng.permutation(len(y))
    return y[perm], s[perm]


# ---------------------------------------------------------------------------------------------------------------
# hand-computed cases


def test_eer_hand_computed_rocch_and_linear_differ():
    # operating points (P_fa, P_miss): (0,1) (0,.75) (0,.5) (0,.25) (.25,.25) (.25,0) (.5,0) (.75,0) (1,0)
    # hull: (0,.25) -> (.25,0) crosses the diagonal at .125; the point (.25,.25) itself lies on it
    assert equal_error_rate(Y8, S8) == pytest.approx(0.125)
    assert equal_error_rate(Y8, S8, method="linear") == pytest.approx(0.25)
    eer, thr = equal_error_rate(Y8, S8, return_threshold=True)
    assert thr == 0.6  # the balanced operating point among those with max(P_fa, P_miss) = .25


@pytest.mark.parametrize("method", ["rocch", "linear"])
def test_eer_perfect_separation_is_zero(method):
    eer, thr = equal_error_rate([1, 1, 0, 0], [3.0, 2.0, 1.0, 0.0], method=method, return_threshold=True)
    assert eer == 0.0 and thr == 2.0


def test_eer_inverted_scores():
    y, s = [1, 1, 0, 0], [0.0, 1.0, 2.0, 3.0]
    assert equal_error_rate(y, s, method="linear") == pytest.approx(1.0)
    # the hull of (0,1) (.5,1) (1,1) (1,.5) (1,0) is the chord (0,1)-(1,0): randomising "accept all" / "reject all"
    assert equal_error_rate(y, s) == pytest.approx(0.5)


@pytest.mark.parametrize("method", ["rocch", "linear"])
def test_eer_all_equal_scores_is_one_half(method):
    assert equal_error_rate([1, 0, 1, 0, 0], np.full(5, 0.3), method=method) == pytest.approx(0.5)


def test_eer_ties_between_classes():
    # points (0,1), (.5,.5) [both score-1 trials accepted together], (1,0)
    assert equal_error_rate([1, 0, 1, 0], [1, 1, 0, 0]) == pytest.approx(0.5)
    # 2 targets, 4 non-targets; a tie of one target and one non-target at the top
    y, s = [1, 0, 1, 0, 0, 0], [5, 5, 3, 2, 1, 0]
    # points: (0,1) (.25,.5) (.25,0) (.5,0) (.75,0) (1,0); hull (0,1)->(.25,0): crossing at x = .2
    assert equal_error_rate(y, s) == pytest.approx(0.2)
    assert equal_error_rate(y, s, method="linear") == pytest.approx(0.25)


def test_labels_pos_label_and_weights():
    s = np.asarray(S8)
    ref = equal_error_rate(Y8, s)
    assert equal_error_rate(np.asarray(Y8, dtype=bool), s) == ref
    assert equal_error_rate(np.where(np.asarray(Y8) == 1, 1, -1), s) == ref
    names = np.where(np.asarray(Y8) == 1, "target", "impostor")
    assert equal_error_rate(names, s, pos_label="target") == ref
    with pytest.raises(ValueError, match="pos_label"):
        equal_error_rate(names, s)
    # integer weights == repeating trials
    w = np.array([1, 3, 1, 2, 1, 1, 4, 2])
    rep = np.repeat(np.arange(8), w)
    for method in ("rocch", "linear"):
        assert equal_error_rate(Y8, s, sample_weight=w, method=method) == pytest.approx(
            equal_error_rate(np.asarray(Y8)[rep], s[rep], method=method))
    assert min_dcf(Y8, s, sample_weight=w, p_target=0.3) == pytest.approx(
        min_dcf(np.asarray(Y8)[rep], s[rep], p_target=0.3))
    assert cllr(Y8, s, sample_weight=w) == pytest.approx(cllr(np.asarray(Y8)[rep], s[rep]))
    # zero weight == trial removed
    w0 = np.ones(8)
    w0[4] = 0
    keep = np.arange(8) != 4
    assert equal_error_rate(Y8, s, sample_weight=w0) == equal_error_rate(np.asarray(Y8)[keep], s[keep])


def test_min_dcf_hand_computed():
    assert min_dcf(Y8, S8, p_target=0.5, return_threshold=True) == (0.25, 0.7)
    # p_target .01: accepting the top 3 (no false alarm) misses 1 of 4 targets: .01 * .25 / .01
    assert min_dcf(Y8, S8) == pytest.approx(0.25)
    assert min_dcf(Y8, S8, normalize=False) == pytest.approx(0.0025)
    s = list(S8)
    s[4] = 0.95  # top score is a non-target: reject all is the best at p_target=.01
    assert min_dcf(Y8, s, return_threshold=True) == (1.0, np.inf)
    # p_target .5, c_fa .1 (weights: miss .5, false alarm .05): sorted trials N(.95) T T T T(.3) N N N;
    # accepting down to 0.3 costs one false alarm in 4 and no miss: .05 * .25 = .0125, normalised by .05
    assert min_dcf(Y8, s, p_target=0.5, c_fa=0.1, return_threshold=True) == (pytest.approx(0.25), 0.3)


def test_actual_dcf_and_bayes_threshold():
    y, llr = [1, 1, 0, 0], [6.0, 2.0, -3.0, 5.0]
    assert bayes_threshold(0.01) == pytest.approx(np.log(99))
    assert actual_dcf(y, llr) == pytest.approx((0.01 * 0.5 + 0.99 * 0.5) / 0.01)
    assert actual_dcf(y, llr, threshold=bayes_threshold(0.01)) == actual_dcf(y, llr)
    assert actual_dcf(y, llr, threshold=5.5, p_target=0.5) == pytest.approx(0.5)
    assert actual_dcf(y, llr, threshold=6.0, p_target=0.5, normalize=False) == pytest.approx(0.25)  # >= accepts
    # Bayes threshold with costs: log(c_fa (1-p) / (c_miss p))
    assert bayes_threshold(0.2, c_miss=2, c_fa=3) == pytest.approx(np.log(3 * 0.8 / (2 * 0.2)))


def test_cllr_hand_computed():
    assert cllr([1, 0], [0.0, 0.0]) == pytest.approx(1.0)
    expected = (np.log2(1 + np.exp(-4)) + np.log2(1 + np.exp(-2))) / 2 + (np.log2(1 + np.exp(-3))
                                                                          + np.log2(1 + np.exp(-5))) / 2
    assert cllr([1, 1, 0, 0], [4.0, 2.0, -3.0, -5.0]) == pytest.approx(expected / 2)
    assert cllr([1, 0], [np.inf, -np.inf]) == 0.0
    assert cllr([1, 0], [-np.inf, 0.0]) == np.inf
    assert min_cllr([1, 1, 0, 0], [3.0, 2.0, 1.0, 0.0]) == 0.0
    assert min_cllr([1, 0, 1, 0], np.ones(4)) == pytest.approx(1.0)
    # PAV on (0:T) (1:N) (2:T) (3:T): pools the middle pair -> posteriors [1, .5, .5, 1] at prior .75;
    # LLRs [inf, log(1/3), log(1/3), inf]: targets cost (0 + log2(1 + 3) + 0) / 3, the non-target log2(1 + 1/3)
    y, s = [0, 1, 0, 1, 1], [0.0, 1.0, 2.0, 3.0, 4.0]
    # direct recomputation: prior 3/5; pools: {0:N} p=0, {1:T,2:N} p=.5, {3:T} 1, {4:T} 1
    prior_odds = 3 / 2
    llr_pool = np.log(1.0 / prior_odds)  # posterior odds 1 for the pooled pair
    tar = (np.log2(1 + np.exp(-llr_pool)) + 0 + 0) / 3
    non = (0 + np.log2(1 + np.exp(llr_pool))) / 2
    assert min_cllr(y, s) == pytest.approx((tar + non) / 2)


# ---------------------------------------------------------------------------------------------------------------
# against scikit-learn on random data


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("ties", [False, True])
def test_operating_points_match_roc_curve(seed, ties):
    y, s = _gaussian_trials(seed, ties=ties)
    p_fa, p_miss, thr = detection_operating_points(y, s)
    fpr, tpr, sk_thr = roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(p_fa, fpr, atol=1e-12)
    np.testing.assert_allclose(p_miss, 1 - tpr, atol=1e-12)
    np.testing.assert_array_equal(thr, sk_thr)
    # every point of det_curve is one of ours, at the same threshold
    d_fpr, d_fnr, d_thr = det_curve(y, s)
    pos = {t: i for i, t in enumerate(thr)}
    idx = [pos[t] for t in d_thr]
    np.testing.assert_allclose(p_fa[idx], d_fpr, atol=1e-12)
    np.testing.assert_allclose(p_miss[idx], d_fnr, atol=1e-12)


@pytest.mark.parametrize("seed", range(8))
def test_linear_eer_on_untied_scores_is_min_max_of_roc_points(seed):
    # without ties every ROC step moves one rate only, so the linear crossing lies on a step whose constant
    # coordinate is the EER, and that equals min over points of max(P_fa, P_miss)
    y, s = _gaussian_trials(seed, n_tar=50 + 30 * seed, n_non=400, d=0.5 + 0.3 * seed)
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    assert equal_error_rate(y, s, method="linear") == pytest.approx(np.min(np.maximum(fpr, 1 - tpr)), abs=1e-12)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("ties", [False, True])
def test_rocch_eer_is_max_over_priors_of_min_bayes_error(seed, ties):
    y, s = _gaussian_trials(seed, n_tar=30 + 20 * seed, n_non=300, d=0.3 * seed, ties=ties)
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    alpha = np.linspace(0, 1, 20001)[:, None]
    brute = np.max(np.min(alpha * (1 - tpr)[None] + (1 - alpha) * fpr[None], axis=1))
    eer = equal_error_rate(y, s)
    assert eer == pytest.approx(brute, abs=1e-3)
    assert eer <= equal_error_rate(y, s, method="linear") + 1e-12
    assert eer <= 0.5 + 1e-12


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("p_target,c_miss,c_fa", [(0.01, 1, 1), (0.05, 1, 1), (0.5, 1, 1), (0.1, 10, 1)])
def test_min_dcf_brute_force_over_thresholds(seed, p_target, c_miss, c_fa):
    y, s = _gaussian_trials(seed, ties=seed % 2 == 1)
    y, s = np.asarray(y), np.asarray(s)
    costs = [c_miss * p_target * np.mean(s[y == 1] < t) + c_fa * (1 - p_target) * np.mean(s[y == 0] >= t)
             for t in np.r_[np.unique(s), np.inf]]
    norm = min(c_miss * p_target, c_fa * (1 - p_target))
    dcf, thr = min_dcf(y, s, p_target=p_target, c_miss=c_miss, c_fa=c_fa, return_threshold=True)
    assert dcf == pytest.approx(min(costs) / norm)
    assert dcf <= 1.0 + 1e-12
    # the threshold realises it, and no threshold does better
    assert actual_dcf(y, s, threshold=thr, p_target=p_target, c_miss=c_miss, c_fa=c_fa) == pytest.approx(dcf)
    for t in np.quantile(s, [0.1, 0.5, 0.9, 0.99]):
        assert actual_dcf(y, s, threshold=t, p_target=p_target, c_miss=c_miss, c_fa=c_fa) >= dcf - 1e-12


@pytest.mark.parametrize("seed", range(4))
def test_cllr_equals_log_loss_on_balanced_trials(seed):
    y, s = _gaussian_trials(seed, n_tar=300, n_non=300, d=2.0)
    # with as many targets as non-targets, Cllr is the cross-entropy (in bits) of the posterior sigmoid(llr)
    assert cllr(y, s) == pytest.approx(log_loss(y, expit(s)) / np.log(2))


@pytest.mark.parametrize("seed", range(4))
def test_min_cllr_lower_bounds_affine_calibrations_and_is_monotone_invariant(seed):
    y, s = _gaussian_trials(seed, d=1.0 + seed, ties=seed == 3)
    m = min_cllr(y, s)
    assert 0.0 <= m <= 1.0
    for a in (0.5, 1.0, 2.0, 4.0):
        for b in (-3.0, -1.0, 0.0, 1.0):
            assert m <= cllr(y, a * s + b) + 1e-12
    assert min_cllr(y, np.exp(s / 3.0)) == pytest.approx(m)
    assert min_cllr(y, 10 * s - 7) == pytest.approx(m)


def test_better_separation_gives_lower_errors():
    eers, dcfs = [], []
    for d in (0.5, 1.5, 3.0):
        y, s = _gaussian_trials(0, n_tar=500, n_non=5000, d=d)
        eers.append(equal_error_rate(y, s))
        dcfs.append(min_dcf(y, s))
    assert eers[0] > eers[1] > eers[2]
    assert dcfs[0] > dcfs[1] > dcfs[2]
    # unit-variance Gaussians 1.5 apart: EER = Phi(-0.75) = 0.2266 in the limit
    y, s = _gaussian_trials(1, n_tar=20000, n_non=20000, d=1.5)
    assert equal_error_rate(y, s) == pytest.approx(0.2266, abs=0.01)


# ---------------------------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize("func", [equal_error_rate, min_dcf, actual_dcf, cllr, min_cllr, detection_operating_points])
def test_bad_inputs_raise_clear_errors(func):
    with pytest.raises(ValueError, match="both target and non-target"):
        func([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="both target and non-target"):
        func([0, 0], [0.1, 0.2])
    with pytest.raises(ValueError, match="NaN"):
        func([1, 0, 1], [0.1, np.nan, 0.3])
    with pytest.raises(ValueError, match="3 trials but y_score has 2"):
        func([1, 0, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="empty"):
        func([], [])
    with pytest.raises(ValueError, match="binary.*trial_scores"):
        func([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="sample_weight"):
        func([1, 0], [0.1, 0.2], sample_weight=[1, -1])
    with pytest.raises(ValueError, match="numeric"):
        func([1, 0], ["a", "b"])


def test_bad_parameters():
    with pytest.raises(ValueError, match="p_target"):
        min_dcf(Y8, S8, p_target=1.0)
    with pytest.raises(ValueError, match="c_fa"):
        min_dcf(Y8, S8, c_fa=0)
    with pytest.raises(ValueError, match="method"):
        equal_error_rate(Y8, S8, method="spline")
    with pytest.raises(ValueError, match="threshold"):
        actual_dcf(Y8, S8, threshold=np.nan)
    with pytest.raises(ValueError, match="infinite"):
        min_cllr([1, 0], [np.inf, 0.0])


# ---------------------------------------------------------------------------------------------------------------
# DET plot


def test_plot_det_probit_axes_and_eer_mark():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    y, s = _gaussian_trials(0, n_tar=300, n_non=3000, d=2.0)
    ax = plot_det(y, s, label="A")
    try:
        assert ax.get_xscale() == "function" and ax.get_yscale() == "function"
        assert ax.get_xlim() == pytest.approx((0.001, 0.5))
        # probit: equal distances between 1 % / 50 % and 50 % / 99 % in display space... here between ticks
        x_disp = ax.transData.transform([(0.01, 0.1), (0.1, 0.1), (0.5, 0.1)])[:, 0]
        from scipy.stats import norm

        ratio = (x_disp[2] - x_disp[1]) / (x_disp[1] - x_disp[0])
        assert ratio == pytest.approx((norm.ppf(0.5) - norm.ppf(0.1)) / (norm.ppf(0.1) - norm.ppf(0.01)), rel=1e-6)
        curve, marker = ax.lines[0], ax.lines[1]
        p_fa, p_miss, _ = detection_operating_points(y, s)
        np.testing.assert_allclose(curve.get_xdata(), p_fa)
        np.testing.assert_allclose(curve.get_ydata(), p_miss)
        eer = equal_error_rate(y, s)
        assert marker.get_xdata()[0] == pytest.approx(eer) and marker.get_ydata()[0] == pytest.approx(eer)
        assert f"{100 * eer:.2f} %" in curve.get_label()
        assert ax.get_legend() is not None
        # second system on the same axes, hull only, no mark
        y2, s2 = _gaussian_trials(1, n_tar=300, n_non=3000, d=1.0)
        assert plot_det(y2, s2, ax=ax, mark_eer=False, hull=True, label="B", color="k") is ax
        assert len(ax.lines) == 3 and ax.lines[2].get_label() == "B"
        ax.figure.canvas.draw()  # renders with the probit transform without error
    finally:
        plt.close("all")
    with pytest.raises(ValueError, match="lim"):
        plot_det(y, s, lim=(0.5, 0.1))
    plt.close("all")


# ---------------------------------------------------------------------------------------------------------------
# trials and scorers


def test_trial_scores_matrix_binary_and_selected_trials():
    scores = np.array([[0.9, 0.1, 0.3], [0.2, 0.8, 0.4], [0.5, 0.6, 0.7]])
    y = np.array(["a", "b", "z"])  # "z" is not enrolled: non-target trials only
    t, s = trial_scores(scores, y, ["a", "b", "c"])
    assert t.tolist() == [True, False, False, False, True, False, False, False, False]
    assert s.tolist() == scores.ravel().tolist()
    t, s = trial_scores([0.3, -1.0], ["pos", "neg"], ["neg", "pos"])
    assert t.tolist() == [True, False] and s.tolist() == [0.3, -1.0]
    trials = pd.DataFrame({"test_index": [1, 0, 2], "claimed_speaker": ["c", "a", "b"]})
    t, s = trial_scores(scores, y, ["a", "b", "c"], trials=trials)
    assert t.tolist() == [False, True, False] and s.tolist() == [0.4, 0.9, 0.6]
    with pytest.raises(ValueError, match="not among classes"):
        trial_scores(scores, y, ["a", "b", "c"], trials=pd.DataFrame({"test_index": [0], "claimed_speaker": ["q"]}))
    with pytest.raises(ValueError, match="columns"):
        trial_scores(scores, y, ["a", "b"])
    with pytest.raises(ValueError, match="rows"):
        trial_scores(scores, y[:2], ["a", "b", "c"])
    with pytest.raises(ValueError, match="binary"):
        trial_scores([0.1, 0.2], ["a", "b"], ["a", "b", "c"])


def _manual_eer(est, X, y, **kw):
    t, s = trial_scores(est.decision_function(X), y, est.classes_)
    return equal_error_rate(t, s, **kw)


def test_scorers_in_cross_validate_match_manual_computation():
    X, y = make_blobs(400, centers=6, cluster_std=4.0, random_state=0)
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    res = cross_validate(LogisticRegression(max_iter=500), X, y, cv=cv, return_estimator=True,
                         scoring={"eer": eer_scorer, "min_dcf": min_dcf_scorer,
                                  "min_dcf_05": make_verification_scorer("min_dcf", p_target=0.05)})
    for k, (_, test) in enumerate(cv.split(X, y)):
        est = res["estimator"][k]
        assert res["test_eer"][k] == pytest.approx(-_manual_eer(est, X[test], y[test]))
        t, s = trial_scores(est.decision_function(X[test]), y[test], est.classes_)
        assert res["test_min_dcf"][k] == pytest.approx(-min_dcf(t, s, p_target=0.01))
        assert res["test_min_dcf_05"][k] == pytest.approx(-min_dcf(t, s, p_target=0.05))
    assert (res["test_eer"] < 0).all() and (res["test_eer"] > -0.5).all()


def test_scorer_maps_columns_by_classes_when_a_test_fold_lacks_a_class():
    X, y = make_blobs(200, centers=4, cluster_std=2.0, random_state=1)
    test = np.flatnonzero(y != 0)[:40]  # class 0 only in training: 3 of 4 columns have test items
    train = np.setdiff1d(np.arange(len(y)), test)
    res = cross_validate(NearestCentroid(), X, y, cv=[(train, test)], scoring=eer_scorer, return_estimator=True)
    est = res["estimator"][0]
    assert est.classes_.tolist() == [0, 1, 2, 3]
    assert res["test_score"][0] == pytest.approx(-_manual_eer(est, X[test], y[test]))


def test_scorer_in_grid_search_prefers_the_better_model():
    X, y = make_blobs(300, centers=5, cluster_std=3.0, random_state=0)
    X = np.c_[X, np.random.RandomState(0).normal(size=(300, 8)) * 0.1]
    grid = GridSearchCV(LogisticRegression(max_iter=500), {"C": [1e-6, 1.0]}, scoring=eer_scorer,
                        cv=KFold(3, shuffle=True, random_state=0)).fit(X, y)
    assert grid.best_params_ == {"C": 1.0}
    assert -0.5 < grid.best_score_ < 0
    grid = GridSearchCV(LogisticRegression(max_iter=500), {"C": [1e-6, 1.0]}, refit="eer",
                        scoring={"eer": eer_scorer, "dcf": min_dcf_scorer}, cv=3).fit(X, y)
    assert "mean_test_dcf" in grid.cv_results_ and grid.best_params_ == {"C": 1.0}


def test_scorer_binary_decision_function_and_proba_fallback():
    X, y = make_blobs(200, centers=2, cluster_std=3.0, random_state=3)
    clf = LogisticRegression().fit(X[:100], y[:100])
    s = clf.decision_function(X[100:])
    assert s.ndim == 1
    assert eer_scorer(clf, X[100:], y[100:]) == pytest.approx(-equal_error_rate(y[100:] == clf.classes_[1], s))
    nb = GaussianNB().fit(X[:100], y[:100])  # no decision_function: predict_proba of classes_[1]
    p = nb.predict_proba(X[100:])[:, 1]
    assert eer_scorer(nb, X[100:], y[100:]) == pytest.approx(-equal_error_rate(y[100:] == 1, p))
    # multi-class predict_proba keeps every column
    X3, y3 = make_blobs(150, centers=3, cluster_std=3.0, random_state=0)
    nb3 = GaussianNB().fit(X3, y3)
    t, s3 = trial_scores(nb3.predict_proba(X3), y3, nb3.classes_)
    assert min_dcf_scorer(nb3, X3, y3) == pytest.approx(-min_dcf(t, s3))


def test_scorer_options_weights_errors_repr_pickle():
    X, y = make_blobs(120, centers=3, cluster_std=3.0, random_state=0)
    clf = LogisticRegression().fit(X, y)
    w = np.random.RandomState(0).randint(1, 4, size=len(y))
    t, s = trial_scores(clf.decision_function(X), y, clf.classes_)
    assert eer_scorer(clf, X, y, sample_weight=w) == pytest.approx(
        -equal_error_rate(t, s, sample_weight=np.repeat(w, 3)))
    pos = make_verification_scorer("eer", greater_is_better=True, method="linear")
    assert pos(clf, X, y) == pytest.approx(equal_error_rate(t, s, method="linear"))
    assert repr(pos) == "make_verification_scorer('eer', method='linear', greater_is_better=True)"
    assert repr(min_dcf_scorer) == "make_verification_scorer('min_dcf', p_target=0.01)"
    custom = make_verification_scorer(lambda t, s: float(np.mean(s[t])), greater_is_better=True)
    assert custom(clf, X, y) == pytest.approx(np.mean(s[t]))
    proba = make_verification_scorer("cllr", response_method="predict_log_proba")
    assert proba(clf, X, y) < 0
    assert pickle.loads(pickle.dumps(min_dcf_scorer))(clf, X, y) == min_dcf_scorer(clf, X, y)
    with pytest.raises(ValueError, match="metric must be one of"):
        make_verification_scorer("auc")
    with pytest.raises(TypeError, match="metric"):
        make_verification_scorer(3)
    with pytest.raises(AttributeError, match="none of the methods"):
        make_verification_scorer("eer", response_method="score_samples")(clf, X, y)

    class NoClasses:
        def decision_function(self, X):
            return np.zeros((len(X), 2))

    with pytest.raises(AttributeError, match="classes_"):
        eer_scorer(NoClasses(), X, y)


def test_public_names_are_exported():
    import skvoice.metrics as metrics

    for name in metrics.__all__:
        assert hasattr(metrics, name), name
    public = {n for n in dir(metrics) if not n.startswith("_") and callable(getattr(metrics, n))}
    assert public <= set(metrics.__all__)


# ---------------------------------------------------------------------------------------------------------------
# found by a bug hunt: infinite ties, the "reject all" threshold, two enrolled speakers, label types


@pytest.mark.parametrize("y, s", [([1, 0, 1, 0], [1.0, 0.0, -np.inf, -np.inf]),
                                  ([1, 1, 0, 0], [np.inf, np.inf, 0.0, -1.0]),
                                  ([1, 0, 0, 1, 0], [1.0, 2.0, -np.inf, -np.inf, -np.inf])])
def test_tied_infinite_scores_are_one_operating_point(y, s):
    # inf - inf is NaN: runs of tied infinite scores were split into operating points no threshold can reach,
    # which made the EER and minDCF too low and dependent on the order of the trials
    finite = np.clip(s, -1e300, 1e300)  # same order, same ties
    p_fa, p_miss, _ = detection_operating_points(y, s)
    p_fa_f, p_miss_f, _ = detection_operating_points(y, finite)
    np.testing.assert_array_equal(p_fa, p_fa_f)
    np.testing.assert_array_equal(p_miss, p_miss_f)
    for method in ("rocch", "linear"):
        assert equal_error_rate(y, s, method=method) == equal_error_rate(y, finite, method=method)
    order = np.arange(len(y))[::-1]
    assert min_dcf(y, s, p_target=0.5) == min_dcf(np.array(y)[order], np.array(s)[order], p_target=0.5)
    assert min_dcf(y, s, p_target=0.5) == min_dcf(y, finite, p_target=0.5)


def test_threshold_inf_rejects_every_trial():
    # min_dcf's "reject all" threshold is inf; actual_dcf accepted the +inf trials at it
    y, s = [0, 1, 0], [np.inf, 0.0, -1.0]
    value, threshold = min_dcf(y, s, p_target=0.01, return_threshold=True)
    assert threshold == np.inf
    assert actual_dcf(y, s, threshold=threshold, p_target=0.01) == pytest.approx(value)


def test_the_point_that_accepts_infinite_scores_has_a_threshold_that_reaches_it():
    # it was labelled inf, like "reject all": min_dcf returned inf and actual_dcf read it as rejecting everything
    y, s = [1, 1, 0, 0, 0], [np.inf, 0.0, 1.0, 2.0, -1.0]
    value, threshold = min_dcf(y, s, p_target=0.5, return_threshold=True)
    assert value == pytest.approx(0.5) and np.isfinite(threshold)
    assert actual_dcf(y, s, threshold=threshold, p_target=0.5) == pytest.approx(value)
    thresholds = detection_operating_points(y, s)[2]
    assert thresholds[0] == np.inf and (np.diff(thresholds) < 0).all()


def test_scorer_scores_two_enrolled_speakers_against_both():
    # with two speakers decision_function is 1-D; speaker_scores scores every item against both speakers
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skvoice.classifiers import SpeakerVerifier

    X, y = make_blobs(120, centers=4, cluster_std=4.0, random_state=0)
    enrolled = y < 2
    for model in (SpeakerVerifier(random_state=0), make_pipeline(StandardScaler(), SpeakerVerifier(random_state=0)),
                  make_pipeline(SpeakerVerifier(random_state=0))):
        model.fit(X[enrolled], y[enrolled])
        t, s = trial_scores(_speaker_scores(model, X), y, model.classes_)
        assert len(t) == 2 * len(y)
        for metric, func in (("cllr", cllr), ("eer", equal_error_rate)):
            scorer = make_verification_scorer(metric)
            assert scorer(model, X, y) == pytest.approx(-func(t, s))


def _speaker_scores(model, X):
    if hasattr(model, "speaker_scores"):
        return model.speaker_scores(X)
    return model[-1].speaker_scores(model[:-1].transform(X) if len(model) > 1 else X)


def test_object_dtype_zero_one_labels_need_no_pos_label():
    s = [0.9, 0.2, 0.4, 0.7]
    expected = equal_error_rate([1, 0, 0, 1], s)
    assert equal_error_rate(np.array([1, 0, 0, 1], dtype=object), s) == expected
    assert equal_error_rate(np.array([True, False, False, True], dtype=object), s) == expected
    with pytest.raises(ValueError, match="pos_label"):
        equal_error_rate(np.array(["1", "0", "0", "1"], dtype=object), s)


def test_speaker_labels_of_another_type_are_refused():
    from skvoice.datasets import verification_trials

    classes, y_test = np.array([101, 102, 103]), np.array(["101", "102"])
    with pytest.raises(ValueError, match="different types"):
        trial_scores(np.eye(2, 3), y_test, classes)
    with pytest.raises(ValueError, match="different types"):
        verification_trials(classes, y_test)
    # unenrolled test speakers of the same type are fine: all their trials are non-targets
    t, _ = trial_scores(np.eye(2, 3), np.array([7, 8]), classes)
    assert not t.any()


@pytest.mark.parametrize("dtype", ["str", "string", object])
def test_missing_trial_labels_are_refused_in_any_dtype(dtype):
    # only float NaN was refused: pandas' string dtypes (None/NaN/NA as objects) gave a bare TypeError, and
    # trial_scores turned an item without a speaker into non-target trials
    y = pd.Series([None, "non", "tgt", "tgt", "non", "tgt"], dtype=dtype)
    with pytest.raises(ValueError, match="1 missing label"):
        equal_error_rate(y, np.array([0.1, 0.6, 0.4, 0.9, 0.3, 0.8]), pos_label="tgt")
    with pytest.raises(ValueError, match="missing label"):
        trial_scores(np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]]), pd.Series(["a", "b", None], dtype=dtype),
                     classes=["a", "b"])


def test_verification_scorer_takes_routed_sample_weight():
    # the scorer had no set_score_request: inside cross_validate the weights could never reach it (refused, or
    # silently unweighted when the estimator's fit took them)
    import sklearn
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold, cross_validate

    X, y = make_blobs(200, centers=4, cluster_std=4.0, random_state=0)
    w = np.random.RandomState(0).uniform(0, 3, 200)
    cv = KFold(2)
    with sklearn.config_context(enable_metadata_routing=True):
        eer = make_verification_scorer("eer").set_score_request(sample_weight=True)
        res = cross_validate(LogisticRegression().set_fit_request(sample_weight=True), X, y, scoring=eer, cv=cv,
                             params={"sample_weight": w}, return_estimator=True)
        for k, (est, (_, test)) in enumerate(zip(res["estimator"], cv.split(X))):
            assert res["test_score"][k] == pytest.approx(eer(est, X[test], y[test], sample_weight=w[test]))
        with pytest.raises(Exception, match="sample_weight"):  # unset: scikit-learn's error, not unweighted
            cross_validate(LogisticRegression().set_fit_request(sample_weight=True), X, y, cv=cv,
                           scoring=make_verification_scorer("eer"), params={"sample_weight": w})
    with pytest.raises(RuntimeError, match="metadata routing"):
        make_verification_scorer("eer").set_score_request(sample_weight=True)
