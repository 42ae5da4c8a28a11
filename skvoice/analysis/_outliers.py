"""The study's Task 1 EDA: outlier counts per coefficient (z-score vs IQR) and their plots."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from .._ragged import check_recordings, stack_frames
from .._sklearn_compat import Interval, StrOptions, validate_params
from .._validation import check_names
from ..features import outlier_counts
from ..features._outliers import DEFAULT_THRESHOLD, ROW_NAME
from ._plots import get_axes

__all__ = ["outlier_table", "plot_outlier_counts", "plot_feature_distributions"]


def _check_thresholds(thresholds, methods):
    if thresholds is None:
        return {m: None for m in methods}
    if isinstance(thresholds, dict):
        extra = set(thresholds) - set(methods)
        if extra:
            raise ValueError(f"thresholds names method(s) {sorted(extra)} that are not in methods={methods}.")
        out = {m: thresholds.get(m) for m in methods}
    else:
        out = {m: thresholds for m in methods}
    for m, t in out.items():
        if t is None:
            continue
        if not isinstance(t, numbers.Real) or isinstance(t, bool) or not np.isfinite(t) or t <= 0:
            raise ValueError(f"The threshold for {m!r} must be a positive finite number, got {t!r}.")
    return out


@validate_params({"X": ["array-like"], "methods": [StrOptions(set(DEFAULT_THRESHOLD)), list, tuple],
                  "thresholds": [numbers.Real, dict, None], "feature_names": ["array-like", None],
                  "normalize": ["boolean"]}, prefer_skip_nested_validation=True)
def outlier_table(X, methods=("zscore", "iqr"), *, thresholds=None, feature_names=None, normalize=False):
    """Outlier counts per coefficient, one row per rule (the study's Task 1 table).

    Frames of all recordings are pooled and each rule flags, per coefficient,
    the frames outside its bounds: ``mean ± 3 std`` for the z-score rule and
    ``[Q1 - 1.5 IQR, Q3 + 1.5 IQR]`` for the IQR rule, as in the study. The
    counting itself is :func:`skvoice.features.outlier_counts`; this function
    puts the rules side by side.

    Parameters
    ----------
    X : recording set or array-like of shape (n_frames, n_features)
        Frame features: a ragged recording set (frames of all recordings are
        pooled) or a 2-D array of frames.
    methods : str or sequence of {"zscore", "iqr"}, default=("zscore", "iqr")
        Rules, one row each, in this order.
    thresholds : float, dict or None, default=None
        Rule parameter: ``None`` uses 3.0 (z-score) and 1.5 (IQR); a float
        applies to every rule; a dict maps a method to its threshold (missing
        methods keep their default).
    feature_names : sequence of str, optional
        Column names; default ``MFCC_0 ... MFCC_{n-1}`` like the study.
    normalize : bool, default=False
        Report the fraction of frames instead of counts (``n_frames`` stays a
        count).

    Returns
    -------
    table : pandas.DataFrame
        Index ``"Z-score"`` / ``"IQR"`` (named ``"Method"``); one column per
        coefficient, then ``any`` (frames flagged by at least one coefficient)
        and ``n_frames``.

    See Also
    --------
    skvoice.features.outlier_counts : The counting rule this table is built on.
    skvoice.features.OutlierFilter : Drop or clip those frames in a pipeline.
    plot_outlier_counts : Bar chart of this table.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.analysis import outlier_table
    >>> frames = np.random.RandomState(0).standard_normal((10000, 3))
    >>> frames[:20, 0] = 12.0  # twenty wild values in the first coefficient
    >>> outlier_table(frames)
             MFCC_0  MFCC_1  MFCC_2  any  n_frames
    Method
    Z-score      27      29      25   81     10000
    IQR          90      73      75  238     10000
    """
    methods = check_names(methods, DEFAULT_THRESHOLD, param="methods", what="outlier method")
    thr = _check_thresholds(thresholds, methods)
    recs, _ = check_recordings(X, dtype=None, ensure_min_frames=0)
    if sum(r.shape[0] for r in recs) == 0:
        raise ValueError("X holds no frames (every recording is empty); there is nothing to count.")
    X = recs
    rows = [outlier_counts(X, m, threshold=thr[m], feature_names=feature_names) for m in methods]
    table = pd.concat(rows, axis=0)
    table.index = pd.Index([ROW_NAME[m] for m in methods], name="Method")
    if normalize:
        n = table["n_frames"].astype(np.float64)
        cols = [c for c in table.columns if c != "n_frames"]
        with np.errstate(invalid="ignore", divide="ignore"):
            table = table.astype({c: np.float64 for c in cols})
            table[cols] = table[cols].div(n.where(n > 0), axis=0)
    return table


@validate_params({"table": [pd.DataFrame], "include_any": ["boolean"], "normalize": ["boolean"], "log": ["boolean"]},
                 prefer_skip_nested_validation=True)
def plot_outlier_counts(table, *, include_any=False, normalize=False, log=False, ax=None):
    """Grouped bar chart of an outlier table: one group per coefficient, one bar per rule.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`outlier_table` (or
        :func:`skvoice.features.outlier_counts`): one row per rule.
    include_any : bool, default=False
        Also draw the ``any`` column (frames flagged by any coefficient).
    normalize : bool, default=False
        Plot fractions of frames (needs the ``n_frames`` column) instead of
        counts.
    log : bool, default=False
        Logarithmic y axis.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is created when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
        One Axes with ``n_rules * n_columns`` bars.

    See Also
    --------
    outlier_table : Builds ``table``.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.analysis import outlier_table, plot_outlier_counts
    >>> frames = np.random.RandomState(0).standard_normal((1000, 4))
    >>> fig = plot_outlier_counts(outlier_table(frames))
    >>> len(fig.axes), len(fig.axes[0].patches)
    (1, 8)
    """
    drop = ["n_frames"] + ([] if include_any else ["any"])
    data = table.drop(columns=[c for c in drop if c in table.columns])
    if data.shape[0] == 0 or data.shape[1] == 0:
        raise ValueError(f"table has no outlier counts to plot (shape {table.shape}).")
    try:
        values = data.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("table must hold numeric outlier counts.") from None
    ylabel = "outlier frames"
    if normalize:
        if "n_frames" not in table.columns:
            raise ValueError("normalize=True needs the table's 'n_frames' column.")
        with np.errstate(invalid="ignore", divide="ignore"):
            values = values / table["n_frames"].to_numpy(dtype=np.float64)[:, None]
        ylabel = "fraction of frames flagged"
    fig, (ax,) = get_axes("plot_outlier_counts", ax, figsize=(max(6.0, 0.55 * data.shape[1] + 2), 4))
    n_rows, n_cols = values.shape
    width = 0.8 / n_rows
    x = np.arange(n_cols)
    for i, (name, row) in enumerate(zip(data.index, values)):
        ax.bar(x - 0.4 + width * (i + 0.5), row, width, label=str(name))
    ax.set_xticks(x)
    ax.set_xticklabels([str(c) for c in data.columns], rotation=45, ha="right")
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    ax.set_title("Outliers per coefficient")
    ax.legend(title=data.index.name)
    fig.tight_layout()
    return fig


@validate_params({"X": ["array-like"], "feature_names": ["array-like", None], "kind": [StrOptions({"box", "violin"})],
                  "max_frames": [Interval(numbers.Integral, 1, None, closed="left"), None],
                  "random_state": ["random_state"], "showfliers": ["boolean"]}, prefer_skip_nested_validation=True)
def plot_feature_distributions(X, *, feature_names=None, kind="box", max_frames=50_000, random_state=0,
                               showfliers=True, ax=None):
    """Box or violin plot of each coefficient over all frames (exploratory analysis).

    Parameters
    ----------
    X : recording set or array-like of shape (n_frames, n_features)
        Frame features (frames of all recordings are pooled).
    feature_names : sequence of str, optional
        Tick labels; default ``MFCC_0 ... MFCC_{n-1}``.
    kind : {"box", "violin"}, default="box"
        Plot type. Box whiskers use the IQR rule (1.5 IQR), so the drawn
        fliers are the IQR outliers of the plotted frames.
    max_frames : int or None, default=50_000
        Draw from at most this many frames, sampled uniformly without
        replacement (kernel density estimates of hundreds of thousands of
        frames are slow); ``None`` uses all frames.
    random_state : int, RandomState instance or None, default=0
        Seeds the frame sample.
    showfliers : bool, default=True
        With ``kind="box"``, draw the points beyond the whiskers.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is created when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
        One Axes with a box (or violin) per coefficient.

    See Also
    --------
    outlier_table : The counts behind the fliers.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.analysis import plot_feature_distributions
    >>> frames = np.random.RandomState(0).standard_normal((500, 3))
    >>> fig = plot_feature_distributions(frames, kind="violin")
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
    ['MFCC_0', 'MFCC_1', 'MFCC_2']
    """
    recs, _ = check_recordings(X, dtype=np.float64, ensure_min_frames=0)
    frames, _ = stack_frames(recs)
    if len(frames) == 0:
        raise ValueError("X holds no frames to plot.")
    n_features = frames.shape[1]
    names = [f"MFCC_{i}" for i in range(n_features)] if feature_names is None else [str(n) for n in feature_names]
    if len(names) != n_features:
        raise ValueError(f"feature_names has {len(names)} names for {n_features} features.")
    if max_frames is not None and len(frames) > max_frames:
        idx = check_random_state(random_state).choice(len(frames), max_frames, replace=False)
        frames = frames[np.sort(idx)]
    fig, (ax,) = get_axes("plot_feature_distributions", ax, figsize=(max(6.0, 0.5 * n_features + 2), 4))
    positions = np.arange(1, n_features + 1)
    columns = [frames[:, j] for j in range(n_features)]
    if kind == "box":
        ax.boxplot(columns, positions=positions, showfliers=showfliers, whis=1.5,
                   flierprops={"markersize": 2, "alpha": 0.3})
    else:
        ax.violinplot(columns, positions=positions, showmedians=True, showextrema=True)
    ax.set_xticks(positions)
    ax.set_xticklabels(names, rotation=45, ha="right")
    ax.set_ylabel("value")
    ax.set_title(f"Distribution of each coefficient ({len(frames)} frames)")
    fig.tight_layout()
    return fig
