"""Cepstral mean and variance normalisation over a recording set."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import OneToOneFeatureMixin

from .._base import FrameTransformer
from .._docs import fill_doc
from .._ragged import as_recording_set, restore_layout, stack_frames
from .._sklearn_compat import Interval, StrOptions

__all__ = ["CMVN"]


@fill_doc
class CMVN(OneToOneFeatureMixin, FrameTransformer):
    """Cepstral mean (and variance) normalisation of frame features.

    ``mode="global"`` is the study's recipe: per-coefficient mean and standard
    deviation are learned on all *training* frames in ``fit`` and applied to
    any later data. ``mode="per_recording"`` is the speech-standard
    alternative: each recording is normalised with its own statistics, which
    removes channel (microphone/room) effects; it learns nothing.

    Parameters
    ----------
    mode : {"global", "per_recording"}, default="global"
        Where the statistics come from.
    variance : bool, default=True
        Also divide by the standard deviation (CMVN); ``False`` is CMN only.
    eps : float, default=1e-10
        Added to the standard deviation (as in the study) to avoid division
        by zero for constant coefficients.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,) or None
        Training frame mean (``mode="global"``; None otherwise).
    scale_ : ndarray of shape (n_features,) or None
        Training frame standard deviation plus ``eps`` (``mode="global"``
        with ``variance=True``; None otherwise).
    %(frame_features_in_)s

    See Also
    --------
    sklearn.preprocessing.StandardScaler : the same operation on plain 2-D data.

    Notes
    -----
    Input may be a recording set (output is a recording set of the same
    lengths) or a plain 2-D array (output is 2-D). With 2-D input every row is
    a one-frame recording, so ``mode="per_recording"`` maps every row to zeros.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.features import CMVN
    >>> rng = np.random.RandomState(0)
    >>> X = [rng.normal(3, 2, (50, 4)), rng.normal(1, 5, (30, 4))]  # two recordings
    >>> Xt = CMVN().fit_transform(X)
    >>> frames = np.vstack(list(Xt))
    >>> bool(np.allclose(frames.mean(0), 0, atol=1e-6)), bool(np.allclose(frames.std(0), 1, atol=1e-6))
    (True, True)
    """

    _parameter_constraints = {
        "mode": [StrOptions({"global", "per_recording"})],
        "variance": ["boolean"],
        "eps": [Interval(numbers.Real, 0, None, closed="left")],
    }

    def __init__(self, mode="global", *, variance=True, eps=1e-10):
        self.mode = mode
        self.variance = variance
        self.eps = eps

    def _fit_recordings(self, recordings):
        self.mean_ = self.scale_ = None  # a refit never keeps statistics of an earlier setting
        if self.mode == "global":
            frames, _ = stack_frames(recordings)
            self.mean_ = frames.mean(axis=0, dtype=np.float64)
            if self.variance:
                self.scale_ = frames.std(axis=0, dtype=np.float64) + self.eps

    def _transform_recordings(self, recordings, is_2d):
        out = []
        for r in recordings:
            if self.mode == "global":
                mean = self.mean_
                scale = self.scale_ if self.variance else None
            else:
                if r.shape[0] == 0:
                    out.append(r)
                    continue
                mean = r.mean(axis=0, dtype=np.float64)
                scale = r.std(axis=0, dtype=np.float64) + self.eps if self.variance else None
            z = r - mean.astype(r.dtype)
            if scale is not None:
                z /= scale.astype(r.dtype)
            out.append(z)
        return restore_layout(as_recording_set(out), is_2d)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
