"""Tests for skvoice.analysis: tables, per-recording PCA, PCA + k-means, reports and plots."""

import matplotlib

matplotlib.use("Agg")
# ruff: noqa: E402 - pyplot is imported below, after the non-interactive backend is chosen

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    accuracy_score,
    adjusted_rand_score,
    f1_score,
    precision_score,
    recall_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skvoice.analysis as analysis
from skvoice._ragged import as_recording_set
from skvoice.analysis import (
    ClusteringResult,
    classification_table,
    cluster_purity,
    components_for_variance,
    frame_recording_report,
    outlier_table,
    pca_kmeans,
    plot_clusters,
    plot_components_histogram,
    plot_confusion_matrix,
    plot_feature_distributions,
    plot_outlier_counts,
)
from skvoice.classifiers import FrameVoteClassifier
from skvoice.features import outlier_counts


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _ragged(rng, sizes, n_features, mixing=None):
    out = []
    for n in sizes:
        r = rng.standard_normal((n, n_features))
        if mixing is not None:
            r = r @ mixing
        out.append(r)
    return as_recording_set(out)


def test_all_is_complete():
    for name in analysis.__all__:
        assert hasattr(analysis, name), name
    public = {n for n in dir(analysis) if not n.startswith("_") and callable(getattr(analysis, n))}
    assert public <= set(analysis.__all__)


# ----------------------------------------------------------------------------------------------- outliers
def test_outlier_table_hand_computed():
    col = np.array([1, 2, 3, 4, 5, 6, 7, 8, 100.0])
    frames = np.column_stack([col, np.arange(9.0)])
    # IQR: Q1=3, Q3=7 -> fences [-3, 13] -> only 100 is out; z (threshold 2): mean 15.1, sd 32.3 -> 100 is out
    table = outlier_table(frames, thresholds={"zscore": 2.0}, feature_names=["a", "b"])
    assert table.index.tolist() == ["Z-score", "IQR"]
    assert table.index.name == "Method"
    assert table.columns.tolist() == ["a", "b", "any", "n_frames"]
    assert table.loc["IQR"].tolist() == [1, 0, 1, 9]
    assert table.loc["Z-score"].tolist() == [1, 0, 1, 9]
    # default z threshold 3: mean + 3 sd = 112 > 100 -> nothing flagged
    assert outlier_table(frames, "zscore").loc["Z-score", "any"] == 0


def test_outlier_table_matches_outlier_counts_and_pools_recordings():
    rng = np.random.RandomState(0)
    X = _ragged(rng, [50, 30, 1, 200], 5)
    X[3][:7, 2] += 9
    table = outlier_table(X)
    frames = np.vstack(list(X))
    pd.testing.assert_frame_equal(table, outlier_table(frames))
    for method, row in [("zscore", "Z-score"), ("iqr", "IQR")]:
        expected = outlier_counts(frames, method)
        assert table.loc[row].tolist() == expected.iloc[0].tolist()
    # direct rule check for the z-score row
    z = np.abs((frames - frames.mean(0)) / frames.std(0, ddof=1)) > 3
    assert table.loc["Z-score"].iloc[:5].tolist() == z.sum(0).tolist()
    assert table.loc["Z-score", "n_frames"] == 281


def test_outlier_table_order_thresholds_normalize():
    frames = np.random.RandomState(1).standard_normal((2000, 3))
    t = outlier_table(frames, ["iqr", "zscore"], thresholds=1.0)
    assert t.index.tolist() == ["IQR", "Z-score"]
    assert (t.loc["Z-score"].iloc[:3] > 400).all()  # ~32% beyond 1 sd
    frac = outlier_table(frames, normalize=True)
    counts = outlier_table(frames)
    np.testing.assert_allclose(frac.drop(columns="n_frames").to_numpy(),
                               counts.drop(columns="n_frames").to_numpy() / 2000)
    assert (frac["n_frames"] == 2000).all()


@pytest.mark.parametrize("kwargs, match", [
    ({"methods": ["zscore", "mad"]}, "Unknown outlier method"),
    ({"methods": []}, "at least one"),
    ({"methods": ["iqr", "iqr"]}, "duplicates"),
    ({"thresholds": -1.0}, "positive"),
    ({"thresholds": {"mad": 2.0}}, "not in methods"),
    ({"feature_names": ["a"]}, "feature_names"),
])
def test_outlier_table_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        outlier_table(np.ones((10, 2)), **kwargs)


