"""Narrow-band telephone channel: 300-3400 Hz band-pass, 8 kHz sampling, G.711 companding."""

from __future__ import annotations

import functools

import numpy as np

from .._audio import finite_samples, resample
from .._docs import fill_doc

__all__ = ["g711_encode", "g711_decode", "telephone", "TELEPHONE_RATE", "TELEPHONE_BAND"]

TELEPHONE_RATE = 8000
TELEPHONE_BAND = (300.0, 3400.0)

# segment end points of the 8 G.711 segments (ITU-T G.711 tables 1a/2a), in the law's linear domain:
# mu-law works on 14-bit magnitudes (after adding the bias 33), A-law on 13-bit magnitudes
_MU_SEG_END = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])
_A_SEG_END = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])
_MU_BIAS = 0x84  # 132 in the 16-bit domain (33 in the 14-bit domain)
_MU_CLIP = 8159  # largest 14-bit magnitude mu-law represents


def _to_pcm16(y):
    return np.clip(np.round(finite_samples(y, "g711_encode") * 32768.0), -32768, 32767).astype(np.int32)


def g711_encode(y, law="mu"):
    """Encode a float waveform (full scale 1.0) to 8-bit G.711 codes.

    The waveform is first quantised to 16-bit PCM, then compressed with the
    segmented (piecewise-linear) mu-law or A-law of ITU-T G.711: 8 segments
    of 16 steps per polarity, sign bit and the standard's bit inversions (the
    codes are the bytes a G.711 ``.ul``/``.al`` stream carries).

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Waveform, normally at 8 kHz.
    law : {"mu", "a"}, default="mu"
        mu-law (North America, Japan) or A-law (Europe, most other countries).

    Returns
    -------
    codes : ndarray of uint8

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.augment import g711_decode, g711_encode
    >>> codes = g711_encode(np.array([0.0, 0.5, -0.5]), law="mu")
    >>> codes.tolist(), [round(float(v), 3) for v in g711_decode(codes, law="mu")]
    ([255, 143, 15], [0.0, 0.512, -0.512])
    """
    pcm = _to_pcm16(y)
    if law == "mu":
        v = pcm >> 2  # 14-bit
        mask = np.where(v < 0, 0x7F, 0xFF)
        mag = np.minimum(np.abs(v), _MU_CLIP) + (_MU_BIAS >> 2)
        seg = np.searchsorted(_MU_SEG_END, mag, side="left")  # first segment whose end >= mag
        mant = (mag >> (np.minimum(seg, 7) + 1)) & 0xF
        code = np.where(seg >= 8, 0x7F, (seg << 4) | mant)
        return (code ^ mask).astype(np.uint8)
    if law == "a":
        v = pcm >> 3  # 13-bit
        neg = v < 0
        mask = np.where(neg, 0x55, 0xD5)
        mag = np.where(neg, -v - 1, v)
        seg = np.searchsorted(_A_SEG_END, mag, side="left")
        segc = np.minimum(seg, 7)
        mant = np.where(segc < 2, mag >> 1, mag >> np.maximum(segc, 1)) & 0xF
        code = np.where(seg >= 8, 0x7F, (segc << 4) | mant)
        return (code ^ mask).astype(np.uint8)
    raise ValueError(f"law must be 'mu' or 'a', got {law!r}.")


def g711_decode(codes, law="mu"):
    """Decode 8-bit G.711 codes to a float32 waveform (full scale 1.0); see :func:`g711_encode`."""
    c = np.asarray(codes).astype(np.int32)
    if law == "mu":
        u = ~c & 0xFF
        t = (((u & 0x0F) << 3) + _MU_BIAS) << ((u & 0x70) >> 4)
        pcm = np.where(u & 0x80, _MU_BIAS - t, t - _MU_BIAS)
    elif law == "a":
        a = c ^ 0x55
        t = (a & 0x0F) << 4
        seg = (a & 0x70) >> 4
        t = np.where(seg == 0, t + 8, t + 0x108)
        t = np.where(seg > 1, t << np.maximum(seg - 1, 0), t)
        pcm = np.where(a & 0x80, t, -t)
    else:
        raise ValueError(f"law must be 'mu' or 'a', got {law!r}.")
    return (pcm / 32768.0).astype(np.float32)


