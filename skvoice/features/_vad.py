"""Voice activity detection: keep the speech of each recording (energy, WebRTC or Silero detectors).

Every detector gives a speech/non-speech decision per 10 ms frame; the same
post-processing (bridging short pauses, padding speech with context, minimum
speech) then applies to all of them, so they can be compared and swapped.
"""

from __future__ import annotations

import functools
import numbers
import threading

import numpy as np

from .._audio import read_for_model, resample
from .._base import AUDIO_CONSTRAINTS, AudioOutputMixin, StatelessAudioTransformer
from .._ragged import as_recording_set
from .._sklearn_compat import Interval, StrOptions, validate_params

__all__ = ["VoiceActivityDetector", "speech_mask", "apply_speech_mask"]

HOP_SECONDS = 0.01  # decisions are made per 10 ms frame
#: less speech than this (seconds) counts as none: the default ``min_speech``, and the CLI's speech check
MIN_SPEECH_SECONDS = 0.25
INT16_MAX = 2 ** 15 - 1
_DETECTOR_RATE = 16000  # WebRTC and Silero run at 16 kHz (inputs at other rates are resampled for detection)


# ---------------------------------------------------------------------------------------------- detectors
def _energy_mask(y, sr, threshold):
    """Frames whose log energy rises ``threshold`` dB (default 9) above the recording's noise floor.

    The floor is the 10th percentile of the frame energies, the speech level
    the 90th; the cut is at ``floor + min(threshold, (level - floor) / 2)``.
    When they are less than ``threshold`` apart the recording has no
    pauses to learn a floor from: every frame counts as speech (so stationary
    noise without pauses is "speech" to this detector). Frames more than
    45 dB below the loudest one never are.
    """
    import librosa

    hop = int(round(HOP_SECONDS * sr))
    rms = librosa.feature.rms(y=y, frame_length=int(round(0.025 * sr)), hop_length=hop, center=True)[0]
    db = 20.0 * np.log10(np.maximum(rms, 1e-10))
    floor, level = np.percentile(db, [10, 90])
    margin = 9.0 if threshold is None else float(threshold)
    above_floor = db > floor + min(margin, (level - floor) / 2) if level - floor >= margin else True
    return above_floor & (db > db.max() - 45.0)


