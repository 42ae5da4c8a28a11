"""Signal levels: active-speech detection, dBFS levels, gain, clipping and silence padding.

Levels are in dB relative to digital full scale (dBFS) of the root-mean-square
amplitude: ``20 * log10(rms)`` for a float waveform whose full scale is 1.0 (a
full-scale square wave is 0 dBFS, a full-scale sine -3.01 dBFS).
"""

from __future__ import annotations

import numpy as np

from .._audio import finite_samples
from .._docs import fill_doc

__all__ = ["active_mask", "signal_level", "set_level", "gain", "clip", "pad_silence"]

# ITU-T P.56 margin between the active speech level and the activity threshold, in dB
P56_MARGIN_DB = 15.9
_FRAME_S = 0.020  # analysis frame for the activity envelope
_HANGOVER_S = 0.200  # P.56 hangover: activity extends this long past the last frame above threshold
_TINY = 1e-20


def _frame_power(y, sample_rate):
    hop = max(1, int(round(_FRAME_S * sample_rate)))
    n_frames = len(y) // hop
    if n_frames == 0:
        return np.empty(0), hop
    frames = np.asarray(y[:n_frames * hop], dtype=np.float64).reshape(n_frames, hop)
    return np.mean(frames ** 2, axis=1), hop


def _dilate(mask, width):
    """Extend every active frame forward by ``width`` frames (the hangover)."""
    if width <= 0 or not mask.any():
        return mask
    counts = np.convolve(mask.astype(np.int32), np.ones(width + 1, dtype=np.int32))[:len(mask)]
    return counts > 0


def active_mask(y, sample_rate):
    """Samples of ``y`` that belong to active speech (a simplified ITU-T P.56 measure).

    The waveform is cut into 20 ms frames. A frame is active when its power
    exceeds a threshold ``c``, and activity is held for a 200 ms hangover after
    each active frame. The threshold is the one for which the mean power over
    the active frames (the *active speech level*) lies 15.9 dB above ``c``, the
    margin of ITU-T P.56 method B; it is found by bisection on ``c``. Signals
    with no such threshold (stationary noise, tones: their level never rises
    15.9 dB above any threshold) and signals shorter than one frame are active
    throughout. Samples after the last whole frame take the last frame's state.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono waveform.
    sample_rate : int
        Its sample rate in Hz.

    Returns
    -------
    mask : ndarray of bool, shape (n_samples,)
        True on active-speech samples. Never all False for a non-silent signal.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.augment import active_mask
    >>> sr = 16000
    >>> rng = np.random.default_rng(0)
    >>> y = np.concatenate([np.zeros(sr), rng.normal(0, 0.1, sr), np.zeros(sr)]).astype("float32")
    >>> mask = active_mask(y, sr)
    >>> float(mask[:sr].mean()), float(mask[sr:2 * sr].mean())
    (0.0, 1.0)
    """
    y = finite_samples(y, "active_mask", dtype=np.float32)
    n = len(y)
    power, hop = _frame_power(y, sample_rate)
    if len(power) == 0 or not np.any(power > 0):
        return np.ones(n, dtype=bool)
    hang = int(round(_HANGOVER_S / _FRAME_S))
    db = 10.0 * np.log10(power + _TINY)

    def margin(c):
        act = _dilate(db > c, hang)
        if not act.any():
            return -np.inf, act
        return 10.0 * np.log10(np.mean(power[act]) + _TINY) - c, act

    lo, hi = float(db.min()) - 1.0, float(db.max())  # margin(lo) is the whole-signal case, margin(hi) = -inf
    m_lo, act_lo = margin(lo)
    if m_lo < P56_MARGIN_DB:
        frames = np.ones(len(power), dtype=bool)
    else:
        act = act_lo
        for _ in range(40):  # bisection to ~1e-10 dB: the highest threshold that still gives the full margin
            mid = 0.5 * (lo + hi)
            m, a = margin(mid)
            if m >= P56_MARGIN_DB:
                lo, act = mid, a
            else:
                hi = mid
        frames = act
    mask = np.repeat(frames, hop)
    if len(mask) < n:
        mask = np.concatenate([mask, np.full(n - len(mask), frames[-1])])
    return mask


def _mean_square(y, reference, sample_rate, mask=None):
    y = np.asarray(y, dtype=np.float64)
    if reference == "active":
        if mask is None:
            mask = active_mask(y, sample_rate)
        return float(np.mean(y[mask] ** 2)) if mask.any() else float(np.mean(y ** 2))
    if reference == "rms":
        return float(np.mean(y ** 2))
    if reference == "peak":
        return float(np.max(np.abs(y)) ** 2)
    raise ValueError(f"reference must be 'active', 'rms' or 'peak', got {reference!r}.")