def test_outlier_table_bad_shapes():
    with pytest.raises(ValueError):
        outlier_table(np.ones(10))
    with pytest.raises(ValueError, match="NaN"):
        outlier_table(np.array([[1.0, np.nan], [2.0, 3.0]]))
    with pytest.raises(ValueError, match="no frames"):
        outlier_table(as_recording_set([np.zeros((0, 3)), np.zeros((0, 3))]))


def test_plot_outlier_counts():
    table = outlier_table(np.random.RandomState(0).standard_normal((500, 13)))
    fig = plot_outlier_counts(table)
    assert isinstance(fig, matplotlib.figure.Figure)
    (ax,) = fig.axes
    assert len(ax.patches) == 2 * 13
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Z-score", "IQR"]
    heights = [p.get_height() for p in ax.patches]
    assert heights[:13] == table.loc["Z-score"].iloc[:13].tolist()
    fig2 = plot_outlier_counts(table, include_any=True, normalize=True, log=True)
    hs = [p.get_height() for p in fig2.axes[0].patches]
    assert len(hs) == 2 * 14
    np.testing.assert_allclose(hs[13], table.loc["Z-score", "any"] / 500)
    _, ax3 = plt.subplots()
    assert plot_outlier_counts(table, ax=ax3) is ax3.figure


def test_plot_outlier_counts_bad_input():
    with pytest.raises(TypeError, match="DataFrame"):
        plot_outlier_counts(np.ones((2, 3)))
    with pytest.raises(ValueError, match="n_frames"):
        plot_outlier_counts(pd.DataFrame({"a": [1, 2]}), normalize=True)
    with pytest.raises(ValueError, match="no outlier counts"):
        plot_outlier_counts(pd.DataFrame({"n_frames": [1]}))
    with pytest.raises(ValueError, match="Axes"):
        plot_outlier_counts(pd.DataFrame({"a": [1, 2]}), ax="not an axes")


@pytest.mark.parametrize("kind", ["box", "violin"])
def test_plot_feature_distributions(kind):
    X = _ragged(np.random.RandomState(0), [300, 400], 4)
    fig = plot_feature_distributions(X, kind=kind, max_frames=500, feature_names=list("abcd"))
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == list("abcd")
    assert "500 frames" in ax.get_title()
    if kind == "violin":
        assert len(ax.collections) >= 4  # one body per coefficient (+ extrema/median lines)
    else:
        assert len(ax.lines) >= 4 * 5  # whiskers, caps, median per box


def test_plot_feature_distributions_bad_input():
    with pytest.raises(ValueError, match="kind"):
        plot_feature_distributions(np.ones((5, 2)), kind="hist")
    with pytest.raises(ValueError, match="max_frames"):
        plot_feature_distributions(np.ones((5, 2)), max_frames=0)
    with pytest.raises(ValueError, match="feature_names"):
        plot_feature_distributions(np.ones((5, 2)), feature_names=["a"])


# ----------------------------------------------------------------------------------------------------- PCA
def _sklearn_loop(X, threshold, standardize=True):
    out = []
    for r in X:
        z = StandardScaler(with_std=standardize).fit_transform(r)
        cum = np.cumsum(PCA().fit(z).explained_variance_ratio_)
        out.append(np.argmax(cum >= threshold) + 1)
    return np.array(out, dtype=float)


@pytest.mark.parametrize("standardize", [True, False])
@pytest.mark.parametrize("threshold", [0.5, 0.85, 0.95])
def test_components_for_variance_matches_sklearn_loop(standardize, threshold):
    rng = np.random.RandomState(42)
    X = []
    for n in [400, 60, 25, 9, 3, 2]:  # includes fewer frames than features (12)
        mixing = rng.standard_normal((12, 12)) * rng.uniform(0.1, 5, size=12)
        X.append(rng.standard_normal((n, 12)) @ mixing + rng.uniform(-3, 3, 12))
    X = as_recording_set(X)
    got = components_for_variance(X, threshold, standardize=standardize)
    np.testing.assert_array_equal(got, _sklearn_loop(X, threshold, standardize))
    assert got.dtype == np.float64


