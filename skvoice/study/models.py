"""The models of the study, per task: what each one is (:class:`ModelSpec`) and how to build it.

:func:`gender_specs` and :func:`speaker_specs` list the models a configuration selects, in report
order. A spec's ``build(n_train)`` returns a fresh unfitted estimator for a training part of
``n_train`` recordings (the Keras nets and GMM-UBM cap their training frames by the budget, so the
cap depends on the size of the training part).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable

from .errors import Skipped, short_error

__all__ = ["GENDER_MODELS", "SPEAKER_MODELS", "MODEL_KEYS", "SPEAKER_FEATURE_SETS", "ModelSpec", "gender_specs",
           "speaker_specs", "frame_vote_pipeline", "frames_per_recording", "hubert_model", "cached_default_hubert"]

GENDER_MODELS = ("gb", "dense", "cnn", "hubert", "best", "embedding")
SPEAKER_MODELS = ("gmm", "gmm-ubm", "speaker-net", "embedding")
MODEL_KEYS = tuple(dict.fromkeys(GENDER_MODELS + SPEAKER_MODELS))
SPEAKER_FEATURE_SETS = ("mfcc", "wav2vec")  # speaker-ID models run on each (key suffix "@wav2vec")

DEFAULT_HUBERT = "m3hrdadfi/hubert-base-persian-speech-gender-recognition"

#: kinds of model: evaluated differently (see skvoice.study.evaluation)
FRAMES, RECORDINGS, ZERO_SHOT, GMM = "frames", "recordings", "zero-shot", "gmm"


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """One model of a task.

    ``kind`` is ``"frames"`` (a CMVN -> FrameVoteClassifier pipeline, scored per recording and per frame),
    ``"recordings"`` (one vector per recording), ``"gmm"`` (GMM speaker models) or ``"zero-shot"``
    (pretrained, predicts without training). ``study_key`` names the study's row to compare with.
    """

    key: str
    task: str
    label: str
    features: str
    kind: str
    build: Callable
    description: str
    study_key: str | None = None
    uses_torch: bool = False

    @property
    def base_key(self):
        """The ``--models`` name (the key without its feature-set suffix)."""
        return self.key.split("@")[0]


def frames_per_recording(per_recording, total, n_train, floor=10):
    """Frames per training recording: at most ``per_recording`` (None: no cap) and about ``total`` in all."""
    share = max(floor, int(total) // max(int(n_train), 1))
    return share if per_recording is None else min(per_recording, share)


def frame_vote_pipeline(estimator, voting, max_frames, seed):
    """CMVN -> FrameVoteClassifier(estimator): per-frame training, one vote per recording."""
    from sklearn.pipeline import Pipeline

    from ..classifiers import FrameVoteClassifier
    from ..features import CMVN

    return Pipeline([("cmvn", CMVN()), ("vote", FrameVoteClassifier(estimator, voting=voting,
                                                                    max_frames=max_frames, random_state=seed))])


def _keras_class(name):
    try:
        from .. import classifiers

        return getattr(classifiers, name)
    except (ImportError, AttributeError) as exc:
        raise Skipped(f"{name} unavailable ({short_error(exc)}); pip install 'skvoice[keras]'") from exc


def _embedding_classifier(n_train):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


def _hgb(seed):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(random_state=seed)


# ------------------------------------------------------------------------------------------------ gender
def _gender_gb(config, budget):
    seed = config.seed
    frames = "all training frames" if budget.gb_max_frames is None else f"<= {budget.gb_max_frames} frames/recording"
    return ModelSpec(
        "gb", "gender", "Gradient Boosting", "mfcc", FRAMES,
        lambda n_train: frame_vote_pipeline(_hgb(seed), "hard", budget.gb_max_frames, seed),
        f"CMVN -> FrameVote(HistGradientBoostingClassifier, majority vote), {frames}. The study's "
        "GradientBoostingClassifier is replaced by the histogram variant (same family, ~40x faster to fit: 42x on "
        "the shared data's frames, benchmarks/results/training.json).", "gb")


def _gender_net(key, label, class_name, epochs):
    def make(config, budget):
        seed = config.seed
        n_epochs = getattr(budget, epochs)

        def build(n_train):
            net = _keras_class(class_name)(epochs=n_epochs, batch_size=budget.nn_batch_size,
                                           patience=budget.nn_patience, random_state=seed)
            return frame_vote_pipeline(net, "hard", frames_per_recording(budget.nn_max_frames,
                                                                         budget.nn_total_frames, n_train), seed)

        return ModelSpec(
            key, "gender", label, "mfcc", FRAMES, build,
            f"CMVN -> FrameVote({class_name}, majority vote); <= {budget.nn_max_frames} random "
            f"frames/training recording (<= ~{budget.nn_total_frames} in all), <= {n_epochs} epochs, batch "
            f"{budget.nn_batch_size}, early stopping (patience {budget.nn_patience}).", key, uses_torch=True)

    return make


def _gender_hubert(config, budget):
    seconds = f", first {budget.hubert_max_seconds:g} s of each recording" if budget.hubert_max_seconds else ""
    return ModelSpec("hubert", "gender", "Hugging Face Model", "audio", ZERO_SHOT,
                     lambda n_train: hubert_model(config, budget),
                     f"HubertGender (pretrained HuBERT gender classifier, zero-shot: no training){seconds}.",
                     "hubert", uses_torch=True)


def _gender_best(config, budget):
    seed = config.seed
    return ModelSpec(
        "best", "gender", "skvoice best pipeline", "mfcc+dp", FRAMES,
        lambda n_train: frame_vote_pipeline(_hgb(seed), "soft", budget.best_max_frames, seed),
        f"MFCC+deltas+pitch -> CMVN -> FrameVote(HistGradientBoostingClassifier, soft vote, "
        f"max_frames={budget.best_max_frames}).")


def _gender_embedding(config, budget):
    return ModelSpec("embedding", "gender", "Speaker embedding + LR", "embedding", RECORDINGS, _embedding_classifier,
                     "SpeakerEmbedding (pretrained GE2E, one 256-d vector per recording) -> StandardScaler -> "
                     "LogisticRegression.")


_GENDER_FACTORIES = {
    "gb": _gender_gb,
    "dense": _gender_net("dense", "Neural Network", "DenseGenderClassifier", "dense_epochs"),
    "cnn": _gender_net("cnn", "Convolutional Neural Network", "CNN1DGenderClassifier", "cnn_epochs"),
    "hubert": _gender_hubert,
    "best": _gender_best,
    "embedding": _gender_embedding,
}


def gender_specs(config, budget):
    """The gender models ``config.models`` selects, in report order."""
    return [_GENDER_FACTORIES[k](config, budget) for k in GENDER_MODELS if k in config.models]


def hubert_model(config, budget):
    """The HubertGender estimator, or :class:`Skipped` when no model is available locally."""
    model = config.hubert
    if not model:
        model = cached_default_hubert()
        if model is None:
            raise Skipped(f"no local model (pass --hubert FOLDER, a save_pretrained folder of {DEFAULT_HUBERT} or "
                          "another audio-classification checkpoint; skvoice never downloads it during a reproduce "
                          "run)")
    try:
        from ..classifiers import HubertGender
    except (ImportError, AttributeError) as exc:
        raise Skipped(f"HubertGender unavailable ({short_error(exc)}); pip install 'skvoice[torch]'") from exc
    return HubertGender(model=model, max_seconds=budget.hubert_max_seconds, on_error="warn")


def cached_default_hubert():
    """The study's HuBERT model id if it is already in the local Hugging Face cache (never downloads)."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    try:
        path = try_to_load_from_cache(DEFAULT_HUBERT, "config.json")
    except Exception:  # noqa: BLE001 - any cache problem means "not available"
        return None
    return DEFAULT_HUBERT if isinstance(path, str) and os.path.isfile(path) else None


