"""DET curves on normal-deviate (probit) axes, with the EER point marked."""

from __future__ import annotations

import numpy as np

from .._docs import fill_doc
from .._sklearn_compat import validate_params
from ._verification import _TRIALS, _check_trials, _operating_points, _rocch, equal_error_rate

__all__ = ["plot_det"]

_TICKS = (0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7,
          0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999)
_EPS = 1e-9  # rates of exactly 0 or 1 are drawn at the probit of 1e-9 / 1 - 1e-9, off any sensible axis range


def _probit(p):
    from scipy.special import ndtri

    return ndtri(np.clip(p, _EPS, 1.0 - _EPS))


def _inverse_probit(z):
    from scipy.special import ndtr

    return ndtr(z)


def _set_probit_axes(ax, lim):
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    def fmt(p, _pos):
        pct = 100.0 * p
        return f"{pct:.2f}".rstrip("0").rstrip(".")

    for axis, set_scale, set_lim in ((ax.xaxis, ax.set_xscale, ax.set_xlim), (ax.yaxis, ax.set_yscale, ax.set_ylim)):
        set_scale("function", functions=(_probit, _inverse_probit))
        axis.set_major_locator(FixedLocator(_TICKS))
        axis.set_major_formatter(FuncFormatter(fmt))
        axis.set_minor_locator(NullLocator())
        set_lim(*lim)


@validate_params({**_TRIALS, "label": [str, None], "mark_eer": ["boolean"], "lim": ["array-like"],
                  "hull": ["boolean"]}, prefer_skip_nested_validation=True)
@fill_doc
def plot_det(y_true, y_score, *, ax=None, label=None, pos_label=None, sample_weight=None, mark_eer=True,
             lim=(0.001, 0.5), hull=False, **line_kw):
    """Plot a detection error trade-off (DET) curve on probit-scaled axes.

    The axes show false-alarm rate (x) against miss rate (y), both in percent
    on a normal-deviate scale, so the curves of Gaussian-like scores are
    straight lines. Call it again with the same ``ax`` to compare systems.

    Parameters
    ----------
    %(y_true_trials)s
    %(y_score_trials)s
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.
    label : str, default=None
        Legend label of the curve. With ``mark_eer``, the EER is appended
        (``"cosine (EER 2.31 %)"``) and a legend is drawn.
    %(pos_label_sample_weight)s
    mark_eer : bool, default=True
        Mark the ROCCH equal error rate (see :func:`equal_error_rate`) with a
        dot on the diagonal.
    lim : tuple of float, default=(0.001, 0.5)
        Axis limits in probability (0.1 % to 50 %), applied to both axes.
    hull : bool, default=False
        Draw the convex hull of the operating points (the ROCCH, on which
        the marked EER lies) instead of every operating point.
    **line_kw
        Passed to :meth:`matplotlib.axes.Axes.plot` (``color``, ``ls``, ...).

    Returns
    -------
    ax : matplotlib Axes
        Data coordinates are probabilities (0.01 is 1 %), so further points
        can be added with ``ax.plot(p_fa, p_miss, ...)``.

    See Also
    --------
    detection_operating_points : The plotted points.
    sklearn.metrics.DetCurveDisplay : scikit-learn's DET display (no EER mark).

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.metrics import plot_det
    >>> rng = np.random.RandomState(0)
    >>> y = np.r_[np.ones(200), np.zeros(2000)]
    >>> s = np.r_[rng.normal(2, 1, 200), rng.normal(0, 1, 2000)]
    >>> ax = plot_det(y, s, label="system A")
    >>> ax.get_xlabel()
    'False alarm rate (%)'
    """
    from ..analysis._plots import get_axes

    lo, hi = (float(v) for v in lim)
    if not 0 < lo < hi < 1:
        raise ValueError(f"lim must be two probabilities 0 < low < high < 1, got {lim!r}.")
    _, (ax,) = get_axes("plot_det", ax)
    trials = _check_trials(y_true, y_score, pos_label, sample_weight)
    p_fa, p_miss, _ = _operating_points(*trials)
    if hull:
        idx = _rocch(p_fa, p_miss)
        p_fa, p_miss = p_fa[idx], p_miss[idx]
    _set_probit_axes(ax, (lo, hi))
    if mark_eer:
        eer = equal_error_rate(trials[0], trials[1], sample_weight=trials[2])
        if label is not None:
            label = f"{label} (EER {100 * eer:.2f} %)"
    (line,) = ax.plot(p_fa, p_miss, label=label, **line_kw)
    if mark_eer:
        ax.plot([eer], [eer], "o", color=line.get_color(), markersize=5, zorder=line.get_zorder() + 1)
    ax.set_xlabel("False alarm rate (%)")
    ax.set_ylabel("Miss rate (%)")
    ax.grid(True, which="major", alpha=0.4)
    ax.set_aspect("equal", adjustable="box")
    if label is not None:
        ax.legend(loc="upper right")
    return ax
