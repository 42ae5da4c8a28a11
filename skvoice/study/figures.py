"""PNG figures of a run: saved into the output folder and listed (in order) for the report."""

from __future__ import annotations

import os

import numpy as np

__all__ = ["FigureWriter", "use_agg_backend"]


def use_agg_backend():
    """Draw off-screen unless the caller already chose a pyplot backend."""
    import sys

    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")


class FigureWriter:
    """Save figures into ``out_dir``; ``names`` lists the files written, in order."""

    dpi = 110

    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.names = []

    def save(self, fig, name):
        """Save and close ``fig`` as ``name``; return ``name`` (the report links it relatively)."""
        import matplotlib.pyplot as plt

        fig.savefig(os.path.join(self.out_dir, name), dpi=self.dpi, bbox_inches="tight")
        plt.close(fig)
        self.names.append(name)
        return name

    def confusion(self, y_true, y_pred, title, name, labels=None):
        """A confusion matrix of recording predictions (rotated labels and a colour bar for many classes)."""
        from ..analysis import plot_confusion_matrix

        y_true, y_pred = np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object)
        n = len(np.unique(np.concatenate([y_true, y_pred])))
        disp = plot_confusion_matrix(y_true, y_pred, labels=labels,
                                     xticks_rotation="vertical" if n > 4 else "horizontal", colorbar=n > 2)
        disp.ax_.set_title(title, fontsize=9)
        return self.save(disp.figure_, name)
