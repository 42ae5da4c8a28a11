"""Degradations as scikit-learn transformers over recording sets (paths or waveforms -> waveforms)."""

from __future__ import annotations

import numbers

import numpy as np

from .._sklearn_compat import Interval, StrOptions
from ._base import BaseDegradation
from ._codec import CODECS, codec_roundtrip
from ._filters import band_limit, check_band
from ._levels import clip, gain, pad_silence, set_level
from ._noise import NOISE_KINDS, add_noise, prepare_sources
from ._random import check_range, draw
from ._reverb import RIR_METHODS, reverberate, simulate_rir
from ._telephone import TELEPHONE_BAND, telephone

__all__ = ["AddNoise", "Telephone", "BandLimit", "Codec", "Reverb", "Gain", "SetLevel", "Clip", "PadSilence"]

_RANGE = [numbers.Real, tuple, list]  # a number, or a (low, high) range drawn uniformly per recording
_COMMON = {**BaseDegradation._parameter_constraints, "random_state": ["random_state"]}


class AddNoise(BaseDegradation):
    """Add noise at a signal-to-noise ratio: white, pink, brown, babble or recorded noise.

    See :func:`add_noise` for the signal model and the SNR definition.

    Parameters
    ----------
    noise : {"white", "pink", "brown", "blue", "violet", "babble", "recorded"}, default="white"
        Coloured Gaussian noise, babble of ``n_talkers`` recordings from
        ``sources``, or an excerpt of a noise recording from ``sources``.
    snr_db : float or (float, float), default=10.0
        SNR in dB, or a range drawn uniformly per recording.
    sources : sequence of paths or waveforms, optional
        Talkers (``"babble"``) or noise recordings (``"recorded"``); decoded
        once per ``transform`` call. Use recordings of speakers outside the
        evaluation data. Holding waveforms here makes the transformer as large
        as they are (paths are cheap to pickle and to hash).
    n_talkers : int, default=6
        Talkers summed into the babble.
    reference : {"active", "whole"}, default="active"
        Samples over which the SNR holds: active speech or the whole signal.
    sample_rate : int, default=16000
        Rate at which files are decoded and the rate of waveform input/output.
    random_state : int, RandomState or None, default=None
        Seeds the noise (see Notes).
    n_jobs : int or None, default=None
        Parallel jobs over recordings (joblib).

    Notes
    -----
    Each recording's randomness comes from a hash of ``random_state`` and the
    recording's samples: with an int, a recording is degraded the
    same way in every call, whatever else is in the batch.

    See Also
    --------
    add_noise : the function behind this transformer.
    make_condition : named standard conditions such as ``"babble_10dB"``.

    Examples
    --------
    >>> from skvoice.augment import AddNoise
    >>> from skvoice.datasets import make_voices
    >>> voices = make_voices(n_speakers=2, n_utterances=2, duration=1.0, random_state=0)
    >>> noisy = AddNoise("pink", snr_db=(5, 20), random_state=0).fit_transform(voices.waveforms)
    >>> len(noisy), noisy[0].shape, noisy[0].dtype
    (4, (16000,), dtype('float32'))
    """

    _parameter_constraints = {
        **_COMMON,
        "noise": [StrOptions(set(NOISE_KINDS))],
        "snr_db": _RANGE,
        "sources": ["array-like", None],
        "n_talkers": [Interval(numbers.Integral, 1, None, closed="left")],
        "reference": [StrOptions({"active", "whole"})],
    }
    _ranges = {"snr_db": (-50.0, 100.0)}

    def __init__(self, noise="white", snr_db=10.0, *, sources=None, n_talkers=6, reference="active",
                 sample_rate=16000, random_state=None, n_jobs=None):
        self.noise = noise
        self.snr_db = snr_db
        self.sources = sources
        self.n_talkers = n_talkers
        self.reference = reference
        super().__init__(sample_rate=sample_rate, random_state=random_state, n_jobs=n_jobs)

    def _check_params(self):
        if self.noise in ("babble", "recorded") and self.sources is None:
            raise ValueError(f"noise={self.noise!r} needs sources: a list of "
                             f"{'speech' if self.noise == 'babble' else 'noise'} recordings (paths or waveforms).")

    def _prepare(self, rng):
        if self.noise in ("babble", "recorded"):
            return prepare_sources(self.sources, self.sample_rate, normalise=self.noise == "babble")
        return None

    def _apply(self, y, rng, context):
        return add_noise(y, self.sample_rate, snr_db=draw(self.snr_db, rng), noise=self.noise,
                         n_talkers=self.n_talkers, reference=self.reference, random_state=rng, _prepared=context)


