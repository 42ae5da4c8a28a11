"""Deterministic synthetic voices: glottal source + formant filters."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from scipy.signal import lfilter
from sklearn.utils import Bunch

from .._ragged import as_recording_set

__all__ = ["make_voices"]

# adult male vowel formants F1-F3 (Hz), Peterson & Barney (1952); F4 fixed at 3500 Hz
_VOWELS = np.array([
    [270, 2290, 3010], [390, 1990, 2550], [530, 1840, 2480], [660, 1720, 2410], [730, 1090, 2440],
    [570, 840, 2410], [440, 1020, 2240], [300, 870, 2240], [640, 1190, 2390], [490, 1350, 1690],
], dtype=float)
_BANDWIDTHS = np.array([60.0, 90.0, 120.0, 150.0])


def _resonator(freq, bw, sr):
    """Two-pole resonator coefficients (unit gain at DC)."""
    r = np.exp(-np.pi * bw / sr)
    theta = 2 * np.pi * freq / sr
    a = [1.0, -2 * r * np.cos(theta), r * r]
    return [sum(a)], a


def _speaker_params(seed, female):
    rng = np.random.RandomState(seed)
    return {
        "f0": rng.uniform(170, 245) if female else rng.uniform(90, 145),
        "vtl": rng.uniform(1.12, 1.24) if female else rng.uniform(0.93, 1.04),  # formant scale
        "vowel_jitter": rng.uniform(0.85, 1.15, size=_VOWELS.shape),  # speaker-specific vowel targets
        "tilt": rng.uniform(0.75, 0.95),  # glottal low-pass pole: higher = darker voice
        "breath": rng.uniform(0.02, 0.12) * (1.5 if female else 1.0),
        "rate": rng.uniform(0.8, 1.2),  # speaking rate
        # a fixed extra resonance (voice quality / nasality): a stable per-speaker spectral signature
        "timbre": (rng.uniform(1800, 4800), rng.uniform(150, 400), rng.uniform(0.8, 1.5)),
    }


def _utterance(p, n_samples, sr, rng):
    out = np.zeros(n_samples, dtype=np.float64)
    pos = int(rng.uniform(0.02, 0.1) * sr)  # leading silence
    decl = rng.uniform(0.85, 0.95)  # F0 declination over the utterance
    while pos < n_samples:
        syl = int(rng.uniform(0.12, 0.28) / p["rate"] * sr)
        n = min(syl, n_samples - pos)
        if n <= 16:
            break
        frac = pos / n_samples
        f0 = p["f0"] * (1 - (1 - decl) * frac) * rng.uniform(0.95, 1.05)
        f0_track = f0 * (1 + 0.04 * np.sin(np.linspace(0, rng.uniform(1, 3), n)) + 0.005 * rng.randn(n))
        phase = np.cumsum(f0_track / sr)
        pulses = np.diff(np.floor(phase), prepend=np.floor(phase[0])) > 0
        source = pulses.astype(float)
        source = lfilter([1.0], [1.0, -p["tilt"]], source)  # glottal roll-off
        source = lfilter([1.0], [1.0, -p["tilt"]], source)
        source = np.diff(source, prepend=0.0)  # lip radiation
        source += p["breath"] * rng.randn(n) * np.abs(source).max()
        v = rng.randint(len(_VOWELS))
        formants = np.append(_VOWELS[v] * p["vowel_jitter"][v], 3500.0) * p["vtl"]
        y = source
        for f, bw in zip(formants, _BANDWIDTHS * p["vtl"]):
            if f < sr / 2 - bw:
                b, a = _resonator(f, bw, sr)
                y = lfilter(b, a, y)
        tf, tbw, tgain = p["timbre"]
        b, a = _resonator(tf, tbw, sr)
        y = y / (np.abs(y).max() + 1e-12)
        y = y + tgain * lfilter(b, a, y) / (np.abs(lfilter(b, a, y)).max() + 1e-12)
        env = np.sin(np.linspace(0, np.pi, n)) ** 0.6
        out[pos:pos + n] += y * env / (np.abs(y).max() + 1e-12)
        pos += n
        if rng.rand() < 0.5:  # fricative-like noise burst
            k = min(int(rng.uniform(0.03, 0.08) * sr), n_samples - pos)
            if k > 0:
                b, a = _resonator(rng.uniform(3000, 6000) * min(p["vtl"], 1.2), 1500.0, sr)
                noise = lfilter(b, a, rng.randn(k))
                out[pos:pos + k] += 0.15 * noise / (np.abs(noise).max() + 1e-12)
                pos += k
        if rng.rand() < 0.2:  # short pause
            pos += int(rng.uniform(0.05, 0.2) * sr)
    return out


def make_voices(n_speakers=4, n_utterances=5, *, duration=2.0, sample_rate=16000, noise=0.005, random_state=None,
                out_dir=None):
    """Generate a deterministic synthetic speech corpus.

    Each speaker has a fixed sex, mean F0, vocal-tract length (formant scale),
    voice quality and speaking rate; each utterance is a random sequence of
    voiced vowel syllables (a glottal pulse train through four formant
    resonators), fricative noise bursts and pauses. Female speakers
    (even speaker indices) have higher F0 (170–245 Hz vs 90–145 Hz) and a
    shorter vocal tract (formants ×1.12–1.24 vs ×0.93–1.04), the two cues real
    classifiers rely on, so both gender and speaker identity are learnable. It
    is meant for documentation, doctests and unit tests that must not depend
    on real data — not as a benchmark.

    Parameters
    ----------
    n_speakers : int, default=4
        Number of speakers (alternating female, male, female, ...).
    n_utterances : int, default=5
        Utterances per speaker.
    duration : float, default=2.0
        Length of each utterance in seconds.
    sample_rate : int, default=16000
        Sample rate in Hz.
    noise : float, default=0.005
        Standard deviation of added white noise.
    random_state : int or None, default=None
        Seed. Speaker ``i`` gets the same voice for a given seed whatever
        ``n_speakers`` and ``n_utterances`` are.
    out_dir : str or os.PathLike, optional
        Also write each utterance as a 16-bit WAV file
        ``<out_dir>/<speaker>/<speaker>-<k>.wav`` and return the paths.

    Returns
    -------
    voices : sklearn.utils.Bunch
        ``waveforms`` (object array of float32 arrays), ``speaker`` and
        ``gender`` (``"F"``/``"M"``) object arrays, ``sample_rate``,
        ``filenames`` (paths when ``out_dir`` was given, else ``None``) and
        ``frame``, a DataFrame with one row per utterance.

    Examples
    --------
    >>> from skvoice.datasets import make_voices
    >>> voices = make_voices(n_speakers=2, n_utterances=3, duration=0.5, random_state=0)
    >>> len(voices.waveforms), voices.waveforms[0].shape, voices.gender.tolist()
    (6, (8000,), ['F', 'F', 'F', 'M', 'M', 'M'])
    """
    for name, val in (("n_speakers", n_speakers), ("n_utterances", n_utterances)):
        if int(val) != val or val < 1:
            raise ValueError(f"{name} must be a positive integer, got {val!r}.")
    if duration <= 0:
        raise ValueError(f"duration must be > 0, got {duration!r}.")
    base = 0 if random_state is None else int(random_state)
    n_samples = int(round(duration * sample_rate))
    waves, speakers, genders, paths = [], [], [], []
    for s in range(n_speakers):
        female = s % 2 == 0
        params = _speaker_params(np.random.SeedSequence([base, s]).generate_state(1)[0], female)
        spk = f"spk{s:03d}"
        for u in range(n_utterances):
            rng = np.random.RandomState(np.random.SeedSequence([base, s, u, 1]).generate_state(1)[0])
            y = _utterance(params, n_samples, sample_rate, rng)
            y = 0.5 * y / (np.abs(y).max() + 1e-12) + noise * rng.randn(n_samples)
            y = np.clip(y, -1, 1).astype(np.float32)
            waves.append(y)
            speakers.append(spk)
            genders.append("F" if female else "M")
            if out_dir is not None:
                import soundfile as sf

                d = os.path.join(os.fspath(out_dir), spk)
                os.makedirs(d, exist_ok=True)
                path = os.path.join(d, f"{spk}-{u:02d}.wav")
                sf.write(path, y, sample_rate, subtype="PCM_16")
                paths.append(path)
    speaker = np.asarray(speakers, dtype=object)
    gender = np.asarray(genders, dtype=object)
    frame = pd.DataFrame({"speaker": speakers, "gender": genders,
                          "duration": [len(w) / sample_rate for w in waves]})
    if paths:
        frame.insert(0, "path", paths)
    return Bunch(waveforms=as_recording_set(waves), speaker=speaker, gender=gender, sample_rate=sample_rate,
                 filenames=np.asarray(paths, dtype=object) if paths else None, frame=frame)
