"""Lossy codec round trips (MP3, Opus, Vorbis) through libsndfile, in memory.

libsndfile >= 1.1 encodes MPEG Layer III with LAME and Ogg Opus/Vorbis with
libopus/libvorbis; the ``soundfile`` wheels bundle a libsndfile built with all
three, so no extra dependency is needed. libsndfile chooses the bit rate from a
``compression_level`` in [0, 1]; the mappings below invert its formulas
(``src/mpeg_l3_encode.c`` and ``src/ogg_opus.c`` of libsndfile 1.2), so callers
ask for kbit/s.
"""

from __future__ import annotations

import functools
import io

import numpy as np

from .._audio import finite_samples, resample
from .._docs import fill_doc

__all__ = ["codec_roundtrip", "CODECS", "available_codecs"]

CODECS = ("mp3", "opus", "vorbis")
_MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
_OPUS_RATES = (8000, 12000, 16000, 24000, 48000)


def _mp3_bitrate_range(sample_rate):
    """(min, max) kbit/s libsndfile maps compression 1..0 to: MPEG-1 >= 32 kHz, MPEG-2 >= 16 kHz, else MPEG-2.5."""
    if sample_rate >= 32000:
        return 32, 320
    if sample_rate >= 16000:
        return 8, 160
    return 8, 64


def _codec_rate(codec, sample_rate):
    rates = _MP3_RATES if codec == "mp3" else _OPUS_RATES if codec == "opus" else None
    if rates is None or sample_rate in rates:
        return sample_rate
    higher = [r for r in rates if r >= sample_rate]
    return higher[0] if higher else rates[-1]


def _compression_level(codec, bitrate, rate):
    if codec == "mp3":
        lo, hi = _mp3_bitrate_range(rate)
        if not lo <= bitrate <= hi:
            raise ValueError(f"MP3 at {rate} Hz supports {lo}-{hi} kbit/s, got bitrate={bitrate!r}.")
        # libsndfile: kbps = int(hi - c * (hi - lo)); the +0.5 keeps the truncation on the requested value,
        # and LAME then rounds to the nearest bit rate its MPEG version allows
        return min(max((hi - bitrate - 0.5) / (hi - lo), 0.0), 1.0)
    if codec == "opus":
        if not 6 <= bitrate <= 256:
            raise ValueError(f"Opus supports 6-256 kbit/s per channel, got bitrate={bitrate!r}.")
        # libsndfile: bps = int((1 - c) * 250000 + 6000)
        return min(max(1.0 - (bitrate * 1000.0 - 6000.0 + 0.5) / 250000.0, 0.0), 1.0)
    raise ValueError(f"codec must be one of {CODECS}, got {codec!r}.")


def _encode(x, rate, fmt, subtype, level, mode=None):
    import soundfile as sf

    buf = io.BytesIO()
    kwargs = {"compression_level": level}
    if mode is not None:
        kwargs["bitrate_mode"] = mode
    try:
        sf.write(buf, x, rate, format=fmt, subtype=subtype, **kwargs)
    except (sf.LibsndfileError, TypeError, ValueError) as exc:
        raise RuntimeError(f"libsndfile {sf.__libsndfile_version__} could not encode {fmt}/{subtype} at "
                           f"{rate} Hz: {exc}") from None
    n_bytes = buf.tell()
    buf.seek(0)
    out, _ = sf.read(buf, dtype="float32")
    return (out.mean(axis=1) if out.ndim == 2 else out), n_bytes


