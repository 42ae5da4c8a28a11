"""Recommended pipelines: the best unfitted estimators skvoice knows, from audio to labels.

Each function returns a fresh, unfitted scikit-learn estimator that takes
audio (file paths, or 16 kHz mono waveforms) and predicts a label per
recording, so it drops into ``cross_val_score``, ``GridSearchCV`` and
``Pipeline``. What each recipe is made of, and what it was measured to do
(and on which data), is in its docstring; ``benchmarks/bench_robustness.py``
and ``benchmarks/bench_speaker.py`` re-measure them.
"""

from __future__ import annotations

__all__ = ["gender_pipeline", "speaker_id_pipeline", "training_augmenter"]


def training_augmenter(random_state=None, *, band_limit=False, n_jobs=None):
    """The multi-condition training degradations the recipes use at fit time.

    Reverberation (statistical RIRs, RT60 0.2-1.0 s), brown or violet noise at
    0-20 dB SNR, low-rate Opus (8-16 kbit/s, a band-limited channel), silence
    padding over a -60 dBFS noise floor, optionally a random band limit
    (:class:`~skvoice.augment.BandLimit`, edges 100-500 Hz and 2.8-5.5 kHz,
    for 40 % of the copies), and a random gain down to -30 dB. It
    deliberately avoids the conditions the robustness benchmark tests (white,
    pink and babble noise, telephone/G.711 at 8 kHz, MP3, image-method rooms),
    so the benchmark measures generalisation, not a match to its own noise.

    Parameters
    ----------
    random_state : int, RandomState or None, default=None
        Seeds the degradations.
    band_limit : bool, default=False
        Add the random band limit (devices and channels of limited
        bandwidth). :func:`speaker_id_pipeline` uses it;
        :func:`gender_pipeline` does not (it holds up on telephone speech
        without it).
    n_jobs : int or None, default=None
        Parallel jobs over recordings (the copies do not depend on it).

    Returns
    -------
    augmenter : skvoice.augment.Degrade
        An audio -> audio transformer.

    Examples
    --------
    >>> from skvoice.recipes import training_augmenter
    >>> type(training_augmenter()).__name__
    'Degrade'
    """
    from .augment import AddNoise, BandLimit, Codec, Degrade, Gain, PadSilence, RandomChoice, Reverb

    steps = [
        RandomChoice([None, Reverb(rt60=(0.2, 1.0), method="statistical", drr_db=(-5.0, 5.0))], p=[0.5, 0.5]),
        RandomChoice([None, AddNoise("brown", snr_db=(0.0, 20.0)), AddNoise("violet", snr_db=(0.0, 20.0))],
                     p=[0.2, 0.4, 0.4]),
        RandomChoice([None, Codec("opus", bitrate=(8, 16))], p=[0.7, 0.3]),
        RandomChoice([None, PadSilence((0.0, 2.0), (0.0, 2.0), noise_floor_db=-60.0)], p=[0.7, 0.3]),
    ]
    if band_limit:
        steps.append(RandomChoice([None, BandLimit(low=(100.0, 500.0), high=(2800.0, 5500.0))], p=[0.6, 0.4]))
    return Degrade(steps + [Gain(gain_db=(-30.0, 0.0))], random_state=random_state, n_jobs=n_jobs)


def _extras(task, robust=True):
    """The extras (``skvoice._optional.EXTRAS`` keys) a recipe's pipeline needs: checked before a long run."""
    if task == "gender":
        return ["embeddings"]
    return ["embeddings", "vad"] + (["denoise"] if robust else [])