@functools.lru_cache(maxsize=8)
def _bandpass_fir(sample_rate, low, high, attenuation_db=60.0, transition_hz=200.0):
    """Linear-phase Kaiser-window FIR band-pass (odd length, so ``mode='same'`` convolution has no delay)."""
    from scipy.signal import firwin, kaiserord

    nyq = sample_rate / 2.0
    numtaps, beta = kaiserord(attenuation_db, transition_hz / nyq)
    numtaps |= 1
    # the cut-offs sit half a transition band outside the pass band, so 300-3400 Hz passes flat
    # and everything beyond high + transition (3.6 kHz) is attenuated by >= attenuation_db
    lo = max(low - transition_hz / 2.0, 1.0)
    hi = min(high + transition_hz / 2.0, nyq - 1.0)
    return firwin(numtaps, [lo, hi], window=("kaiser", beta), pass_zero=False, fs=sample_rate)


def _bandpass(y, sample_rate, band):
    from scipy.signal import fftconvolve

    return fftconvolve(y, _bandpass_fir(int(sample_rate), float(band[0]), float(band[1])), mode="same")


@fill_doc
def telephone(y, sample_rate=16000, *, law="mu", band=TELEPHONE_BAND):
    """Pass a waveform through a narrow-band telephone channel and back to ``sample_rate``.

    The chain is the one of a digital (PSTN / ISDN) voice channel:

    1. resample to 8 kHz (soxr, high quality);
    2. transmit filter: band-pass ``band`` (default 300-3400 Hz, the ITU-T
       G.712 voice band), a linear-phase Kaiser FIR with >= 60 dB stop-band
       attenuation 200 Hz outside the band;
    3. G.711 companding (:func:`g711_encode` / :func:`g711_decode`, 8 bits
       per sample, 64 kbit/s), or none with ``law=None``;
    4. receive filter (the same band-pass), which removes the quantisation
       noise outside the band;
    5. resample back to ``sample_rate``; the output has the input's length
       and is time-aligned with it (the filters are zero-phase).

    The output has no energy above ~3.6 kHz and below ~100 Hz.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono waveform (full scale 1.0; louder samples are clipped by the
        16-bit/G.711 quantiser, as in a real channel).
    sample_rate : int, default=16000
        Its sample rate.
    law : {"mu", "a"} or None, default="mu"
        G.711 companding law, or None for band-limiting only.
    band : (float, float), default=(300.0, 3400.0)
        Pass band in Hz (at most 3800 Hz).

    %(returns_y_degraded)s

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.augment import telephone
    >>> t = np.arange(16000) / 16000.0
    >>> y = (0.3 * np.sin(2 * np.pi * 1000 * t) + 0.3 * np.sin(2 * np.pi * 6000 * t)).astype("float32")
    >>> spec = np.abs(np.fft.rfft(telephone(y, 16000)))
    >>> bool(spec[1000] > 1000 * spec[6000])
    True
    """
    low, high = float(band[0]), float(band[1])
    if not 0.0 <= low < high <= TELEPHONE_RATE / 2 - 200.0:
        raise ValueError(f"band must be (low, high) with 0 <= low < high <= {TELEPHONE_RATE / 2 - 200:g} Hz, "
                         f"got {band!r}.")
    if law not in ("mu", "a", None):
        raise ValueError(f"law must be 'mu', 'a' or None, got {law!r}.")
    x = finite_samples(y, "telephone", dtype=np.float32)
    n = len(x)
    narrow = resample(x, sample_rate, TELEPHONE_RATE).astype(np.float64)
    narrow = _bandpass(narrow, TELEPHONE_RATE, (low, high))
    if law is not None:
        narrow = g711_decode(g711_encode(narrow, law), law).astype(np.float64)
    narrow = _bandpass(narrow, TELEPHONE_RATE, (low, high))
    out = resample(narrow.astype(np.float32), TELEPHONE_RATE, sample_rate)
    if len(out) >= n:
        return np.ascontiguousarray(out[:n], dtype=np.float32)
    return np.concatenate([out, np.zeros(n - len(out), dtype=np.float32)])
