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


def training_augmenter(random_state=None, *, band_limit=False):
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
    return Degrade(steps + [Gain(gain_db=(-30.0, 0.0))], random_state=random_state)


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
    ``benchmarks/results/robustness.json``): 1.000 clean; 0.980 telephone
    (G.711); 0.980 / 0.961 white noise at 10 / 5 dB; 0.980 pink and 0.980
    babble at 10 dB; 1.000 MP3 32 kbit/s; 0.961 reverberation (RT60 0.6 s);
    1.000 with 5 s of silence padding and at -40 dB level. With 51 test
    speakers one error is about 0.02.

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
        ("classifier", LogisticRegression(C=1.0, max_iter=2000, random_state=random_state)),
    ])
    return AugmentedTrainer(pipe, training_augmenter(), n_copies=1, random_state=random_state)


def speaker_id_pipeline(n_jobs=None, random_state=None, n_copies=4):
    """Speaker identification and verification from audio: a fusion of six systems, trained multi-condition.

    Six systems score every recording against every enrolled speaker, and
    :class:`~skvoice.classifiers.ScoreFusion` combines their scores with
    weights learned by logistic regression on cross-fitted target/non-target
    trials, so ``decision_function`` gives one log-likelihood-ratio-like score
    per (recording, speaker) that a single threshold serves for every speaker:

    - GE2E embeddings (:class:`~skvoice.features.SpeakerEmbedding`, WebRTC
      speech detection, 1.6-s windows averaged) scored by cosine similarity
      with adaptive symmetric score normalisation (AS-norm, top 10 of the
      other enrolled speakers), and by a two-covariance PLDA;
    - the same two back ends on GE2E embeddings of the recording after
      spectral-gating noise reduction (:class:`~skvoice.features.Denoise`);
    - two GMM-UBMs (32 diagonal components, MAP-adapted means) on 20 MFCCs
      with deltas of the speech found by the Silero voice activity detector:
      one over the full band, one over the telephone band (300-3400 Hz),
      which band-limited channels leave intact.

    The fusion computes each front end once (:class:`ScoreFusion` shares
    equal feature steps). At fit time only,
    :class:`~skvoice.augment.AugmentedTrainer` adds ``n_copies`` degraded
    copies of every enrolment recording (:func:`training_augmenter` with its
    random band limit), so enrolment models, PLDA and fusion weights see
    reverberant, noisy, band-limited and quiet speech; a recording and its
    copies always share a cross-fitting fold. Predictions are made on the
    audio as given.

    Measured (2-core CPU, real LibriSpeech; ``benchmarks/bench_robustness.py
    --recipes-only``, ``benchmarks/results/robustness_recipes.json``): trained
    on clean test-other utterances of 10 readers and tested on their other
    utterances (two folds, 60 test predictions), 1.000 clean, 0.950 telephone
    (G.711), 1.000 / 0.933 white noise at 20 / 10 dB, 1.000 / 0.967 pink and
    1.000 / 0.983 babble noise at 20 / 10 dB, 1.000 MP3, reverberation, 5 s
    silence padding and -40 dB level (the recipe before this fusion: 0.667
    telephone, 0.633 white and 0.767 pink noise at 10 dB). The copies cost
    accuracy in matched clean conditions: on 2-s chunks of 150
    train-clean-100 readers ("later" split of
    :func:`skvoice.datasets.chunk_split`, 538 enrolment / 351 test chunks),
    identification 0.966 and EER 0.88 %, fit 18 min on a loaded machine;
    with ``n_copies=0`` the same six systems give 0.994 and EER 0.24 %
    (measured from cached front-end features), as the three-system recipe
    did (0.994, 0.26 %). Use ``n_copies=0`` when enrolment and test audio
    are both clean.

    Parameters
    ----------
    n_jobs : int or None, default=None
        Parallel jobs over recordings for decoding, degradation and feature
        extraction.
    random_state : int, RandomState or None, default=None
        Seeds the degradations, the GMMs, the cross-fitting folds and the
        back ends.
    n_copies : int, default=4
        Degraded copies of each enrolment recording (0: clean enrolment
        only). Fit time grows about linearly with ``1 + n_copies``.

    Returns
    -------
    model : skvoice.augment.AugmentedTrainer
        Unfitted; ``fit(X, speakers)`` enrols the speakers; ``predict``
        identifies, ``decision_function`` gives calibrated verification scores
        in ``classes_`` order; ``model.estimator`` is the
        :class:`~skvoice.classifiers.ScoreFusion` (``estimator__threshold=``
        enables open-set rejection).

    Examples
    --------
    >>> from skvoice.recipes import speaker_id_pipeline
    >>> model = speaker_id_pipeline()
    >>> [name for name, _ in model.estimator.estimators]
    ['ge2e', 'plda', 'ge2e_denoised', 'plda_denoised', 'gmm', 'gmm_telephone_band']
    """
    from sklearn.pipeline import Pipeline

    from .augment import AugmentedTrainer
    from .classifiers import GMMSpeakerClassifier, ScoreFusion, SpeakerVerifier
    from .features import Denoise, MFCCExtractor, SpeakerEmbedding, VoiceActivityDetector

    def ge2e(verifier, denoise):
        front = [("denoise", Denoise(n_jobs=n_jobs))] if denoise else []
        return Pipeline(front + [("embedding", SpeakerEmbedding(vad=True, n_jobs=n_jobs)), ("verifier", verifier)])

    def cosine():
        return SpeakerVerifier(normalization="asnorm", top_k=10, calibration=None, random_state=random_state)

    def plda():
        return SpeakerVerifier(scoring="plda", normalization=None, calibration=None, random_state=random_state)

    def gmm(band):
        return Pipeline([("vad", VoiceActivityDetector(n_jobs=n_jobs)),
                         ("mfcc", MFCCExtractor(n_mfcc=20, deltas=True, fmin=band[0], fmax=band[1], n_jobs=n_jobs)),
                         ("gmm", GMMSpeakerClassifier(n_components=32, ubm=True, n_init=1, max_iter=50,
                                                      random_state=random_state))])

    fusion = ScoreFusion([
        ("ge2e", ge2e(cosine(), denoise=False)),
        ("plda", ge2e(plda(), denoise=False)),
        ("ge2e_denoised", ge2e(cosine(), denoise=True)),
        ("plda_denoised", ge2e(plda(), denoise=True)),
        ("gmm", gmm((20.0, None))),
        ("gmm_telephone_band", gmm((300.0, 3400.0))),
    ], cv=2, random_state=random_state)
    return AugmentedTrainer(fusion, training_augmenter(random_state, band_limit=True), n_copies=n_copies,
                            random_state=random_state)
