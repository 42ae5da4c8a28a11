"""MFCC extraction from audio files or waveforms into a recording set."""

from __future__ import annotations

import functools
import numbers

import numpy as np
from threadpoolctl import threadpool_limits

from .._audio import AudioError, check_not_silent, read_input, row_hint, source_name
from .._base import AUDIO_CONSTRAINTS, AudioTransformer
from .._ragged import as_recording_set
from .._sklearn_compat import Interval

__all__ = ["MFCCExtractor"]

BLOCK_FRAMES = 6000  # 60 s of 10 ms frames per STFT block


class MFCCExtractor(AudioTransformer):
    """Extract MFCC frames (optionally deltas and pitch) from recordings.

    Input is a sequence of audio file paths or 1-D waveforms (at
    ``sample_rate``); output is a *recording set*: a 1-D object array with one
    ``(n_frames_i, n_features)`` float32 array per recording, which CMVN,
    OutlierFilter, StatsPooling and the skvoice classifiers consume. Files are
    decoded at ``sample_rate`` (LibriSpeech is 16 kHz, so no resampling; other
    rates are resampled with soxr) and processed in parallel with joblib.

    Parameters
    ----------
    n_mfcc : int, default=13
        Number of cepstral coefficients (the study used 13).
    sample_rate : int, default=16000
        Rate audio is decoded/resampled to, and the rate of waveform input.
    n_fft : int, default=512
        FFT size.
    win_length : int, default=400
        Analysis window in samples (25 ms at 16 kHz).
    hop_length : int, default=160
        Hop in samples (10 ms at 16 kHz).
    n_mels : int, default=40
        Mel bands.
    fmin : float, default=20.0
        Lowest mel frequency in Hz.
    fmax : float or None, default=None
        Highest mel frequency (``None``: Nyquist).
    deltas : bool, default=False
        Append first and second order deltas (``3 * n_mfcc`` features).
    pitch : bool, default=False
        Append two pitch features per frame: log2(F0/100 Hz) (interpolated
        through unvoiced frames) and periodicity (voicing strength in [0, 1]).
        F0 is the strongest single cue to speaker sex.
    %(on_error)s
    %(n_jobs)s
    %(verbose)s

    Attributes
    ----------
    n_features_out_ : int
        Number of features per frame.
    %(failures_)s

    See Also
    --------
    CMVN : cepstral mean and variance normalisation of the frames.
    StatsPooling : per-recording statistics, for any scikit-learn estimator.

    Examples
    --------
    >>> from skvoice.datasets import make_voices
    >>> from skvoice.features import MFCCExtractor
    >>> voices = make_voices(n_speakers=2, n_utterances=2, duration=1.0, random_state=0)
    >>> X = MFCCExtractor(deltas=True).fit_transform(voices.waveforms)
    >>> len(X), X[0].shape, X[0].dtype
    (4, (101, 39), dtype('float32'))
    """

    _parameter_constraints = {
        "n_mfcc": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_fft": [Interval(numbers.Integral, 16, None, closed="left")],
        "win_length": [Interval(numbers.Integral, 16, None, closed="left")],
        "hop_length": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_mels": [Interval(numbers.Integral, 1, None, closed="left")],
        "fmin": [Interval(numbers.Real, 0, None, closed="left")],
        "fmax": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "deltas": ["boolean"],
        "pitch": ["boolean"],
        **AUDIO_CONSTRAINTS,
    }
    _failed_slot = "a 0-frame array"
    _block_size = None  # frames are small: all recordings in one parallel pass
    _requires_fit = False

    def __init__(self, n_mfcc=13, *, sample_rate=16000, n_fft=512, win_length=400, hop_length=160, n_mels=40,
                 fmin=20.0, fmax=None, deltas=False, pitch=False, on_error="raise", n_jobs=None, verbose=0):
        self.n_mfcc = n_mfcc
        self.n_fft = n_fft
        self.win_length = win_length
        self.hop_length = hop_length
        self.n_mels = n_mels
        self.fmin = fmin
        self.fmax = fmax
        self.deltas = deltas
        self.pitch = pitch
        super().__init__(sample_rate=sample_rate, on_error=on_error, n_jobs=n_jobs, verbose=verbose)

    def _check_params(self):
        self._validate_params()
        if self.win_length > self.n_fft:
            raise ValueError(f"win_length ({self.win_length}) must be <= n_fft ({self.n_fft}).")
        if self.n_mfcc > self.n_mels:
            raise ValueError(f"n_mfcc ({self.n_mfcc}) must be <= n_mels ({self.n_mels}).")
        nyquist = self.sample_rate / 2
        if self.fmax is not None and self.fmax > nyquist:
            raise ValueError(f"fmax ({self.fmax}) must be <= sample_rate / 2 ({nyquist}).")
        if self.fmin >= (self.fmax or nyquist):
            raise ValueError(f"fmin ({self.fmin}) must be < fmax ({self.fmax or nyquist}).")

    def fit(self, X=None, y=None):
        """Validate the parameters (MFCC extraction learns nothing).

        %(parameters_fit_X_unread)s

        Returns
        -------
        self : MFCCExtractor
        """
        self._check_params()
        self._reset_last_call()
        if X is not None:
            self._check_audio(X)
        self.n_features_out_ = self._n_features_out()
        return self

    def _n_features_out(self):
        return self.n_mfcc * (3 if self.deltas else 1) + (2 if self.pitch else 0)

    def _mel_basis(self):
        import librosa

        return librosa.filters.mel(sr=self.sample_rate, n_fft=self.n_fft, n_mels=self.n_mels, fmin=self.fmin,
                                   fmax=self.fmax, dtype=np.float32)

    def _mel_power(self, y, mel_basis):
        """Mel power spectrogram, centred frames as librosa's ``center=True``, computed in blocks of frames.

        Blocks bound the memory of the complex STFT (a 1-hour file would otherwise need ~0.7 GB for it).
        """
        import librosa

        hop, pad = self.hop_length, self.n_fft // 2
        n_frames = 1 + (len(y) + 2 * pad - self.n_fft) // hop
        out = np.empty((mel_basis.shape[0], n_frames), dtype=np.float32)
        for f0 in range(0, n_frames, BLOCK_FRAMES):
            f1 = min(f0 + BLOCK_FRAMES, n_frames)
            # samples of this block in the zero-padded signal (librosa's default pad_mode="constant"),
            # padded per block so the whole waveform is never copied
            start, stop = f0 * hop - pad, (f1 - 1) * hop + self.n_fft - pad
            seg = y[max(start, 0):min(stop, len(y))]
            if start < 0 or stop > len(y):
                seg = np.pad(seg, (max(-start, 0), max(stop - len(y), 0)))
            stft = librosa.stft(seg, n_fft=self.n_fft, hop_length=hop, win_length=self.win_length, center=False)
            out[:, f0:f1] = mel_basis @ (stft.real ** 2 + stft.imag ** 2)
        return out

    def _extract_one(self, item, index, mel_basis):
        import librosa

        y = read_input(item, self.sample_rate, index)
        if y.shape[0] < self.win_length:
            raise AudioError(source_name(item, index),
                             f"audio is too short: {y.shape[0]} samples, fewer than one analysis window "
                             f"({self.win_length} samples = {1000 * self.win_length / self.sample_rate:.0f} ms)"
                             f"{row_hint(item, y)}")
        check_not_silent(y, source_name(item, index))
        log_mel = librosa.power_to_db(self._mel_power(y, mel_basis), ref=1.0, amin=1e-10, top_db=80.0)
        mfcc = librosa.feature.mfcc(S=log_mel, n_mfcc=self.n_mfcc)  # DCT-II, ortho: same as librosa's own
        parts = [mfcc]
        if self.deltas:
            width = min(9, mfcc.shape[1] if mfcc.shape[1] % 2 else mfcc.shape[1] - 1)
            if width >= 3:
                parts.append(librosa.feature.delta(mfcc, width=width, order=1, mode="nearest"))
                parts.append(librosa.feature.delta(mfcc, width=width, order=2, mode="nearest"))
            else:
                parts.extend([np.zeros_like(mfcc), np.zeros_like(mfcc)])
        if self.pitch:
            from ._pitch import pitch_track

            log_f0, periodicity = pitch_track(y, self.sample_rate, self.hop_length)
            n = mfcc.shape[1]
            parts.append(np.vstack([log_f0[:n], periodicity[:n]]))
        return np.ascontiguousarray(np.vstack(parts).T, dtype=np.float32)

    def transform(self, X):
        """Extract frames from each recording.

        %(parameters_X_audio)s

        Returns
        -------
        frames : ndarray of object, shape (n_recordings,)
            One float32 array ``(n_frames_i, n_features_out_)`` per recording.
        """
        self._check_params()  # MFCC learns nothing: transform works unfitted and never sets attributes
        items = self._check_audio(X)
        extract = functools.partial(self._extract_one, mel_basis=self._mel_basis())
        # the per-file matrix products are small: multi-threaded BLAS only adds contention (measured 4x slower
        # on a busy 2-core machine) and makes results depend on n_jobs; loky workers are single-threaded anyway
        with threadpool_limits(limits=1, user_api="blas"):
            results = self._map_audio(items, extract, desc="MFCC")
        return as_recording_set(results, missing=np.empty((0, self._n_features_out()), dtype=np.float32))

    def get_feature_names_out(self, input_features=None):
        """Names of the per-frame features (``mfcc_0``, ``d_mfcc_0``, ``dd_mfcc_0``, ``log_f0``, ...)."""
        names = [f"mfcc_{i}" for i in range(self.n_mfcc)]
        if self.deltas:
            names += [f"d_mfcc_{i}" for i in range(self.n_mfcc)] + [f"dd_mfcc_{i}" for i in range(self.n_mfcc)]
        if self.pitch:
            names += ["log_f0", "periodicity"]
        return np.asarray(names, dtype=object)