def test_components_for_variance_ratios_and_ranks():
    rng = np.random.RandomState(0)
    rank3 = rng.standard_normal((100, 3)) @ rng.standard_normal((3, 8))
    few = rng.standard_normal((4, 8))
    X = as_recording_set([rank3, few])
    counts, ratios = components_for_variance(X, 1.0, return_ratios=True)
    np.testing.assert_array_equal(counts, [3, 3])  # 4 centred frames span 3 dimensions
    assert [len(r) for r in ratios] == [8, 4]
    for r in ratios:
        np.testing.assert_allclose(r.sum(), 1.0)
        assert np.all(np.diff(r) <= 1e-12)


def test_components_for_variance_degenerate_recordings_are_nan():
    rng = np.random.RandomState(0)
    X = as_recording_set([rng.standard_normal((1, 5)), np.zeros((0, 5)), np.full((30, 5), 2.0),
                          rng.standard_normal((30, 5))])
    counts = components_for_variance(X)
    assert np.isnan(counts[:3]).all() and np.isfinite(counts[3])
    # a plain 2-D array is a set of one-frame recordings
    assert np.isnan(components_for_variance(rng.standard_normal((4, 3)))).all()


def test_components_for_variance_constant_feature_and_scale_invariance():
    rng = np.random.RandomState(3)
    base = rng.standard_normal((200, 6)) @ rng.standard_normal((6, 6))
    with_const = np.column_stack([base, np.full(200, 7.0)])
    X = as_recording_set([with_const])
    np.testing.assert_array_equal(components_for_variance(X), _sklearn_loop(X, 0.85))
    scaled = as_recording_set([with_const * np.r_[rng.uniform(0.01, 100, 6), 1.0]])
    np.testing.assert_array_equal(components_for_variance(scaled), components_for_variance(X))


@pytest.mark.parametrize("threshold", [0, 1.5, -0.1, "0.85", True, None])
def test_components_for_variance_bad_threshold(threshold):
    with pytest.raises(ValueError, match="threshold"):
        components_for_variance(as_recording_set([np.ones((3, 2))]), threshold)


def test_components_for_variance_bad_input():
    with pytest.raises(ValueError, match="features"):
        components_for_variance(as_recording_set([np.ones((3, 2)), np.ones((3, 4))]))
    with pytest.raises(ValueError, match="empty"):
        components_for_variance([])


def test_plot_components_histogram():
    counts = np.array([5, 6, 6, 7, 9, np.nan])
    fig = plot_components_histogram(counts, threshold=0.85)
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["mean = 6.60"]
    heights = [p.get_height() for p in ax.patches]
    assert heights == [1, 2, 1, 0, 1]  # one bin per integer 5..9
    assert "1 without variance" in ax.get_title()
    assert "85%" in ax.get_xlabel()
    (line,) = ax.lines
    assert line.get_xdata()[0] == pytest.approx(6.6)
    fig = plot_components_histogram([3, 4], bins=4)
    assert len(fig.axes[0].patches) == 4


def test_plot_components_histogram_bad_input():
    with pytest.raises(ValueError, match="finite"):
        plot_components_histogram([np.nan, np.nan])
    with pytest.raises(ValueError, match="1-D"):
        plot_components_histogram(np.ones((2, 2)))
    with pytest.raises(ValueError, match="positive"):
        plot_components_histogram([0, 2])


# ---------------------------------------------------------------------------------------------- clustering
def _blobs(rng, n_speakers=4, n_rec=3, n_frames=50, n_features=6, sep=40.0):
    centers = rng.standard_normal((n_speakers, n_features)) * sep
    X, y = [], []
    for s in range(n_speakers):
        for _ in range(n_rec):
            X.append(centers[s] + rng.standard_normal((n_frames, n_features)))
            y.append(f"spk{s}")
    return as_recording_set(X), np.array(y, dtype=object)


def test_cluster_purity():
    assert cluster_purity(["a", "a", "b", "b", "b"], [0, 0, 0, 1, 1]) == pytest.approx(0.8)
    assert cluster_purity([0, 1, 2], [5, 5, 5]) == pytest.approx(1 / 3)
    assert cluster_purity([0, 0, 1], [1, 2, 3]) == 1.0
    with pytest.raises(ValueError, match="lengths"):
        cluster_purity([0, 1], [0])
    with pytest.raises(ValueError, match="at least one"):
        cluster_purity([], [])