class Telephone(BaseDegradation):
    """Narrow-band telephone channel: 300-3400 Hz, 8 kHz, G.711 mu-law or A-law (see :func:`telephone`).

    The output is at ``sample_rate`` again, with the input's length.

    Parameters
    ----------
    law : {"mu", "a"} or None, default="mu"
        G.711 companding law (None: band limit and 8 kHz sampling only).
    band : (float, float), default=(300.0, 3400.0)
        Pass band in Hz.
    sample_rate : int, default=16000
    n_jobs : int or None, default=None

    Examples
    --------
    >>> from skvoice.augment import Telephone
    >>> from skvoice.datasets import make_voices
    >>> voices = make_voices(n_speakers=1, n_utterances=2, duration=1.0, random_state=0)
    >>> Telephone(law="a").fit_transform(voices.waveforms)[0].shape
    (16000,)
    """

    _parameter_constraints = {
        **BaseDegradation._parameter_constraints,
        "law": [StrOptions({"mu", "a"}), None],
        "band": [tuple, list],
    }

    def __init__(self, law="mu", band=TELEPHONE_BAND, *, sample_rate=16000, n_jobs=None):
        # deterministic, so without the random_state of BaseDegradation.__init__
        self.law = law
        self.band = band
        self.sample_rate = sample_rate
        self.n_jobs = n_jobs

    def _check_params(self):
        lo, hi = check_range(tuple(self.band), "band", low=0.0, high=3800.0)
        if lo >= hi:
            raise ValueError(f"band must be (low, high) with low < high, got {self.band!r}.")

    def _apply(self, y, rng, context):
        return telephone(y, self.sample_rate, law=self.law, band=tuple(self.band))


