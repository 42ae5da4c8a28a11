"""Pool a recording set into one fixed-length vector per recording."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._base import FrameTransformer
from .._docs import fill_doc
from .._ragged import recording_starts, stack_frames
from .._sklearn_compat import check_feature_names_in
from .._validation import check_names

__all__ = ["StatsPooling"]

STATS = ("mean", "std", "var", "min", "max", "median", "skew", "kurtosis", "iqr")


@fill_doc
class StatsPooling(FrameTransformer):
    """Per-recording statistics over frames: recording set -> 2-D array.

    Turns ragged frame features into one row per recording so that *any*
    scikit-learn estimator can follow (logistic regression, SVM, gradient
    boosting...). Statistics are computed in a vectorised way over all frames.

    Parameters
    ----------
    stats : sequence of str, default=("mean", "std")
        Any of ``"mean"``, ``"std"``, ``"var"``, ``"min"``, ``"max"``,
        ``"median"``, ``"skew"``, ``"kurtosis"`` (excess), ``"iqr"``.
        Output columns are grouped by statistic, in this order.

    Attributes
    ----------
    %(frame_features_in_)s

    Notes
    -----
    A recording with zero frames (e.g. a file skipped with ``on_error="skip"``)
    gives a row of NaN, so it is visible rather than silently imputed;
    ``std``/``skew``/``kurtosis`` of a one-frame recording are 0.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.features import StatsPooling
    >>> X = [np.array([[0., 1.], [2., 3.]]), np.array([[4., 4.]])]  # two recordings
    >>> pool = StatsPooling(stats=("mean", "max")).fit(X)
    >>> pool.transform(X)
    array([[1., 2., 2., 3.],
           [4., 4., 4., 4.]])
    >>> pool.get_feature_names_out(["a", "b"]).tolist()
    ['mean_a', 'mean_b', 'max_a', 'max_b']
    """

    _parameter_constraints = {"stats": [list, tuple]}

    def __init__(self, stats=("mean", "std")):
        self.stats = stats

    def _check_stats(self):
        return check_names(self.stats, STATS, param="stats", what="statistic")

    def _fit_recordings(self, recordings):
        self._check_stats()

    def _transform_recordings(self, recs, is_2d):
        """``(n_recordings, len(stats) * n_features)``: the statistics of each recording's frames."""
        stats = self._check_stats()
        frames, lengths = stack_frames(recs)
        dtype = frames.dtype if frames.dtype in (np.float32, np.float64) else np.float64
        return np.hstack([_pool(frames, lengths, recs, s) for s in stats]).astype(dtype, copy=False)

    def get_feature_names_out(self, input_features=None):
        """``<stat>_<feature>`` for each statistic and input feature.

        Parameters
        ----------
        input_features : array-like of str, optional
            Input feature names (e.g. ``MFCCExtractor().get_feature_names_out()``);
            default ``feature_names_in_`` or ``x0 ... x{n-1}``.

        Returns
        -------
        names : ndarray of str objects
        """
        check_is_fitted(self, "n_features_in_")
        names = check_feature_names_in(self, input_features)
        return np.asarray([f"{s}_{n}" for s in self._check_stats() for n in names], dtype=object)


def _pool(frames, lengths, recs, stat):
    n_rec, n_feat = len(lengths), frames.shape[1]
    out = np.full((n_rec, n_feat), np.nan)
    nonempty = lengths > 0
    if not nonempty.any():
        return out
    starts = recording_starts(lengths)[nonempty]
    cnt = lengths[nonempty][:, None].astype(np.float64)
    f = frames.astype(np.float64, copy=False)
    if stat in ("min", "max"):
        ufunc = np.minimum if stat == "min" else np.maximum
        out[nonempty] = ufunc.reduceat(f, starts, axis=0)
        return out
    if stat in ("median", "iqr"):
        for i in np.flatnonzero(nonempty):
            r = recs[i]
            if stat == "median":
                out[i] = np.median(r, axis=0)
            else:
                q1, q3 = np.percentile(r, [25, 75], axis=0)
                out[i] = q3 - q1
        return out
    mean = np.add.reduceat(f, starts, axis=0) / cnt
    if stat == "mean":
        out[nonempty] = mean
        return out
    centred = f - np.repeat(mean, lengths[nonempty], axis=0)
    m2 = np.add.reduceat(centred ** 2, starts, axis=0) / cnt
    if stat == "var":
        out[nonempty] = m2
    elif stat == "std":
        out[nonempty] = np.sqrt(m2)
    else:
        order = 3 if stat == "skew" else 4
        mk = np.add.reduceat(centred ** order, starts, axis=0) / cnt
        with np.errstate(invalid="ignore", divide="ignore"):
            val = mk / m2 ** (order / 2)
        if stat == "kurtosis":
            val = val - 3.0
        out[nonempty] = np.where(m2 > 1e-20, val, 0.0)
    return out
