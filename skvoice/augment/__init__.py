"""Degradations of speech recordings and fit-time augmentation.

Functions work on one float mono waveform at a given sample rate; the
transformers apply them to recording sets (audio file paths or waveforms in,
float32 waveforms out) with a ``random_state``. :func:`make_condition` names
standard benchmark conditions (``"white_10dB"``, ``"telephone"``,
``"mp3_32k"``, ``"reverb_0.6s"``, ...), and :class:`AugmentedTrainer` fits any
estimator on clean plus degraded copies of its training recordings while
predicting on the input unchanged.
"""

from ._codec import available_codecs, codec_roundtrip
from ._conditions import Degrade, RandomChoice, make_condition
from ._filters import band_limit
from ._levels import active_mask, clip, gain, pad_silence, set_level, signal_level
from ._noise import add_noise, babble_noise, colored_noise, measure_snr
from ._reverb import estimate_rt60, reverberate, simulate_rir
from ._telephone import g711_decode, g711_encode, telephone
from ._trainer import AugmentedTrainer
from ._transformers import AddNoise, BandLimit, Clip, Codec, Gain, PadSilence, Reverb, SetLevel, Telephone

__all__ = [
    # transformers
    "AddNoise", "Telephone", "BandLimit", "Codec", "Reverb", "Gain", "SetLevel", "Clip", "PadSilence", "Degrade",
    "RandomChoice", "make_condition",
    # fit-time augmentation
    "AugmentedTrainer",
    # functions
    "add_noise", "colored_noise", "babble_noise", "measure_snr", "active_mask", "signal_level", "set_level", "gain",
    "clip", "pad_silence", "telephone", "band_limit", "g711_encode", "g711_decode", "codec_roundtrip",
    "available_codecs", "simulate_rir", "reverberate", "estimate_rt60",
]
