"""Named standard conditions, chains of degradations and random choices among them."""

from __future__ import annotations

import re

import numpy as np

from .._docs import fill_doc
from ._base import BaseDegradation
from ._transformers import AddNoise, Clip, Codec, Gain, PadSilence, Reverb, SetLevel, Telephone

__all__ = ["make_condition", "Degrade", "RandomChoice"]

_NUM = r"(-?\d+(?:\.\d+)?)"
_NAMED_REVERB_ROOMS = 8  # named reverb conditions play every recording in one of a pool of this many rooms

_GRAMMAR = [
    (re.compile(r"clean"), lambda m, kw: Degrade([], **_common(kw))),
    (re.compile(r"telephone(?:_(mulaw|alaw|nocodec))?"),
     lambda m, kw: Telephone(law={None: "mu", "mulaw": "mu", "alaw": "a", "nocodec": None}[m.group(1)],
                             sample_rate=kw["sample_rate"], n_jobs=kw["n_jobs"])),
    (re.compile(r"(white|pink|brown|blue|violet|babble|noise)_" + _NUM + r"dB"),
     lambda m, kw: AddNoise("recorded" if m.group(1) == "noise" else m.group(1), float(m.group(2)),
                            sources=kw["sources"], **_common(kw))),
    (re.compile(r"(mp3|opus)_(\d+)k"), lambda m, kw: Codec(m.group(1), bitrate=int(m.group(2)), **_common(kw))),
    (re.compile(r"vorbis_q(\d(?:\.\d+)?)"), lambda m, kw: Codec("vorbis", quality=float(m.group(1)), **_common(kw))),
    (re.compile(r"reverb_" + _NUM + r"s(_statistical)?"),
     lambda m, kw: Reverb(float(m.group(1)), method="statistical" if m.group(2) else "image",
                          n_rooms=_NAMED_REVERB_ROOMS, **_common(kw))),
    (re.compile(r"silence_" + _NUM + r"s"),
     lambda m, kw: PadSilence(float(m.group(1)), float(m.group(1)), **_common(kw))),
    (re.compile(r"level_" + _NUM + r"dB"), lambda m, kw: SetLevel(float(m.group(1)), **_common(kw))),
    (re.compile(r"gain_" + _NUM + r"dB"), lambda m, kw: Gain(float(m.group(1)), **_common(kw))),
    (re.compile(r"clip_" + _NUM + r"pct"), lambda m, kw: Clip(float(m.group(1)) / 100.0, **_common(kw))),
]


def _common(kw):
    return {"sample_rate": kw["sample_rate"], "random_state": kw["random_state"], "n_jobs": kw["n_jobs"]}


