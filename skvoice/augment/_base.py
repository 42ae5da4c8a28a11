"""The base of every degradation transformer: audio in (paths or waveforms), waveforms out."""

from __future__ import annotations

import functools
import hashlib
import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state

from .._audio import read_input
from .._base import AudioEstimatorMixin, AudioOutputMixin, RecordingSetOutputMixin
from .._ragged import as_recording_set
from .._sklearn_compat import Interval
from ._random import check_range

__all__ = ["BaseDegradation", "as_matrix", "coerce_object_matrix"]

_SEED_BYTES = 8


def _base_seed(random_state):
    """One int per ``transform`` call: fixed for an int ``random_state``, fresh for None or a RandomState."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state) & (2 ** 63 - 1)
    return int(check_random_state(random_state).randint(2 ** 31 - 1))


def _item_seed(base, y):
    """Seed of one recording: a hash of the base seed and the recording's samples (decoded, float32).

    A recording's degradation so depends on ``random_state`` and on its audio only: never on the other
    recordings in the batch nor on their order (and so never on ``n_jobs``), nor on where the file is
    stored (a corpus moved to another folder, or passed as decoded waveforms, is degraded the same way).
    """
    h = hashlib.blake2b(digest_size=_SEED_BYTES)
    h.update(int(base).to_bytes(8, "little"))
    # + 0.0 turns -0.0 (which numpy arithmetic makes, a decoder never) into 0.0: equal samples, equal bytes
    h.update((np.ascontiguousarray(y, dtype=np.float32) + np.float32(0.0)).tobytes())
    return int.from_bytes(h.digest(), "little")


def coerce_object_matrix(X):
    """A 2-D object array of numbers becomes float64 (as scikit-learn converts it); anything else is returned as is."""
    if isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 2:
        return X.astype(np.float64)
    return X


def as_matrix(X):
    """``X`` as a 2-D numeric ndarray when it is one in disguise (ndarray, DataFrame, anything with ``__array__``
    that is not a list, tuple or Series), else None. Lists of waveforms stay recording sets."""
    if isinstance(X, (list, tuple, str)) or (hasattr(X, "iloc") and not hasattr(X, "columns")):
        return None
    if not (isinstance(X, np.ndarray) or hasattr(X, "__array__")):
        return None
    try:
        a = np.asarray(X)
    except (TypeError, ValueError):
        return None
    if a.ndim == 2 and (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        return a
    return None


class BaseDegradation(AudioOutputMixin, AudioEstimatorMixin, RecordingSetOutputMixin, TransformerMixin, BaseEstimator):
    """Base class of the degradation transformers (not public API: subclass it to add one).

    Subclasses pass ``sample_rate``, ``random_state`` and ``n_jobs`` on to
    ``super().__init__`` and implement ``_apply(y, rng, context)`` for one float32 waveform,
    may implement ``_prepare(rng)`` (work done once per ``transform`` call, e.g.
    decoding babble talkers; its result is the ``context``) and ``_check_params``;
    they list their number-or-range parameters and bounds in ``_ranges``.

    Input: a sequence of audio file paths (decoded and resampled to
    ``sample_rate``) or of 1-D waveforms at ``sample_rate``; a 2-D numeric array
    is one waveform per row. Output: a 1-D object array of float32 waveforms,
    or a 2-D float32 array when the input was 2-D (and every output row has the
    same length, as all skvoice degradations keep lengths equal).

    Randomness: each recording gets a seed from a hash of ``random_state`` and
    the recording's samples (a file and its decoded waveform are one
    recording, wherever the file is stored). With an int
    ``random_state`` the same recording is always degraded the same way,
    whatever else is in the batch and in whatever order; with ``None`` or a
    ``RandomState`` every call draws afresh.
    """

    _parameter_constraints: dict = {
        "sample_rate": [Interval(numbers.Integral, 1000, None, closed="left")],
        "n_jobs": [numbers.Integral, None],
    }
    #: ``{parameter: (low, high)}``: the parameters that take a number or a ``(low, high)`` range drawn per
    #: recording, and the bounds they must lie in (checked with :func:`~skvoice.augment._random.check_range`)
    _ranges: dict = {}
    # the shared block loop (AudioEstimatorMixin._map_audio) with a fixed policy: a degradation that cannot
    # read a recording raises (AudioError naming it), it never hides it; no progress bar
    on_error = "raise"
    verbose = 0
    _block_size = None
    _requires_fit = False

    def __init__(self, *, sample_rate, random_state, n_jobs):
        # the parameters degradations share, set once here from the subclass's ``__init__`` (which lists all its
        # parameters with their defaults). Not AudioEstimatorMixin's: ``on_error`` and ``verbose`` are fixed
        # class attributes here, not parameters
        self.sample_rate = sample_rate
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ hooks for subclasses
    def _check_params(self):
        """Validate what ``_parameter_constraints`` and ``_ranges`` cannot express (combinations...)."""

    def _prepare(self, rng):
        """Work done once per ``transform`` call; the result is passed to every ``_apply``."""
        return None

    def _apply(self, y, rng, context):  # pragma: no cover - abstract
        raise NotImplementedError

    # ------------------------------------------------------------------ sklearn API
    def _validate(self):
        self._validate_params()
        for name, (low, high) in self._ranges.items():
            check_range(getattr(self, name), name, low=low, high=high)
        self._check_params()

    def fit(self, X=None, y=None):
        """Validate the parameters (degradations learn nothing).

        %(parameters_fit_X_unread)s

        Returns
        -------
        self
        """
        self._validate()
        self._reset_last_call()
        if X is not None:
            self._check_audio(coerce_object_matrix(X))
        return self

    def _one(self, item, index, base, context):
        y = read_input(item, self.sample_rate, index)
        rng = np.random.default_rng(_item_seed(base, y))
        return np.ascontiguousarray(self._apply(y, rng, context), dtype=np.float32)

    def transform(self, X):
        """Degrade each recording.

        %(parameters_X_audio)s

        Returns
        -------
        waveforms : ndarray of object, shape (n_recordings,), or ndarray of float32, shape (n_recordings, n)
            One degraded float32 waveform per recording, at ``sample_rate``
            (a 2-D array when ``X`` was a 2-D array).
        """
        self._validate()
        X = coerce_object_matrix(X)
        two_d = as_matrix(X) is not None
        items = self._check_audio(X)
        base = _base_seed(getattr(self, "random_state", 0))
        context = self._prepare(np.random.default_rng(base))
        results = self._map_audio(items, functools.partial(self._one, base=base, context=context), desc="degrade")
        if two_d and len({len(r) for r in results}) == 1:
            return np.vstack(results).astype(np.float32, copy=False)
        return as_recording_set(results)
