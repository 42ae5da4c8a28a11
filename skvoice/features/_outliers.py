"""Outlier frames: z-score and IQR rules (the study's EDA), as a transformer and a table."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import pandas as pd
from sklearn.base import OneToOneFeatureMixin

from .._base import FrameTransformer
from .._docs import fill_doc
from .._ragged import as_recording_set, check_recordings, restore_layout, split_frames, stack_frames
from .._sklearn_compat import Interval, StrOptions, validate_params
from .._validation import check_names

__all__ = ["OutlierFilter", "outlier_counts", "AllFramesOutlierWarning"]

DEFAULT_THRESHOLD = {"zscore": 3.0, "iqr": 1.5}
ROW_NAME = {"zscore": "Z-score", "iqr": "IQR"}


class AllFramesOutlierWarning(UserWarning):
    """Every frame of some recordings was an outlier; their least outlying frames were kept."""


@fill_doc
class OutlierFilter(OneToOneFeatureMixin, FrameTransformer):
    """Drop (or clip) outlier frames inside recordings, with bounds learned on training frames.

    A frame is an outlier when *any* coefficient falls outside
    ``[lower_, upper_]``. With ``method="zscore"`` the bounds are
    ``mean ± threshold * std``; with ``method="iqr"`` they are
    ``[Q1 - threshold * IQR, Q3 + threshold * IQR]`` (Tukey's fences) — the
    study's two rules. Recordings are never dropped: the number of recordings
    (and so the alignment with ``y``) is preserved.

    Parameters
    ----------
    method : {"zscore", "iqr"}, default="zscore"
        Outlier rule.
    threshold : float or None, default=None
        Rule parameter; ``None`` uses 3.0 for "zscore" and 1.5 for "iqr".
    action : {"drop", "clip"}, default="drop"
        ``"drop"`` removes outlier frames from each recording (keeping at
        least ``min_frames``); ``"clip"`` clips every coefficient into the
        bounds and keeps all frames.
    min_frames : int, default=1
        With ``action="drop"``, a recording whose inliers are fewer than this
        keeps its ``min_frames`` least outlying frames, and an
        :class:`AllFramesOutlierWarning` names those recordings.

    Attributes
    ----------
    lower_ : ndarray of shape (n_features,)
        Lower bound per coefficient.
    upper_ : ndarray of shape (n_features,)
        Upper bound per coefficient.
    %(frame_features_in_)s

    See Also
    --------
    outlier_counts : the study's per-coefficient outlier table.

    Notes
    -----
    With plain 2-D input every row is a one-frame recording, so
    ``action="drop"`` cannot remove anything (and warns about nothing); use
    ``action="clip"`` there.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.features import OutlierFilter
    >>> rng = np.random.RandomState(0)
    >>> X = [rng.normal(size=(100, 3)), rng.normal(size=(100, 3))]  # two recordings
    >>> X[1][:5] += 50  # five wild frames
    >>> Xt = OutlierFilter(method="iqr").fit_transform(X)
    >>> [len(r) for r in X], [len(r) < 100 for r in Xt]
    ([100, 100], [True, True])
    """

    _parameter_constraints = {
        "method": [StrOptions({"zscore", "iqr"})],
        "threshold": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "action": [StrOptions({"drop", "clip"})],
        "min_frames": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(self, method="zscore", *, threshold=None, action="drop", min_frames=1):
        self.method = method
        self.threshold = threshold
        self.action = action
        self.min_frames = min_frames

    _fitted_attribute = "lower_"

    def _fit_recordings(self, recordings):
        frames, _ = stack_frames(recordings)
        self.lower_, self.upper_ = _bounds(frames, self.method, self._threshold())

    def _threshold(self):
        return DEFAULT_THRESHOLD[self.method] if self.threshold is None else float(self.threshold)

    def _excess(self, frames):
        """How far outside the bounds each frame lies, in units of the bound width (0 = inlier)."""
        width = np.maximum(self.upper_ - self.lower_, 1e-12)
        below = (self.lower_ - frames) / width
        above = (frames - self.upper_) / width
        return np.maximum(np.maximum(below, above), 0).max(axis=1)

    def _transform_recordings(self, recs, is_2d):
        """Remove or clip outlier frames (same number of recordings as the input)."""
        if self.action == "clip":
            out = [np.clip(r, self.lower_.astype(r.dtype), self.upper_.astype(r.dtype)) for r in recs]
            return restore_layout(as_recording_set(out), is_2d)
        if is_2d:
            return restore_layout(recs, is_2d)
        frames, lengths = stack_frames(recs)
        excess = self._excess(frames) if len(frames) else np.empty(0)
        out, kept_all_outliers = [], []
        for i, (r, e) in enumerate(zip(recs, split_frames(excess, lengths))):
            keep = e == 0
            if keep.sum() < min(self.min_frames, len(r)):
                order = np.argsort(e, kind="stable")[: self.min_frames]
                keep = np.zeros(len(r), dtype=bool)
                keep[order] = True
                kept_all_outliers.append(i)
            out.append(r[keep])
        if kept_all_outliers:
            shown = ", ".join(map(str, kept_all_outliers[:20]))
            warnings.warn(
                f"OutlierFilter: {len(kept_all_outliers)} recording(s) had fewer than min_frames="
                f"{self.min_frames} inlier frame(s); their least outlying frames were kept "
                f"(recording indices: {shown}{' ...' if len(kept_all_outliers) > 20 else ''}).",
                AllFramesOutlierWarning, stacklevel=2)
        return as_recording_set(out)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _bounds(frames, method, threshold):
    frames = np.asarray(frames, dtype=np.float64)
    if method == "zscore":
        mean, std = frames.mean(axis=0), frames.std(axis=0, ddof=1) if len(frames) > 1 else np.zeros(frames.shape[1])
        return mean - threshold * std, mean + threshold * std
    q1, q3 = np.percentile(frames, [25, 75], axis=0)
    iqr = q3 - q1
    return q1 - threshold * iqr, q3 + threshold * iqr


@validate_params({"X": ["array-like"], "method": [StrOptions(set(DEFAULT_THRESHOLD)), list, tuple],
                  "threshold": [Interval(numbers.Real, 0, None, closed="neither"), None],
                  "feature_names": ["array-like", None]}, prefer_skip_nested_validation=True)
def outlier_counts(X, method="zscore", *, threshold=None, feature_names=None):
    """Count outlier frames per coefficient (the study's Task 1 table).

    Parameters
    ----------
    X : recording set or array-like of shape (n_frames, n_features)
        Frame features (recordings are pooled: the statistics are over frames).
    method : {"zscore", "iqr"} or list of them, default="zscore"
        Rule(s); a list gives one row per rule, in its order (no duplicates).
    threshold : float or None, default=None
        Rule parameter (default 3.0 for z-score, 1.5 for IQR), as in the study.
    feature_names : list of str, optional
        Column names; default ``MFCC_0 ... MFCC_{n-1}`` like the study.

    Returns
    -------
    counts : pandas.DataFrame
        One row per method (``"Z-score"``, ``"IQR"``), one column per
        coefficient, plus ``any`` (frames flagged by at least one coefficient)
        and ``n_frames``.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.features import outlier_counts
    >>> frames = np.random.RandomState(0).standard_normal((10000, 3))
    >>> table = outlier_counts(frames, ["zscore", "iqr"])
    >>> table.index.tolist(), int(table.loc["IQR", "n_frames"])
    (['Z-score', 'IQR'], 10000)
    """
    methods = check_names(method, DEFAULT_THRESHOLD, param="method", what="outlier method")
    recs, _ = check_recordings(X, dtype=None, ensure_min_frames=0)
    frames, _ = stack_frames(recs)
    if len(frames) == 0:
        raise ValueError("outlier_counts: the recording set has no frames at all (were all recordings skipped?).")
    n_features = frames.shape[1]
    names = list(feature_names) if feature_names is not None else [f"MFCC_{i}" for i in range(n_features)]
    if len(names) != n_features:
        raise ValueError(f"feature_names has {len(names)} names for {n_features} features.")
    rows, index = [], []
    for m in methods:
        t = DEFAULT_THRESHOLD[m] if threshold is None else float(threshold)
        lower, upper = _bounds(frames, m, t)
        flags = (frames < lower) | (frames > upper)
        rows.append(list(flags.sum(axis=0)) + [int(flags.any(axis=1).sum()), len(frames)])
        index.append(ROW_NAME[m])
    return pd.DataFrame(rows, index=index, columns=names + ["any", "n_frames"]).astype(np.int64)
