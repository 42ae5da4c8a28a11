"""Additive noise at a target signal-to-noise ratio: coloured, babble and recorded noise."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.fft

from .._audio import AudioError, finite_samples, is_path_like, read_input
from ._levels import active_mask
from ._random import as_generator

__all__ = ["NOISE_COLORS", "colored_noise", "babble_noise", "add_noise", "measure_snr", "prepare_sources"]

# exponent beta of the power spectral density 1 / f**beta
NOISE_COLORS = {"white": 0.0, "pink": 1.0, "brown": 2.0, "blue": -1.0, "violet": -2.0}
NOISE_KINDS = (*NOISE_COLORS, "babble", "recorded")


def _unit_rms(x):
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    return x / rms if rms > 0 else x


def colored_noise(n_samples, color="white", *, sample_rate=16000, fmin=20.0, random_state=None):
    """Gaussian noise whose power spectral density falls as ``1 / f**beta``.

    White noise is shaped in the frequency domain: its spectrum is multiplied by
    ``f ** (-beta / 2)``, so the power falls by ``3 * beta`` dB per octave
    (pink: 3 dB, brown: 6 dB, blue and violet rise). Below ``fmin`` the
    spectrum is held flat at its ``fmin`` value, which keeps brown noise from
    drifting without bound (an inaudible DC wander).

    Parameters
    ----------
    n_samples : int
        Length of the noise.
    color : {"white", "pink", "brown", "blue", "violet"} or float, default="white"
        A name, or the exponent ``beta`` itself (pink 1, brown 2, blue -1,
        violet -2).
    sample_rate : int, default=16000
        Sample rate, to place ``fmin``.
    fmin : float, default=20.0
        Frequency (Hz) below which the spectrum stays flat.
    random_state : int, RandomState, Generator or None

    Returns
    -------
    noise : ndarray of float32, shape (n_samples,)
        Zero-mean noise scaled to unit RMS.

    Examples
    --------
    >>> from skvoice.augment import colored_noise
    >>> x = colored_noise(16000, "pink", random_state=0)
    >>> x.shape, round(float((x ** 2).mean()), 3)
    ((16000,), 1.0)
    """
    if isinstance(color, str):
        if color not in NOISE_COLORS:
            raise ValueError(f"color must be one of {sorted(NOISE_COLORS)} or a number, got {color!r}.")
        beta = NOISE_COLORS[color]
    elif isinstance(color, numbers.Real):
        beta = float(color)
    else:
        raise ValueError(f"color must be a name or a number, got {color!r}.")
    n_samples = int(n_samples)
    rng = as_generator(random_state)
    if beta == 0.0 or n_samples < 2:
        return _unit_rms(rng.standard_normal(n_samples)).astype(np.float32)
    # shaped at a length the FFT does fast and cut: an hour of noise at a prime length took 120 s (11 s now)
    n_fft = scipy.fft.next_fast_len(n_samples, real=True)
    spectrum = scipy.fft.rfft(rng.standard_normal(n_fft))
    freqs = np.maximum(scipy.fft.rfftfreq(n_fft, 1.0 / sample_rate), max(fmin, sample_rate / n_fft))
    spectrum *= freqs ** (-beta / 2.0)
    spectrum[0] = 0.0  # zero mean
    noise = scipy.fft.irfft(spectrum, n_fft)
    if n_fft > n_samples:
        noise = noise[:n_samples] - noise[:n_samples].mean()
    return _unit_rms(noise).astype(np.float32)


def prepare_sources(sources, sample_rate, *, normalise=True):
    """Decode noise/babble sources (paths at any rate, or waveforms at ``sample_rate``) to unit-level float64.

    ``normalise`` scales each to unit RMS over its active part (so every
    talker of a babble mix speaks at the same active level).
    """
    if (sources is None or is_path_like(sources)
            or isinstance(sources, np.ndarray) and sources.dtype != object and sources.ndim == 1):
        raise ValueError("sources must be a list of audio file paths or waveforms (wrap a single one in a list).")
    items = list(sources)
    if not items:
        raise ValueError("sources is empty: babble and recorded noise need at least one recording.")
    out = []
    for i, item in enumerate(items):
        y = np.asarray(read_input(item, sample_rate, i), dtype=np.float64)
        if not np.any(y):
            raise AudioError(item if is_path_like(item) else f"<noise source {i}>", "noise source is silent")
        if normalise:
            mask = active_mask(y, sample_rate)
            y = y / np.sqrt(np.mean(y[mask] ** 2))
        out.append(y)
    return out


def _fit_length(x, n_samples, rng):
    """A random-offset excerpt of ``x`` of length ``n_samples`` (looping ``x`` when it is shorter)."""
    offset = int(rng.integers(len(x)))
    return np.resize(np.roll(x, -offset), n_samples)


def babble_noise(n_samples, sources, *, sample_rate=16000, n_talkers=6, random_state=None, _prepared=None):
    """Babble: the sum of ``n_talkers`` other recordings, each at the same active speech level.

    Talkers are drawn from ``sources`` without replacement (with replacement
    only when there are fewer sources than talkers); each starts at a random
    offset and loops when shorter than ``n_samples``.

    Parameters
    ----------
    n_samples : int
        Length of the babble.
    sources : sequence of paths or waveforms
        Speech recordings to mix (paths are decoded at ``sample_rate``;
        waveforms must already be at ``sample_rate``). Use speakers that are
        not in your test set.
    sample_rate : int, default=16000
    n_talkers : int, default=6
        Simultaneous talkers; more talkers sound more like a stationary crowd.
    random_state : int, RandomState, Generator or None

    Returns
    -------
    noise : ndarray of float32, shape (n_samples,)
        Scaled to unit RMS.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.augment import babble_noise
    >>> from skvoice.datasets import make_voices
    >>> talkers = make_voices(n_speakers=4, n_utterances=1, duration=1.0, random_state=0).waveforms
    >>> babble_noise(24000, talkers, n_talkers=3, random_state=0).shape
    (24000,)
    """
    if int(n_talkers) < 1:
        raise ValueError(f"n_talkers must be >= 1, got {n_talkers!r}.")
    rng = as_generator(random_state)
    prepared = _prepared if _prepared is not None else prepare_sources(sources, sample_rate)
    replace = len(prepared) < n_talkers
    chosen = rng.choice(len(prepared), size=int(n_talkers), replace=replace)
    mix = np.zeros(int(n_samples))
    for k in chosen:
        mix += _fit_length(prepared[k], int(n_samples), rng)
    return _unit_rms(mix).astype(np.float32)


def _make_noise(n, sample_rate, noise, sources, n_talkers, rng, prepared):
    if isinstance(noise, np.ndarray):
        if noise.ndim != 1 or len(noise) == 0 or not np.isfinite(noise).all():
            raise ValueError("a noise array must be a non-empty finite 1-D waveform.")
        return _fit_length(np.asarray(noise, dtype=np.float64), n, rng)
    if noise in NOISE_COLORS:
        return colored_noise(n, noise, sample_rate=sample_rate, random_state=rng)
    if noise == "babble":
        if prepared is None and sources is None:
            raise ValueError("noise='babble' needs sources: a list of speech recordings (paths or waveforms) "
                             "to mix, from speakers outside the evaluation set.")
        return babble_noise(n, sources, sample_rate=sample_rate, n_talkers=n_talkers, random_state=rng,
                            _prepared=prepared)
    if noise == "recorded":
        if prepared is None and sources is None:
            raise ValueError("noise='recorded' needs sources: a list of noise recordings (paths or waveforms).")
        prepared = prepared if prepared is not None else prepare_sources(sources, sample_rate)
        return _fit_length(prepared[int(rng.integers(len(prepared)))], n, rng)
    raise ValueError(f"noise must be one of {list(NOISE_KINDS)} or a 1-D array, got {noise!r}.")


def add_noise(y, sample_rate=16000, *, snr_db=10.0, noise="white", sources=None, n_talkers=6, reference="active",
              random_state=None, _prepared=None):
    """Add noise to a waveform at a given signal-to-noise ratio.

    The SNR is ``10 * log10(P_signal / P_noise)`` with both powers taken over
    the same samples: the active speech of ``y`` (``reference="active"``, see
    :func:`active_mask`; pauses then do not lower the speech power, so a
    recording with long pauses gets the same audible SNR as one without) or the
    whole signal (``reference="whole"``). The noise is scaled so that the SNR
    is exact on those samples; :func:`measure_snr` recovers it from the clean
    and noisy waveforms. The result is not clipped.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Clean mono waveform.
    sample_rate : int, default=16000
        Its sample rate.
    snr_db : float, default=10.0
        Target SNR in dB.
    noise : {"white", "pink", "brown", "blue", "violet", "babble", "recorded"} or ndarray, default="white"
        Coloured Gaussian noise (:func:`colored_noise`), babble from
        ``sources`` (:func:`babble_noise`), a random excerpt of one of the
        ``sources`` (``"recorded"``: e.g. recorded street or fan noise), or
        a given noise waveform (looped/cut to length from a random offset).
    sources : sequence of paths or waveforms, optional
        Talkers for ``"babble"``, noise recordings for ``"recorded"``.
    n_talkers : int, default=6
        Talkers in the babble.
    reference : {"active", "whole"}, default="active"
        Samples over which the SNR holds.
    random_state : int, RandomState, Generator or None

    Returns
    -------
    noisy : ndarray of float32, shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.augment import add_noise, measure_snr
    >>> clean = np.sin(np.arange(16000) / 5.0).astype("float32")
    >>> noisy = add_noise(clean, 16000, snr_db=5.0, noise="pink", random_state=0)
    >>> round(measure_snr(clean, noisy, 16000), 2)
    5.0
    """
    if reference not in ("active", "whole"):
        raise ValueError(f"reference must be 'active' or 'whole', got {reference!r}.")
    if not np.isfinite(snr_db):
        raise ValueError(f"snr_db must be finite, got {snr_db!r}.")
    rng = as_generator(random_state)
    x = finite_samples(y, "add_noise")
    n = len(x)
    if n == 0:
        raise ValueError("cannot add noise to an empty waveform.")
    noise_sig = np.asarray(_make_noise(n, sample_rate, noise, sources, n_talkers, rng, _prepared), dtype=np.float64)
    mask = active_mask(x, sample_rate) if reference == "active" else np.ones(n, dtype=bool)
    p_signal = float(np.mean(x[mask] ** 2))
    p_noise = float(np.mean(noise_sig[mask] ** 2))
    if p_signal == 0.0:
        raise ValueError("the signal is digital silence: an SNR relative to it is undefined.")
    if p_noise == 0.0:
        raise ValueError("the noise is silent over the reference samples; cannot reach the requested SNR.")
    scale = np.sqrt(p_signal / (p_noise * 10.0 ** (snr_db / 10.0)))
    return (x + scale * noise_sig).astype(np.float32)


def measure_snr(clean, noisy, sample_rate=16000, *, reference="active"):
    """The SNR (dB) of ``noisy`` relative to ``clean``, with noise = ``noisy - clean``.

    Powers are taken over the active speech of ``clean`` or over the whole
    signal, as in :func:`add_noise`.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.augment import measure_snr
    >>> clean = np.ones(100)
    >>> round(measure_snr(clean, clean + 0.1, reference="whole"), 2)
    20.0
    """
    clean = finite_samples(clean, "measure_snr", "clean")
    noise = finite_samples(noisy, "measure_snr", "noisy") - clean
    if clean.shape != noise.shape:
        raise ValueError(f"clean and noisy must have the same shape, got {clean.shape} and {noise.shape}.")
    if reference not in ("active", "whole"):
        raise ValueError(f"reference must be 'active' or 'whole', got {reference!r}.")
    mask = active_mask(clean, sample_rate) if reference == "active" else np.ones(len(clean), dtype=bool)
    return float(10.0 * np.log10(np.mean(clean[mask] ** 2) / np.mean(noise[mask] ** 2)))
