"""Audio decoding: soundfile to read, soxr to resample, always mono float32.

Every failure is raised as :class:`AudioError` (a :class:`ValueError`) that names
the file and the reason, so a batch job can say exactly which input was bad.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import numpy as np

__all__ = ["AudioError", "load_audio", "audio_info", "check_waveform", "check_not_silent", "is_path_like", "read_input",
           "read_for_model", "source_name"]

SILENCE_PEAK = 1e-5  # -100 dBFS: digital silence or dither only


class AudioError(ValueError):
    """A recording could not be decoded or is unusable.

    The message always names the offending file (or the index of an in-memory
    waveform) and the reason.

    Attributes
    ----------
    source : str
        The file path, or ``"<waveform i>"`` for in-memory input.
    reason : str
        Short human-readable reason.
    """

    def __init__(self, source, reason):
        self.source = str(source)
        self.reason = str(reason)
        super().__init__(f"{self.source}: {self.reason}")

    def __reduce__(self):  # keep the exception picklable across joblib workers
        return (type(self), (self.source, self.reason))


def is_path_like(obj):
    """Return True for ``str`` and ``os.PathLike`` objects."""
    return isinstance(obj, (str, os.PathLike))


@dataclass(frozen=True)
class AudioInfo:
    """Header information of an audio file (no samples decoded)."""

    path: str
    sample_rate: int
    frames: int
    channels: int
    subtype: str

    @property
    def duration(self):
        """Duration in seconds."""
        return self.frames / float(self.sample_rate) if self.sample_rate else 0.0


def _check_file(path):
    path = os.fspath(path)
    if not os.path.exists(path):
        raise AudioError(path, "file does not exist")
    if os.path.isdir(path):
        raise AudioError(path, "is a directory, expected an audio file")
    if not os.access(path, os.R_OK):
        raise AudioError(path, "file is not readable (permission denied)")
    if os.path.getsize(path) == 0:
        raise AudioError(path, "file is empty (0 bytes)")
    return path


@contextlib.contextmanager
def _soundfile_source(path):
    """What soundfile opens for ``path``: the name, or the open file when the name is not valid UTF-8.

    soundfile encodes ``str`` names strictly as UTF-8, but file names that are not UTF-8 (Latin-1 archives,
    old Windows zips) come from ``os.listdir`` with their undecodable bytes as surrogates; Python's own
    ``open`` maps them back to the bytes on disk.
    """
    try:
        if isinstance(path, str):
            path.encode("utf-8")
    except UnicodeEncodeError:
        with open(path, "rb") as fh:
            yield fh
        return
    yield path


def audio_info(path):
    """Read an audio file's header.

    Parameters
    ----------
    path : str or os.PathLike
        Audio file (any format libsndfile reads: WAV, FLAC, OGG, ...).

    Returns
    -------
    info : AudioInfo
        ``sample_rate``, ``frames``, ``channels``, ``subtype`` and ``duration``.

    Raises
    ------
    AudioError
        If the file is missing, empty, unreadable or not audio.
    """
    import soundfile as sf

    path = _check_file(path)
    try:
        with _soundfile_source(path) as source:
            info = sf.info(source)
    except Exception as exc:  # soundfile raises LibsndfileError/RuntimeError/TypeError
        raise AudioError(path, f"cannot read audio header ({_short(exc)})") from None
    _check_riff_complete(path)
    return AudioInfo(path, int(info.samplerate), int(info.frames), int(info.channels), info.subtype)


def _chunk_follows(fh):
    """Whether the next bytes are a RIFF chunk header (an id of four printable ASCII characters), not samples."""
    chunk_id = fh.read(4)
    return len(chunk_id) == 4 and all(32 <= c < 127 for c in chunk_id)


def _check_riff_complete(path):
    """libsndfile silently decodes the intact prefix of a truncated WAV: compare the data chunk to the file size."""
    import struct

    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return
        size = os.fstat(fh.fileno()).st_size
        pos = 12
        while pos + 8 <= size:
            fh.seek(pos)
            chunk_id, chunk_size = struct.unpack("<4sI", fh.read(8))
            if chunk_id == b"data":
                if chunk_size == 0 and size > pos + 8 and not _chunk_follows(fh):  # never closed by its recorder
                    raise AudioError(path, f"unfinalised WAV file: its header announces 0 bytes of audio but "
                                           f"{size - pos - 8} bytes follow (a recording that was never closed); "
                                           "rewrite its header (e.g. with sox or ffmpeg) to read them")
                if chunk_size != 0xFFFFFFFF and pos + 8 + chunk_size > size:
                    raise AudioError(path, f"truncated WAV file: its header announces {chunk_size} bytes of audio "
                                           f"but only {size - pos - 8} are present")
                return
            pos += 8 + chunk_size + (chunk_size & 1)


def _short(exc):
    msg = str(exc).strip().splitlines()
    return msg[-1] if msg else type(exc).__name__


def resample(y, orig_sr, target_sr, *, quality="HQ"):
    """Resample a 1-D float waveform with soxr (returns float32)."""
    if int(orig_sr) == int(target_sr):
        return np.asarray(y, dtype=np.float32)
    import soxr

    return soxr.resample(np.asarray(y, dtype=np.float32), int(orig_sr), int(target_sr), quality=quality).astype(
        np.float32, copy=False
    )


def _downmix(y):
    """Mono from ``(n_samples, n_channels)``: the mean of the channels, with channels in opposite phase turned round.

    A channel whose correlation with the loudest channel is below -0.5 (a balanced line wired the wrong way
    round, a polarity-inverted microphone) is negated before averaging: the plain mean cancels the speech and
    leaves what does not cancel (each channel's own noise, a codec's error). Independent or ordinary stereo
    channels correlate far above -0.5 and are averaged as they are.
    """
    if y.shape[1] == 1:
        return y[:, 0]
    # Pearson correlation (a DC offset is not a phase), from sums: no (n, c) float64 temporary
    n = y.shape[0]
    mean = y.mean(axis=0, dtype=np.float64)
    power = np.einsum("ij,ij->j", y, y, dtype=np.float64) - n * mean ** 2
    ref = int(np.argmax(power))
    dots = np.einsum("ij,i->j", y, y[:, ref], dtype=np.float64) - n * mean * mean[ref]
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = dots / np.sqrt(power * power[ref])  # NaN for a constant channel: never turned
    inverted = corr < -0.5
    if not inverted.any():
        return y.mean(axis=1)
    signs = np.where(inverted, -1.0, 1.0).astype(y.dtype)
    return (y * signs).mean(axis=1)


def load_audio(path, sample_rate=16000, *, mono=True, offset=0.0, duration=None):
    """Decode an audio file to a mono float32 waveform at ``sample_rate``.

    Parameters
    ----------
    path : str or os.PathLike
        Audio file (WAV, FLAC, OGG/Vorbis, ...; anything libsndfile decodes).
    sample_rate : int or None, default=16000
        Target rate. The file is resampled with soxr when its rate differs.
        ``None`` keeps the native rate.
    mono : bool, default=True
        Down-mix multi-channel audio by averaging the channels (or keep the
        loudest channel when the others cancel it: channels in opposite
        phase average to silence).
    offset : float, default=0.0
        Start reading at this many seconds.
    duration : float or None, default=None
        Read at most this many seconds (lets callers stream long files).

    Returns
    -------
    y : ndarray of shape (n_samples,) or (n_samples, n_channels), float32
        The waveform in [-1, 1].
    sr : int
        Its sample rate.

    Raises
    ------
    AudioError
        Missing, empty, unreadable, corrupt or truncated files, and decoded audio
        that contains NaN/inf or no samples at all.

    Examples
    --------
    >>> import numpy as np, soundfile as sf, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
    >>> sf.write(path, np.sin(np.arange(8000) / 8.0).astype("float32"), 8000)
    >>> y, sr = load_audio(path, sample_rate=16000)
    >>> sr, y.shape, y.dtype
    (16000, (16000,), dtype('float32'))
    """
    import soundfile as sf

    info = audio_info(path)
    path = info.path
    start = int(round(offset * info.sample_rate))
    stop = None if duration is None else start + int(round(duration * info.sample_rate))
    try:
        with _soundfile_source(path) as source:
            y, sr = sf.read(source, start=start, stop=stop, dtype="float32", always_2d=True)
    except Exception as exc:
        raise AudioError(path, f"cannot decode audio, file is corrupt or truncated ({_short(exc)})") from None
    if y.shape[0] == 0:
        raise AudioError(path, "contains no audio samples")
    if mono:
        y = _downmix(y)
    if not np.isfinite(y).all():
        raise AudioError(path, "decoded audio contains NaN or infinite values")
    if sample_rate is not None and int(sr) != int(sample_rate):
        if mono:
            y = resample(y, sr, sample_rate)
        else:
            y = np.stack([resample(c, sr, sample_rate) for c in y.T], axis=1)
        sr = int(sample_rate)
    return np.ascontiguousarray(y, dtype=np.float32), int(sr)


def pcm_to_float(y):
    """Integer PCM samples as float32 in [-1, 1), the way soundfile decodes files; anything else unchanged.

    8-, 16- and 32-bit signed integer arrays (what ``scipy.io.wavfile.read``,
    pydub or ``soundfile.read(dtype="int16")`` return, in either byte order,
    and ``array.array("h")`` or a CPU tensor of them) are divided by their
    full scale, and uint8 (8-bit WAV) is offset binary around 128. Without
    this they would be read as floats thousands of times too loud. Other
    integer types (int64 from a Python list of ints) are not a PCM format and
    are kept as numbers, as are lists and tuples.
    """
    if isinstance(y, (list, tuple, str, bytes)) or y is None:
        return y
    if not isinstance(y, np.ndarray):  # array.array, memoryview, a torch tensor: its samples' own type decides
        try:
            a = np.asarray(y)
        except (TypeError, ValueError, RuntimeError):
            return y
        if a.dtype.kind not in "iu":
            return y
        y = a
    kind, size = y.dtype.kind, y.dtype.itemsize  # by kind and size: '>i2' is 16-bit PCM as much as '<i2'
    if kind == "u" and size == 1:
        return (y.astype(np.float32) - 128.0) / 128.0
    if kind == "i" and size in (1, 2, 4):
        return y.astype(np.float32) / np.float32(2.0 ** (8 * size - 1))
    return y


_MAX_PEAK = 1e10  # 5x the largest 32-bit PCM value; power spectra stay far from float32's limit


def check_waveform(y, source="<waveform>"):
    """Validate an in-memory waveform: 1-D (or (n, channels), down-mixed), finite, non-empty.

    Returns a contiguous float32 1-D array (integer PCM scaled to [-1, 1), see
    :func:`pcm_to_float`); raises :class:`AudioError` otherwise.
    """
    if np.iscomplexobj(y):
        raise AudioError(source, "waveform is complex; complex data not supported (pass a real-valued signal)")
    y = pcm_to_float(y)
    try:
        y = np.asarray(y, dtype=np.float32)
    except (TypeError, ValueError):
        raise AudioError(source, "is neither a file path nor a numeric waveform") from None
    if y.ndim == 2 and min(y.shape) <= 8:  # (n, channels) or (channels, n): down-mix
        y = _downmix(y if y.shape[0] >= y.shape[1] else y.T)
    if y.ndim != 1:
        raise AudioError(source, f"waveform must be 1-D (mono), got shape {y.shape}")
    if y.size == 0:
        raise AudioError(source, "waveform is empty")
    peak = float(np.max(np.abs(y)))  # NaN when any sample is NaN, inf when any is infinite
    if not np.isfinite(peak):
        raise AudioError(source, "waveform contains NaN or infinite values")
    if peak > _MAX_PEAK:
        # spectra of such samples overflow float32: the features would be NaN without a word
        raise AudioError(source, f"waveform peaks at {peak:.3g}, far beyond any audio scale (float audio lies "
                                 "within +-1, integer PCM within +-2**31): scale it down")
    return np.ascontiguousarray(y)


def finite_samples(y, caller, name="y", dtype=np.float64):
    """``y`` as an ndarray of ``dtype``; ValueError naming ``caller`` when a sample is NaN or infinite.

    The degradation functions take waveforms as plain arrays: a NaN would spread through every filter and level
    (or be cast to a silent integer code by G.711), so they refuse it as the transformers do.
    """
    x = np.asarray(y, dtype=dtype)
    if not np.isfinite(x).all():
        raise ValueError(f"{caller}: {name} has NaN or infinite samples.")
    return x


def check_not_silent(y, source):
    """Raise :class:`AudioError` when the waveform's peak is below -100 dBFS (nothing to analyse)."""
    peak = float(np.max(np.abs(y))) if len(y) else 0.0
    if peak < SILENCE_PEAK:
        raise AudioError(source, f"audio is silent (peak amplitude {peak:.1e}); no speech to analyse")
    return y


