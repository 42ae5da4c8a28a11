"""Recording-set helpers: the one place that knows the ragged data model.

A *recording set* is a 1-D numpy object array of length ``n_recordings`` whose
items are 2-D float arrays ``(n_frames_i, n_features)``. A plain 2-D numeric
array is accepted everywhere a recording set is: each row is then a one-frame
recording. Estimators never re-implement these helpers.
"""

from __future__ import annotations

import numbers
import os

import numpy as np
from scipy import sparse

from ._sklearn_compat import is_arraylike_not_scalar, safe_indexing, sklearn_num_samples

__all__ = [
    "as_recording_set",
    "NamedRecordingSet",
    "with_feature_names",
    "rows_or_nan",
    "unit_vector",
    "check_recordings",
    "check_audio_input",
    "stack_frames",
    "split_frames",
    "frame_owner",
    "lengths_of",
    "recording_starts",
    "segment_mean",
    "check_recording_targets",
    "subsample_frames",
    "take_rows",
]


def as_recording_set(items, *, missing=None):
    """Build a 1-D object array from a list of arrays without numpy broadcasting them.

    ``np.array([a, b])`` would build a 3-D array when ``a`` and ``b`` share a shape;
    this never does. Items that are None (recordings that failed) become ``missing``
    (e.g. one 0-row array).
    """
    items = list(items)
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = missing if item is None else item
    return out


class NamedRecordingSet(np.ndarray):
    """A recording set (1-D object array) that also carries ``feature_names``, the names of its frames' columns.

    A frame step's output carries them to the next step, which takes them as ``feature_names_in_`` at fit: a
    DataFrame made after pooling (``set_output(transform="pandas")``) then has the columns that
    ``Pipeline.get_feature_names_out`` gives (``mean_mfcc_0``, not ``mean_x0``). Indexing keeps the names;
    anything that makes a new plain array (``np.asarray``, ``np.concatenate``) drops them, and a step that
    receives no names counts its columns ``x0 ... x{n-1}`` as before.
    """

    feature_names = None

    def __array_finalize__(self, obj):
        self.feature_names = getattr(obj, "feature_names", None)


def with_feature_names(recordings, names):
    """A recording set of frames that carries the names of its columns to the next step.

    skvoice's frame transformers (:class:`~skvoice.features.MFCCExtractor`,
    :class:`~skvoice.features.CMVN`, ...) return their recording sets this
    way; a third-party transformer with ragged output can do the same. A
    frame step fitted on it takes the names as ``feature_names_in_``, so
    that after :class:`~skvoice.features.StatsPooling` the columns of a
    DataFrame (``set_output(transform="pandas")``) are the ones
    ``Pipeline.get_feature_names_out`` gives.

    Parameters
    ----------
    recordings : ndarray of object, shape (n_recordings,)
        One 2-D array of frames per recording (all with ``len(names)``
        columns).
    names : array-like of str
        The name of each column.

    Returns
    -------
    named : NamedRecordingSet
        A view of ``recordings`` (a 1-D object array) with a
        ``feature_names`` attribute. Indexing keeps it; anything that makes a
        new plain array (``np.asarray``, ``np.concatenate``) drops it.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.features import StatsPooling
    >>> from skvoice.utils import with_feature_names
    >>> X = np.empty(2, dtype=object)
    >>> X[0], X[1] = np.ones((5, 2)), np.zeros((3, 2))
    >>> pool = StatsPooling(stats=("mean",)).fit(with_feature_names(X, ["energy", "zcr"]))
    >>> pool.get_feature_names_out().tolist()
    ['mean_energy', 'mean_zcr']
    """
    out = np.asarray(recordings, dtype=object).view(NamedRecordingSet)
    out.feature_names = np.asarray(names, dtype=object).copy()
    return out


def _feature_names_of(X, n_features):
    """The ``feature_names`` a recording set carries, when there is one per column; else None."""
    names = getattr(X, "feature_names", None)
    if names is None or len(names) != n_features or not all(isinstance(n, str) for n in names):
        return None
    return np.asarray(names, dtype=object).copy()


def rows_or_nan(rows, n_columns, *, dtype=np.float64, row=None):
    """One row per recording as a ``(len(rows), n_columns)`` array; NaN rows where ``rows`` holds None (failed).

    ``row``, when given, maps each non-None entry to its row first (e.g. :func:`unit_vector`).
    """
    out = np.full((len(rows), n_columns), np.nan, dtype=dtype)
    for i, r in enumerate(rows):
        if r is not None:
            out[i] = r if row is None else row(r)
    return out


