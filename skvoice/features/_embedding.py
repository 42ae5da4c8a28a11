"""Pretrained GE2E speaker embeddings (Resemblyzer's voice encoder) as a scikit-learn transformer.

The network (3-layer LSTM over 40 mel bands -> 256-d L2-normalised vector,
trained with the GE2E loss) and its front end are re-implemented here so that
only the weights file ``pretrained.pt`` shipped in the ``resemblyzer`` wheel
is needed: importing ``resemblyzer`` itself fails on current setuptools (its
``webrtcvad`` dependency imports the removed ``pkg_resources``). The numbers
match ``resemblyzer.VoiceEncoder.embed_utterance``.

This module imports torch lazily, so joblib workers that only decode audio
never load it.
"""

from __future__ import annotations

import functools
import importlib.util
import numbers
import os

import numpy as np

from .._audio import read_for_model
from .._base import AUDIO_CONSTRAINTS, TORCH_CONSTRAINTS, AudioTransformer, TorchModelMixin
from .._ragged import as_recording_set, rows_or_nan, unit_vector
from .._sklearn_compat import Interval, StrOptions

__all__ = ["SpeakerEmbedding", "resemblyzer_weights_path"]

INT16_MAX = 2 ** 15 - 1

# Resemblyzer's hyper-parameters (resemblyzer/hparams.py)
SAMPLE_RATE = 16000
MEL_WINDOW = 400  # 25 ms
MEL_HOP = 160  # 10 ms
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s
VAD_WINDOW = 480  # 30 ms
VAD_MOVING_AVERAGE = 8
VAD_MAX_SILENCE = 6
NORM_TARGET_DBFS = -30.0  # Resemblyzer's floor: quieter audio is raised to it (level="raise")
# level="normalize" brings every recording to a typical level of read speech (LibriSpeech, part of the encoder's
# training data, has its median utterance at about -25 dBFS RMS; 187 of 211 of ours are louder than -30): at
# -30 dBFS GE2E identified 0.943 of 351 held-out 2-s chunks of 151 readers, at -25 dBFS 0.966, unnormalised 0.972
LEVEL_TARGET_DBFS = -25.0
HIDDEN = 256
RECORDINGS_PER_BLOCK = 128  # recordings decoded per step: bounds memory on long lists
EMBEDDING_SIZE = 256
N_LAYERS = 3


# --------------------------------------------------------------------------------------------------------------
# Front end: volume normalisation, webrtcvad silence trimming, mel partials (as in resemblyzer/audio.py)
# --------------------------------------------------------------------------------------------------------------
def normalize_volume(wav, target_dbfs=NORM_TARGET_DBFS, *, increase_only=True):
    """Scale audio to ``target_dbfs`` RMS; with ``increase_only`` (Resemblyzer's rule) louder audio is kept."""
    rms = np.sqrt(np.mean((wav * INT16_MAX) ** 2))
    if not rms > 0:  # all zeros (a constant signal once its DC offset is removed): nothing to scale
        return wav
    change = target_dbfs - 20 * np.log10(rms / INT16_MAX)
    if change < 0 and increase_only:
        return wav
    return wav * (10 ** (change / 20))


def normalize_level(wav):
    """Remove the DC offset and scale to ``LEVEL_TARGET_DBFS`` RMS, louder or quieter (all zeros stay as they are)."""
    return normalize_volume(wav - wav.mean(), LEVEL_TARGET_DBFS, increase_only=False)


