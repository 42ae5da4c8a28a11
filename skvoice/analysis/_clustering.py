"""Global PCA + k-means over frames or recordings, scored against the true speakers."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import Bunch, check_random_state
from sklearn.utils.validation import column_or_1d

from .._ragged import check_recordings, frame_owner, stack_frames
from .._sklearn_compat import Interval, RealNotInt, StrOptions, validate_params
from ._plots import category_colors, get_axes

__all__ = ["pca_kmeans", "cluster_purity", "plot_clusters", "ClusteringResult"]


class ClusteringResult(Bunch):
    """Result of :func:`pca_kmeans`: a :class:`~sklearn.utils.Bunch` with a short summary ``repr``.

    Keys are readable as attributes; see :func:`pca_kmeans` for the list.

    Parameters
    ----------
    **kwargs : dict
        The result's fields.

    See Also
    --------
    pca_kmeans : Builds this result.

    Examples
    --------
    >>> from skvoice.analysis import ClusteringResult
    >>> result = ClusteringResult(level="frames", labels=[0, 1, 1], n_components=2, n_clusters=2,
    ...                           scores={"nmi": 0.5})
    >>> result
    ClusteringResult(level='frames', n_samples=3, n_components=2, n_clusters=2, nmi=0.500)
    >>> result.n_clusters
    2
    """

    def __repr__(self):
        scores = ", ".join(f"{k}={v:.3f}" for k, v in (self.get("scores") or {}).items())
        return (f"ClusteringResult(level={self.get('level')!r}, n_samples={len(self.get('labels', []))}, "
                f"n_components={self.get('n_components')}, n_clusters={self.get('n_clusters')}"
                + (f", {scores}" if scores else "") + ")")


@validate_params({"labels_true": ["array-like"], "labels_pred": ["array-like"]}, prefer_skip_nested_validation=True)
def cluster_purity(labels_true, labels_pred):
    """Cluster purity: the share of samples whose cluster's majority class is their class.

    ``purity = sum_k max_c |cluster_k ∩ class_c| / n``. It is 1.0 when every
    cluster holds one class; unlike the adjusted Rand index it is not
    corrected for chance and rises with the number of clusters (n singleton
    clusters have purity 1).

    Parameters
    ----------
    labels_true : array-like of shape (n_samples,)
        True classes (e.g. speakers).
    labels_pred : array-like of shape (n_samples,)
        Cluster labels.

    Returns
    -------
    purity : float
        In ``(0, 1]``.

    See Also
    --------
    sklearn.metrics.adjusted_rand_score, sklearn.metrics.normalized_mutual_info_score

    Examples
    --------
    >>> from skvoice.analysis import cluster_purity
    >>> cluster_purity(["a", "a", "b", "b", "b"], [0, 0, 0, 1, 1])
    0.8
    """
    from sklearn.metrics.cluster import contingency_matrix

    labels_true = column_or_1d(labels_true)
    labels_pred = column_or_1d(labels_pred)
    if len(labels_true) != len(labels_pred):
        raise ValueError(f"labels_true and labels_pred have different lengths "
                         f"({len(labels_true)} and {len(labels_pred)}).")
    if len(labels_true) == 0:
        raise ValueError("cluster_purity needs at least one sample.")
    table = contingency_matrix(labels_true, labels_pred, sparse=False)  # classes x clusters
    return float(table.max(axis=0).sum() / len(labels_true))


_POSITIVE_INT = Interval(numbers.Integral, 1, None, closed="left")


@validate_params({"X": ["array-like"], "y": ["array-like", None],
                  "n_components": [_POSITIVE_INT, Interval(RealNotInt, 0, 1, closed="neither"), None],
                  "n_clusters": [_POSITIVE_INT, None], "level": [StrOptions({"frames", "recordings"})],
                  "pooling": [list, tuple], "standardize": ["boolean"], "max_frames": [_POSITIVE_INT, None],
                  "minibatch": ["boolean"], "n_init": [StrOptions({"auto"}), _POSITIVE_INT],
                  "random_state": ["random_state"]}, prefer_skip_nested_validation=True)
def pca_kmeans(X, y=None, *, n_components=47, n_clusters=None, level="frames", pooling=("mean",),
               standardize=True, max_frames=100_000, minibatch=False, n_init="auto", random_state=0):
    """Standardise, reduce with PCA and cluster with k-means; score the clusters against ``y``.

    The study's Task 2 qualitative analysis: all wav2vec frames stacked,
    standardised, projected on 47 principal components and clustered with
    k-means, one cluster per speaker. Here the same runs on frames
    (``level="frames"``) or on one pooled vector per recording
    (``level="recordings"``), and the clustering is scored with the adjusted
    Rand index, normalised mutual information and cluster purity against the
    true speakers.

    Parameters
    ----------
    X : recording set or array-like of shape (n_recordings, n_features)
        Frame features per recording (ragged), or a 2-D array (one row per
        recording, or per frame).
    y : array-like of shape (n_recordings,), optional
        True label (speaker) of each recording; frames inherit their
        recording's label. Needed for the scores and for
        ``n_clusters=None``.
    n_components : int, float or None, default=47
        PCA components (the study's 47). An int is capped at
        ``min(n_samples, n_features)`` (so 47 keeps all 13 MFCCs); a float in
        ``(0, 1)`` keeps enough components for that share of variance;
        ``None`` keeps all.
    n_clusters : int or None, default=None
        Number of clusters; ``None`` uses the number of distinct labels in
        ``y``.
    level : {"frames", "recordings"}, default="frames"
        Cluster every frame, or one vector per recording.
    pooling : sequence of str, default=("mean",)
        With ``level="recordings"`` and ragged ``X``: the
        :class:`~skvoice.features.StatsPooling` statistics that make each
        recording's vector. A 2-D ``X`` is used as is.
    standardize : bool, default=True
        Scale each feature to zero mean and unit variance before the PCA.
    max_frames : int or None, default=100_000
        With ``level="frames"``, cluster a uniform random sample of at most
        this many frames (without replacement), so hundreds of thousands of
        frames stay fast; ``None`` uses all. ``owner`` in the result tells
        which recording each sampled frame came from.
    minibatch : bool, default=False
        Use :class:`~sklearn.cluster.MiniBatchKMeans` instead of
        :class:`~sklearn.cluster.KMeans` (faster on very many samples).
    n_init : int or "auto", default="auto"
        Number of k-means restarts (see :class:`~sklearn.cluster.KMeans`; ``"auto"`` is
        a single k-means++ run). With few samples (e.g. one vector per
        recording) the scores can depend on the seed; ``n_init=10`` makes
        them stable at little cost.
    random_state : int, RandomState instance or None, default=0
        Seeds the frame sample, the PCA solver and k-means.

    Returns
    -------
    result : ClusteringResult
        A :class:`~sklearn.utils.Bunch` with

        - ``embedding``: ndarray (n_samples, n_components), the PCA scores;
        - ``labels``: ndarray (n_samples,), the cluster of each sample;
        - ``y``: ndarray (n_samples,) of true labels, or None;
        - ``owner``: ndarray (n_samples,), recording index of each sample;
        - ``n_recordings``: number of recordings in ``X``;
        - ``level``, ``n_components``, ``n_clusters``;
        - ``explained_variance_ratio``: of the kept components;
        - ``scaler`` (or None), ``pca``, ``kmeans``: the fitted estimators;
        - ``adjusted_rand``, ``nmi``, ``purity``: scores against ``y``
          (NaN without ``y``), also gathered in the dict ``scores``.

    See Also
    --------
    plot_clusters : The first two components coloured by cluster and by speaker.
    components_for_variance : Per-recording PCA.
    cluster_purity : The purity score.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skvoice.analysis import pca_kmeans
    >>> X, y = make_blobs(n_samples=300, centers=3, n_features=5, random_state=0)
    >>> result = pca_kmeans(X, y, n_components=2, level="recordings")
    >>> result.embedding.shape, result.n_clusters
    ((300, 2), 3)
    >>> result.scores
    {'adjusted_rand': 1.0, 'nmi': 1.0, 'purity': 1.0}
    """
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.decomposition import PCA
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
    from sklearn.preprocessing import StandardScaler

    recs, is_2d = check_recordings(X, dtype=None, ensure_min_frames=0)
    n_recordings = len(recs)
    if y is not None:
        y = column_or_1d(y, warn=True)
        if len(y) != n_recordings:
            raise ValueError(f"X has {n_recordings} recordings but y has {len(y)} labels "
                             "(one label per recording is expected).")
    if n_clusters is None:
        if y is None:
            raise ValueError("n_clusters=None takes the number of clusters from y; pass y or n_clusters.")
        n_clusters = len(np.unique(y))

    rng = check_random_state(random_state)
    if level == "frames" or is_2d:
        data, lengths = stack_frames(recs)
        owner = frame_owner(lengths)
        if level == "frames" and max_frames is not None and len(data) > max_frames:
            keep = np.sort(rng.choice(len(data), max_frames, replace=False))
            data, owner = data[keep], owner[keep]
    else:
        from ..features import StatsPooling

        empty = [i for i, r in enumerate(recs) if len(r) == 0]
        if empty:  # StatsPooling would give them a row of NaN, which PCA cannot place
            raise ValueError(f"pca_kmeans(level='recordings'): recording(s) {empty[:20]} have 0 frames; remove them "
                             "(skipped or failed audio?) or cluster frames (level='frames').")
        data = StatsPooling(stats=pooling).fit_transform(recs)
        owner = np.arange(n_recordings)
    n_samples, n_features = data.shape
    if n_samples < n_clusters:
        raise ValueError(f"n_clusters={n_clusters} is larger than the number of samples to cluster ({n_samples}).")
    if n_samples < 2:
        raise ValueError(f"pca_kmeans needs at least 2 samples, got {n_samples}.")
    y_samples = None if y is None else y[owner]

    scaler = StandardScaler() if standardize else None
    z = scaler.fit_transform(data) if scaler is not None else np.asarray(data)
    if isinstance(n_components, numbers.Integral):
        pca = PCA(n_components=min(int(n_components), n_samples, n_features), random_state=random_state)
    elif n_components is None:
        pca = PCA(random_state=random_state)
    else:
        pca = PCA(n_components=float(n_components), svd_solver="full")
    embedding = pca.fit_transform(z)

    seed = rng.randint(np.iinfo(np.int32).max)
    if minibatch:
        km = MiniBatchKMeans(n_clusters=n_clusters, n_init=n_init, random_state=seed,
                             batch_size=min(4096, n_samples))
    else:
        km = KMeans(n_clusters=n_clusters, n_init=n_init, random_state=seed)
    labels = km.fit_predict(embedding)

    if y_samples is not None:
        scores = {"adjusted_rand": float(adjusted_rand_score(y_samples, labels)),
                  "nmi": float(normalized_mutual_info_score(y_samples, labels)),
                  "purity": cluster_purity(y_samples, labels)}
    else:
        scores = {"adjusted_rand": np.nan, "nmi": np.nan, "purity": np.nan}
    return ClusteringResult(
        embedding=embedding, labels=labels, y=y_samples, owner=owner, n_recordings=n_recordings, level=level,
        n_components=int(pca.n_components_), n_clusters=int(n_clusters),
        explained_variance_ratio=pca.explained_variance_ratio_, scaler=scaler, pca=pca, kmeans=km,
        scores=scores, **scores)


def _scatter_groups(ax, xy, groups, title, legend_title, max_legend):
    names, codes = np.unique(groups, return_inverse=True)
    colors = category_colors(len(names))
    for k, name in enumerate(names):
        sel = codes == k
        ax.scatter(xy[sel, 0], xy[sel, 1], s=6, alpha=0.6, color=colors[k], label=str(name), linewidths=0)
    ax.set_title(title)
    if len(names) <= max_legend:
        ax.legend(title=legend_title, fontsize="small", markerscale=2, loc="best")


@validate_params({"y": ["array-like", None], "components": [tuple, list], "max_points": [_POSITIVE_INT, None],
                  "random_state": ["random_state"], "max_legend": [Interval(numbers.Integral, 0, None, closed="left")]},
                 prefer_skip_nested_validation=True)
def plot_clusters(result, y=None, *, components=(0, 1), max_points=5000, random_state=0, max_legend=20, ax=None):
    """Scatter two principal components, coloured by k-means cluster and by true label.

    Parameters
    ----------
    result : ClusteringResult
        Output of :func:`pca_kmeans`.
    y : array-like, optional
        True labels, one per clustered sample or one per recording (then
        expanded with ``result.owner``); default ``result.y``.
    components : tuple of two int, default=(0, 1)
        Which principal components to plot (0-based).
    max_points : int or None, default=5000
        Plot a uniform random sample of at most this many points (``None``:
        all).
    random_state : int, RandomState instance or None, default=0
        Seeds that sample.
    max_legend : int, default=20
        Draw a legend only when a panel has at most this many groups.
    ax : sequence of matplotlib Axes, optional
        Two Axes (one when there are no true labels); new ones are created
        when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Two panels, "by cluster" and "by true label" (only the first when no
        labels are known), each with one scatter collection per group.

    See Also
    --------
    pca_kmeans : Computes ``result``.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skvoice.analysis import pca_kmeans, plot_clusters
    >>> X, y = make_blobs(n_samples=200, centers=4, n_features=6, random_state=0)
    >>> fig = plot_clusters(pca_kmeans(X, y, level="recordings"))
    >>> [a.get_title() for a in fig.axes], len(fig.axes[1].collections)
    (['k-means clusters (k=4)', 'true labels (4)'], 4)
    """
    if not isinstance(result, dict) or not {"embedding", "labels"} <= set(result):
        raise TypeError("result must be the ClusteringResult returned by pca_kmeans.")
    emb = np.asarray(result["embedding"])
    labels = np.asarray(result["labels"])
    if emb.ndim != 2 or emb.shape[0] != labels.shape[0]:
        raise ValueError("result.embedding and result.labels do not match.")
    try:
        cx, cy = (int(c) for c in components)
    except (TypeError, ValueError):
        raise ValueError(f"components must be two component indices, got {components!r}.") from None
    if not (0 <= cx < emb.shape[1] and 0 <= cy < emb.shape[1]) or cx == cy:
        raise ValueError(f"components={components!r} must be two different indices below the "
                         f"{emb.shape[1]} component(s) of the embedding (a 2-D plot needs at least 2).")
    if y is None:
        y = result.get("y")
    elif len(y) != len(labels):
        owner = result.get("owner")
        if owner is None or len(y) != result.get("n_recordings"):
            raise ValueError(f"y has {len(y)} labels; expected one per clustered sample ({len(labels)}) "
                             "or one per recording.")
        y = np.asarray(y, dtype=object)[owner]
    if y is not None:
        y = np.asarray(y)
    idx = np.arange(len(labels))
    if max_points is not None and len(idx) > max_points:
        idx = np.sort(check_random_state(random_state).choice(len(idx), max_points, replace=False))
    xy = emb[idx][:, [cx, cy]]
    n_panels = 1 if y is None else 2
    fig, axes = get_axes("plot_clusters", ax, n=n_panels, figsize=(5.5 * n_panels, 4.5))
    _scatter_groups(axes[0], xy, labels[idx], f"k-means clusters (k={len(np.unique(labels))})", "cluster",
                    max_legend)
    if y is not None:
        _scatter_groups(axes[1], xy, y[idx], f"true labels ({len(np.unique(y))})", "label", max_legend)
    for a in axes:
        a.set_xlabel(f"PC{cx + 1}")
        a.set_ylabel(f"PC{cy + 1}")
    fig.tight_layout()
    return fig
