"""A fast, vectorised pitch (F0) tracker: normalised autocorrelation per frame.

Used by :class:`~skvoice.features.MFCCExtractor` (``pitch=True``). It favours
speed and robustness of *per-recording statistics* over per-frame precision:
one FFT per frame, no Viterbi smoothing.
"""

from __future__ import annotations

import numpy as np
import scipy.fft


def frame_signal(y, frame_length, hop_length):
    """Centre-padded frames ``(n_frames, frame_length)``, aligned with librosa's ``center=True`` (a view)."""
    import librosa

    pad = frame_length // 2
    y = np.pad(y, (pad, pad), mode="constant")
    return librosa.util.frame(y, frame_length=frame_length, hop_length=hop_length, axis=0, writeable=False)


def _pitch_block(frames, window, wacf, n_fft, lag_min, lag_max, sr):
    frames = frames.astype(np.float32)
    frames = (frames - frames.mean(axis=1, keepdims=True)) * window
    spec = scipy.fft.rfft(frames, n=n_fft, axis=1)
    acf = scipy.fft.irfft(spec.real ** 2 + spec.imag ** 2, n=n_fft, axis=1)[:, :len(wacf)]
    energy = acf[:, 0:1]
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = (acf[:, lag_min:lag_max + 1] / wacf[lag_min:lag_max + 1]) * (wacf[0] / energy)
    norm = np.nan_to_num(norm, nan=0.0, posinf=0.0, neginf=0.0)
    # sub-harmonics (lags 2T, 3T...) correlate as well as the period itself: take the *shortest* lag whose
    # peak comes within 10% of the best one (YIN's "first dip" idea), which avoids octave-down errors
    peak = np.max(norm, axis=1, keepdims=True)
    local_max = np.zeros_like(norm, dtype=bool)
    local_max[:, 1:-1] = (norm[:, 1:-1] >= norm[:, :-2]) & (norm[:, 1:-1] >= norm[:, 2:])
    candidates = local_max & (norm >= 0.9 * peak)
    best = np.where(candidates.any(axis=1), np.argmax(candidates, axis=1), np.argmax(norm, axis=1))
    rows = np.arange(len(best))
    periodicity = np.clip(norm[rows, best], 0.0, 1.0)
    # parabolic interpolation around the peak for sub-sample lag
    idx = np.clip(best, 1, norm.shape[1] - 2)
    a, b, c = (norm[rows, idx + k] for k in (-1, 0, 1))
    denom = a - 2 * b + c
    with np.errstate(invalid="ignore", divide="ignore"):
        shift = np.where(np.abs(denom) > 1e-12, 0.5 * (a - c) / denom, 0.0)
    lag = lag_min + idx + np.clip(shift, -1, 1)
    return sr / lag, periodicity, energy[:, 0]


def pitch_track(y, sr, hop_length, *, fmin=60.0, fmax=400.0, frame_length=None, voicing_threshold=0.45,
                block_frames=4000):
    """Estimate F0 per frame.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono waveform.
    sr : int
        Sample rate.
    hop_length : int
        Hop in samples (use the MFCC hop so frames align).
    fmin, fmax : float
        Search range in Hz.
    frame_length : int, optional
        Analysis window; default covers two periods of ``fmin``.
    voicing_threshold : float
        Frames whose normalised autocorrelation peak is below this are unvoiced.

    Returns
    -------
    log_f0 : ndarray of shape (n_frames,)
        log2(F0 / 100 Hz), linearly interpolated through unvoiced frames
        (0.0 when no frame is voiced).
    periodicity : ndarray of shape (n_frames,)
        Peak of the normalised autocorrelation in [0, 1] (voicing strength).
    """
    y = np.asarray(y, dtype=np.float32)
    if frame_length is None:
        frame_length = int(2 ** np.ceil(np.log2(2.0 * sr / fmin)))
    frames = frame_signal(y, frame_length, hop_length)  # a strided view: no copy
    window = np.hanning(frame_length).astype(np.float32)
    lag_min = max(2, int(np.floor(sr / fmax)))
    lag_max = min(frame_length - 2, int(np.ceil(sr / fmin)))
    # the autocorrelation is read up to lag_max + 1 only: an FFT of frame_length + lag_max + 2 points (rounded up
    # to a fast size) gives those lags without circular wrap-around, ~2x fewer points than 2 * frame_length
    n_fft = scipy.fft.next_fast_len(frame_length + lag_max + 2, real=True)
    wspec = scipy.fft.rfft(window, n=n_fft)
    wacf = scipy.fft.irfft(np.abs(wspec) ** 2, n=n_fft)[:lag_max + 2]
    n_frames = frames.shape[0]
    f0 = np.empty(n_frames, dtype=np.float64)
    periodicity = np.empty(n_frames, dtype=np.float64)
    energy = np.empty(n_frames, dtype=np.float64)
    for b0 in range(0, n_frames, block_frames):  # blocks bound memory for long files
        b1 = min(b0 + block_frames, n_frames)
        f0[b0:b1], periodicity[b0:b1], energy[b0:b1] = _pitch_block(
            frames[b0:b1], window, wacf, n_fft, lag_min, lag_max, sr)
    voiced = (periodicity >= voicing_threshold) & (energy > 1e-10)
    log_f0 = np.log2(f0 / 100.0)
    if voiced.any():
        pos = np.arange(len(log_f0))
        log_f0 = np.interp(pos, pos[voiced], log_f0[voiced])
    else:
        log_f0 = np.zeros_like(log_f0)
    return log_f0.astype(np.float32), periodicity.astype(np.float32)