# ------------------------------------------------------------------------------------------------ speaker ID
def _gmm_pipeline(**gmm_params):
    from sklearn.pipeline import Pipeline

    from ..classifiers import GMMSpeakerClassifier
    from ..features import CMVN

    return Pipeline([("cmvn", CMVN()), ("gmm", GMMSpeakerClassifier(covariance_type="diag", **gmm_params))])


def _speaker_gmm(config, budget, feats):
    return ModelSpec(
        "gmm", "speaker", "Gaussian Mixture Model", feats, GMM,
        lambda n_train: _gmm_pipeline(n_components=16, n_init=budget.gmm_n_init, random_state=config.seed,
                                      n_jobs=config.n_jobs),
        f"CMVN -> one GaussianMixture per speaker (16 diagonal components, n_init={budget.gmm_n_init})"
        " - the study's recipe.", "gmm")


def _speaker_gmm_ubm(config, budget, feats):
    def build(n_train):
        return _gmm_pipeline(n_components=budget.ubm_components, n_init=1, ubm=True,
                             max_frames=frames_per_recording(None, budget.ubm_total_frames, n_train, floor=100),
                             random_state=config.seed, n_jobs=config.n_jobs)

    return ModelSpec(
        "gmm-ubm", "speaker", "GMM-UBM (MAP)", feats, GMM, build,
        f"CMVN -> universal background GMM ({budget.ubm_components} diagonal components, trained on "
        f"<= ~{budget.ubm_total_frames} frames) + MAP adaptation of the means per speaker (Reynolds "
        "et al., 2000).")


def _speaker_net(config, budget, feats):
    def build(n_train):
        net = _keras_class("DenseSpeakerClassifier")(
            epochs=budget.speaker_net_epochs, batch_size=budget.nn_batch_size, validation_split=0.1,
            patience=budget.nn_patience + 2, random_state=config.seed)
        return frame_vote_pipeline(net, "soft", frames_per_recording(
            budget.speaker_net_max_frames, budget.speaker_net_total_frames, n_train), config.seed)

    return ModelSpec(
        "speaker-net", "speaker", "Neural Network", feats, FRAMES, build,
        f"CMVN -> FrameVote(DenseSpeakerClassifier, soft vote); <= {budget.speaker_net_max_frames} "
        f"random frames/training recording (<= ~{budget.speaker_net_total_frames} in all), <= "
        f"{budget.speaker_net_epochs} epochs, batch {budget.nn_batch_size}, early stopping on a 10 % validation "
        "split.", "speaker-net", uses_torch=True)


def _speaker_embedding(config, budget, feats):
    return ModelSpec("embedding", "speaker", "Speaker embedding + LR", "embedding", RECORDINGS,
                     _embedding_classifier,
                     "SpeakerEmbedding (pretrained GE2E) -> StandardScaler -> LogisticRegression.")


_SPEAKER_FACTORIES = {"gmm": _speaker_gmm, "gmm-ubm": _speaker_gmm_ubm, "speaker-net": _speaker_net}


def speaker_specs(config, budget):
    """The speaker-ID models ``config.models`` selects: each frame model on every feature set, then embeddings."""
    specs = []
    for feats in SPEAKER_FEATURE_SETS:
        for key, make in _SPEAKER_FACTORIES.items():
            spec = make(config, budget, feats)
            if feats != SPEAKER_FEATURE_SETS[0]:
                spec = dataclasses.replace(spec, key=f"{key}@{feats}")
            specs.append(spec)
    specs.append(_speaker_embedding(config, budget, "embedding"))
    return [s for s in specs if s.base_key in config.models]