def unit_vector(v):
    """``v`` divided by its L2 norm (a zero vector stays zero)."""
    return v / max(np.linalg.norm(v), 1e-12)


def _is_ragged_container(X):
    if isinstance(X, np.ndarray):
        return X.dtype == object and X.ndim == 1
    return isinstance(X, (list, tuple)) or hasattr(X, "iloc")


def check_recordings(X, *, dtype=np.float32, n_features=None, ensure_min_frames=1, estimator=None,
                     reset=True):
    """Validate a recording set (ragged or 2-D) of frame features.

    Parameters
    ----------
    X : recording set or array-like of shape (n_recordings, n_features)
        Ragged input (1-D object array, list or pandas Series of 2-D arrays)
        or a plain 2-D numeric array (one frame per recording).
    dtype : numpy dtype, default=np.float32
        dtype of the returned frames (float64 input stays float64 when
        ``dtype=None``).
    n_features : int or None
        Expected number of features per frame; checked when given.
    ensure_min_frames : int, default=1
        Each recording must have at least this many frames (0 allows empty
        recordings, e.g. files skipped by ``on_error="skip"``).
    estimator : object, optional
        Used in error messages.

    Returns
    -------
    recordings : ndarray of object, shape (n_recordings,)
        Items are C-contiguous 2-D float arrays.
    is_2d : bool
        True when the input was a plain 2-D array (callers then return 2-D).
    """
    name = type(estimator).__name__ if estimator is not None else "skvoice"
    if hasattr(X, "iloc") and not hasattr(X, "columns"):  # pandas Series of arrays
        X = list(X)
    if isinstance(X, np.ndarray) and X.dtype != object or (
        hasattr(X, "columns") or (not _is_ragged_container(X))
    ):
        from sklearn.utils import check_array

        arr = check_array(X, dtype=[np.float64, np.float32] if dtype is None else dtype,
                          ensure_2d=True, ensure_all_finite=True, estimator=estimator)
        if n_features is not None and arr.shape[1] != n_features:
            raise ValueError(
                f"X has {arr.shape[1]} features, but {name} is expecting {n_features} features as input."
            )
        return as_recording_set(arr[i:i + 1] for i in range(arr.shape[0])), True

    items = list(X)
    if len(items) == 0:
        raise ValueError(f"{name}: found an empty recording set (0 recordings); at least 1 is required.")
    # a list of plain numbers/1-D rows of equal length is a 2-D array in disguise
    if (all(np.ndim(it) == 1 for it in items)
            and not any(isinstance(it, (str, os.PathLike)) for it in items)
            and len({np.shape(it)[0] for it in items}) == 1):
        return check_recordings(np.asarray(items), dtype=dtype, n_features=n_features,
                                ensure_min_frames=ensure_min_frames, estimator=estimator)
    out = np.empty(len(items), dtype=object)
    width = n_features
    for i, item in enumerate(items):
        if isinstance(item, (str, os.PathLike)):
            raise TypeError(
                f"{name}: recording {i} is a file path ({item!r}); this step expects frame features. "
                "Put a feature extractor such as MFCCExtractor before it."
            )
        a = np.asarray(item)
        if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
            raise ValueError(f"{name}: recording {i} is not numeric (dtype {a.dtype}).")
        if a.ndim == 1:
            a = a.reshape(1, -1) if a.size else a.reshape(0, width or 0)
        if a.ndim != 2:
            raise ValueError(
                f"{name}: recording {i} must be a 2-D array (n_frames, n_features), got shape {a.shape}."
            )
        if width is None:
            width = a.shape[1]
        elif a.shape[1] != width:
            what = "is expecting" if n_features is not None else "found"
            raise ValueError(
                f"X has {a.shape[1]} features in recording {i}, but {name} {what} {width} features "
                f"(recordings must share the feature dimension)."
            )
        if a.shape[0] < ensure_min_frames:
            raise ValueError(
                f"{name}: recording {i} has {a.shape[0]} frame(s); at least {ensure_min_frames} required "
                "(was its audio empty, too short, or skipped on error?)."
            )
        target = a.dtype if dtype is None and a.dtype in (np.float32, np.float64) else (dtype or np.float64)
        a = np.ascontiguousarray(a, dtype=target)
        if not np.isfinite(a).all():
            raise ValueError(f"{name}: recording {i} contains NaN or infinity.")
        out[i] = a
    if width == 0:
        raise ValueError(f"{name}: 0 feature(s) (shape=(.., 0)) while a minimum of 1 is required.")
    return out, False