@functools.lru_cache(maxsize=32)
def _mp3_delay(rate, level):
    """Samples of delay a constant-bit-rate MP3 round trip adds (encoder + decoder delay, no gapless tag).

    Measured once per setting by cross-correlating a deterministic noise probe with its round trip.
    """
    probe = np.random.default_rng(12345).standard_normal(rate // 2).astype(np.float32) * 0.1
    dec, _ = _encode(probe, rate, "MP3", "MPEG_LAYER_III", level, "CONSTANT")
    n = len(probe) + len(dec)
    corr = np.fft.irfft(np.fft.rfft(dec, n) * np.conj(np.fft.rfft(probe, n)), n)
    lag = int(np.argmax(corr[: len(dec)]))
    return lag


@fill_doc
def codec_roundtrip(y, sample_rate=16000, *, codec="mp3", bitrate=32, quality=0.5, return_bitrate=False):
    """Encode a waveform with a lossy codec and decode it again.

    Parameters
    ----------
    %(y_sample_rate)s
        Rates the codec does not support are resampled
        (soxr) to the next supported one and back. Samples outside
        [-1, 1] are clipped, as in a file written for the encoder.
    codec : {"mp3", "opus", "vorbis"}, default="mp3"
        ``"mp3"``: MPEG-1/2/2.5 Layer III, constant bit rate (LAME);
        ``"opus"``: Ogg Opus (variable bit rate around ``bitrate``);
        ``"vorbis"``: Ogg Vorbis at a quality, not a bit rate.
    bitrate : int, default=32
        kbit/s for MP3 (8-160 at 16 kHz; LAME snaps to the nearest bit rate
        of its MPEG version: 8, 16, 24, 32, 40, 48, 56, 64, 80, ... at 16 kHz)
        and Opus (6-256).
    quality : float in [0, 1], default=0.5
        Vorbis quality (0 worst, 1 best); ignored by the other codecs.
    return_bitrate : bool, default=False
        Also return the bit rate actually produced (kbit/s, from the size
        of the encoded stream, container overhead included).

    Returns
    -------
    y : ndarray of float32, shape (n_samples,)
        The decoded waveform, time-aligned with the input and of the same
        length: the MP3 encoder/decoder delay (constant bit rate streams carry
        no gapless-playback tag) is measured once per setting and removed;
        Ogg streams carry their pre-skip and decode aligned.
    kbps : float
        Only with ``return_bitrate=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.augment import codec_roundtrip
    >>> t = np.arange(32000) / 16000.0
    >>> y = (0.3 * np.sin(2 * np.pi * 440 * t)).astype("float32")
    >>> z, kbps = codec_roundtrip(y, 16000, codec="mp3", bitrate=32, return_bitrate=True)
    >>> z.shape, round(kbps), bool(np.corrcoef(y, z)[0, 1] > 0.99)
    ((32000,), 33, True)
    """
    if codec not in CODECS:
        raise ValueError(f"codec must be one of {CODECS}, got {codec!r}.")
    # LAME aborts the interpreter on NaN / inf (an assert in its C code)
    x = finite_samples(y, "codec_roundtrip", dtype=np.float32)
    # a file written for the encoder holds samples in [-1, 1]: clip, as writing the file would (LAME also aborts
    # on samples far outside it, and Opus and Vorbis returned near-silence)
    x = np.clip(x, -1.0, 1.0)
    n = len(x)
    rate = _codec_rate(codec, int(sample_rate))
    xr = resample(x, sample_rate, rate)
    if codec == "vorbis":
        if not 0.0 <= quality <= 1.0:
            raise ValueError(f"quality must be in [0, 1], got {quality!r}.")
        dec, n_bytes = _encode(xr, rate, "OGG", "VORBIS", 1.0 - float(quality))
    elif codec == "opus":
        dec, n_bytes = _encode(xr, rate, "OGG", "OPUS", _compression_level("opus", bitrate, rate))
    else:
        level = _compression_level("mp3", bitrate, rate)
        dec, n_bytes = _encode(xr, rate, "MP3", "MPEG_LAYER_III", level, "CONSTANT")
        dec = dec[_mp3_delay(rate, level):]
    if len(dec) < len(xr):
        dec = np.concatenate([dec, np.zeros(len(xr) - len(dec), dtype=np.float32)])
    dec = dec[: len(xr)]
    out = resample(dec, rate, sample_rate)
    out = out[:n] if len(out) >= n else np.concatenate([out, np.zeros(n - len(out), dtype=np.float32)])
    out = np.ascontiguousarray(out, dtype=np.float32)
    if return_bitrate:
        return out, n_bytes * 8.0 / (max(len(xr), 1) / rate) / 1000.0
    return out


def available_codecs():
    """Codecs the installed libsndfile can write (a subset of ``("mp3", "opus", "vorbis")``).

    Examples
    --------
    >>> from skvoice.augment import available_codecs
    >>> set(available_codecs()) <= {"mp3", "opus", "vorbis"}
    True
    """
    import soundfile as sf

    found = []
    subtypes = {"mp3": ("MP3", "MPEG_LAYER_III"), "opus": ("OGG", "OPUS"), "vorbis": ("OGG", "VORBIS")}
    for name, (fmt, sub) in subtypes.items():
        try:
            if sub in sf.available_subtypes(fmt):
                found.append(name)
        except (ValueError, TypeError):
            continue
    return tuple(found)
