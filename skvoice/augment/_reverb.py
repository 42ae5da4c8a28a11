"""Reverberation: simulated room impulse responses (image-source rooms or a statistical model) and convolution."""

from __future__ import annotations

import numpy as np

from .._audio import finite_samples
from .._docs import fill_doc
from ._random import as_generator

__all__ = ["simulate_rir", "reverberate", "estimate_rt60", "RIR_METHODS"]

RIR_METHODS = ("image", "statistical")
_SPEED_OF_SOUND = 343.0


def _statistical_rir(rt60, sample_rate, rng, drr_db):
    """Direct impulse + exponentially decaying Gaussian tail (Polack's model of the diffuse late field).

    The tail's amplitude envelope is ``exp(-3 ln(10) t / rt60)``, so its energy falls 60 dB in ``rt60``
    seconds; it starts 2.5 ms after the direct sound (the first reflections) and its total energy is
    ``drr_db`` below the direct sound's.
    """
    length = int(np.ceil(1.2 * rt60 * sample_rate)) + 1
    t = np.arange(length) / sample_rate
    tail = rng.standard_normal(length) * np.exp(-3.0 * np.log(10.0) * t / rt60)
    tail[: max(1, int(round(0.0025 * sample_rate)))] = 0.0
    tail *= np.sqrt(10.0 ** (-drr_db / 10.0) / np.sum(tail ** 2))
    tail[0] = 1.0
    return tail


def _image_rir(rt60, sample_rate, rng, room_dim, distance):
    try:
        import pyroomacoustics as pra
    except ImportError as exc:
        raise ImportError("method='image' simulates a room with pyroomacoustics: pip install 'skvoice[augment]' "
                          "(or pip install pyroomacoustics), or use method='statistical'.") from exc
    if room_dim is None:
        room_dim = [rng.uniform(4.0, 8.0), rng.uniform(3.0, 6.0), rng.uniform(2.5, 3.5)]
    room_dim = np.asarray(room_dim, dtype=float)
    if room_dim.shape != (3,) or np.any(room_dim < 1.5):
        raise ValueError(f"room_dim must be 3 lengths in metres, each >= 1.5, got {room_dim.tolist()}.")
    try:
        absorption, max_order = pra.inverse_sabine(rt60, room_dim)
    except ValueError as exc:
        raise ValueError(f"rt60={rt60} s cannot be reached in a {room_dim.round(2).tolist()} m room ({exc}); "
                         "choose a larger room or a longer rt60.") from None
    margin = 0.5
    lo, hi = np.full(3, margin), room_dim - margin
    lo[2], hi[2] = 1.0, min(2.0, room_dim[2] - margin)  # heads between 1 and 2 m
    source = rng.uniform(lo, hi)
    mic = None
    for _ in range(200):  # a microphone at the requested distance (within 20 %), inside the margins
        direction = rng.standard_normal(3)
        direction[2] *= 0.2
        direction /= np.linalg.norm(direction)
        candidate = source + direction * distance * rng.uniform(0.8, 1.2)
        if np.all(candidate >= lo) and np.all(candidate <= hi):
            mic = candidate
            break
    if mic is None:  # the room is too small for that distance: the farthest point of the inner box
        mic = np.where(source - lo > hi - source, lo, hi)

    def simulate(absorption, max_order):
        room = pra.ShoeBox(room_dim, fs=int(sample_rate), materials=pra.Material(absorption), max_order=max_order,
                           air_absorption=False)
        room.add_source(source)
        room.add_microphone(mic)
        room.compute_rir()
        return np.asarray(room.rir[0][0], dtype=np.float64)

    h = simulate(absorption, max_order)
    # Sabine's formula assumes a diffuse field; a shoebox with uniform absorption decays more slowly than it
    # predicts (by up to ~30 %). Correction steps re-simulate the same room and positions with the rt60 scaled by
    # the measured error, which brings T20 within a few per cent of the request, usually in one step. The step is
    # bounded: for short rt60s Sabine's absorption is near 1, the first room is almost anechoic, and an unbounded
    # step (by its tiny measured T20) overshot to responses up to 12 times too long. The closest response is kept.
    measured = estimate_rt60(h, sample_rate)
    target, best, best_error = rt60, h, abs(measured / rt60 - 1.0)
    for _ in range(_RT60_STEPS):
        if best_error <= 0.05:
            break
        target *= float(np.clip(rt60 / max(measured, 1e-3), 0.7, 1.4))
        try:
            absorption, max_order = pra.inverse_sabine(target, room_dim)
        except ValueError:
            break
        h = simulate(absorption, max_order)
        measured = estimate_rt60(h, sample_rate)
        error = abs(measured / rt60 - 1.0)
        if error < best_error:
            best, best_error = h, error
    return best


_RT60_STEPS = 4  # correction steps of the image method's rt60 at most