@pytest.mark.parametrize("level", ["frames", "recordings"])
@pytest.mark.parametrize("minibatch", [False, True])
def test_pca_kmeans_perfect_blobs(level, minibatch):
    X, y = _blobs(np.random.RandomState(0))
    # MiniBatchKMeans on 12 recordings: 3 restarts found the four blobs on scikit-learn 1.9 but not on 1.8
    res = pca_kmeans(X, y, n_components=3, level=level, minibatch=minibatch, n_init=10)
    assert isinstance(res, ClusteringResult)
    n = 12 * 50 if level == "frames" else 12
    assert res.embedding.shape == (n, 3) and res.labels.shape == (n,)
    assert res.n_clusters == 4 and res.n_components == 3
    assert res.adjusted_rand == pytest.approx(1.0)
    assert res.nmi == pytest.approx(1.0)
    assert res.purity == pytest.approx(1.0)
    assert res.scores == {"adjusted_rand": res.adjusted_rand, "nmi": res.nmi, "purity": res.purity}
    np.testing.assert_array_equal(res.y, y[res.owner])
    assert "adjusted_rand=1.000" in repr(res)


def test_pca_kmeans_noise_scores_near_zero():
    rng = np.random.RandomState(0)
    X = as_recording_set([rng.standard_normal((200, 8)) for _ in range(40)])
    y = np.repeat(np.arange(10), 4)
    res = pca_kmeans(X, y, n_components=5)
    assert abs(res.adjusted_rand) < 0.01
    assert res.nmi < 0.02
    assert res.purity < 0.2


def test_pca_kmeans_components_capped_and_subsampled():
    X, y = _blobs(np.random.RandomState(1), n_features=13, n_frames=100)
    res = pca_kmeans(X, y, max_frames=300, random_state=3)  # default n_components=47 > 13 features
    assert res.n_components == 13 and res.embedding.shape == (300, 13)
    np.testing.assert_allclose(res.explained_variance_ratio.sum(), 1.0)
    assert np.all(np.diff(res.owner) >= 0) and res.owner.max() < 12
    again = pca_kmeans(X, y, max_frames=300, random_state=3)
    np.testing.assert_array_equal(res.labels, again.labels)
    frac = pca_kmeans(X, y, n_components=0.9)
    assert 1 <= frac.n_components <= 13
    assert frac.explained_variance_ratio.sum() >= 0.9


def test_pca_kmeans_without_y_and_2d_input():
    X = np.random.RandomState(0).standard_normal((50, 4))
    res = pca_kmeans(X, n_clusters=3, level="recordings", standardize=False)
    assert res.y is None and np.isnan(res.adjusted_rand)
    assert res.embedding.shape == (50, 4) and set(res.labels) == {0, 1, 2}
    assert res.scaler is None


@pytest.mark.parametrize("kwargs, match", [
    ({"level": "speakers"}, "level"),
    ({"n_components": 0}, "n_components"),
    ({"n_components": 1.5}, "n_components"),
    ({"n_clusters": 0}, "n_clusters"),
    ({"n_clusters": 10_000}, "larger than"),
    ({"max_frames": -5}, "max_frames"),
    ({"n_init": 0}, "n_init"),
])
def test_pca_kmeans_bad_params(kwargs, match):
    X, y = _blobs(np.random.RandomState(0), n_frames=5)
    with pytest.raises(ValueError, match=match):
        pca_kmeans(X, y, **kwargs)


def test_pca_kmeans_bad_targets():
    X, y = _blobs(np.random.RandomState(0), n_frames=5)
    with pytest.raises(ValueError, match="pass y or n_clusters"):
        pca_kmeans(X)
    with pytest.raises(ValueError, match="labels"):
        pca_kmeans(X, y[:-1])
    X[0] = np.zeros((0, 6))
    with pytest.raises(ValueError, match="0 frame"):
        pca_kmeans(X, y, level="recordings")
    assert pca_kmeans(X, y).embedding.shape[0] == 11 * 5  # frames level: the empty recording adds nothing