@fill_doc
def make_condition(name, *, sources=None, sample_rate=16000, random_state=None, n_jobs=None):
    """The degradation transformer of a named standard condition.

    Names (``N`` is a number, e.g. ``white_10dB``, ``level_-40dB``, ``reverb_0.6s``):

    ================================  ======================================================================
    ``clean``                         no change (files are decoded to waveforms)
    ``telephone``                     300-3400 Hz, 8 kHz, G.711 mu-law (``telephone_alaw``: A-law;
                                      ``telephone_nocodec``: no companding) -- :class:`Telephone`
    ``white_NdB`` ``pink_NdB``        additive noise at N dB SNR over the active speech --
    ``brown_NdB`` ``blue_NdB``        :class:`AddNoise`; ``babble_NdB`` mixes 6 talkers from ``sources``,
    ``violet_NdB`` ``babble_NdB``     ``noise_NdB`` takes excerpts of the noise recordings in ``sources``
    ``noise_NdB``
    ``mp3_Nk`` ``opus_Nk``            codec round trip at N kbit/s; ``vorbis_qQ``: Vorbis at quality Q in
                                      [0, 1] -- :class:`Codec`
    ``reverb_Ns``                     RT60 of N s in image-source rooms (pyroomacoustics), a pool of 8 random
                                      rooms; ``reverb_Ns_statistical``: exponential-decay model --
                                      :class:`Reverb`
    ``silence_Ns``                    N s of digital silence before *and* after -- :class:`PadSilence`
    ``level_NdB``                     active speech level set to N dBFS -- :class:`SetLevel`
    ``gain_NdB``                      N dB gain -- :class:`Gain`
    ``clip_Npct``                     the loudest N % of the samples clipped -- :class:`Clip`
    ================================  ======================================================================

    Parameters
    ----------
    name : str
        A condition name as above.
    sources : sequence of paths or waveforms, optional
        Talkers for ``babble_*``, noise recordings for ``noise_*``.
    %(degradation_params)s

    Returns
    -------
    degradation : transformer
        An unfitted skvoice degradation (its parameters can still be changed
        with ``set_params``).

    Examples
    --------
    >>> from skvoice.augment import make_condition
    >>> make_condition("white_10dB", random_state=0)
    AddNoise(random_state=0)
    >>> make_condition("mp3_16k")
    Codec(bitrate=16)
    """
    if not isinstance(name, str):
        raise TypeError(f"a condition name must be a string, got {type(name).__name__}.")
    kw = {"sources": sources, "sample_rate": sample_rate, "random_state": random_state, "n_jobs": n_jobs}
    for pattern, build in _GRAMMAR:
        m = pattern.fullmatch(name)
        if m:
            return build(m, kw)
    raise ValueError(f"unknown condition {name!r}. Known forms: clean, telephone[_alaw|_nocodec], "
                     "{white,pink,brown,blue,violet,babble,noise}_<N>dB, mp3_<N>k, opus_<N>k, vorbis_q<Q>, "
                     "reverb_<N>s[_statistical], silence_<N>s, level_<N>dB, gain_<N>dB, clip_<N>pct.")


def _resolve(step, owner, index):
    """A degradation from a step: a condition name or a degradation instance (None: identity)."""
    if step is None:
        return None
    if isinstance(step, str):
        return make_condition(step, sources=owner.sources, sample_rate=owner.sample_rate)
    if not isinstance(step, BaseDegradation):
        raise TypeError(f"{type(owner).__name__}: step {index} must be a condition name or a skvoice degradation "
                        f"(AddNoise, Reverb, ...), got {type(step).__name__}.")
    if step.sample_rate != owner.sample_rate:
        raise ValueError(f"{type(owner).__name__}: step {index} ({type(step).__name__}) has sample_rate="
                         f"{step.sample_rate}, but the container works at {owner.sample_rate} Hz; use one rate.")
    step._validate()
    return step


def _spawn(rng):
    return np.random.default_rng(int(rng.integers(2 ** 63 - 1)))