def simulate_rir(rt60=0.6, sample_rate=16000, *, method="image", room_dim=None, distance=1.5, drr_db=0.0,
                 random_state=None):
    """Simulate a room impulse response with a given reverberation time.

    Parameters
    ----------
    rt60 : float, default=0.6
        Reverberation time in seconds (time for the energy to decay by 60 dB).
    sample_rate : int, default=16000
    method : {"image", "statistical"}, default="image"
        ``"image"``: a rectangular (shoebox) room simulated with the image
        source method of pyroomacoustics (``pip install 'skvoice[augment]'``):
        uniform wall absorption from Sabine's formula for ``rt60``, random room
        size (4-8 x 3-6 x 2.5-3.5 m unless ``room_dim`` is given), talker and
        microphone at random places 0.5 m from the walls and ~``distance``
        apart. Costs ~0.1 s (rt60 0.3 s) to ~3 s (rt60 1 s) per response.
        ``"statistical"``: the direct sound plus a Gaussian noise tail whose
        energy decays exponentially at the rate ``rt60`` gives (Polack's model
        of late reverberation), at ``drr_db``; fast and dependency free, but
        without discrete early reflections.
    room_dim : sequence of 3 floats, optional
        Room size in metres (``"image"``).
    distance : float, default=1.5
        Talker-microphone distance in metres (``"image"``).
    drr_db : float, default=0.0
        Direct-to-reverberant energy ratio in dB (``"statistical"``; 0 dB is
        a talker at about the critical distance).
    random_state : int, RandomState, Generator or None

    Returns
    -------
    rir : ndarray of float32
        Impulse response whose first sample is the direct sound, of
        amplitude 1 (the strongest tap, except at very low ``drr_db`` where
        a reverberant tap can be stronger).

    Examples
    --------
    >>> from skvoice.augment import estimate_rt60, simulate_rir
    >>> h = simulate_rir(0.5, 16000, method="statistical", random_state=0)
    >>> round(estimate_rt60(h, 16000), 1)
    0.5
    """
    if not (np.isfinite(rt60) and 0.05 <= rt60 <= 5.0):
        raise ValueError(f"rt60 must be between 0.05 and 5 seconds, got {rt60!r}.")
    rng = as_generator(random_state)
    if method == "statistical":
        h = _statistical_rir(float(rt60), int(sample_rate), rng, float(drr_db))
    elif method == "image":
        if not distance > 0:
            raise ValueError(f"distance must be > 0 metres, got {distance!r}.")
        h = _image_rir(float(rt60), int(sample_rate), rng, room_dim, float(distance))
    else:
        raise ValueError(f"method must be one of {RIR_METHODS}, got {method!r}.")
    if method == "image":  # drop the propagation delay: the direct sound (the shortest path) lands at t = 0
        h = h[int(np.argmax(np.abs(h))):]
    # scaled by the direct sound: at a low drr_db a tap of the statistical tail can be stronger than it, and
    # cutting or scaling at that tap moved the reverberation 19 ms early and raised the DRR by 13 dB
    return (h / abs(h[0])).astype(np.float32)


@fill_doc
def reverberate(y, rir, *, preserve_level=True):
    """Convolve a waveform with a room impulse response (scipy FFT convolution).

    The output keeps the input's length (the reverberant tail past the end is
    cut) and alignment (the response's first sample is the direct sound, as
    :func:`simulate_rir` returns it).

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Dry waveform.
    rir : ndarray of shape (n_taps,)
        Impulse response at the waveform's sample rate.
    preserve_level : bool, default=True
        Rescale the output to the input's RMS level.

    %(returns_y_degraded)s

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.augment import reverberate
    >>> reverberate(np.array([1.0, 0.0, 0.0, 0.0]), np.array([1.0, 0.5]), preserve_level=False).tolist()
    [1.0, 0.5, 0.0, 0.0]
    """
    from scipy.signal import fftconvolve

    x = finite_samples(y, "reverberate")
    h = np.asarray(rir, dtype=np.float64)
    if h.ndim != 1 or len(h) == 0 or not np.isfinite(h).all():
        raise ValueError("rir must be a non-empty finite 1-D array.")
    out = fftconvolve(x, h)[: len(x)]
    if preserve_level:
        rms_in, rms_out = np.sqrt(np.mean(x ** 2)), np.sqrt(np.mean(out ** 2))
        if rms_out > 0:
            out *= rms_in / rms_out
    return out.astype(np.float32)


def estimate_rt60(rir, sample_rate, *, decay_db=20.0):
    """Reverberation time of an impulse response by Schroeder backward integration.

    The energy decay curve ``EDC(t) = sum_{tau >= t} h(tau)^2`` (in dB) is fitted
    by least squares between -5 dB and ``-5 - decay_db`` dB, and the slope is
    extrapolated to 60 dB (ISO 3382: T20 with ``decay_db=20``, T30 with 30).

    Parameters
    ----------
    rir : ndarray of shape (n_taps,)
    sample_rate : int
    decay_db : float, default=20.0

    Returns
    -------
    rt60 : float
        Seconds.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.augment import estimate_rt60
    >>> t = np.arange(16000) / 16000
    >>> h = np.random.default_rng(0).normal(size=t.size) * 10 ** (-3 * t / 0.4)  # RT60 = 0.4 s
    >>> round(estimate_rt60(h, 16000), 2)
    0.4
    """
    h = np.asarray(rir, dtype=np.float64)
    edc = np.cumsum(h[::-1] ** 2)[::-1]
    if edc[0] <= 0:
        raise ValueError("the impulse response is all zeros.")
    edc_db = 10.0 * np.log10(np.maximum(edc / edc[0], 1e-300))
    sel = (edc_db <= -5.0) & (edc_db >= -5.0 - decay_db)
    if sel.sum() < 2:
        raise ValueError(f"the impulse response does not decay by {5 + decay_db:g} dB; cannot estimate RT60.")
    t = np.flatnonzero(sel) / sample_rate
    slope = np.polyfit(t, edc_db[sel], 1)[0]
    return float(-60.0 / slope)