def test_plot_clusters():
    X, y = _blobs(np.random.RandomState(0))
    res = pca_kmeans(X, y, n_components=3)
    fig = plot_clusters(res, max_points=100)
    assert len(fig.axes) == 2
    assert [a.get_title() for a in fig.axes] == ["k-means clusters (k=4)", "true labels (4)"]
    assert len(fig.axes[0].collections) == 4 and len(fig.axes[1].collections) == 4
    assert sum(len(c.get_offsets()) for c in fig.axes[0].collections) == 100
    assert fig.axes[0].get_xlabel() == "PC1"
    # per-recording labels are expanded to frames; other components can be plotted
    gender = np.array(["F", "M"] * 6, dtype=object)
    fig = plot_clusters(res, gender, components=(1, 2))
    assert len(fig.axes[1].collections) == 2 and fig.axes[1].get_ylabel() == "PC3"
    no_y = pca_kmeans(np.vstack(list(X)), n_clusters=4, level="recordings", n_components=2)
    fig = plot_clusters(no_y, max_points=None)
    assert len(fig.axes) == 1
    _, axes = plt.subplots(1, 2)
    assert plot_clusters(res, ax=axes) is axes[0].figure


def test_plot_clusters_bad_input():
    X, y = _blobs(np.random.RandomState(0), n_frames=5)
    res = pca_kmeans(X, y, n_components=1)
    with pytest.raises(ValueError, match="at least 2"):
        plot_clusters(res)
    res = pca_kmeans(X, y, n_components=2)
    with pytest.raises(ValueError, match="components"):
        plot_clusters(res, components=(0, 0))
    with pytest.raises(ValueError, match="one per"):
        plot_clusters(res, y=np.arange(1000))
    with pytest.raises(TypeError, match="ClusteringResult"):
        plot_clusters(np.ones((3, 2)))
    with pytest.raises(ValueError, match="2 matplotlib Axes"):
        plot_clusters(res, ax=plt.subplots()[1])


# ------------------------------------------------------------------------------------------------- metrics
def test_classification_table_binary_hand_computed():
    y = np.array([0, 0, 0, 1, 1, 1, 1, 1])
    p = np.array([0, 1, 0, 1, 1, 0, 1, 1])
    t = classification_table(y, p)
    assert t.index.tolist() == ["per recording"] and t.index.name == "Evaluation Type"
    assert t.columns.tolist() == ["accuracy", "precision", "recall", "f1", "support"]
    # positive class 1: TP=4, FP=1, FN=1
    np.testing.assert_allclose(t.iloc[0, :4].to_numpy(float), [6 / 8, 4 / 5, 4 / 5, 4 / 5])
    assert t.loc["per recording", "support"] == 8
    t0 = classification_table(y, p, pos_label=0)  # TP=2, FP=1, FN=1
    np.testing.assert_allclose(t0.iloc[0, 1:3].to_numpy(float), [2 / 3, 2 / 3])


def test_classification_table_multiclass_macro():
    y = ["a", "a", "b", "b", "c", "c"]
    p = ["a", "b", "b", "b", "c", "a"]
    t = classification_table(y, p, name="GMM")
    # precision a=1/2 b=2/3 c=1; recall a=1/2 b=1 c=1/2
    np.testing.assert_allclose(t.loc["GMM", ["accuracy", "precision", "recall"]].to_numpy(float),
                               [4 / 6, (1 / 2 + 2 / 3 + 1) / 3, (1 / 2 + 1 + 1 / 2) / 3])
    w = classification_table(y, p, average="weighted")
    assert w.iloc[0]["recall"] == pytest.approx(4 / 6)


