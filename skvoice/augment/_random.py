"""Random-number plumbing shared by the degradations: seeds, generators and parameter ranges."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_generator", "draw", "check_range", "recording_seeds"]

_SEED_MAX = 2 ** 31 - 1


def as_generator(random_state):
    """A :class:`numpy.random.Generator` from None, an int, a RandomState or a Generator."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(_SEED_MAX))
    if random_state is None or isinstance(random_state, numbers.Integral):
        return np.random.default_rng(random_state)
    raise ValueError(f"random_state must be None, an int, a RandomState or a Generator, got {random_state!r}.")


def recording_seeds(random_state, n):
    """One independent seed per recording from a scikit-learn style ``random_state``.

    With an int the seeds (and so every degraded copy) are the same at every
    call; with a RandomState instance they advance from call to call.
    """
    from sklearn.utils import check_random_state

    return check_random_state(random_state).randint(_SEED_MAX, size=n)


def check_range(value, name, *, low=-np.inf, high=np.inf, low_open=False):
    """Validate a number or a ``(low, high)`` range of numbers; return ``(lo, hi)``."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        lo = hi = float(value)
    elif (isinstance(value, (tuple, list)) and len(value) == 2
          and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value)):
        lo, hi = float(value[0]), float(value[1])
        if lo > hi:
            raise ValueError(f"{name}: a range must be (low, high) with low <= high, got {tuple(value)!r}.")
    else:
        raise ValueError(f"{name} must be a number or a (low, high) pair of numbers, got {value!r}.")
    bad_low = lo <= low if low_open else lo < low
    if not (np.isfinite(lo) and np.isfinite(hi)) or bad_low or hi > high:
        bound = f"{'(' if low_open else '['}{low:g}, {high:g}]"
        raise ValueError(f"{name} must lie in {bound}, got {value!r}.")
    return lo, hi


def draw(value, rng):
    """A number: ``value`` itself, or uniform in ``[low, high]`` when ``value`` is a pair."""
    if isinstance(value, (tuple, list)):
        lo, hi = float(value[0]), float(value[1])
        return lo if lo == hi else float(rng.uniform(lo, hi))
    return float(value)
