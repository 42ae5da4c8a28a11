"""The study's unsupervised analyses: outlier counts, per-recording PCA, PCA + k-means clustering."""

from __future__ import annotations

import numpy as np

from .errors import short_error
from .evaluation import single_openmp
from .feature_sets import FEATURE_LABELS
from .results import FAILED, OK, KMeansLevel, KMeansResult, OutlierResult, PCAResult

__all__ = ["outlier_counts", "pca_components", "pca_kmeans_clusters"]

PCA_THRESHOLD = 0.85
KMEANS_COMPONENTS = 47  # the study's number of principal components


def outlier_counts(mfcc, figures):
    """Z-score and IQR outlier counts per MFCC coefficient over all frames (before CMVN), with their figure."""
    from ..analysis import outlier_table, plot_outlier_counts

    table = outlier_table(mfcc)
    counts = {str(m): {str(c): int(v) for c, v in row.items() if c != "n_frames"} for m, row in table.iterrows()}
    return OutlierResult(n_frames=int(table["n_frames"].iloc[0]), features=FEATURE_LABELS["mfcc"], counts=counts,
                         figure=figures.save(plot_outlier_counts(table), "outliers.png"))


def pca_components(feats, name, progress, figures):
    """Per recording: components needed for 85 % of the variance (the study's procedure) on feature set ``name``."""
    from ..analysis import components_for_variance, plot_components_histogram

    label = FEATURE_LABELS[name]
    try:
        with progress.step(f"pca/{name}", f"speaker: per-recording PCA (85 % variance) on {label}"):
            counts = components_for_variance(feats, PCA_THRESHOLD)
            finite = counts[np.isfinite(counts)]
            fig = plot_components_histogram(counts, threshold=PCA_THRESHOLD)
            fig.axes[0].set_title(f"{label}: components for 85 % variance\n({len(finite)} recordings)", fontsize=9)
            values, edges = np.histogram(finite, bins=np.arange(finite.min() - 0.5, finite.max() + 1.5))
            return PCAResult(
                OK, n_features=int(feats[0].shape[1]), n_recordings=int(len(counts)),
                n_without_variance=int(np.isnan(counts).sum()), threshold=PCA_THRESHOLD, mean=float(finite.mean()),
                median=float(np.median(finite)), min=int(finite.min()), max=int(finite.max()),
                histogram={str(int(round(e + 0.5))): int(v) for e, v in zip(edges[:-1], values) if v},
                figure=figures.save(fig, f"pca_components_{name}.png"))
    except Exception as exc:  # noqa: BLE001 - one failing analysis must not lose the report
        progress.log(f"PCA on {name} FAILED: {short_error(exc)}")
        return PCAResult(FAILED, short_error(exc))


def _level(res, pooling):
    return KMeansLevel(n_samples=int(len(res.labels)), n_components=int(res.n_components),
                       n_clusters=int(res.n_clusters), explained_variance=float(np.sum(res.explained_variance_ratio)),
                       scores={k: float(v) for k, v in res.scores.items()}, pooling=pooling)


def pca_kmeans_clusters(feats, speaker, name, budget, seed, progress, figures):
    """PCA + k-means with one cluster per speaker, on frames (the study's setting) and per recording."""
    from ..analysis import pca_kmeans, plot_clusters

    label = FEATURE_LABELS[name]
    try:
        with progress.step(f"kmeans/{name}", f"speaker: PCA + k-means (one cluster per speaker) on {label}"), \
                single_openmp():
            frames = pca_kmeans(feats, speaker, n_components=KMEANS_COMPONENTS, level="frames",
                                max_frames=budget.kmeans_max_frames, random_state=seed)
            recs = pca_kmeans(feats, speaker, n_components=KMEANS_COMPONENTS, level="recordings",
                              pooling=("mean", "std"), n_init=10, random_state=seed)
            fig = plot_clusters(frames, max_points=4000, random_state=seed)
            fig.suptitle(f"PCA + k-means on {label} frames (first two components)", fontsize=10)
            fig.tight_layout()
            levels = {"frames": _level(frames, None), "recordings": _level(recs, "mean+std")}
            return KMeansResult(OK, levels=levels, figure=figures.save(fig, f"kmeans_{name}.png"))
    except Exception as exc:  # noqa: BLE001
        progress.log(f"k-means on {name} FAILED: {short_error(exc)}")
        return KMeansResult(FAILED, short_error(exc))