class _WebRtcVad:
    """Minimal binding to webrtcvad's C extension (its Python wrapper needs the removed ``pkg_resources``)."""

    def __init__(self, mode=3):
        try:
            import _webrtcvad as backend
        except ImportError:
            backend = None
        if backend is not None:
            self._c, self._vad = backend, backend.create()
            backend.init(self._vad)
            backend.set_mode(self._vad, mode)
            self._py = None
            return
        try:
            import webrtcvad
        except ImportError as exc:
            raise ImportError("The WebRTC detector needs the webrtcvad package (installed with resemblyzer: "
                              "pip install 'skvoice[embeddings]'); or use method='energy' or 'silero'.") from exc
        self._py = webrtcvad.Vad(mode)

    def is_speech(self, pcm16, sample_rate):
        if self._py is not None:
            return self._py.is_speech(pcm16, sample_rate)
        return self._c.process(self._vad, sample_rate, pcm16, len(pcm16) // 2)


def webrtc_flags(y16, mode=3, window=480):
    """WebRTC decisions for consecutive ``window``-sample (30 ms) windows of a 16 kHz waveform."""
    n = len(y16) // window
    pcm = np.clip(np.round(y16[:n * window] * INT16_MAX), -INT16_MAX - 1, INT16_MAX).astype(np.int16).tobytes()
    vad = _WebRtcVad(mode=mode)
    step = window * 2  # bytes per window
    return np.array([vad.is_speech(pcm[s:s + step], _DETECTOR_RATE) for s in range(0, len(pcm), step)], dtype=bool)


# one Silero model per thread: its wrapper keeps the recurrent state and context of the running call on the
# instance, so two threads sharing one (joblib's threading backend, dask's threaded workers) corrupt each
# other's probabilities
_SILERO = threading.local()


def _silero_model():
    model = getattr(_SILERO, "model", None)
    if model is None:
        try:
            from silero_vad import load_silero_vad
        except ImportError as exc:
            raise ImportError("method='silero' needs the silero-vad package (its model ships inside the wheel) and "
                              "onnxruntime: pip install 'skvoice[vad]'; or use method='energy'.") from exc
        model = _SILERO.model = load_silero_vad(onnx=True)
    return model


def silero_probabilities(y16):
    """Silero speech probability of each 512-sample (32 ms) window of a 16 kHz waveform."""
    model = _silero_model()  # first: without the extra, its error names it
    import torch

    with torch.inference_mode():
        return model.audio_forward(torch.from_numpy(np.ascontiguousarray(y16, dtype=np.float32)),
                                   _DETECTOR_RATE)[0].numpy()


def _frame_starts(frames, sample_rate):
    """First sample of 10 ms frame(s) ``frames``: the exact frame time ``frames * HOP_SECONDS``, rounded to a sample.

    Not ``frames * hop`` with the hop rounded to whole samples: at rates where
    10 ms is not a whole number of samples (22.05 kHz: 220.5, 11.025 kHz:
    110.25) that grid drifts away from the detectors' exact 10 ms one by the
    rounding error times the frame index (0.66 s after 5 minutes at 22.05 kHz)
    and cuts long recordings in the wrong place. Where the hop is whole (8, 16,
    44.1, 48 kHz) both grids are the same.
    """
    return np.rint(np.asarray(frames) * (HOP_SECONDS * sample_rate)).astype(np.int64)


def _to_frames(flags, window_samples, n_frames, rate):
    """Map per-window decisions (windows of ``window_samples`` at ``rate``) onto the 10 ms frame grid."""
    centres = _frame_starts(np.arange(n_frames), rate)  # rounded: truncating put e.g. frame 819 a sample early
    idx = np.minimum(centres // window_samples, max(len(flags) - 1, 0))
    return flags[idx] if len(flags) else np.zeros(n_frames, dtype=bool)


#: ``level="normalize"``: each block of this many seconds is scaled to -25 dBFS on its own
LEVEL_BLOCK_SECONDS = 10.0


def _condition_level(y, sample_rate):
    """The detector's copy for ``level="normalize"``: high-passed at 60 Hz, each 10 s block scaled to -25 dBFS.

    Per block, so that a loud stretch of music, noise or a jingle does not set
    the level of the whole file and push the speech elsewhere in it down to
    where Silero hears none (60 s of chords 20 dB above the speech hid it in
    7 of 181 LibriSpeech utterances; per block, in none). High-passed, so that
    sub-bass rumble (wind, handling) does not set the level either (30 dB above
    the speech it hid it in 35 of 181; high-passed, in none).
    """
    from scipy.signal import butter, sosfilt

    from ._embedding import normalize_level

    y = sosfilt(butter(4, 60.0, btype="highpass", fs=sample_rate, output="sos"), y).astype(np.float32)
    block = int(LEVEL_BLOCK_SECONDS * sample_rate)
    return np.concatenate([normalize_level(y[s:s + block]) for s in range(0, len(y), block)] or [y])


@validate_params(
    {"y": ["array-like"], "sample_rate": [Interval(numbers.Integral, 1000, None, closed="left")],
     "method": [StrOptions({"energy", "webrtc", "silero"})], "threshold": [numbers.Real, None],
     "level": [StrOptions({"auto", "normalize", "keep"})]},
    prefer_skip_nested_validation=True)
def speech_mask(y, sample_rate, method="silero", *, threshold=None, level="auto"):
    """Speech/non-speech decision per 10 ms frame of a waveform.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Mono waveform.
    sample_rate : int
        Its sample rate.
    method : {"energy", "webrtc", "silero"}, default="silero"
        ``"energy"``: frames ``threshold`` dB (default 9) above the
        recording's noise floor (10th percentile of frame energies), or
        half-way from the floor to the speech level (90th percentile) when
        that is nearer, so that speech only a little louder than ``threshold``
        is kept. When the speech level is less than ``threshold`` dB above
        the floor, the recording has no pauses to learn a floor from and
        every frame counts as speech.
        ``"webrtc"``: Google's WebRTC GMM detector on 30 ms windows,
        aggressiveness ``threshold`` (0-3, default 3). ``"silero"``: the Silero
        neural detector (ONNX model shipped in the ``silero-vad`` wheel) on
        32 ms windows, speech when its probability >= ``threshold`` (default
        0.5).
    threshold : float or None, default=None
        Method-specific sensitivity, see ``method``.
    level : {"auto", "normalize", "keep"}, default="auto"
        ``"normalize"``: detect on a copy high-passed at 60 Hz whose every
        10 s block is scaled to -25 dBFS RMS, so the decisions depend neither
        on the recording level nor on loud non-speech (music, rumble)
        elsewhere in the file. ``"keep"``: detect on the waveform as it is.
        ``"auto"``: ``"normalize"`` for Silero, ``"keep"`` for the others.
        Silero's probabilities fall with the level: on 25 LibriSpeech
        utterances played 40 dB quieter it found a median 68 % of speech
        frames instead of 82 %, none at all in one, and at 60 dB quieter none
        in 21 of the 25; normalised, it finds the same frames at every level
        and still no speech in white, pink or brown noise at any level. WebRTC
        is closer to a level gate: as it is, it misses quiet speech (none
        found in 23 of those 25 at -40 dB) and takes noise louder than about
        -20 dBFS for speech; normalised, it finds all the quiet speech but
        takes any noise for speech. ``"energy"`` is relative to the
        recording's own floor: the gain changes nothing (``"normalize"``
        only removes the DC offset and what lies below 60 Hz).

    Returns
    -------
    mask : ndarray of bool, shape (n_frames,)
        One decision per 10 ms (frame ``i`` is centred on time ``i * 0.01``
        s, sample ``round(i * 0.01 * sample_rate)``), ``n_frames = 1 +
        floor(len(y) / (0.01 * sample_rate))``.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.features import speech_mask
    >>> rng = np.random.RandomState(0)
    >>> y = np.concatenate([np.zeros(8000), 0.3 * rng.randn(8000), np.zeros(8000)]).astype("float32")
    >>> mask = speech_mask(y, 16000, method="energy")
    >>> mask.shape, bool(mask[60:90].all()), bool(mask[:40].any() or mask[-40:].any())
    ((151,), True, False)
    """
    y = np.asarray(y, dtype=np.float32)
    n_frames = 1 + int(len(y) // (HOP_SECONDS * sample_rate))  # frame centres (exact 10 ms grid) inside y
    if level == "normalize" or (level == "auto" and method == "silero"):
        y = _condition_level(y, sample_rate)
    if method == "energy":
        # librosa frames with a whole-sample hop: take the frame nearest each exact 10 ms centre, so the decisions
        # sit on the same time grid as the other detectors' at any rate (the same frames when the hop is whole)
        hop = int(round(HOP_SECONDS * sample_rate))
        energy = _energy_mask(y, sample_rate, threshold)
        nearest = np.rint(np.arange(n_frames) * (HOP_SECONDS * sample_rate) / hop).astype(np.int64)
        return energy[np.minimum(nearest, len(energy) - 1)]
    y16 = resample(y, sample_rate, _DETECTOR_RATE)
    if method == "webrtc":
        mode = 3 if threshold is None else int(threshold)
        if not 0 <= mode <= 3:
            raise ValueError(f"For method='webrtc' the threshold is the aggressiveness 0-3, got {threshold}.")
        return _to_frames(webrtc_flags(y16, mode), 480, n_frames, _DETECTOR_RATE)
    probs = silero_probabilities(y16)
    return _to_frames(probs >= (0.5 if threshold is None else float(threshold)), 512, n_frames, _DETECTOR_RATE)


def apply_speech_mask(y, sample_rate, mask, *, output="speech", padding=0.1, min_pause=0.3,
                      min_speech=MIN_SPEECH_SECONDS):
    """Cut a waveform down to its speech given per-10 ms decisions.

    Pauses shorter than ``min_pause`` seconds inside speech are kept (bridged),
    each speech region gets ``padding`` seconds of context on both sides, then
    ``output="speech"`` keeps every speech region (concatenated) and
    ``"trim"`` keeps everything from the first to the last one.

    Frame ``i`` of ``mask`` covers samples ``round(i * 0.01 * sample_rate)``
    up to ``round((i + 1) * 0.01 * sample_rate)``: mapped by time, so no
    offset builds up along long recordings at rates where 10 ms is not a
    whole number of samples (22.05 kHz).

    Returns
    -------
    y_speech : ndarray
        The kept samples, or ``y`` unchanged when less than ``min_speech``
        seconds of speech were found.
    found : bool
        False when it fell back to the whole recording.
    """
    from scipy.ndimage import binary_closing, binary_dilation

    mask = np.asarray(mask, dtype=bool)
    if mask.sum() * HOP_SECONDS < min_speech:
        return y, False
    gap = int(round(min_pause / HOP_SECONDS))
    if gap > 0:  # bridge short pauses (pad the ends so closing does not eat speech at the edges)
        mask = binary_closing(np.pad(mask, gap), structure=np.ones(gap + 1, dtype=bool))[gap:-gap]
    pad = int(round(padding / HOP_SECONDS))
    if pad > 0:
        mask = binary_dilation(mask, structure=np.ones(2 * pad + 1, dtype=bool))
    if output == "trim":  # from the first to the last speech frame, with half a hop of slack on either side
        frames = np.flatnonzero(mask)
        half = int(round(HOP_SECONDS * sample_rate)) // 2
        start = max(0, int(_frame_starts(frames[0], sample_rate)) - half)
        stop = min(len(y), int(_frame_starts(frames[-1] + 1, sample_rate)) + half)
        return y[start:stop], True
    keep = np.repeat(mask, np.diff(_frame_starts(np.arange(len(mask) + 1), sample_rate)))[:len(y)]
    if len(keep) < len(y):
        keep = np.concatenate([keep, np.full(len(y) - len(keep), mask[-1])])
    return y[keep], True


def _detect(item, index, *, sample_rate, method, threshold, level, output, padding, min_pause, min_speech):
    """Worker: decode one recording and keep its speech; returns ``(waveform, found)``."""
    # shorter than one 25 ms analysis window: nothing any extractor can use
    y = read_for_model(item, index, input_rate=sample_rate, model_rate=sample_rate,
                       min_samples=int(round(0.025 * sample_rate)))
    mask = speech_mask(y, sample_rate, method, threshold=threshold, level=level)
    return apply_speech_mask(y, sample_rate, mask, output=output, padding=padding, min_pause=min_pause,
                             min_speech=min_speech)


class VoiceActivityDetector(AudioOutputMixin, StatelessAudioTransformer):
    """Keep the speech of each recording: audio in, speech-only waveforms out.

    Each recording is decoded at ``sample_rate``, a detector decides speech or
    not for every 10 ms frame, pauses shorter than ``min_pause`` inside speech
    are bridged and speech regions get ``padding`` seconds of context. The
    output is a recording set of 1-D float32 waveforms (at ``sample_rate``)
    that any skvoice extractor accepts, so the detector drops into a pipeline
    before ``MFCCExtractor`` or ``SpeakerEmbedding``. Leading/trailing silence,
    long pauses and non-speech noise then no longer dilute frame statistics or
    votes.

    A recording in which less than ``min_speech`` seconds of speech are found
    (silence, pure noise, a 2-s chunk that falls in a pause) is **not** an
    error: it is passed through whole, and its index is listed in
    ``no_speech_``.

    Parameters
    ----------
    method : {"silero", "webrtc", "energy"}, default="silero"
        Detector (see :func:`speech_mask`): the Silero neural detector (ONNX,
        shipped in the ``silero-vad`` wheel, needs ``onnxruntime``), Google's
        WebRTC detector, or an adaptive energy threshold.
    output : {"speech", "trim"}, default="speech"
        ``"speech"`` concatenates the speech regions; ``"trim"`` only cuts
        leading and trailing non-speech.
    threshold : float or None, default=None
        Detector sensitivity (Silero probability, WebRTC aggressiveness 0-3,
        or dB above the noise floor, at most half-way to the speech level:
        see :func:`speech_mask`); ``None`` uses the detector's default.
    level : {"auto", "normalize", "keep"}, default="auto"
        Whether the detector sees a copy high-passed at 60 Hz with every 10 s
        block scaled to -25 dBFS (``"normalize"``) or the recording as it is
        (``"keep"``); ``"auto"`` normalises for Silero only, whose decisions otherwise fall with the level (see
        :func:`speech_mask`). The output waveforms keep their level either
        way. Models saved by skvoice 0.2.6 and earlier keep ``"keep"``.
    padding : float, default=0.1
        Seconds of context kept on each side of a speech region.
    min_pause : float, default=0.3
        Pauses shorter than this (seconds) are kept as part of the speech.
    min_speech : float, default=0.25
        Less speech than this (seconds) means "no speech found": the whole
        recording is returned.
    %(waveform_output_parameters)s

    Attributes
    ----------
    %(failures_)s
    no_speech_ : list of int
        Indices of the recordings of the most recent ``transform`` in which
        no speech was found (returned whole). A read-only diagnostic like
        ``failures_``.

    See Also
    --------
    speech_mask : the per-frame decisions.
    MFCCExtractor, SpeakerEmbedding : extractors that take its output.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.features import VoiceActivityDetector
    >>> rng = np.random.RandomState(0)
    >>> speech = 0.3 * rng.randn(16000).astype("float32")
    >>> padded = np.concatenate([np.zeros(32000, "float32"), speech, np.zeros(32000, "float32")])
    >>> vad = VoiceActivityDetector(method="energy", padding=0.0)
    >>> blip = np.concatenate([speech[:1600], np.zeros(16000, "float32")])  # 0.1 s: less than min_speech
    >>> out = vad.fit_transform([padded, blip])
    >>> round(len(out[0]) / 16000, 1), len(out[1]), vad.no_speech_
    (1.0, 17600, [1])
    """

    _parameter_constraints = {
        "method": [StrOptions({"silero", "webrtc", "energy"})],
        "output": [StrOptions({"speech", "trim"})],
        "threshold": [numbers.Real, None],
        "level": [StrOptions({"auto", "normalize", "keep"})],
        "padding": [Interval(numbers.Real, 0, None, closed="left")],
        "min_pause": [Interval(numbers.Real, 0, None, closed="left")],
        "min_speech": [Interval(numbers.Real, 0, None, closed="left")],
        **AUDIO_CONSTRAINTS,
    }
    _failed_slot = "an empty waveform"

    def __init__(self, method="silero", *, output="speech", threshold=None, level="auto", padding=0.1, min_pause=0.3,
                 min_speech=MIN_SPEECH_SECONDS, sample_rate=16000, on_error="raise", n_jobs=None, verbose=0):
        self.method = method
        self.output = output
        self.threshold = threshold
        self.level = level
        self.padding = padding
        self.min_pause = min_pause
        self.min_speech = min_speech
        super().__init__(sample_rate=sample_rate, on_error=on_error, n_jobs=n_jobs, verbose=verbose)

    def __setstate__(self, state):
        # skvoice 0.2.6 and earlier ran every detector on the recording as it was: a saved model keeps the
        # speech its later steps were trained on
        state = dict(state)
        state.setdefault("level", "keep")
        super().__setstate__(state)

    def transform(self, X):
        """Keep the speech of each recording.

        %(parameters_X_audio)s

        %(returns_waveforms)s
            Each holds the speech of its recording (see ``output``).
        """
        self._validate_params()
        items = self._check_audio(X)
        detect = functools.partial(_detect, sample_rate=self.sample_rate, method=self.method,
                                   threshold=self.threshold, level=self.level, output=self.output,
                                   padding=self.padding, min_pause=self.min_pause, min_speech=self.min_speech)
        results = self._map_audio(items, detect, desc="VAD")
        self._set_last("no_speech", [i for i, r in enumerate(results) if r is not None and not r[1]])
        empty = np.empty(0, dtype=np.float32)
        return as_recording_set(empty if r is None else np.ascontiguousarray(r[0], dtype=np.float32)
                                for r in results)

    @property
    def no_speech_(self):
        return self._get_last("no_speech")