def trim_long_silences(wav, sample_rate=SAMPLE_RATE):
    """Drop silences longer than ~0.2 s found by webrtcvad (mode 3), like resemblyzer's preprocessing."""
    from scipy.ndimage import binary_dilation

    from ._vad import webrtc_flags

    wav = wav[:len(wav) - (len(wav) % VAD_WINDOW)]
    if len(wav) == 0:
        return wav
    flags = webrtc_flags(wav, mode=3, window=VAD_WINDOW).astype(float)
    width = VAD_MOVING_AVERAGE
    padded = np.concatenate((np.zeros((width - 1) // 2), flags, np.zeros(width // 2)))
    cum = np.cumsum(padded, dtype=float)
    cum[width:] = cum[width:] - cum[:-width]
    mask = np.round(cum[width - 1:] / width).astype(bool)
    mask = binary_dilation(mask, np.ones(VAD_MAX_SILENCE + 1))
    return wav[np.repeat(mask, VAD_WINDOW)]


def partial_slices(n_samples, rate=1.3, min_coverage=0.75):
    """Mel-frame slices of the 1.6 s partial utterances (resemblyzer's ``compute_partial_slices``).

    Returns ``(frame_starts, padded_length)``: each partial covers frames
    ``start:start + 160``; the waveform must be zero-padded to
    ``padded_length`` samples when it is shorter.
    """
    n_frames = int(np.ceil((n_samples + 1) / MEL_HOP))
    frame_step = int(np.round((SAMPLE_RATE / rate) / MEL_HOP))
    if not 0 < frame_step <= PARTIAL_FRAMES:
        raise ValueError(f"partials_per_second={rate} gives a step of {frame_step} frames; it must be in "
                         f"[1, {PARTIAL_FRAMES}] (rate between {SAMPLE_RATE / MEL_HOP / PARTIAL_FRAMES:.3f} and "
                         f"{SAMPLE_RATE / MEL_HOP:.0f} per second).")
    steps = max(1, n_frames - PARTIAL_FRAMES + frame_step + 1)
    starts = list(range(0, steps, frame_step))
    last = starts[-1] * MEL_HOP
    coverage = (n_samples - last) / (PARTIAL_FRAMES * MEL_HOP)
    if coverage < min_coverage and len(starts) > 1:
        starts = starts[:-1]
    return np.asarray(starts), (starts[-1] + PARTIAL_FRAMES) * MEL_HOP


def mel_partials(wav, rate=1.3, min_coverage=0.75):
    """``(n_partials, 160, 40)`` float32 power-mel windows of a preprocessed 16 kHz waveform."""
    import librosa

    starts, padded = partial_slices(len(wav), rate, min_coverage)
    if padded >= len(wav):
        wav = np.pad(wav, (0, padded - len(wav)), "constant")
    mel = librosa.feature.melspectrogram(y=wav, sr=SAMPLE_RATE, n_fft=MEL_WINDOW, hop_length=MEL_HOP,
                                         n_mels=N_MELS).astype(np.float32).T
    return np.stack([mel[s:s + PARTIAL_FRAMES] for s in starts])


def _prepare(item, index, *, input_rate, vad, rate, min_coverage, level):
    """Worker: decode, normalise, VAD-trim and cut one recording into mel partials; returns ``(mels, found)``.

    ``found`` is False when the detector kept less than one analysis window: the whole recording is used.
    """
    y = read_for_model(item, index, input_rate=input_rate, model_rate=SAMPLE_RATE, min_samples=MEL_WINDOW)
    if level == "normalize":
        # the mel *power* input makes the embedding scale with the gain: the same recording at +12 dB had a
        # cosine of 0.86 to itself on average (211 LibriSpeech utterances), a 1 % DC offset 0.955; now 1.000
        y = normalize_level(y)
    else:
        y = normalize_volume(y)
    found = True
    if vad:
        trimmed = trim_long_silences(y)
        found = len(trimmed) >= MEL_WINDOW
        y = trimmed if found else y
    return mel_partials(y, rate, min_coverage), found


# --------------------------------------------------------------------------------------------------------------
# The network
# --------------------------------------------------------------------------------------------------------------
def resemblyzer_weights_path():
    """Path of ``pretrained.pt`` inside the installed ``resemblyzer`` package (found without importing it)."""
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("SpeakerEmbedding needs the pretrained weights shipped in the resemblyzer wheel: "
                          "pip install 'skvoice[embeddings]' (or pass weights=<path to a GE2E .pt file>).")
    for folder in spec.submodule_search_locations:
        path = os.path.join(folder, "pretrained.pt")
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(f"resemblyzer is installed at {list(spec.submodule_search_locations)} but holds no "
                            "pretrained.pt; reinstall it (pip install --force-reinstall resemblyzer).")


def load_encoder(weights=None, device="cpu"):
    """The GE2E voice encoder as a torch ``ModuleDict`` (``lstm``, ``linear``) in eval mode.

    The two most recently used encoders stay in memory (a weights file that
    changes on disk is reloaded).
    """
    path = resemblyzer_weights_path() if weights is None else os.path.expanduser(os.fspath(weights))
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Speaker encoder weights {path!r} not found.")
    return _load_encoder(os.path.realpath(path), os.stat(path).st_mtime_ns, device)


@functools.lru_cache(maxsize=2)
def _load_encoder(path, mtime_ns, device):
    import torch
    from torch import nn

    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(f"Cannot read speaker encoder weights {path!r}: {exc}") from exc
    state = checkpoint.get("model_state", checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f"{path!r} is not a GE2E voice encoder checkpoint (no model_state dict).")
    encoder = nn.ModuleDict({"lstm": nn.LSTM(N_MELS, HIDDEN, N_LAYERS, batch_first=True),
                             "linear": nn.Linear(HIDDEN, EMBEDDING_SIZE)})
    wanted = {k: v for k, v in state.items() if k.startswith(("lstm.", "linear."))}
    try:
        encoder.load_state_dict(wanted, strict=True)
    except RuntimeError as exc:
        raise ValueError(f"{path!r} does not hold a 3-layer, 256-unit GE2E LSTM encoder: {exc}") from exc
    return encoder.eval().to(device)


def embed_partials(encoder, mels, device="cpu", batch_size=64):
    """L2-normalised embeddings ``(n, 256)`` of ``(n, 160, 40)`` mel partials, batched under inference mode."""
    import torch

    out = np.empty((len(mels), EMBEDDING_SIZE), dtype=np.float32)
    with torch.inference_mode():
        for s in range(0, len(mels), batch_size):
            x = torch.from_numpy(np.ascontiguousarray(mels[s:s + batch_size])).to(device)
            _, (hidden, _) = encoder["lstm"](x)
            e = torch.relu(encoder["linear"](hidden[-1]))
            e = e / torch.linalg.vector_norm(e, dim=1, keepdim=True).clamp_min(1e-12)
            out[s:s + len(x)] = e.float().cpu().numpy()
    return out


class SpeakerEmbedding(TorchModelMixin, AudioTransformer):
    """Pretrained GE2E speaker embeddings (Resemblyzer's voice encoder): audio -> 256-d vectors.

    Each recording is resampled to 16 kHz, brought to a fixed level (see
    ``level``), optionally stripped of long silences by webrtcvad, and cut into 1.6 s
    partial utterances (160 frames of a 40-band mel spectrogram, 25 ms
    window, 10 ms hop, ``partials_per_second`` of them, so about 50 %
    overlap). A 3-layer LSTM trained with the generalised end-to-end (GE2E)
    speaker-verification loss maps each partial to a 256-d L2-normalised
    vector; the recording's embedding is the L2-normalised mean of its
    partials. This reproduces ``resemblyzer.VoiceEncoder.embed_utterance``
    (after ``preprocess_wav``) with the weights shipped in the
    ``resemblyzer`` wheel, without importing resemblyzer. Embeddings of the
    same speaker have high cosine similarity, so a linear classifier (or a
    cosine nearest-centroid) on them identifies speakers and their sex.

    Parameters
    ----------
    output : {"recording", "windows"}, default="recording"
        ``"recording"``: a 2-D array ``(n_recordings, 256)``. ``"windows"``:
        a recording set, one ``(n_partials_i, 256)`` array of partial
        embeddings per recording (for StatsPooling, FrameVoteClassifier...).
    level : {"normalize", "raise"}, default="normalize"
        ``"normalize"``: remove the DC offset and scale every recording to
        -25 dBFS RMS (the typical level of LibriSpeech, part of the
        encoder's training data), so the embedding does not depend on the recording
        level (the network sees mel power). ``"raise"``: Resemblyzer's
        ``preprocess_wav`` rule, which raises quiet recordings to -30 dBFS
        and keeps louder ones as they are; the same utterance 12 dB louder
        then had a cosine of 0.86 to itself on average (211 LibriSpeech
        utterances). Models saved by skvoice 0.2.1 and earlier keep
        ``"raise"``.
    vad : bool, default=True
        Trim silences longer than ~0.2 s with webrtcvad (aggressiveness 3)
        before embedding, as Resemblyzer's ``preprocess_wav`` does. A
        recording in which it finds no speech is embedded whole and listed in
        ``no_speech_``.
    sample_rate : int, default=16000
        Rate of waveform input (resampled to 16 kHz with soxr). Files are
        decoded at 16 kHz directly.
    partials_per_second : float, default=1.3
        Partial utterances per second of audio (Resemblyzer's ``rate``);
        1.3 gives a 0.77 s hop between 1.6 s windows.
    min_coverage : float, default=0.75
        The last partial is kept (zero-padded) when at least this fraction of
        it holds audio. Recordings shorter than one partial always give one.
    weights : str, os.PathLike or None, default=None
        GE2E checkpoint (``{"model_state": ...}``); ``None`` uses the
        ``pretrained.pt`` shipped with the ``resemblyzer`` package.
    batch_size : int, default=64
        Partials per LSTM forward pass (results do not depend on it).
    %(device)s
    %(n_threads)s
        The LSTM makes 480 small sequential steps per batch, so extra threads
        mostly add synchronisation: on a busy 2-core machine one thread was
        over 10x faster than two. Use ``n_jobs`` to use more cores.
    %(n_jobs)s
        The network runs batched in the calling process.
    %(on_error)s
        Unusable here also means shorter than 25 ms. A recording in which
        the VAD finds no speech is not a failure (see ``no_speech_``).
    %(verbose)s

    Attributes
    ----------
    n_features_out_ : int
        256.
    weights_path_ : str
        The checkpoint that was loaded.
    %(failures_)s
    no_speech_ : list of int
        Indices of the recordings of the most recent ``transform`` in which
        the VAD found no speech (embedded whole instead).

    See Also
    --------
    MFCCExtractor : hand-crafted frame features.
    skvoice.classifiers.HubertGender : a pretrained gender classifier.

    Notes
    -----
    The encoder (1.4 M parameters) is loaded on first use and shared between
    instances; it is not pickled: ``pickle``/``joblib.dump`` store only the
    parameters. Measured on LibriSpeech (16 kHz FLAC, VAD on, one torch
    thread, 2-core machine): about 200 times faster than real time when the
    machine is busy, 350 times when it is idle
    (``benchmarks/results/sample.json`` and ``vad.json``).

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.datasets import make_voices
    >>> from skvoice.features import SpeakerEmbedding
    >>> voices = make_voices(n_speakers=2, n_utterances=2, duration=2.0, random_state=0)
    >>> emb = SpeakerEmbedding(vad=False).fit_transform(voices.waveforms)
    >>> emb.shape, emb.dtype, bool(np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5))
    ((4, 256), dtype('float32'), True)
    >>> windows = SpeakerEmbedding(output="windows", vad=False).fit_transform(voices.waveforms)
    >>> windows[0].shape
    (2, 256)
    """

    _extra = "embeddings"
    _parameter_constraints = {
        "output": [StrOptions({"recording", "windows"})],
        "vad": ["boolean"],
        "level": [StrOptions({"normalize", "raise"})],
        "partials_per_second": [Interval(numbers.Real, 0.625, 100, closed="both")],
        "min_coverage": [Interval(numbers.Real, 0, 1, closed="right")],
        "weights": [str, os.PathLike, None],
        **TORCH_CONSTRAINTS,
        **AUDIO_CONSTRAINTS,
    }
    _failed_slot = 'a row of NaN (``output="recording"``) or a 0-row array (``"windows"``)'
    _requires_fit = False

    def __init__(self, output="recording", *, vad=True, level="normalize", sample_rate=16000,
                 partials_per_second=1.3, min_coverage=0.75, weights=None, batch_size=64, device="auto", n_threads=1,
                 n_jobs=None, on_error="raise", verbose=0):
        self.output = output
        self.vad = vad
        self.level = level
        self.partials_per_second = partials_per_second
        self.min_coverage = min_coverage
        self.weights = weights
        super().__init__(batch_size=batch_size, device=device, n_threads=n_threads, sample_rate=sample_rate,
                         on_error=on_error, n_jobs=n_jobs, verbose=verbose)

    def __setstate__(self, state):
        # skvoice 0.2.1 and earlier had no ``level`` and raised quiet audio only: a saved model keeps the
        # embeddings its classifier was trained on
        state = dict(state)
        state.setdefault("level", "raise")
        super().__setstate__(state)

    def fit(self, X=None, y=None):
        """Check the parameters and load the encoder (nothing is learned).

        Parameters
        ----------
        X : sequence of str, os.PathLike or 1-D arrays, optional
            Validated only (files are not read; with ``on_error="raise"``
            waveforms are checked for shape and NaN/inf).
        y : ignored

        Returns
        -------
        self : SpeakerEmbedding
        """
        self._validate_fit_audio(X)
        partial_slices(PARTIAL_FRAMES * MEL_HOP, self.partials_per_second, self.min_coverage)
        load_encoder(self.weights, self._torch_device())
        self.weights_path_ = resemblyzer_weights_path() if self.weights is None else os.fspath(self.weights)
        self.n_features_out_ = EMBEDDING_SIZE
        return self

    def transform(self, X):
        """Embed each recording.

        %(parameters_X_audio)s

        Returns
        -------
        embeddings : ndarray of shape (n_recordings, 256) or recording set
            float32 unit vectors (``output="recording"``), or one
            ``(n_partials_i, 256)`` array per recording (``"windows"``).
        """
        self._validate_params()  # nothing is learned: transform works unfitted and never sets attributes
        items = self._check_audio(X)
        device = self._torch_device()
        encoder = load_encoder(self.weights, device)
        prepare = functools.partial(_prepare, input_rate=self.sample_rate, vad=self.vad, level=self.level,
                                    rate=self.partials_per_second, min_coverage=self.min_coverage)

        no_speech = []

        def encode(ready, final):
            if not ready:
                return []
            no_speech.extend(i for i, (_, found) in ready if not found)
            emb = embed_partials(encoder, np.concatenate([mels for _, (mels, _) in ready]), device, self.batch_size)
            bounds = np.cumsum([0] + [len(mels) for _, (mels, _) in ready])
            return [(i, emb[bounds[k]:bounds[k + 1]]) for k, (i, _) in enumerate(ready)]

        with self._torch_threads():
            windows = self._map_audio(items, prepare, encode=encode)
        self._set_last("no_speech", sorted(no_speech))
        if self.output == "windows":
            return as_recording_set(windows, missing=np.empty((0, EMBEDDING_SIZE), dtype=np.float32))
        return rows_or_nan(windows, EMBEDDING_SIZE, dtype=np.float32,
                           row=lambda w: unit_vector(w.astype(np.float64).mean(axis=0)))

    @property
    def no_speech_(self):
        return self._get_last("no_speech")

    def get_feature_names_out(self, input_features=None):
        """``embedding_0`` ... ``embedding_255``."""
        return np.asarray([f"embedding_{i}" for i in range(EMBEDDING_SIZE)], dtype=object)
