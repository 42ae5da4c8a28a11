"""Per-recording PCA: how many principal components explain a share of each recording's variance."""

from __future__ import annotations

import numbers

import numpy as np

from .._ragged import check_recordings
from .._sklearn_compat import Interval, validate_params
from ._plots import get_axes

__all__ = ["components_for_variance", "plot_components_histogram"]

# matrices per batched eigvalsh call are capped at this many float64 values (~256 MB)
_BATCH_VALUES = 32_000_000


def _per_recording_spectra(recs, standardize):
    """Eigenvalues (descending, clipped at 0) of each recording's centred (scaled) scatter matrix.

    The scatter matrix is built on the smaller side (``Z.T @ Z`` or ``Z @ Z.T``),
    whose non-zero eigenvalues are the squared singular values of ``Z``:
    exactly the spectrum scikit-learn's full-SVD PCA works with.
    ``None`` marks recordings without a spectrum (fewer than 2 frames or no
    variance at all).
    """
    grams = [None] * len(recs)
    for i, r in enumerate(recs):
        if r.shape[0] < 2:
            continue
        z = np.asarray(r, dtype=np.float64)
        mean = z.mean(axis=0)
        z = z - mean
        if standardize:
            var = (z * z).mean(axis=0)
            # StandardScaler's rule for constant features (sklearn.preprocessing._data._is_constant_feature)
            n, eps = z.shape[0], np.finfo(np.float64).eps
            constant = var <= n * eps * var + (n * mean * eps) ** 2
            z = z / np.where(constant, 1.0, np.sqrt(var))
        grams[i] = z.T @ z if z.shape[1] <= z.shape[0] else z @ z.T
    spectra = [None] * len(recs)
    by_size = {}
    for i, g in enumerate(grams):
        if g is not None:
            by_size.setdefault(g.shape[0], []).append(i)
    for size, idx in by_size.items():
        step = max(1, _BATCH_VALUES // (size * size))
        for start in range(0, len(idx), step):
            chunk = idx[start:start + step]
            eig = np.linalg.eigvalsh(np.stack([grams[i] for i in chunk]))[:, ::-1]
            for i, e in zip(chunk, np.clip(eig, 0, None)):
                spectra[i] = e
    return spectra


@validate_params({"X": ["array-like"], "threshold": [Interval(numbers.Real, 0, 1, closed="right")],
                  "standardize": ["boolean"], "return_ratios": ["boolean"]}, prefer_skip_nested_validation=True)
def components_for_variance(X, threshold=0.85, *, standardize=True, return_ratios=False):
    """Number of principal components needed for ``threshold`` of each recording's variance.

    For every recording separately (the study's Task 2 PCA): standardise its
    frames (zero mean, unit variance per feature, like ``StandardScaler``),
    fit a full PCA, and return the smallest ``k`` whose first ``k`` explained
    variance ratios sum to at least ``threshold`` (the study's
    ``argmax(cumsum >= 0.85) + 1``). The spectra come from one scatter matrix
    per recording and batched symmetric eigendecompositions instead of one
    ``PCA`` object per recording.

    Parameters
    ----------
    X : recording set or array-like of shape (n_recordings, n_features)
        Frame features, one 2-D ``(n_frames_i, n_features)`` array per
        recording. A plain 2-D array is a set of one-frame recordings and so
        gives only NaN.
    threshold : float in (0, 1], default=0.85
        Share of variance to explain.
    standardize : bool, default=True
        Scale every feature of a recording to unit variance before the PCA (as
        the study did); constant features are only centred, like
        ``StandardScaler``. ``False`` only centres.
    return_ratios : bool, default=False
        Also return each recording's explained variance ratios.

    Returns
    -------
    n_components : ndarray of shape (n_recordings,), dtype float64
        Components needed per recording. A recording with fewer than 2 frames,
        or whose features are all constant, has no variance to explain and
        gets ``NaN`` (use ``np.nanmean`` to average). Recordings with fewer
        frames than features are fine: their PCA has at most
        ``min(n_frames, n_features)`` components.
    ratios : list of ndarray
        Only with ``return_ratios=True``: explained variance ratio of every
        component (descending, ``min(n_frames_i, n_features)`` values; empty
        for the ``NaN`` recordings).

    See Also
    --------
    plot_components_histogram : The study's histogram of these counts.
    pca_kmeans : One global PCA (with k-means) over all frames.

    Notes
    -----
    Ratios equal to ``threshold`` up to ``1e-10`` count as reaching it, so
    ``threshold=1.0`` gives the rank of the recording rather than an
    artefact of rounding.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.analysis import components_for_variance
    >>> rng = np.random.RandomState(0)
    >>> latent = rng.standard_normal((200, 2))
    >>> low_rank = latent @ rng.standard_normal((2, 6)) + 0.01 * rng.standard_normal((200, 6))
    >>> X = [low_rank, rng.standard_normal((200, 6)), rng.standard_normal((1, 6))]  # three recordings
    >>> components_for_variance(X)
    array([ 2.,  6., nan])
    """
    if isinstance(threshold, bool):  # a bool is an int to validate_params, but True is no share of variance
        raise ValueError(f"threshold must be a number in (0, 1], got {threshold!r}.")
    recs, _ = check_recordings(X, dtype=np.float64, ensure_min_frames=0)
    spectra = _per_recording_spectra(recs, bool(standardize))
    counts = np.full(len(recs), np.nan)
    ratios = []
    for i, eig in enumerate(spectra):
        total = 0.0 if eig is None else eig.sum()
        if eig is None or not total > 0:
            ratios.append(np.empty(0))
            continue
        ratio = eig / total
        cum = np.cumsum(ratio)
        counts[i] = np.argmax(cum >= threshold - 1e-10) + 1
        ratios.append(ratio)
    if return_ratios:
        return counts, ratios
    return counts


@validate_params({"counts": ["array-like"], "threshold": [Interval(numbers.Real, 0, 1, closed="right"), None],
                  "bins": [Interval(numbers.Integral, 1, None, closed="left"), "array-like", str, None]},
                 prefer_skip_nested_validation=True)
def plot_components_histogram(counts, *, threshold=None, bins=None, ax=None):
    """Histogram of components-for-variance per recording, with the mean marked (the study's figure).

    Parameters
    ----------
    counts : array-like of shape (n_recordings,)
        Output of :func:`components_for_variance`; NaN entries (recordings
        without variance) are left out and counted in the title.
    threshold : float, optional
        Share of variance the counts explain; only used in the labels.
    bins : int, sequence or None, default=None
        Histogram bins; ``None`` uses one bin per integer count.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is created when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
        One Axes holding the histogram and a dashed vertical line at the mean
        (labelled with its value in the legend).

    See Also
    --------
    components_for_variance : Computes ``counts``.

    Examples
    --------
    >>> from skvoice.analysis import plot_components_histogram
    >>> fig = plot_components_histogram([5, 6, 6, 7, 9], threshold=0.85)
    >>> fig.axes[0].get_legend().get_texts()[0].get_text()
    'mean = 6.60'
    """
    values = np.asarray(counts, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"counts must be 1-D (one count per recording), got shape {values.shape}.")
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise ValueError("counts holds no finite value to plot (all recordings were NaN or counts is empty).")
    if np.any(finite < 1):
        raise ValueError("counts must be positive numbers of components.")
    if bins is None:
        lo, hi = np.floor(finite.min()), np.ceil(finite.max())
        bins = np.arange(lo - 0.5, hi + 1.5)
    fig, (ax,) = get_axes("plot_components_histogram", ax, figsize=(6, 4))
    ax.hist(finite, bins=bins, color="tab:blue", edgecolor="white")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    mean = finite.mean()
    ax.axvline(mean, color="tab:red", linestyle="--", label=f"mean = {mean:.2f}")
    share = "" if threshold is None else f" for {threshold:.0%} of variance"
    ax.set_xlabel(f"principal components needed{share}")
    ax.set_ylabel("recordings")
    n_nan = values.size - finite.size
    ax.set_title(f"Components per recording (n = {finite.size}" + (f", {n_nan} without variance)" if n_nan else ")"))
    ax.legend()
    fig.tight_layout()
    return fig
