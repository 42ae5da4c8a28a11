"""Channel bandwidth: a zero-phase Butterworth band-pass (or low-pass) of a waveform."""

from __future__ import annotations

import functools

import numpy as np

from .._audio import finite_samples
from .._docs import fill_doc

__all__ = ["band_limit"]


# lower edges below this are a low-pass: such a high-pass's time constant (seconds) is longer than a zero-phase
# filter can settle on an utterance (0.05 Hz gave a drifting output 60 % louder than the filter's), and no
# microphone or channel cuts there
MIN_LOW_HZ = 20.0


@functools.lru_cache(maxsize=64)
def _butter_sos(sample_rate, low, high, order):
    from scipy.signal import butter

    if low >= MIN_LOW_HZ:
        return butter(order, [low, high], btype="bandpass", output="sos", fs=sample_rate)
    return butter(order, high, btype="lowpass", output="sos", fs=sample_rate)


def check_band(sample_rate, low, high):
    """Validate band edges in Hz; returns ``(low, high)`` as floats, ``low = 0.0`` for a low-pass."""
    nyquist = sample_rate / 2.0
    low = 0.0 if low is None else float(low)
    high = float(high)
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"band edges must be finite, got low={low!r}, high={high!r}.")
    if low < 0.0:
        raise ValueError(f"low must be >= 0 Hz (0 or None: low-pass only), got {low!r}.")
    if not low < high:
        raise ValueError(f"low must be below high, got low={low:g} Hz and high={high:g} Hz.")
    if not high < nyquist:
        raise ValueError(f"high must be below the Nyquist frequency sample_rate / 2 = {nyquist:g} Hz, "
                         f"got {high:g} Hz.")
    return low, high


@fill_doc
def band_limit(y, sample_rate, low, high, order=6):
    """Limit a waveform to the band ``[low, high]`` Hz, as a channel of limited bandwidth does.

    A Butterworth band-pass (a low-pass when ``low`` is 0 or None) of
    ``order``, applied forwards and backwards (:func:`scipy.signal.sosfiltfilt`):
    zero phase, so the output is time-aligned with the input, and the
    magnitude response is the filter's squared (-6 dB at the edges, twice the
    filter's stop-band attenuation in dB). It models microphones, cheap
    loudspeaker-to-microphone paths, wide-band and narrow-band codecs' input
    filters; the full narrow-band telephone chain (8 kHz, G.711) is
    :func:`telephone`.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono waveform.
    sample_rate : int
        Its sample rate.
    low : float or None
        Lower band edge in Hz; 0 or None for a low-pass only (as is an edge
        below 20 Hz: a high-pass that low cannot settle within a recording).
    high : float
        Upper band edge in Hz, below the Nyquist frequency ``sample_rate / 2``.
    order : int, default=6
        Butterworth order (of each pass; a band-pass has twice as many poles).

    %(returns_y_degraded)s

    See Also
    --------
    BandLimit : the transformer, with band edges drawn per recording.
    telephone : the narrow-band telephone channel.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.augment import band_limit
    >>> t = np.arange(16000) / 16000.0
    >>> y = (0.3 * np.sin(2 * np.pi * 1000 * t) + 0.3 * np.sin(2 * np.pi * 6000 * t)).astype("float32")
    >>> out = band_limit(y, 16000, low=300.0, high=3400.0)
    >>> spec = np.abs(np.fft.rfft(out))
    >>> out.shape, out.dtype, bool(spec[1000] > 1000 * spec[6000])
    ((16000,), dtype('float32'), True)
    """
    from scipy.signal import sosfiltfilt

    if int(order) != order or order < 1:
        raise ValueError(f"order must be a positive integer, got {order!r}.")
    low, high = check_band(sample_rate, low, high)
    x = finite_samples(y, "band_limit")
    if x.ndim != 1:
        raise ValueError(f"y must be a 1-D waveform, got shape {x.shape}.")
    if x.size == 0:
        return np.zeros(0, dtype=np.float32)
    sos = _butter_sos(float(sample_rate), low, high, int(order))
    # scipy's default edge padding (its formula), shortened for inputs shorter than it
    trivial = min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    padlen = min(3 * (2 * len(sos) + 1 - trivial), x.size - 1)
    return sosfiltfilt(sos, x, padlen=padlen).astype(np.float32)