class BandLimit(BaseDegradation):
    """Limit the bandwidth of each recording: a Butterworth band-pass with edges drawn per recording.

    Models devices and channels of limited bandwidth (small microphones and
    loudspeakers, headsets, wide-band codecs' input filters): a zero-phase
    Butterworth band-pass, or a low-pass when ``low`` is 0 or None, see
    :func:`band_limit`. The output has the input's length and sample rate; its
    level is not put back. The narrow-band telephone chain (8 kHz sampling,
    G.711 companding) is :class:`Telephone`.

    Parameters
    ----------
    low : float, (float, float) or None, default=(100.0, 500.0)
        Lower band edge in Hz, or a range drawn uniformly per recording;
        0 or None: low-pass only (a range may include 0; edges below
        20 Hz are low-passes too, see :func:`band_limit`).
    high : float or (float, float), default=(2800.0, 5500.0)
        Upper band edge in Hz, or a range drawn uniformly per recording;
        below the Nyquist frequency ``sample_rate / 2`` and above ``low``
        (every value of the ``high`` range above every value of ``low``).
    order : int, default=6
        Butterworth order of each pass (the filter runs forwards and
        backwards, so the attenuation in dB is doubled).
    %(degradation_params)s

    See Also
    --------
    band_limit : the function behind this transformer.
    Telephone : the narrow-band telephone channel.

    Notes
    -----
    Each recording's band edges come from a hash of ``random_state`` and the
    recording's samples: with an int, a recording is filtered the
    same way in every call, whatever else is in the batch.

    Examples
    --------
    >>> from skvoice.augment import BandLimit
    >>> from skvoice.datasets import make_voices
    >>> voices = make_voices(n_speakers=1, n_utterances=2, duration=1.0, random_state=0)
    >>> narrow = BandLimit(low=(100, 400), high=(3000, 4000), random_state=0).fit_transform(voices.waveforms)
    >>> len(narrow), narrow[0].shape, narrow[0].dtype
    (2, (16000,), dtype('float32'))
    """

    _parameter_constraints = {
        **_COMMON,
        "low": [numbers.Real, tuple, list, None],
        "high": _RANGE,
        "order": [Interval(numbers.Integral, 1, None, closed="left")],
    }
    _ranges = {"high": (0.0, np.inf)}

    def __init__(self, low=(100.0, 500.0), high=(2800.0, 5500.0), *, order=6, sample_rate=16000,
                 random_state=None, n_jobs=None):
        self.low = low
        self.high = high
        self.order = order
        super().__init__(sample_rate=sample_rate, random_state=random_state, n_jobs=n_jobs)

    def _check_params(self):
        low_lo, low_hi = (0.0, 0.0) if self.low is None else check_range(self.low, "low", low=0.0)
        high_lo, high_hi = check_range(self.high, "high", low=0.0)
        if not low_hi < high_lo:
            raise ValueError(f"low must be below high for every draw (the largest low below the smallest high), "
                             f"got low={self.low!r} and high={self.high!r}.")
        if not high_hi < self.sample_rate / 2.0:
            raise ValueError(f"high must be below the Nyquist frequency sample_rate / 2 = {self.sample_rate / 2:g} "
                             f"Hz, got high={self.high!r} with sample_rate={self.sample_rate}.")
        check_band(self.sample_rate, low_hi, high_lo)

    def _apply(self, y, rng, context):
        low = 0.0 if self.low is None else draw(self.low, rng)
        return band_limit(y, self.sample_rate, low, draw(self.high, rng), order=self.order)


class Codec(BaseDegradation):
    """Lossy codec round trip: MP3, Opus or Vorbis through libsndfile (see :func:`codec_roundtrip`).

    Parameters
    ----------
    codec : {"mp3", "opus", "vorbis"}, default="mp3"
    bitrate : int or (int, int), default=32
        kbit/s (MP3, Opus), or a range drawn per recording (rounded to an int).
    quality : float or (float, float), default=0.5
        Vorbis quality in [0, 1].
    sample_rate : int, default=16000
    random_state : int, RandomState or None, default=None
        Used when ``bitrate`` or ``quality`` is a range.
    n_jobs : int or None, default=None

    Examples
    --------
    >>> from skvoice.augment import Codec
    >>> from skvoice.datasets import make_voices
    >>> voices = make_voices(n_speakers=1, n_utterances=2, duration=1.0, random_state=0)
    >>> Codec("mp3", bitrate=16).fit_transform(voices.waveforms)[0].shape
    (16000,)
    """

    _parameter_constraints = {
        **_COMMON,
        "codec": [StrOptions(set(CODECS))],
        "bitrate": _RANGE,
        "quality": _RANGE,
    }
    _ranges = {"bitrate": (6, 320), "quality": (0.0, 1.0)}

    def __init__(self, codec="mp3", bitrate=32, quality=0.5, *, sample_rate=16000, random_state=None, n_jobs=None):
        self.codec = codec
        self.bitrate = bitrate
        self.quality = quality
        super().__init__(sample_rate=sample_rate, random_state=random_state, n_jobs=n_jobs)

    def _apply(self, y, rng, context):
        bitrate = int(round(draw(self.bitrate, rng)))
        return codec_roundtrip(y, self.sample_rate, codec=self.codec, bitrate=bitrate, quality=draw(self.quality, rng))


