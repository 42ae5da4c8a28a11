"""Shared matplotlib helpers for the analysis plots (no pyplot import at module load)."""

from __future__ import annotations

import numpy as np

__all__ = ["check_matplotlib", "get_axes", "category_colors"]


def check_matplotlib(caller):
    """Import pyplot, or raise an ImportError naming the plotting function."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is a core dependency
        raise ImportError(f"{caller} requires matplotlib; install it with `pip install matplotlib`.") from exc
    return plt


def get_axes(caller, ax=None, *, n=1, figsize=None):
    """Return ``(figure, [axes...])``: the caller's ``ax`` (an Axes or ``n`` Axes) or new ones.

    Raises a ValueError when ``ax`` does not hold exactly ``n`` Axes.
    """
    plt = check_matplotlib(caller)
    if ax is None:
        fig, axes = plt.subplots(1, n, figsize=figsize, squeeze=False)
        return fig, list(axes.ravel())
    from matplotlib.axes import Axes

    axes = [ax] if isinstance(ax, Axes) else list(np.ravel(np.asarray(ax, dtype=object)))
    if len(axes) != n or not all(isinstance(a, Axes) for a in axes):
        what = "a matplotlib Axes" if n == 1 else f"a sequence of {n} matplotlib Axes"
        raise ValueError(f"{caller}: ax must be {what}, got {ax!r}.")
    return axes[0].figure, axes


def category_colors(n):
    """``n`` distinct colours: tab10/tab20 when they suffice, else evenly spaced hues."""
    from matplotlib import colormaps

    if n <= 10:
        return [colormaps["tab10"](i) for i in range(n)]
    if n <= 20:
        return [colormaps["tab20"](i) for i in range(n)]
    return [colormaps["hsv"](i / n) for i in range(n)]