def check_audio_input(X, *, estimator=None):
    """Validate raw audio input: a 1-D sequence of paths or 1-D waveforms.

    A 2-D numeric array is read as one waveform per row (validated like
    scikit-learn arrays: finite, real, dense). Returns a list.
    """
    import scipy.sparse as sp

    name = type(estimator).__name__ if estimator is not None else "skvoice"
    if isinstance(X, (str, os.PathLike)):
        raise TypeError(
            f"{name} expects a sequence of recordings (file paths or waveforms), got a single path {X!r}; "
            "wrap it in a list."
        )
    if sp.issparse(X):
        raise TypeError(f"{name}: sparse input is not supported; pass audio paths or dense waveforms.")
    if hasattr(X, "columns"):
        if X.shape[1] != 1:
            if all(np.issubdtype(t, np.number) for t in X.dtypes):
                X = X.to_numpy()
            else:
                raise ValueError(f"{name}: a DataFrame input must have one column of paths/waveforms.")
        else:
            X = X.iloc[:, 0]
    if hasattr(X, "iloc"):
        X = X.tolist()
    if not isinstance(X, (list, tuple, np.ndarray)) and hasattr(X, "__array__"):
        X = np.asarray(X)
    if isinstance(X, np.ndarray) and X.dtype != object:
        if X.ndim == 1 and np.issubdtype(X.dtype, np.number):
            raise ValueError(
                f"{name}: expected a sequence of recordings, got a 1-D numeric array (a single waveform?). "
                "Reshape your data: pass [waveform] for one recording, or a 2-D array with one waveform per row.")
        if X.ndim == 2 and (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
            from sklearn.utils import check_array

            from ._audio import pcm_to_float

            X = check_array(pcm_to_float(X), dtype=[np.float32, np.float64], ensure_all_finite=True,
                            estimator=estimator, ensure_min_samples=1)
            return [row for row in X]
        if X.ndim == 0:
            raise TypeError(f"{name} expects a sequence of recordings, got a 0-d array.")
        if X.ndim > 2:
            raise ValueError(f"{name}: audio input must be 1-D (recordings) or 2-D (one waveform per row).")
        X = X.ravel()
    try:
        items = list(X)
    except TypeError:
        raise TypeError(
            f"{name} expects a sequence of recordings (file paths or waveforms), got {type(X).__name__}."
        ) from None
    if len(items) == 0:
        raise ValueError(f"{name}: found an empty recording set (0 recordings); at least 1 is required.")
    for i, it in enumerate(items):
        if isinstance(it, numbers.Number):
            raise ValueError(
                f"{name}: item {i} is a single number; expected a file path or a 1-D waveform per recording. "
                "Pass a list of waveforms, or a 2-D array with one waveform per row.")
        if isinstance(it, np.ndarray) and np.iscomplexobj(it):
            raise ValueError(f"Complex data not supported: {name} recording {i} is a complex array; "
                             "waveforms must be real.")
        if isinstance(it, np.ndarray) and not (np.issubdtype(it.dtype, np.number) or it.dtype in (bool, object)):
            raise ValueError(f"{name}: recording {i} is neither a file path nor a numeric waveform "
                             f"(dtype {it.dtype}).")
    return items


def num_samples(X):
    """Number of samples (recordings or rows) of ``X``: a sequence, an array, a DataFrame or a sparse matrix."""
    if sparse.issparse(X):
        return X.shape[0]
    try:
        return len(X)
    except TypeError:
        return np.asarray(X).shape[0]


def take_rows(values, index):
    """Rows ``index`` of a per-sample array-like (numpy, pandas, list), keeping its type where possible."""
    try:
        return safe_indexing(values, index)
    except (TypeError, ValueError, KeyError):
        return np.asarray(values)[index]


def is_per_sample(value, n):
    """Whether a fit parameter holds one entry per sample: an array-like of length ``n`` (not a string or dict)."""
    if isinstance(value, (str, bytes, dict)) or not is_arraylike_not_scalar(value):
        return False
    try:
        return sklearn_num_samples(value) == n
    except TypeError:  # an object with a shape or __array__ but no length
        return False


def take_params(params, n, index):
    """Fit parameters for the samples ``index`` of ``n``: per-sample array-likes indexed, the others unchanged.

    The rule of :func:`sklearn.model_selection.cross_validate`, for estimators
    that fit wrapped estimators on parts or repeats of their samples.
    """
    return {k: (take_rows(v, index) if is_per_sample(v, n) else v) for k, v in params.items()}


def lengths_of(recordings):
    """Number of frames of each recording (int64 array)."""
    return np.fromiter((r.shape[0] for r in recordings), dtype=np.int64, count=len(recordings))


def stack_frames(recordings):
    """Concatenate frames of all recordings.

    Returns
    -------
    frames : ndarray of shape (sum(n_frames_i), n_features)
    lengths : ndarray of shape (n_recordings,)
    """
    lengths = lengths_of(recordings)
    if len(recordings) == 0:
        return np.empty((0, 0), dtype=np.float32), lengths
    frames = np.concatenate(list(recordings), axis=0)
    return frames, lengths


def recording_starts(lengths):
    """Index of each recording's first frame in the stacked frames (``stack_frames`` order)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64) if len(lengths) else lengths


def split_frames(frames, lengths):
    """Inverse of :func:`stack_frames`: a recording set of views into ``frames``."""
    bounds = np.cumsum(lengths)[:-1]
    return as_recording_set(np.split(frames, bounds, axis=0))


def frame_owner(lengths):
    """Index of the recording that owns each stacked frame."""
    return np.repeat(np.arange(len(lengths)), lengths)


def segment_mean(values, lengths):
    """Per-recording mean of stacked ``values`` (frames on axis 0); NaN for empty recordings."""
    values = np.asarray(values)
    lengths = np.asarray(lengths)
    out_shape = (len(lengths),) + values.shape[1:]
    sums = np.zeros(out_shape, dtype=np.float64)
    nonempty = lengths > 0
    if nonempty.any():
        starts = recording_starts(lengths)[nonempty]
        sums[nonempty] = np.add.reduceat(values.astype(np.float64, copy=False), starts, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / lengths.reshape((-1,) + (1,) * (values.ndim - 1))


def require_frames(recordings, estimator):
    """For fits that take 0-frame recordings (skipped on error, they contribute nothing): at least one frame."""
    if not any(len(r) for r in recordings):
        raise ValueError(f"{type(estimator).__name__}: none of the {len(recordings)} recordings has any frames "
                         "(was their audio empty, too short, or skipped on error?).")


def validate_recordings(estimator, X, *, reset, ensure_min_frames=1):
    """Validate frame features for an estimator and record/check ``n_features_in_``.

    Plain 2-D input goes through scikit-learn's ``validate_data`` (so feature
    names, ``n_features_in_`` and the standard error messages behave exactly as
    in scikit-learn); ragged input through :func:`check_recordings`.
    Float32/float64 are preserved; anything else becomes float64.

    Returns ``(recordings, is_2d)``.
    """
    from sklearn.utils.validation import validate_data

    if isinstance(X, np.ndarray) and X.dtype != object or hasattr(X, "columns") or not _is_ragged_container(X):
        arr = validate_data(estimator, X, reset=reset, dtype=[np.float64, np.float32])
        return as_recording_set(arr[i:i + 1] for i in range(arr.shape[0])), True
    expected = None if reset else getattr(estimator, "n_features_in_", None)
    recs, is_2d = check_recordings(X, dtype=None, n_features=expected, ensure_min_frames=ensure_min_frames,
                                   estimator=estimator)
    if is_2d:  # a list of equal-length rows: validate like a 2-D array
        return validate_recordings(estimator, np.vstack(list(recs)), reset=reset)
    if reset:
        estimator.n_features_in_ = int(recs[0].shape[1])
        names = _feature_names_of(X, estimator.n_features_in_)
        if names is not None:  # the previous step's column names (NamedRecordingSet)
            estimator.feature_names_in_ = names
        elif hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
    return recs, False


def restore_layout(recordings, is_2d):
    """Return 2-D output for 2-D input, a recording set otherwise."""
    if is_2d:
        return np.vstack(list(recordings)) if len(recordings) else np.empty((0, 0))
    return recordings


def check_recording_targets(recordings, y, estimator):
    """Validate ``y`` (one classification label per recording) against a recording set (or its lengths)."""
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import column_or_1d

    if y is None:
        raise ValueError(f"{type(estimator).__name__} requires y to be passed, but the target y is None.")
    y = column_or_1d(y, warn=True)
    if len(y) != len(recordings):
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: X has {len(recordings)} recordings, "
            f"y has {len(y)} labels (one label per recording is expected)."
        )
    check_classification_targets(y)
    return y


def subsample_frames(lengths, max_frames, random_state):
    """Indices of at most ``max_frames`` randomly chosen frames per recording (sorted, stacked order).

    ``None`` when no recording has more than ``max_frames`` frames (keep them all).
    """
    from sklearn.utils import check_random_state

    if max_frames is None or lengths.max(initial=0) <= max_frames:
        return None
    rng = check_random_state(random_state)
    keep = []
    for s, n in zip(recording_starts(lengths), lengths):
        keep.append(s + (np.sort(rng.choice(n, max_frames, replace=False)) if n > max_frames else np.arange(n)))
    return np.concatenate(keep)