class Degrade(BaseDegradation):
    """Apply one or more degradations, in order, to every recording.

    Parameters
    ----------
    steps : str, degradation, or list of them, default=()
        Condition names (see :func:`make_condition`) and/or skvoice degradation
        transformers (:class:`AddNoise`, :class:`Reverb`, ...), applied in
        order. An empty list is the clean condition (paths are decoded, nothing
        else changes).
    sources : sequence of paths or waveforms, optional
        Passed to named ``babble_*`` / ``noise_*`` steps.
    sample_rate : int, default=16000
        Rate of every step (steps given as objects must use the same rate).
    random_state : int, RandomState or None, default=None
        Seeds all steps: the steps' own ``random_state`` is not used here.
    n_jobs : int or None, default=None
        Parallel jobs over recordings.

    See Also
    --------
    RandomChoice : one of several degradations per recording.
    make_condition : the named conditions.

    Examples
    --------
    >>> from skvoice.augment import Degrade
    >>> from skvoice.datasets import make_voices
    >>> voices = make_voices(n_speakers=1, n_utterances=2, duration=1.0, random_state=0)
    >>> X = Degrade(["reverb_0.5s_statistical", "white_10dB", "telephone"], random_state=0).fit_transform(
    ...     voices.waveforms)
    >>> len(X), X[0].shape
    (2, (16000,))
    """

    _parameter_constraints = {
        **BaseDegradation._parameter_constraints,
        "steps": [str, BaseDegradation, list, tuple],
        "sources": ["array-like", None],
        "random_state": ["random_state"],
    }

    def __init__(self, steps=(), *, sources=None, sample_rate=16000, random_state=None, n_jobs=None):
        self.steps = steps
        self.sources = sources
        super().__init__(sample_rate=sample_rate, random_state=random_state, n_jobs=n_jobs)

    def _children(self):
        steps = [self.steps] if isinstance(self.steps, (str, BaseDegradation)) else list(self.steps)
        return [_resolve(s, self, i) for i, s in enumerate(steps)]

    def _check_params(self):
        self._children()

    def _prepare(self, rng):
        return [(c, c._prepare(_spawn(rng))) for c in self._children() if c is not None]

    def _apply(self, y, rng, context):
        for child, ctx in context:
            y = child._apply(y, _spawn(rng), ctx)
        return y


class RandomChoice(BaseDegradation):
    """Apply one degradation per recording, drawn at random (multi-condition training data).

    Parameters
    ----------
    options : list of (str, degradation or None)
        Condition names, skvoice degradations (a :class:`Degrade` chains
        several), or None / ``"clean"`` for no change.
    p : list of float or None, default=None
        Probability of each option (uniform when None).
    sources : sequence of paths or waveforms, optional
        Passed to named ``babble_*`` / ``noise_*`` options.
    sample_rate : int, default=16000
    random_state : int, RandomState or None, default=None
        Seeds the choice and the options.
    n_jobs : int or None, default=None

    Examples
    --------
    >>> from skvoice.augment import AddNoise, RandomChoice, Reverb
    >>> from skvoice.datasets import make_voices
    >>> voices = make_voices(n_speakers=2, n_utterances=2, duration=1.0, random_state=0)
    >>> augment = RandomChoice([None, AddNoise("brown", snr_db=(5, 20)), Reverb(rt60=(0.3, 0.9),
    ...                         method="statistical")], p=[0.2, 0.4, 0.4], random_state=0)
    >>> len(augment.fit_transform(voices.waveforms))
    4
    """

    _parameter_constraints = {
        **BaseDegradation._parameter_constraints,
        "options": [list, tuple],
        "p": ["array-like", None],
        "sources": ["array-like", None],
        "random_state": ["random_state"],
    }

    def __init__(self, options, p=None, *, sources=None, sample_rate=16000, random_state=None, n_jobs=None):
        self.options = options
        self.p = p
        self.sources = sources
        super().__init__(sample_rate=sample_rate, random_state=random_state, n_jobs=n_jobs)

    def _children(self):
        return [_resolve(o, self, i) for i, o in enumerate(self.options)]

    def _probabilities(self, n):
        if self.p is None:
            return np.full(n, 1.0 / n)
        p = np.asarray(self.p, dtype=float)
        if p.shape != (n,) or np.any(p < 0) or not np.isclose(p.sum(), 1.0):
            raise ValueError(f"p must hold {n} non-negative probabilities summing to 1, got {self.p!r}.")
        return p / p.sum()

    def _check_params(self):
        if len(self.options) == 0:
            raise ValueError("options is empty: give at least one degradation (None for no change).")
        self._probabilities(len(self._children()))

    def _prepare(self, rng):
        children = self._children()
        return [(c, None if c is None else c._prepare(_spawn(rng))) for c in children], \
            self._probabilities(len(children))

    def _apply(self, y, rng, context):
        children, p = context
        child, ctx = children[int(rng.choice(len(children), p=p))]
        sub = _spawn(rng)
        return y if child is None else child._apply(y, sub, ctx)