class Reverb(BaseDegradation):
    """Reverberation with simulated room impulse responses (see :func:`simulate_rir` and :func:`reverberate`).

    Parameters
    ----------
    rt60 : float or (float, float), default=0.6
        Reverberation time in seconds, or a range drawn per room.
    method : {"image", "statistical"}, default="image"
        Image-source shoebox rooms (pyroomacoustics, ``skvoice[augment]``) or
        the exponentially decaying noise model.
    n_rooms : int or None, default=None
        ``None``: a new room for every recording. An int: a pool of this many
        rooms is simulated once per ``transform`` call and each recording is
        played in one of them at random (much faster with ``"image"``, whose
        rooms take 0.1-3 s each).
    distance : float, default=1.5
        Talker-microphone distance in metres (``"image"``).
    drr_db : float or (float, float), default=0.0
        Direct-to-reverberant ratio in dB (``"statistical"``).
    preserve_level : bool, default=True
        Keep each recording's RMS level.
    %(degradation_params)s

    Examples
    --------
    >>> from skvoice.augment import Reverb
    >>> from skvoice.datasets import make_voices
    >>> voices = make_voices(n_speakers=1, n_utterances=2, duration=1.0, random_state=0)
    >>> wet = Reverb(rt60=(0.3, 0.8), method="statistical", random_state=0).fit_transform(voices.waveforms)
    >>> wet[1].shape
    (16000,)
    """

    _parameter_constraints = {
        **_COMMON,
        "rt60": _RANGE,
        "method": [StrOptions(set(RIR_METHODS))],
        "n_rooms": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "distance": [Interval(numbers.Real, 0, None, closed="neither")],
        "drr_db": _RANGE,
        "preserve_level": ["boolean"],
    }
    _ranges = {"rt60": (0.05, 5.0), "drr_db": (-40.0, 40.0)}

    def __init__(self, rt60=0.6, *, method="image", n_rooms=None, distance=1.5, drr_db=0.0, preserve_level=True,
                 sample_rate=16000, random_state=None, n_jobs=None):
        self.rt60 = rt60
        self.method = method
        self.n_rooms = n_rooms
        self.distance = distance
        self.drr_db = drr_db
        self.preserve_level = preserve_level
        super().__init__(sample_rate=sample_rate, random_state=random_state, n_jobs=n_jobs)

    def _rir(self, rng):
        return simulate_rir(draw(self.rt60, rng), self.sample_rate, method=self.method, distance=self.distance,
                            drr_db=draw(self.drr_db, rng), random_state=rng)

    def _prepare(self, rng):
        if self.n_rooms is None:
            return None
        return [self._rir(rng) for _ in range(self.n_rooms)]

    def _apply(self, y, rng, context):
        rir = self._rir(rng) if context is None else context[int(rng.integers(len(context)))]
        return reverberate(y, rir, preserve_level=self.preserve_level)


class Gain(BaseDegradation):
    """Change the level by ``gain_db`` dB (fixed, or drawn per recording from a range); no clipping.

    Parameters
    ----------
    gain_db : float or (float, float), default=0.0
    %(degradation_params)s

    See Also
    --------
    SetLevel : set an absolute level instead of a relative change.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.augment import Gain
    >>> Gain(gain_db=-20.0).fit_transform(np.ones((1, 4)))
    array([[0.1, 0.1, 0.1, 0.1]], dtype=float32)
    """

    _parameter_constraints = {**_COMMON, "gain_db": _RANGE}
    _ranges = {"gain_db": (-120.0, 120.0)}

    def __init__(self, gain_db=0.0, *, sample_rate=16000, random_state=None, n_jobs=None):
        self.gain_db = gain_db
        super().__init__(sample_rate=sample_rate, random_state=random_state, n_jobs=n_jobs)

    def _apply(self, y, rng, context):
        return gain(y, draw(self.gain_db, rng))