def signal_level(y, sample_rate=16000, *, reference="active"):
    """Level of a waveform in dBFS.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono waveform (full scale 1.0).
    sample_rate : int, default=16000
        Its sample rate (used by ``reference="active"``).
    reference : {"active", "rms", "peak"}, default="active"
        ``"active"``: RMS over the active-speech samples (:func:`active_mask`);
        ``"rms"``: RMS over the whole signal; ``"peak"``: the largest absolute
        sample.

    Returns
    -------
    level : float
        ``20 * log10(amplitude)``; ``-inf`` for digital silence.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.augment import signal_level
    >>> round(signal_level(np.full(800, 0.1), reference="rms"), 2)
    -20.0
    """
    ms = _mean_square(finite_samples(y, "signal_level"), reference, sample_rate)
    return float(10.0 * np.log10(ms)) if ms > 0 else -np.inf


@fill_doc
def set_level(y, sample_rate=16000, *, level_db=-26.0, reference="active"):
    """Scale a waveform so that its level is ``level_db`` dBFS.

    Parameters
    ----------
    %(y_sample_rate)s
    level_db : float, default=-26.0
        Target level in dBFS (-26 dBFS active level is the ITU-T P.56
        nominal level).
    reference : {"active", "rms", "peak"}, default="active"
        Which level is set (see :func:`signal_level`).

    Returns
    -------
    y : ndarray of float32
        The scaled waveform (not clipped: values beyond +-1 are kept). Digital
        silence is returned unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.augment import set_level, signal_level
    >>> y = set_level(np.random.default_rng(0).normal(size=16000), level_db=-40, reference="rms")
    >>> round(signal_level(y, reference="rms"), 3)
    -40.0
    """
    y = finite_samples(y, "set_level")
    ms = _mean_square(y, reference, sample_rate)
    if ms <= 0:
        return y.astype(np.float32)
    scale = 10.0 ** (level_db / 20.0) / np.sqrt(ms)
    return (y * scale).astype(np.float32)


def gain(y, gain_db):
    """Multiply a waveform by ``10 ** (gain_db / 20)`` (no clipping).

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.augment import gain
    >>> gain(np.array([0.5, -0.25]), -6.0206)
    array([ 0.25 , -0.125], dtype=float32)
    """
    return (finite_samples(y, "gain") * 10.0 ** (gain_db / 20.0)).astype(np.float32)


def clip(y, fraction=0.01):
    """Hard-clip the loudest ``fraction`` of the samples (symmetric clipping, as an overdriven input stage).

    The clipping level is the ``1 - fraction`` quantile of ``|y|``; samples
    beyond it are set to +-level.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono waveform.
    fraction : float in [0, 1), default=0.01
        Share of samples that end up clipped.

    Returns
    -------
    y : ndarray of float32

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.augment import clip
    >>> y = clip(np.linspace(-1, 1, 1001), fraction=0.1)
    >>> float(y.max()), float(np.mean(np.abs(y) >= y.max()))
    (0.9, 0.101)
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"fraction must be in [0, 1), got {fraction!r}.")
    y = finite_samples(y, "clip", dtype=np.float32)
    if fraction == 0.0 or len(y) == 0:
        return y.copy()
    level = float(np.quantile(np.abs(y), 1.0 - fraction))
    return np.clip(y, -level, level).astype(np.float32)


@fill_doc
def pad_silence(y, sample_rate=16000, *, leading=0.0, trailing=0.0, noise_floor_db=None, random_state=None):
    """Add silence before and after a recording, optionally with a white noise floor.

    Parameters
    ----------
    %(y_sample_rate)s
    leading, trailing : float, default=0.0
        Seconds of silence to add (rounded to whole samples:
        ``round(seconds * sample_rate)``).
    noise_floor_db : float or None, default=None
        When given, Gaussian white noise of this RMS level (dBFS) is added to
        the *whole* output, as a recording device's noise floor; ``None``
        keeps digital silence.
    random_state : int, RandomState, Generator or None
        Seeds the noise floor.

    Returns
    -------
    y : ndarray of float32, shape (n_samples + lead + trail,)

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.augment import pad_silence
    >>> pad_silence(np.ones(10), 1000, leading=0.005, trailing=0.002).tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    """
    if leading < 0 or trailing < 0:
        raise ValueError(f"leading and trailing must be >= 0 seconds, got {leading!r} and {trailing!r}.")
    lead, trail = int(round(leading * sample_rate)), int(round(trailing * sample_rate))
    out = np.concatenate([np.zeros(lead), finite_samples(y, "pad_silence"), np.zeros(trail)])
    if noise_floor_db is not None:
        from ._random import as_generator

        out = out + as_generator(random_state).standard_normal(len(out)) * 10.0 ** (noise_floor_db / 20.0)
    return out.astype(np.float32)
