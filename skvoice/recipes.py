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
    """Speaker identification and verification from audio: a fusion of three systems, trained multi-condition.

    Three systems score every recording against every enrolled speaker, and
    :class:`~skvoice.classifiers.ScoreFusion` combines their AS-normalised
    scores with weights learned by logistic regression on cross-fitted
    target/non-target trials, so ``decision_function`` gives one
    log-likelihood-ratio-like score per (recording, speaker) that a single
    threshold serves for every speaker:

    - GE2E embeddings (:class:`~skvoice.features.SpeakerEmbedding`, WebRTC
      speech detection, 1.6-s windows averaged) of the recording after
      spectral-gating noise reduction (:class:`~skvoice.features.Denoise`),
      scored by cosine similarity with adaptive symmetric score
      normalisation (AS-norm, top 10 of the other enrolled speakers);
    - the same embeddings scored by a two-covariance PLDA (the fusion
      computes them once for both);
    - a GMM-UBM (32 diagonal components, MAP-adapted means) on 20 MFCCs with
      deltas from the telephone band (300-3400 Hz) of the speech found by
      the Silero voice activity detector.

    At fit time only, :class:`~skvoice.augment.AugmentedTrainer` adds
    ``n_copies`` degraded copies of every enrolment recording
    (:func:`training_augmenter` with its random band limit): enrolment models,
    PLDA and fusion weights see reverberant, noisy, band-limited and quiet
    speech, and a recording and its copies always share a cross-fitting fold.
    Predictions are made on the audio as given.

    What it was measured to do, on which data, is in
    ``benchmarks/results/robustness.json`` and the user guide's recipes page.

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