class SetLevel(BaseDegradation):
    """Scale each recording to a level in dBFS (see :func:`set_level`); no clipping.

    Parameters
    ----------
    level_db : float or (float, float), default=-26.0
        Target level in dBFS, or a range drawn per recording.
    reference : {"active", "rms", "peak"}, default="active"
        Active-speech RMS, whole-signal RMS or peak.
    %(degradation_params)s

    Examples
    --------
    >>> from skvoice.augment import SetLevel, signal_level
    >>> from skvoice.datasets import make_voices
    >>> voices = make_voices(n_speakers=1, n_utterances=1, duration=1.0, random_state=0)
    >>> quiet = SetLevel(level_db=-40.0).fit_transform(voices.waveforms)
    >>> round(signal_level(quiet[0], 16000), 2)
    -40.0
    """

    _parameter_constraints = {**_COMMON, "level_db": _RANGE, "reference": [StrOptions({"active", "rms", "peak"})]}
    _ranges = {"level_db": (-150.0, 40.0)}

    def __init__(self, level_db=-26.0, *, reference="active", sample_rate=16000, random_state=None, n_jobs=None):
        self.level_db = level_db
        self.reference = reference
        super().__init__(sample_rate=sample_rate, random_state=random_state, n_jobs=n_jobs)

    def _apply(self, y, rng, context):
        return set_level(y, self.sample_rate, level_db=draw(self.level_db, rng), reference=self.reference)


class Clip(BaseDegradation):
    """Hard-clip the loudest ``fraction`` of each recording's samples (see :func:`clip`).

    Parameters
    ----------
    fraction : float or (float, float), default=0.01
        Share of clipped samples, in [0, 1).
    %(degradation_params)s

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.augment import Clip
    >>> Clip(fraction=0.5).fit_transform(np.array([[0.1, -0.2, 0.3, -0.4]]))
    array([[ 0.1 , -0.2 ,  0.25, -0.25]], dtype=float32)
    """

    _parameter_constraints = {**_COMMON, "fraction": _RANGE}
    _ranges = {"fraction": (0.0, 1.0)}

    def __init__(self, fraction=0.01, *, sample_rate=16000, random_state=None, n_jobs=None):
        self.fraction = fraction
        super().__init__(sample_rate=sample_rate, random_state=random_state, n_jobs=n_jobs)

    def _check_params(self):
        if np.max(self.fraction) >= 1.0:  # the upper end of a valid range
            raise ValueError(f"fraction must be < 1, got {self.fraction!r}.")

    def _apply(self, y, rng, context):
        return clip(y, draw(self.fraction, rng))


class PadSilence(BaseDegradation):
    """Add leading and trailing silence, optionally over a white noise floor (see :func:`pad_silence`).

    Parameters
    ----------
    leading, trailing : float or (float, float), default=1.0
        Seconds of silence before and after (or ranges drawn per recording);
        ``round(seconds * sample_rate)`` samples are added.
    noise_floor_db : float or None, default=None
        RMS level (dBFS) of white noise added to the whole padded recording;
        None keeps digital silence.
    %(degradation_params)s

    Examples
    --------
    >>> from skvoice.augment import PadSilence
    >>> from skvoice.datasets import make_voices
    >>> voices = make_voices(n_speakers=1, n_utterances=1, duration=1.0, random_state=0)
    >>> PadSilence(leading=0.5, trailing=0.25).fit_transform(voices.waveforms)[0].shape
    (28000,)
    """

    _parameter_constraints = {**_COMMON, "leading": _RANGE, "trailing": _RANGE,
                              "noise_floor_db": [numbers.Real, None]}
    _ranges = {"leading": (0.0, 3600.0), "trailing": (0.0, 3600.0)}

    def __init__(self, leading=1.0, trailing=1.0, *, noise_floor_db=None, sample_rate=16000, random_state=None,
                 n_jobs=None):
        self.leading = leading
        self.trailing = trailing
        self.noise_floor_db = noise_floor_db
        super().__init__(sample_rate=sample_rate, random_state=random_state, n_jobs=n_jobs)

    def _check_params(self):
        if self.noise_floor_db is not None and not -200.0 <= self.noise_floor_db <= 0.0:
            raise ValueError(f"noise_floor_db must be in [-200, 0] dBFS, got {self.noise_floor_db!r}.")

    def _apply(self, y, rng, context):
        return pad_silence(y, self.sample_rate, leading=draw(self.leading, rng), trailing=draw(self.trailing, rng),
                           noise_floor_db=self.noise_floor_db, random_state=rng)