def gender_pipeline(n_jobs=None, random_state=None):
    """Voice gender from audio: GE2E speaker embedding + logistic regression, trained multi-condition.

    The recordings' voice is embedded by the pretrained GE2E encoder
    (:class:`~skvoice.features.SpeakerEmbedding`, whose WebRTC VAD drops
    long silences), and a logistic regression separates the two classes. At
    fit time only, :class:`~skvoice.augment.AugmentedTrainer` adds one
    degraded copy of every training recording (:func:`training_augmenter`),
    so the classifier also sees reverberant, noisy, band-limited and quiet
    speech; predictions are made on the audio as given.

    Measured (2-core CPU, real LibriSpeech, speakers never seen in training:
    trained on 100 train-clean-100 readers, tested on the other 51; see
    ``benchmarks/results/robustness_recipes.json``): 1.000 clean; 0.980
    telephone (G.711); 0.980 / 0.980 white noise at 10 / 5 dB; 0.980 pink and
    0.961 babble at 10 dB; 1.000 MP3 32 kbit/s; 1.000 reverberation (RT60
    0.6 s); 0.980 with 5 s of silence padding; 1.000 at -40 dB level. With 51
    test speakers one error is about 0.02.

    The regularisation ``C=10`` makes the probabilities usable: in 5-fold
    reader-disjoint cross-validation on the 151 train-clean-100 readers
    (3 repeats) ``C=1`` was 0.987 accurate with a mean confidence of 0.790
    (expected calibration error 0.196, log loss 0.249), ``C=10`` 0.980 with
    0.925 (0.059, 0.104); on the 10 test-other readers, trained without
    them, log loss 0.351 -> 0.317. Larger ``C`` lowered the cross-validated
    log loss further but raised the held-out one. Recordings without speech
    (noise, near-silence) still get a gender, at lower confidence (0.70 for
    0.93 on speech in that run).

    Parameters
    ----------
    n_jobs : int or None, default=None
        Parallel jobs over recordings for decoding, degradation and the
        embedding front end.
    random_state : int, RandomState or None, default=None
        Seeds the training degradations and the classifier.

    Returns
    -------
    model : skvoice.augment.AugmentedTrainer
        Unfitted; ``fit(X, y)`` with ``y`` the sex of each recording's
        speaker (any two labels, e.g. ``"F"``/``"M"``).

    Examples
    --------
    >>> from skvoice.recipes import gender_pipeline
    >>> model = gender_pipeline()
    >>> [name for name, _ in model.estimator.steps]
    ['embedding', 'classifier']
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from .augment import AugmentedTrainer
    from .features import SpeakerEmbedding

    pipe = Pipeline([
        ("embedding", SpeakerEmbedding(n_jobs=n_jobs)),
        ("classifier", LogisticRegression(C=10.0, max_iter=2000, random_state=random_state)),
    ])
    return AugmentedTrainer(pipe, training_augmenter(n_jobs=n_jobs), n_copies=1, random_state=random_state)


def speaker_id_pipeline(n_jobs=None, random_state=None, n_copies=None, *, robust=True):
    """Speaker identification and verification from audio: fusions of three systems, robust or for clean audio.

    Three systems score every recording against every enrolled speaker, and
    :class:`~skvoice.classifiers.ScoreFusion` combines their scores with
    weights learned by logistic regression on cross-fitted target/non-target
    trials, so ``decision_function`` gives one log-likelihood-ratio-like score
    per (recording, speaker) that a single threshold serves for every speaker:

    - GE2E embeddings (:class:`~skvoice.features.SpeakerEmbedding`, 1.6-s
      windows averaged) scored by cosine similarity with adaptive symmetric
      score normalisation (AS-norm, top 10 of the other enrolled speakers),
      and by a two-covariance PLDA;
    - a GMM-UBM (32 diagonal components, MAP-adapted means) on 20 MFCCs with
      deltas of the speech found by the Silero voice activity detector.

    ``robust=True`` (the default) is for audio of unknown condition: every
    system starts with spectral-gating noise reduction
    (:class:`~skvoice.features.Denoise`), GE2E keeps only the speech WebRTC
    detects, the GMM-UBM models the telephone band (300-3400 Hz), which
    band-limited channels leave intact, and two such fusions are trained: one
    for wide-band recordings and one whose GE2E systems also see only the
    telephone band. :class:`~skvoice.classifiers.BandwidthRouter` measures
    the bandwidth of each recording at prediction and sends narrow-band
    speech (telephone lines, narrow-band codecs: no power above 4 kHz) to the
    second. :class:`~skvoice.augment.AugmentedTrainer` adds ``n_copies=4`` degraded
    copies of every enrolment recording at fit time only
    (:func:`training_augmenter` with its random band limit), so enrolment
    models, PLDA and fusion weights also see reverberant, noisy, band-limited
    and quiet speech; a recording and its copies always share a
    cross-fitting fold. ``robust=False`` is for clean enrolment and test
    audio: the raw audio, the whole band, no copies. Predictions are always
    made on the audio as given. :class:`~skvoice.classifiers.ScoreFusion` computes
    each shared front end once (and the router fits a system both fusions share once).

    Measured (2-core CPU, real LibriSpeech; ``benchmarks/bench_robustness.py
    --recipes-only``, ``benchmarks/results/robustness_recipes.json``): trained
    on clean test-other utterances of 10 readers and tested on their other
    utterances (two folds, 60 test predictions; one error is 0.017), the
    robust recipe gives 1.000 clean, 1.000 telephone (G.711), 1.000 / 1.000
    white, 1.000 / 0.967 pink and 1.000 / 1.000 babble noise at 20 / 10 dB
    SNR, 1.000 MP3 32 kbit/s, 1.000 reverberation (RT60 0.6 s), 1.000 with 5 s
    silence padding and at -40 dB level. A fit (30 recordings and 120 copies)
    took 50-56 s per fold on the otherwise idle machine (``fit_seconds``), and
    3-5 min while it was busy. In matched clean conditions the robust
    recipe costs accuracy: on 2-s chunks of the 151 train-clean-100 readers
    (the first 60 % of each utterance's chunks enrol, the later ones test:
    539 enrolment / 351 test chunks, 53,001 trials; ``benchmarks/bench_recipe.py``,
    ``benchmarks/results/recipe.json``) it identifies 0.952 with EER 1.37 %
    and minDCF(0.01) 0.152 (every chunk is wide-band; fit 10-16 min and
    scoring 16-47 s, idle to busy machine), where ``robust=False`` gives
    0.991, EER 0.31 % and minDCF 0.051 (fit 0.5-2 min, scoring 14-35 s).
    Use ``robust=False`` when enrolment and test audio are both clean.

    Parameters
    ----------
    n_jobs : int or None, default=None
        Parallel jobs over recordings for decoding, degradation, noise
        reduction and feature extraction.
    random_state : int, RandomState or None, default=None
        Seeds the degradations, the GMMs, the cross-fitting folds and the
        back ends.
    n_copies : int or None, default=None
        Degraded copies of each enrolment recording (0: clean enrolment
        only). ``None``: 4 when ``robust``, else 0. Fit time grows about
        linearly with ``1 + n_copies``.
    robust : bool, default=True
        Build the recipe for audio of unknown condition (noise reduction,
        telephone-band GMM, multi-condition training); ``False`` builds the
        one for clean audio (see above).

    Returns
    -------
    model : skvoice.augment.AugmentedTrainer
        Unfitted; ``fit(X, speakers)`` enrols the speakers; ``predict``
        identifies, ``decision_function`` gives calibrated verification scores
        in ``classes_`` order. ``model.estimator`` is the
        :class:`~skvoice.classifiers.BandwidthRouter` of the two fusions
        (``robust=True``) or the :class:`~skvoice.classifiers.ScoreFusion`
        (``robust=False``). :func:`skvoice.classifiers.set_threshold` enables
        open-set rejection on every fusion, before or after ``fit`` (after
        ``fit``, ``set_params`` changes only these unfitted templates).

    Examples
    --------
    >>> from skvoice.recipes import speaker_id_pipeline
    >>> model = speaker_id_pipeline()
    >>> [name for name, _ in model.estimator.wideband.estimators], model.n_copies
    (['ge2e', 'plda', 'gmm_telephone_band'], 4)
    >>> [name for name, _ in model.estimator.narrowband.estimators[0][1].steps]
    ['denoise', 'band', 'embedding', 'verifier']
    >>> [name for name, _ in speaker_id_pipeline(robust=False).estimator.estimators]
    ['ge2e', 'plda', 'gmm']
    """
    from sklearn.pipeline import Pipeline

    from .augment import AugmentedTrainer, BandLimit
    from .classifiers import BandwidthRouter, GMMSpeakerClassifier, ScoreFusion, SpeakerVerifier
    from .features import Denoise, MFCCExtractor, SpeakerEmbedding, VoiceActivityDetector

    def front():  # a fresh step per system: set_params on one system leaves the others (equal steps still run once)
        return [("denoise", Denoise(n_jobs=n_jobs))] if robust else []

    def ge2e(verifier, narrow=False):
        band = [("band", BandLimit(low=300.0, high=3400.0, n_jobs=n_jobs))] if narrow else []
        return Pipeline(front() + band + [("embedding", SpeakerEmbedding(vad=robust, n_jobs=n_jobs)),
                                        ("verifier", verifier)])

    def cosine():
        return SpeakerVerifier(normalization="asnorm", top_k=10, calibration=None, random_state=random_state)

    def plda():
        return SpeakerVerifier(scoring="plda", normalization=None, calibration=None, random_state=random_state)

    def gmm(band):
        return Pipeline(front() + [
            ("vad", VoiceActivityDetector(n_jobs=n_jobs)),
            ("mfcc", MFCCExtractor(n_mfcc=20, deltas=True, fmin=band[0], fmax=band[1], n_jobs=n_jobs)),
            ("gmm", GMMSpeakerClassifier(n_components=32, ubm=True, n_init=1, max_iter=50,
                                         random_state=random_state, n_jobs=n_jobs)),
        ])

    if robust:
        model = BandwidthRouter(
            ScoreFusion([("ge2e", ge2e(cosine())), ("plda", ge2e(plda())),
                         ("gmm_telephone_band", gmm((300.0, 3400.0)))], cv=2, random_state=random_state),
            ScoreFusion([("ge2e", ge2e(cosine(), narrow=True)), ("plda", ge2e(plda(), narrow=True)),
                         ("gmm_telephone_band", gmm((300.0, 3400.0)))], cv=2, random_state=random_state),
            n_jobs=n_jobs)
        n_copies = 4 if n_copies is None else n_copies
    else:
        model = ScoreFusion([("ge2e", ge2e(cosine())), ("plda", ge2e(plda())), ("gmm", gmm((20.0, None)))],
                            cv=2, random_state=random_state)
        n_copies = 0 if n_copies is None else n_copies
    return AugmentedTrainer(model, training_augmenter(random_state, band_limit=True, n_jobs=n_jobs), n_copies=n_copies,
                            random_state=random_state)