def test_classification_table_bad_input():
    with pytest.raises(ValueError, match="has 3 labels but y_pred has 2"):
        classification_table([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="pos_label"):
        classification_table([0, 1], [0, 1], pos_label=2)
    with pytest.raises(ValueError, match="binary"):
        classification_table([0, 1, 2], [0, 1, 2], average="binary")
    with pytest.raises(ValueError, match="average"):
        classification_table([0, 1], [0, 1], average="samples")
    with pytest.raises(ValueError, match="empty"):
        classification_table([0, 1], {})
    with pytest.raises(ValueError, match="empty set"):
        classification_table([], [])
    with pytest.raises(ValueError, match="pos_label explicitly"):
        classification_table([1, 1], [1, 1], average="binary")
    assert classification_table([1, 1], [1, 1], average="binary", pos_label=1).iloc[0]["recall"] == 1.0
    assert classification_table([1, 1], [1, 1]).iloc[0]["f1"] == 1.0  # one class: macro over it


def _frame_data(rng, labels, n_frames=40, overlap=1.2):
    X = [rng.standard_normal((n_frames + 3 * i, 3)) + (overlap if lab in ("M", "b") else 0) +
         (2 * overlap if lab == "c" else 0) for i, lab in enumerate(labels)]
    return as_recording_set(X), np.array(labels, dtype=object)


def test_frame_recording_report_binary_matches_manual():
    rng = np.random.RandomState(0)
    X, y = _frame_data(rng, ["F", "M"] * 6)
    clf = FrameVoteClassifier(LogisticRegression()).fit(X, y)
    report = frame_recording_report(clf, X, y)
    assert report.index.tolist() == ["per frame", "per recording"]
    assert report.index.name == "Evaluation Type"
    assert report.columns.tolist() == ["accuracy", "precision", "recall", "f1", "support"]
    frames_pred = np.concatenate(list(clf.predict_frames(X)))
    y_frames = np.repeat(y, [len(r) for r in X])
    expected = [accuracy_score(y_frames, frames_pred), precision_score(y_frames, frames_pred, pos_label="M"),
                recall_score(y_frames, frames_pred, pos_label="M"), f1_score(y_frames, frames_pred, pos_label="M")]
    np.testing.assert_allclose(report.loc["per frame"].iloc[:4].to_numpy(float), expected)
    assert report.loc["per frame", "support"] == len(y_frames)
    assert report.loc["per recording", "support"] == 12
    rec = clf.predict(X)
    assert report.loc["per recording", "accuracy"] == pytest.approx(accuracy_score(y, rec))
    assert report.loc["per frame", "accuracy"] < 1.0  # overlapping classes: frames are harder than votes
    other = frame_recording_report(clf, X, y, pos_label="F")
    assert other.loc["per frame", "recall"] == pytest.approx(recall_score(y_frames, frames_pred, pos_label="F"))


def test_frame_recording_report_multiclass_and_pipeline():
    rng = np.random.RandomState(1)
    X, y = _frame_data(rng, ["a", "b", "c"] * 4, overlap=3.0)
    model = make_pipeline(FrameVoteClassifier(LogisticRegression(), voting="soft"))
    model.fit(X, y)
    report = frame_recording_report(model, X, y)
    frames_pred = np.concatenate(list(model[-1].predict_frames(X)))
    y_frames = np.repeat(y, [len(r) for r in X])
    assert report.loc["per frame", "precision"] == pytest.approx(
        precision_score(y_frames, frames_pred, average="macro"))
    assert report.loc["per recording", "recall"] == pytest.approx(1.0)
    micro = frame_recording_report(model, X, y, average="micro")
    assert micro.loc["per frame", "precision"] == pytest.approx(micro.loc["per frame", "accuracy"])


def test_frame_recording_report_averages_over_the_classes_in_the_evaluated_set():
    # a perfect 4-speaker model scored on 2 speakers' recordings was reported at 0.5: the two classes that
    # nothing said or was told were averaged in as zeros
    rng = np.random.RandomState(0)
    X = [rng.normal(loc, 0.3, size=(20, 1)) for loc in (-6, -2, 2, 6) for _ in range(3)]
    y = np.repeat(["a", "b", "c", "d"], 3)
    clf = FrameVoteClassifier(LogisticRegression()).fit(X, y)
    report = frame_recording_report(clf, X[:6], y[:6])
    assert (report[["precision", "recall", "f1"]].to_numpy() == 1.0).all()
    pred = clf.predict(X[:6])
    assert report.loc["per recording", "f1"] == classification_table(y[:6], pred).iloc[0]["f1"]


def test_frame_recording_report_with_feature_pipeline(voices):
    from skvoice.features import CMVN, MFCCExtractor

    model = make_pipeline(MFCCExtractor(), CMVN(), FrameVoteClassifier(LogisticRegression(max_iter=300)))
    model.fit(voices.waveforms, voices.speaker)
    report = frame_recording_report(model, voices.waveforms, voices.speaker)
    assert report.loc["per recording", "support"] == len(voices.waveforms)
    assert report.loc["per frame", "support"] > 10 * len(voices.waveforms)
    assert report.loc["per recording", "accuracy"] == pytest.approx(model.score(voices.waveforms, voices.speaker))


def test_frame_recording_report_bad_input():
    rng = np.random.RandomState(0)
    X, y = _frame_data(rng, ["F", "M"] * 3)
    with pytest.raises(NotFittedError):
        frame_recording_report(FrameVoteClassifier(LogisticRegression()), X, y)
    with pytest.raises(TypeError, match="predict_frames"):
        frame_recording_report(LogisticRegression().fit(np.ones((4, 1)), [0, 1, 0, 1]), X, y)
    clf = FrameVoteClassifier(LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match="labels"):
        frame_recording_report(clf, X, y[:-1])
    with pytest.raises(ValueError, match="pos_label"):
        frame_recording_report(clf, X, y, pos_label="X")


def test_plot_confusion_matrix():
    disp = plot_confusion_matrix(["F", "F", "M", "M"], ["F", "M", "M", "M"], normalize="true")
    assert isinstance(disp, ConfusionMatrixDisplay)
    np.testing.assert_allclose(disp.confusion_matrix, [[0.5, 0.5], [0.0, 1.0]])
    assert disp.figure_ is disp.ax_.figure and disp.text_ is not None
    disp = plot_confusion_matrix(["F", "M"], ["F", "M"], labels=["M", "F"])
    np.testing.assert_array_equal(disp.confusion_matrix, [[1, 0], [0, 1]])
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == ["M", "F"]
    many = np.arange(30)
    disp = plot_confusion_matrix(many, many[::-1], colorbar=False)
    assert disp.text_ is None and disp.confusion_matrix.shape == (30, 30)
    _, ax = plt.subplots()
    assert plot_confusion_matrix([0, 1], [1, 1], ax=ax).ax_ is ax


def test_plot_confusion_matrix_bad_input():
    with pytest.raises(ValueError, match="normalize"):
        plot_confusion_matrix([0, 1], [0, 1], normalize="rows")
    with pytest.raises(ValueError, match="has 2 labels but y_pred has 1"):
        plot_confusion_matrix([0, 1], [0])
    with pytest.raises(ValueError):
        plot_confusion_matrix([0, 1], [0, 1], labels=[5, 6])


# ----------------------------------------------------------------------------------------------- real data
@pytest.mark.realdata
@pytest.mark.slow
def test_analysis_on_librispeech_test_other(librispeech_root):
    from skvoice.datasets import load_librispeech
    from skvoice.features import MFCCExtractor

    data = load_librispeech(librispeech_root, "test-other", target="speaker", with_duration=False)
    X = MFCCExtractor(n_jobs=2).fit_transform(data.filenames)
    table = outlier_table(X)
    n_frames = sum(len(r) for r in X)
    assert table.shape == (2, 15) and (table["n_frames"] == n_frames).all()
    # Tukey's fences are tighter than mean ± 3 sd on these distributions (as in the study's table)
    assert (table.loc["IQR"] >= table.loc["Z-score"]).all() and table.loc["IQR", "any"] > 0
    counts = components_for_variance(X)
    assert np.isfinite(counts).all() and ((counts >= 1) & (counts <= 13)).all()
    res = pca_kmeans(X, data.speaker, level="recordings", n_init=10)
    assert res.n_clusters == len(set(data.speaker)) == 10
    # speakers' mean MFCC vectors cluster far better than chance (measured: ARI 1.0 with n_init=10)
    assert res.adjusted_rand > 0.5 and res.nmi > 0.7
    assert adjusted_rand_score(data.speaker[res.owner], res.labels) == pytest.approx(res.adjusted_rand)
    frames = pca_kmeans(X, data.speaker, max_frames=20_000)
    assert frames.embedding.shape == (20_000, 13)
    # single frames carry much less speaker information (measured: ARI ~0.08 on all frames), but above chance
    assert 0.02 < frames.adjusted_rand < res.adjusted_rand
