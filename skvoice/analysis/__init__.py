"""Analysis of the study: outlier tables, per-recording PCA, PCA + k-means, evaluation tables and plots.

Functions return numbers (arrays, pandas tables, result Bunches) and the
``plot_*`` functions draw them with matplotlib, returning the Figure (or a
scikit-learn ``*Display``); none of them calls ``show()``.
"""

from ._clustering import ClusteringResult, cluster_purity, pca_kmeans, plot_clusters
from ._metrics import classification_table, frame_recording_report, plot_confusion_matrix
from ._outliers import outlier_table, plot_feature_distributions, plot_outlier_counts
from ._pca import components_for_variance, plot_components_histogram

__all__ = [
    "outlier_table",
    "plot_outlier_counts",
    "plot_feature_distributions",
    "components_for_variance",
    "plot_components_histogram",
    "pca_kmeans",
    "cluster_purity",
    "plot_clusters",
    "ClusteringResult",
    "classification_table",
    "frame_recording_report",
    "plot_confusion_matrix",
]