def read_input(item, sample_rate, index=None):
    """Turn one recording-set item (path or waveform) into a float32 mono waveform."""
    if is_path_like(item):
        y, _ = load_audio(item, sample_rate)
        return y
    return check_waveform(item, source=f"<waveform {index}>" if index is not None else "<waveform>")


def source_name(item, index):
    """Readable name for error reports: the path, or ``<waveform i>``."""
    return os.fspath(item) if is_path_like(item) else f"<waveform {index}>"


def row_hint(item, y):
    """For a too-short in-memory waveform of 1-8 samples, the likely cause: a (samples, channels) array passed
    as X is read as one recording per row."""
    if is_path_like(item) or len(y) > 8:
        return ""
    return "; a 2-D array is one recording per row: pass a single multichannel recording as [waveform]"


def read_for_model(item, index, *, input_rate, model_rate, max_seconds=None, min_samples=1):
    """Decode one recording-set item for a model front end: float32 at ``model_rate``, unusable audio rejected.

    ``index`` names in-memory waveforms in errors (``<waveform i>``);
    waveforms are taken to be at ``input_rate`` and resampled. At most
    ``max_seconds`` are read. Raises :class:`AudioError` for undecodable,
    empty, NaN, too short (< ``min_samples``) and silent audio.
    """
    src = source_name(item, index)
    if is_path_like(item):
        y, _ = load_audio(item, model_rate, duration=max_seconds)
    else:
        y = check_waveform(item, source=src)
        if max_seconds is not None:
            y = y[:max(1, int(round(max_seconds * input_rate)))]
        y = resample(y, input_rate, model_rate)
    if y.shape[0] < min_samples:
        raise AudioError(src, f"audio is too short: {y.shape[0]} samples at {model_rate} Hz, fewer than "
                              f"{min_samples} ({1000.0 * min_samples / model_rate:.0f} ms){row_hint(item, y)}")
    check_not_silent(y, src)
    return y
