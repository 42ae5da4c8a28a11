"""The engine of ``skvoice reproduce`` and ``skvoice demo``: the study's experiments, measured honestly.

:func:`run_reproduce` loads the data (LibriSpeech or synthetic voices), extracts
features once per recording (MFCC extraction, pretrained embeddings and
wav2vec2 chunking learn nothing from labels, so caching them outside the
cross-validation loop leaks nothing), and evaluates every model of the study
with two protocols for gender (the study's random 80/20 split and a
speaker-disjoint grouped k-fold) and a closed-set stratified k-fold for
speaker identification. Everything that *learns* (CMVN statistics, classifiers)
is fitted on the training part of each split only. It returns a plain,
JSON-serialisable dict; :mod:`skvoice._report` turns it into ``report.md``.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import platform
import sys
import time
import traceback
from contextlib import contextmanager

import numpy as np

from ._hub import ModelNotAvailableError

__all__ = ["STUDY", "ReproduceConfig", "Budget", "DataError", "Progress", "run_reproduce", "run_demo",
           "MODEL_KEYS", "resolve_root", "choose_subset"]

# --------------------------------------------------------------------------------------------------------------
# The study's own numbers (reference/study.md, "Results"): dev-clean, wav2vec2 features for Task 2.
# --------------------------------------------------------------------------------------------------------------
STUDY = {
    "data": "LibriSpeech dev-clean (40 speakers, 20 F / 20 M); gender: >= 9 F + 9 M speakers, random 80/20 split "
            "of recordings; speaker ID: wav2vec2 (wav2vec_small) features of 2-s chunks",
    "outliers": {
        "Z-score": [80, 2332, 1857, 1943, 3455, 2672, 1558, 2619, 1640, 2359, 3514, 2916, 3279],
        "IQR": [4607, 7940, 6680, 8135, 7602, 7054, 3061, 5477, 3817, 5391, 8252, 7826, 9336],
    },
    "gender": {
        "gb": {"per recording": {"accuracy": 0.901845, "precision": 0.909161, "recall": 0.888638},
               "per frame": {"accuracy": 0.752792, "precision": 0.758723, "recall": 0.736892}},
        "dense": {"per recording": {"accuracy": 0.998155, "precision": 0.997744, "recall": 0.998495},
                  "per frame": {"accuracy": 0.896041, "precision": 0.884290, "recall": 0.909866}},
        "cnn": {"per recording": {"accuracy": 0.998893, "precision": 0.999247, "recall": 0.998495},
                "per frame": {"accuracy": 0.907791, "precision": 0.905460, "recall": 0.909404}},
        "hubert": {"per recording": {"accuracy": 0.918081, "precision": 0.902545, "recall": 0.933785}},
    },
    "speaker": {
        "gmm": {"per recording": {"accuracy": 0.803544}, "features": "wav2vec2"},
        "speaker-net": {"per recording": {"accuracy": 0.747152}, "features": "wav2vec2"},
    },
    "pca": {"features": "wav2vec2 (768-d)", "threshold": 0.85, "mean_components": 47,
            "typical_range": [40, 55]},
    "kmeans": {"features": "wav2vec2 (768-d)", "n_components": 47, "n_clusters": 40, "level": "frames"},
}

GENDER_MODELS = ("gb", "dense", "cnn", "hubert", "best", "embedding")
SPEAKER_MODELS = ("gmm", "gmm-ubm", "speaker-net", "embedding")
MODEL_KEYS = tuple(dict.fromkeys(GENDER_MODELS + SPEAKER_MODELS))

# preferred subsets when none is given: the study's dev-clean first, then what the shared data holds
GENDER_SUBSETS = ("dev-clean", "train-clean-100", "test-clean", "dev-other", "test-other", "train-clean-360",
                  "train-other-500")
SPEAKER_SUBSETS = ("dev-clean", "test-other", "test-clean", "dev-other", "train-clean-100", "train-clean-360",
                   "train-other-500")


class DataError(Exception):
    """No usable data: the message says exactly what to do (the CLI exits with code 2)."""


@dataclasses.dataclass
class Budget:
    """How much work each step does (``--quick`` and ``--synthetic`` shrink it)."""

    gender_folds: int = 5
    speaker_folds: int = 3
    gender_per_sex: int | None = None          # speakers of each sex (None: all of the subset)
    gender_max_per_speaker: int | None = 20    # utterances per speaker for gender
    speaker_max_speakers: int | None = None    # None: every speaker of the subset
    speaker_max_per_speaker: int | None = 30   # dev-clean has ~68 per speaker; test-other 6
    gb_max_frames: int | None = None           # GB trains on all frames (HistGradientBoosting is fast)
    nn_max_frames: int = 200                   # frames per training recording for the Keras gender nets
    nn_total_frames: int = 40_000              # ... and at most about this many training frames in all
    nn_batch_size: int = 256
    dense_epochs: int = 20
    cnn_epochs: int = 10
    nn_patience: int = 3
    speaker_net_epochs: int = 30
    speaker_net_max_frames: int = 200
    speaker_net_total_frames: int = 40_000
    best_max_frames: int = 300
    gmm_n_init: int = 3
    ubm_components: int = 64
    ubm_total_frames: int = 100_000            # GMM-UBM trains on about this many frames at most
    hubert_max_seconds: float | None = None
    kmeans_max_frames: int = 50_000
    synthetic_speakers: int = 18
    synthetic_utterances: int = 6
    synthetic_duration: float = 2.0

    @classmethod
    def make(cls, quick=False, synthetic=False):
        if synthetic and quick:  # tiny: end-to-end tests and demos in seconds
            return cls(gender_folds=3, speaker_folds=3, nn_max_frames=40, dense_epochs=2, cnn_epochs=1,
                       nn_total_frames=1000, speaker_net_total_frames=1000, ubm_total_frames=5000,
                       nn_patience=1, speaker_net_epochs=3, speaker_net_max_frames=40, best_max_frames=60,
                       gmm_n_init=1, ubm_components=8, kmeans_max_frames=2000, synthetic_speakers=6,
                       synthetic_utterances=3, synthetic_duration=1.0)
        if quick:
            return cls(gender_folds=3, speaker_folds=3, gender_per_sex=30, gender_max_per_speaker=2,
                       speaker_max_speakers=20, speaker_max_per_speaker=6, nn_max_frames=100, dense_epochs=20,
                       nn_total_frames=8000, speaker_net_total_frames=10_000, ubm_total_frames=30_000,
                       cnn_epochs=8, nn_patience=3, speaker_net_epochs=12, speaker_net_max_frames=100,
                       best_max_frames=200, gmm_n_init=1, ubm_components=32, hubert_max_seconds=8.0,
                       kmeans_max_frames=20_000, synthetic_speakers=10, synthetic_utterances=4,
                       synthetic_duration=1.5)
        return cls()


@dataclasses.dataclass
class ReproduceConfig:
    """Options of ``skvoice reproduce`` (see ``skvoice reproduce --help``)."""

    data: str | None = None
    gender_subset: str | None = None
    speaker_subset: str | None = None
    out: str = "skvoice_report"
    quick: bool = False
    models: tuple = MODEL_KEYS
    wav2vec: str | None = None
    hubert: str | None = None
    synthetic: bool = False
    n_jobs: int | None = -1
    seed: int = 0
    download: bool = True
    argv: list | None = None


# --------------------------------------------------------------------------------------------------------------
# progress on stderr
# --------------------------------------------------------------------------------------------------------------
class Progress:
    """Timestamped progress lines on a stream (stderr); records the duration of every named step."""

    def __init__(self, stream=None, total=None, quiet=False):
        self.stream = sys.stderr if stream is None else stream
        self.quiet = quiet
        self.start = time.perf_counter()
        self.timings = {}
        self.total = total
        self.done = 0

    def log(self, message):
        if not self.quiet:
            elapsed = time.perf_counter() - self.start
            print(f"[{int(elapsed // 60):2d}:{elapsed % 60:04.1f}] {message}", file=self.stream, flush=True)

    @contextmanager
    def step(self, name, message=None):
        """Time a step; ``name`` keys ``timings`` (repeated names accumulate)."""
        self.done += 1
        count = f"{self.done}/{max(self.total or 0, self.done)} " if self.total else ""
        self.log(f"{count}{message or name} ...")
        t0 = time.perf_counter()
        try:
            yield
        finally:
            dt = time.perf_counter() - t0
            self.timings[name] = self.timings.get(name, 0.0) + dt
            self.log(f"{count}{message or name}: {dt:.1f} s")


# --------------------------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------------------------
def _offline_help(reason):
    from .datasets import get_data_home

    try:
        home = get_data_home()
    except OSError:
        home = "~/skvoice_data"
    return (f"No LibriSpeech data available: {reason}\n"
            "Do one of the following:\n"
            "  * point skvoice at a local copy (the folder holding SPEAKERS.TXT and subset folders such as "
            "dev-clean/):\n"
            "        skvoice reproduce --data /path/to/LibriSpeech\n"
            "    or  export SKVOICE_LIBRISPEECH=/path/to/LibriSpeech\n"
            "  * or download dev-clean (337 MB) on a connected machine from\n"
            "        https://www.openslr.org/resources/12/dev-clean.tar.gz\n"
            f"    and put the archive at {os.path.join(home, 'dev-clean.tar.gz')} (skvoice verifies and extracts it),"
            "\n    or extract it and use --data\n"
            "  * or run the whole report on synthetic voices:\n"
            "        skvoice reproduce --synthetic")


def _check_root(root, origin):
    root = os.path.abspath(os.path.expanduser(os.fspath(root)))
    if not os.path.isdir(root):
        raise DataError(_offline_help(f"{origin} points at {root!r}, which does not exist or is not a folder."))
    if not os.path.isfile(os.path.join(root, "SPEAKERS.TXT")):
        raise DataError(_offline_help(f"{origin} points at {root!r}, which holds no SPEAKERS.TXT (expected a "
                                      "LibriSpeech root, e.g. .../LibriSpeech, not a subset folder)."))
    return root


def resolve_root(data=None, *, download=True, progress=None):
    """The LibriSpeech root: ``data``, else ``$SKVOICE_LIBRISPEECH``, else ``fetch_librispeech()`` (dev-clean).

    Returns ``(root, origin)``; raises :class:`DataError` with instructions when nothing is usable.
    """
    from .datasets import ENV_ROOT

    if data:
        return _check_root(data, "--data"), "--data"
    env = os.environ.get(ENV_ROOT)
    if env:
        return _check_root(env, f"${ENV_ROOT}"), f"${ENV_ROOT}"
    if not download:
        raise DataError(_offline_help(f"no --data given and ${ENV_ROOT} is not set."))
    from .datasets import fetch_librispeech

    if progress is not None:
        progress.log(f"no --data and ${ENV_ROOT} unset: using fetch_librispeech('dev-clean') (cached in the data "
                     "home; downloads 337 MB once)")
    try:
        bunch = fetch_librispeech("dev-clean", with_duration=False, verbose=progress is not None)
    except (OSError, ValueError) as exc:  # OfflineError, DownloadError, ChecksumError, ArchiveError
        raise DataError(_offline_help(f"no --data given, ${ENV_ROOT} is not set, and dev-clean could not be "
                                      f"fetched: {exc}")) from exc
    return bunch.root, "fetch_librispeech (dev-clean, data home)"


def available_subsets(root):
    """Subset folders of a LibriSpeech root (folders holding speaker folders)."""
    out = []
    for d in sorted(os.listdir(root)):
        path = os.path.join(root, d)
        if d.startswith(".") or not os.path.isdir(path):
            continue
        if any(s.isdigit() and os.path.isdir(os.path.join(path, s)) for s in os.listdir(path)):
            out.append(d)
    return out


def choose_subset(root, requested, preferences, option):
    """``(subset, note)``: the requested subset (error if absent) or the first preferred one present."""
    available = available_subsets(root)
    if not available:
        raise DataError(f"{root!r} holds SPEAKERS.TXT but no subset folder with speakers (e.g. dev-clean/).")
    if requested:
        if requested not in available:
            raise DataError(f"{option} {requested!r} not found under {root!r}. Subsets available there: "
                            f"{', '.join(available)}. Pass one of them with {option}, or download the subset "
                            f"with skvoice.datasets.fetch_librispeech(subset={requested!r}).")
        return requested, None
    for sub in preferences:
        if sub in available:
            note = None if sub == preferences[0] else (
                f"{preferences[0]} (the study's subset) is not under {root}; using {sub} "
                f"(available: {', '.join(available)}; choose with {option}).")
            return sub, note
    return available[0], f"using {available[0]} (available: {', '.join(available)}; choose with {option})."


@dataclasses.dataclass
class Corpus:
    """One task's recordings: audio input (paths or waveforms) with labels and a description."""

    X: np.ndarray
    speaker: np.ndarray
    gender: np.ndarray
    duration: np.ndarray
    description: dict
    sample_rate: int = 16000
    features: dict = dataclasses.field(default_factory=dict)
    feature_errors: dict = dataclasses.field(default_factory=dict)


def _describe(speaker, gender, duration, **extra):
    spk = np.asarray(speaker, dtype=object)
    per_speaker = {s: int(n) for s, n in zip(*np.unique(spk, return_counts=True))}
    first = {}
    for s, g in zip(spk, gender):
        first.setdefault(s, g)
    sexes = list(first.values())
    return {**extra, "n_speakers": len(per_speaker), "n_female": sexes.count("F"), "n_male": sexes.count("M"),
            "n_recordings": int(len(spk)), "hours": float(np.sum(duration) / 3600.0),
            "mean_duration_s": float(np.mean(duration)) if len(duration) else 0.0,
            "recordings_per_speaker": {"min": min(per_speaker.values()), "max": max(per_speaker.values())}}


def _load_subset(root, subset, budget, seed, task):
    from .datasets import load_librispeech, select_speakers

    max_per = budget.gender_max_per_speaker if task == "gender" else budget.speaker_max_per_speaker
    data = load_librispeech(root, subset, max_per_speaker=max_per, random_state=seed if max_per else None)
    frame = data.frame
    notes = []
    unknown = frame["gender"].isna()
    if unknown.any():
        notes.append(f"{frame.loc[unknown, 'speaker'].nunique()} speaker(s) without a sex in SPEAKERS.TXT "
                     "were left out.")
        frame = frame[~unknown].reset_index(drop=True)
    if task == "gender":
        n_f = frame.drop_duplicates("speaker")["gender"].eq("F").sum()
        n_m = frame.drop_duplicates("speaker")["gender"].eq("M").sum()
        if min(n_f, n_m) < 2:
            raise DataError(f"Gender task: subset {subset!r} has {n_f} female and {n_m} male speakers; at least 2 "
                            "of each are needed (the study used >= 9 + 9). Choose another --gender-subset.")
        if budget.gender_per_sex is not None and min(n_f, n_m) > budget.gender_per_sex:
            frame = select_speakers(frame, budget.gender_per_sex, budget.gender_per_sex, random_state=seed)
            notes.append(f"{budget.gender_per_sex} + {budget.gender_per_sex} speakers drawn at random (--quick).")
        elif min(n_f, n_m) < 9:
            notes.append(f"only {n_f} F + {n_m} M speakers: fewer than the study's 9 + 9.")
        selection = "all speakers" if budget.gender_per_sex is None else "random speakers"
    else:
        counts = frame.groupby("speaker").size()
        few = counts[counts < 2]
        if len(few):
            notes.append(f"{len(few)} speaker(s) with a single utterance left out (closed-set ID needs >= 2).")
            frame = frame[~frame["speaker"].isin(few.index)].reset_index(drop=True)
        if frame["speaker"].nunique() < 2:
            raise DataError(f"Speaker task: subset {subset!r} has fewer than 2 speakers with >= 2 utterances. "
                            "Choose another --speaker-subset.")
        if budget.speaker_max_speakers is not None and frame["speaker"].nunique() > budget.speaker_max_speakers:
            keep = np.random.RandomState(seed).choice(sorted(frame["speaker"].unique()),
                                                      budget.speaker_max_speakers, replace=False)
            frame = frame[frame["speaker"].isin(set(keep))].reset_index(drop=True)
            notes.append(f"{budget.speaker_max_speakers} speakers drawn at random (--quick).")
        selection = "every speaker"
    if max_per:
        selection += f", at most {max_per} utterance(s) each (random)"
    desc = _describe(frame["speaker"].to_numpy(object), frame["gender"].to_numpy(object),
                     frame["duration"].to_numpy(float), source="librispeech", root=root, subset=subset,
                     selection=selection, notes=notes)
    return Corpus(X=frame["path"].to_numpy(object), speaker=frame["speaker"].to_numpy(object),
                  gender=frame["gender"].to_numpy(object), duration=frame["duration"].to_numpy(float),
                  description=desc)


def _synthetic_corpus(budget, seed):
    from .datasets import make_voices

    v = make_voices(n_speakers=budget.synthetic_speakers, n_utterances=budget.synthetic_utterances,
                    duration=budget.synthetic_duration, random_state=seed)
    duration = np.array([len(w) / v.sample_rate for w in v.waveforms])
    desc = _describe(v.speaker, v.gender, duration, source="synthetic", root=None,
                     subset=f"make_voices(n_speakers={budget.synthetic_speakers}, "
                            f"n_utterances={budget.synthetic_utterances}, duration={budget.synthetic_duration}, "
                            f"random_state={seed})",
                     selection="every speaker", notes=["synthetic voices (glottal source + formant filters): a "
                                                       "demonstration, not a benchmark."])
    return Corpus(X=v.waveforms, speaker=v.speaker, gender=v.gender, duration=duration, description=desc,
                  sample_rate=v.sample_rate)


def load_corpora(config, budget, progress):
    """``(gender_corpus, speaker_corpus, data_info)`` for the configuration."""
    if config.synthetic:
        g = _synthetic_corpus(budget, config.seed)
        return g, g, {"source": "synthetic", "root": None, "origin": "--synthetic", "notes": []}
    root, origin = resolve_root(config.data, download=config.download, progress=progress)
    g_sub, g_note = choose_subset(root, config.gender_subset, GENDER_SUBSETS, "--gender-subset")
    s_sub, s_note = choose_subset(root, config.speaker_subset, SPEAKER_SUBSETS, "--speaker-subset")
    notes = [n for n in (g_note, s_note) if n]
    for n in notes:
        progress.log("note: " + n)
    g = _load_subset(root, g_sub, budget, config.seed, "gender")
    s = _load_subset(root, s_sub, budget, config.seed, "speaker")
    return g, s, {"source": "librispeech", "root": root, "origin": origin, "notes": notes}


# --------------------------------------------------------------------------------------------------------------
# features (computed once per corpus; they learn nothing from labels)
# --------------------------------------------------------------------------------------------------------------
FEATURE_LABELS = {
    "mfcc": "MFCC (13)",
    "mfcc+dp": "MFCC (13) + deltas + pitch",
    "embedding": "GE2E speaker embedding (256)",
    "wav2vec": "wav2vec2 frames (2-s chunks)",
    "audio": "raw audio",
}


class Skipped(Exception):
    """A model or feature cannot run here (missing extra or model): reported as 'skipped', not as a failure."""


def _feature_extractor(name, config, corpus):
    n_jobs = config.n_jobs
    if name == "mfcc":
        from .features import MFCCExtractor

        return MFCCExtractor(13, sample_rate=corpus.sample_rate, n_jobs=n_jobs)
    if name == "mfcc+dp":
        from .features import MFCCExtractor

        return MFCCExtractor(13, sample_rate=corpus.sample_rate, deltas=True, pitch=True, n_jobs=n_jobs)
    if name == "embedding":
        try:
            from . import features

            cls = features.SpeakerEmbedding
        except (ImportError, AttributeError) as exc:
            raise Skipped(f"SpeakerEmbedding unavailable ({_short(exc)}); install the extra: "
                          "pip install 'skvoice[embeddings]'") from exc
        est = cls()
        params = est.get_params()
        kw = {k: v for k, v in (("sample_rate", corpus.sample_rate), ("n_jobs", n_jobs)) if k in params}
        return est.set_params(**kw)
    if name == "wav2vec":
        if not config.wav2vec:
            raise Skipped("no wav2vec2 encoder given (pass --wav2vec FOLDER_OR_CHECKPOINT, e.g. a "
                          "save_pretrained folder of facebook/wav2vec2-base or the study's wav2vec_small.pt)")
        try:
            from .features import Wav2VecChunker
        except (ImportError, AttributeError) as exc:
            raise Skipped(f"Wav2VecChunker unavailable ({_short(exc)}); pip install 'skvoice[torch]'") from exc
        return Wav2VecChunker(model=config.wav2vec, chunk_seconds=2.0, output="frames", device="cpu",
                              sample_rate=corpus.sample_rate)
    raise ValueError(f"unknown feature set {name!r}")


def _short(exc):
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) < 300 else text[:297] + "..."


def get_features(corpus, name, config, progress, task):
    """Extract (once) and return the features ``name`` of ``corpus``; raises Skipped with the reason."""
    if name == "audio":
        return corpus.X
    if name in corpus.features:
        return corpus.features[name]
    if name in corpus.feature_errors:
        raise Skipped(corpus.feature_errors[name])
    try:
        est = _feature_extractor(name, config, corpus)
        with progress.step(f"features: {name} ({task})",
                           f"{task}: {FEATURE_LABELS[name]} of {len(corpus.X)} recordings"):
            feats = est.fit_transform(corpus.X)
    except Skipped as exc:
        corpus.feature_errors[name] = str(exc)
        progress.total = max(progress.done, (progress.total or 0) - 1)
        raise
    except (ImportError, ModelNotAvailableError) as exc:
        corpus.feature_errors[name] = f"{FEATURE_LABELS[name]} unavailable: {_short(exc)}"
        progress.total = max(progress.done, (progress.total or 0) - 1)
        raise Skipped(corpus.feature_errors[name]) from exc
    corpus.features[name] = feats
    return feats


# --------------------------------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------------------------------
def _cap(per_recording, total, n_train, floor=10):
    """Frames per training recording: at most ``per_recording`` (None: no cap) and about ``total`` in all."""
    share = max(floor, int(total) // max(int(n_train), 1))
    return share if per_recording is None else min(per_recording, share)


def _frame_vote(estimator, voting, max_frames, seed):
    from sklearn.pipeline import Pipeline

    from .classifiers import FrameVoteClassifier
    from .features import CMVN

    return Pipeline([("cmvn", CMVN()), ("vote", FrameVoteClassifier(estimator, voting=voting,
                                                                    max_frames=max_frames, random_state=seed))])


def _keras_class(name):
    try:
        from . import classifiers

        return getattr(classifiers, name)
    except (ImportError, AttributeError) as exc:
        raise Skipped(f"{name} unavailable ({_short(exc)}); pip install 'skvoice[keras]'") from exc


@dataclasses.dataclass
class ModelSpec:
    key: str
    task: str
    label: str
    features: str
    kind: str  # "frames" (FrameVote pipeline), "recordings" (one vector per recording), "zero-shot", "gmm"
    build: object
    description: str
    study_key: str | None = None
    uses_torch: bool = False


def gender_specs(config, budget):
    seed = config.seed

    def gb(n_train):
        from sklearn.ensemble import HistGradientBoostingClassifier

        return _frame_vote(HistGradientBoostingClassifier(random_state=seed), "hard", budget.gb_max_frames, seed)

    def dense(n_train):
        net = _keras_class("DenseGenderClassifier")(epochs=budget.dense_epochs, batch_size=budget.nn_batch_size,
                                                    patience=budget.nn_patience, random_state=seed)
        return _frame_vote(net, "hard", _cap(budget.nn_max_frames, budget.nn_total_frames, n_train), seed)

    def cnn(n_train):
        net = _keras_class("CNN1DGenderClassifier")(epochs=budget.cnn_epochs, batch_size=budget.nn_batch_size,
                                                    patience=budget.nn_patience, random_state=seed)
        return _frame_vote(net, "hard", _cap(budget.nn_max_frames, budget.nn_total_frames, n_train), seed)

    def best(n_train):
        from sklearn.ensemble import HistGradientBoostingClassifier

        return _frame_vote(HistGradientBoostingClassifier(random_state=seed), "soft", budget.best_max_frames, seed)

    def embedding(n_train):
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))

    def hubert(n_train):
        return hubert_model(config, budget)

    frames = "all training frames" if budget.gb_max_frames is None else f"<= {budget.gb_max_frames} frames/recording"
    specs = [
        ModelSpec("gb", "gender", "Gradient Boosting", "mfcc", "frames", gb,
                  f"CMVN -> FrameVote(HistGradientBoostingClassifier, majority vote), {frames}. The study's "
                  "GradientBoostingClassifier is replaced by the histogram variant (same family, ~100x faster).",
                  "gb"),
        ModelSpec("dense", "gender", "Neural Network", "mfcc", "frames", dense,
                  f"CMVN -> FrameVote(DenseGenderClassifier, majority vote); <= {budget.nn_max_frames} random "
                  f"frames/training recording (<= ~{budget.nn_total_frames} in all), <= {budget.dense_epochs} epochs, batch {budget.nn_batch_size}, "
                  f"early stopping (patience {budget.nn_patience}).", "dense", uses_torch=True),
        ModelSpec("cnn", "gender", "Convolutional Neural Network", "mfcc", "frames", cnn,
                  f"CMVN -> FrameVote(CNN1DGenderClassifier, majority vote); <= {budget.nn_max_frames} random "
                  f"frames/training recording (<= ~{budget.nn_total_frames} in all), <= {budget.cnn_epochs} epochs, batch {budget.nn_batch_size}, "
                  f"early stopping (patience {budget.nn_patience}).", "cnn", uses_torch=True),
        ModelSpec("hubert", "gender", "Hugging Face Model", "audio", "zero-shot", hubert,
                  "HubertGender (pretrained HuBERT gender classifier, zero-shot: no training)"
                  + (f", first {budget.hubert_max_seconds:g} s of each recording" if budget.hubert_max_seconds
                     else "") + ".", "hubert", uses_torch=True),
        ModelSpec("best", "gender", "skvoice best pipeline", "mfcc+dp", "frames", best,
                  f"MFCC+deltas+pitch -> CMVN -> FrameVote(HistGradientBoostingClassifier, soft vote, "
                  f"max_frames={budget.best_max_frames}).", None),
        ModelSpec("embedding", "gender", "Speaker embedding + LR", "embedding", "recordings", embedding,
                  "SpeakerEmbedding (pretrained GE2E, one 256-d vector per recording) -> StandardScaler -> "
                  "LogisticRegression.", None),
    ]
    return [s for s in specs if s.key in config.models]


def hubert_model(config, budget):
    """The HubertGender estimator, or Skipped when no model is available locally."""
    model = config.hubert
    if not model:
        model = _cached_default_hubert()
        if model is None:
            raise Skipped("no local model (pass --hubert FOLDER, a save_pretrained folder of "
                          "m3hrdadfi/hubert-base-persian-speech-gender-recognition or another audio-classification "
                          "checkpoint; skvoice never downloads it during a reproduce run)")
    try:
        from .classifiers import HubertGender
    except (ImportError, AttributeError) as exc:
        raise Skipped(f"HubertGender unavailable ({_short(exc)}); pip install 'skvoice[torch]'") from exc
    return HubertGender(model=model, max_seconds=budget.hubert_max_seconds, on_error="warn")


def _cached_default_hubert():
    """The study's HuBERT model id if it is already in the local Hugging Face cache (never downloads)."""
    model_id = "m3hrdadfi/hubert-base-persian-speech-gender-recognition"
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    try:
        path = try_to_load_from_cache(model_id, "config.json")
    except Exception:  # noqa: BLE001 - any cache problem means "not available"
        return None
    return model_id if isinstance(path, str) and os.path.isfile(path) else None


def speaker_specs(config, budget):
    seed = config.seed
    n_jobs = config.n_jobs

    def gmm(n_train):
        from sklearn.pipeline import Pipeline

        from .classifiers import GMMSpeakerClassifier
        from .features import CMVN

        return Pipeline([("cmvn", CMVN()), ("gmm", GMMSpeakerClassifier(
            n_components=16, covariance_type="diag", n_init=budget.gmm_n_init, random_state=seed, n_jobs=n_jobs))])

    def gmm_ubm(n_train):
        from sklearn.pipeline import Pipeline

        from .classifiers import GMMSpeakerClassifier
        from .features import CMVN

        return Pipeline([("cmvn", CMVN()), ("gmm", GMMSpeakerClassifier(
            n_components=budget.ubm_components, covariance_type="diag", n_init=1, ubm=True,
            max_frames=_cap(None, budget.ubm_total_frames, n_train, floor=100), random_state=seed,
            n_jobs=n_jobs))])

    def speaker_net(n_train):
        net = _keras_class("DenseSpeakerClassifier")(
            epochs=budget.speaker_net_epochs, batch_size=budget.nn_batch_size, validation_split=0.1,
            patience=budget.nn_patience + 2, random_state=seed)
        return _frame_vote(net, "soft", _cap(budget.speaker_net_max_frames, budget.speaker_net_total_frames,
                                             n_train), seed)

    def embedding(n_train):
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))

    specs = []
    for feats in ("mfcc", "wav2vec"):
        sfx = "" if feats == "mfcc" else "@wav2vec"
        specs += [
            ModelSpec("gmm" + sfx, "speaker", "Gaussian Mixture Model", feats, "gmm", gmm,
                      f"CMVN -> one GaussianMixture per speaker (16 diagonal components, n_init={budget.gmm_n_init})"
                      " - the study's recipe.", "gmm"),
            ModelSpec("gmm-ubm" + sfx, "speaker", "GMM-UBM (MAP)", feats, "gmm", gmm_ubm,
                      f"CMVN -> universal background GMM ({budget.ubm_components} diagonal components, trained on "
                      f"<= ~{budget.ubm_total_frames} frames) + MAP adaptation of the means per speaker (Reynolds "
                      "et al., 2000).", None),
            ModelSpec("speaker-net" + sfx, "speaker", "Neural Network", feats, "frames", speaker_net,
                      f"CMVN -> FrameVote(DenseSpeakerClassifier, soft vote); <= {budget.speaker_net_max_frames} "
                      f"random frames/training recording (<= ~{budget.speaker_net_total_frames} in all), <= "
                      f"{budget.speaker_net_epochs} epochs, batch "
                      f"{budget.nn_batch_size}, early stopping on a 10 % validation split.", "speaker-net",
                      uses_torch=True),
        ]
    specs.append(ModelSpec("embedding", "speaker", "Speaker embedding + LR", "embedding", "recordings", embedding,
                           "SpeakerEmbedding (pretrained GE2E) -> StandardScaler -> LogisticRegression.", None))
    return [s for s in specs if s.key.split("@")[0] in config.models]


# --------------------------------------------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------------------------------------------
METRICS = ("accuracy", "precision", "recall", "f1")


def _scores(y_true, y_pred, labels, pos_label):
    from .analysis import classification_table

    average = "binary" if pos_label is not None else "macro"
    row = classification_table(y_true, y_pred, labels=labels, pos_label=pos_label, average=average).iloc[0]
    return {m: float(row[m]) for m in METRICS}


def _aggregate(per_split):
    """``[{level: {metric: value}}]`` -> ``{level: {metric: {mean, std, values}}}``."""
    out = {}
    for level in per_split[0]:
        out[level] = {}
        for m in per_split[0][level]:
            vals = [float(s[level][m]) for s in per_split]
            out[level][m] = {"mean": float(np.mean(vals)), "std": float(np.std(vals)), "values": vals}
    return out


def _thread_limit(spec):
    """Single-threaded OpenMP for scikit-learn models (HistGradientBoosting).

    With torch imported, two OpenMP runtimes (torch's and scikit-learn's libgomp) spin-wait against each
    other, and on a busy machine HistGradientBoosting with 2 threads was measured 15x slower than with 1.
    Torch models keep their threads.
    """
    from contextlib import nullcontext

    return nullcontext() if spec.uses_torch else single_openmp()


def single_openmp():
    """Context manager: OpenMP limited to one thread (see :func:`_thread_limit`)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="openmp")


def _predict_scores(spec, model, X_test, y_test, labels, pos_label, n_train_frames, n_epochs):
    """Recording predictions and the score rows (per recording, and per frame for frame-vote pipelines)."""
    scores = {}
    if spec.kind == "frames":
        final, Xt = model[-1], model[:-1].transform(X_test)
        frame_pred = final.predict_frames(Xt)
        lengths = [len(p) for p in frame_pred]
        rec_pred = final.predict(Xt)
        scores["per recording"] = _scores(y_test, rec_pred, labels, pos_label)
        scores["per frame"] = _scores(np.repeat(y_test, lengths), np.concatenate(list(frame_pred)), labels,
                                      pos_label)
        n_train_frames.append(int(final.n_frames_fit_))
        epochs = getattr(final.estimator_, "n_epochs_", None)
        if epochs is not None:
            n_epochs.append(int(epochs))
    else:
        rec_pred = model.predict(X_test)
        scores["per recording"] = _scores(y_test, rec_pred, labels, pos_label)
    return rec_pred, scores


def evaluate(spec, feats, y, splits, *, labels, pos_label, progress, task, protocol, zero_shot_pred=None):
    """Fit/score ``spec`` on every split; returns the protocol result (with out-of-fold predictions)."""
    per_split, fit_s, pred_s = [], [], []
    oof_true, oof_pred, n_train_frames, n_epochs = [], [], [], []
    for i, (train, test) in enumerate(splits):
        t0 = time.perf_counter()
        if spec.kind == "zero-shot":
            rec_pred = np.asarray(zero_shot_pred)[test]
            ok = np.array([p is not None for p in rec_pred])
            scores = {"per recording": _scores(y[test][ok], rec_pred[ok], labels, pos_label)}
            fit_s.append(0.0)
            pred_s.append(0.0)
            oof_true.append(y[test][ok])
            oof_pred.append(rec_pred[ok])
        else:
            model = spec.build(len(train))
            with _thread_limit(spec):
                model.fit(feats[train], y[train])
                t1 = time.perf_counter()
                rec_pred, scores = _predict_scores(spec, model, feats[test], y[test], labels, pos_label,
                                                   n_train_frames, n_epochs)
            fit_s.append(t1 - t0)
            pred_s.append(time.perf_counter() - t1)
            oof_true.append(y[test])
            oof_pred.append(np.asarray(rec_pred, dtype=object))
        per_split.append(scores)
        if len(splits) > 1:
            progress.log(f"    {task} | {spec.label} [{spec.features}] | {protocol} split {i + 1}/{len(splits)}: "
                         f"recording accuracy {scores['per recording']['accuracy']:.3f}")
    result = {"n_splits": len(splits), "metrics": _aggregate(per_split),
              "fit_seconds": float(np.sum(fit_s)), "predict_seconds": float(np.sum(pred_s))}
    if n_train_frames:
        result["train_frames_per_split"] = n_train_frames
    if n_epochs:
        result["epochs_per_split"] = n_epochs
    return result, np.concatenate(oof_true), np.concatenate(oof_pred)


def gender_splits(corpus, budget, seed):
    """The two gender protocols: the study's stratified 80/20 split and a speaker-disjoint grouped k-fold."""
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedShuffleSplit

    y, groups = corpus.gender, corpus.speaker
    idx = np.arange(len(y))
    study = list(StratifiedShuffleSplit(n_splits=1, test_size=0.2, random_state=seed).split(idx, y))
    train, test = study[0]
    shared = sorted(set(groups[train]) & set(groups[test]))
    n_groups = len(np.unique(groups))
    n_min = min(np.unique(groups[y == c]).size for c in np.unique(y))
    k = max(2, min(budget.gender_folds, n_min))
    disjoint = list(StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed).split(idx, y, groups))
    info = {
        "study_split": {"name": "random stratified 80/20 split of recordings (the study's protocol)",
                        "n_splits": 1, "n_train": int(len(train)), "n_test": int(len(test)),
                        "speakers_in_train_and_test": len(shared), "n_speakers": n_groups,
                        "speaker_disjoint": len(shared) == 0},
        "speaker_disjoint": {"name": f"StratifiedGroupKFold({k}) by speaker (speaker-disjoint)", "n_splits": k,
                             "speaker_disjoint": True},
    }
    return {"study_split": study, "speaker_disjoint": disjoint}, info


def speaker_splits(corpus, budget, seed):
    from sklearn.model_selection import StratifiedKFold

    y = corpus.speaker
    k = max(2, min(budget.speaker_folds, int(np.unique(y, return_counts=True)[1].min())))
    splits = list(StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    return splits, {"name": f"closed-set StratifiedKFold({k}) over utterances, stratified by speaker",
                    "n_splits": k}


# --------------------------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------------------------
def _save(fig, out_dir, name, figures):
    import matplotlib.pyplot as plt

    path = os.path.join(out_dir, name)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    figures.append(name)
    return name


def _confusion_figure(y_true, y_pred, title, out_dir, name, figures, labels=None):
    from .analysis import plot_confusion_matrix

    n = len(np.unique(np.concatenate([np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object)])))
    disp = plot_confusion_matrix(np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object),
                                 labels=labels, xticks_rotation="vertical" if n > 4 else "horizontal",
                                 colorbar=n > 2)
    disp.ax_.set_title(title, fontsize=9)
    return _save(disp.figure_, out_dir, name, figures)


# --------------------------------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------------------------------
def machine_info():
    from importlib import metadata

    versions = {}
    for pkg in ("skvoice", "numpy", "scipy", "scikit-learn", "pandas", "librosa", "matplotlib", "joblib", "torch",
                "transformers", "keras", "scikeras", "resemblyzer"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count()
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        mem = None
    try:
        load = list(os.getloadavg())
    except OSError:  # pragma: no cover
        load = None
    return {"platform": platform.platform(), "machine": platform.machine(), "python": platform.python_version(),
            "cpu_count": os.cpu_count(), "usable_cores": cores, "memory_gib": None if mem is None else round(mem, 1),
            "load_average_start": load, "keras_backend": os.environ.get("KERAS_BACKEND"), "versions": versions}


def _status(status, reason=None, **kw):
    return {"status": status, "reason": reason, **kw}


def _run_model(spec, corpus, config, progress, results, figures, out_dir, *, splits_by_protocol, labels, pos_label,
               task):
    """Evaluate one model spec on every protocol, storing results (or the skip/failure reason)."""
    entry = {"label": spec.label, "features": spec.features, "feature_label": FEATURE_LABELS[spec.features],
             "description": spec.description, "study_key": spec.study_key, "protocols": {}}
    results[spec.key] = entry
    t_start = time.perf_counter()
    try:
        feats = get_features(corpus, spec.features, config, progress, task)
        zero_shot = None
        if spec.kind == "zero-shot":
            model = spec.build(len(corpus.X))
            with progress.step(f"{task}/{spec.key}/predict", f"{task}: {spec.label} - zero-shot predictions"):
                model.fit(corpus.X, corpus.gender)
                zero_shot = model.predict(corpus.X)
            entry["predict_all_seconds"] = progress.timings[f"{task}/{spec.key}/predict"]
            entry["model"] = str(getattr(model, "model", ""))
        else:
            spec.build(1)  # fail fast (Skipped) before the loop when an extra is missing
        for protocol, splits in splits_by_protocol.items():
            with progress.step(f"{task}/{spec.key}/{protocol}",
                               f"{task}: {spec.label} [{FEATURE_LABELS[spec.features]}] - {protocol} "
                               f"({len(splits)} split{'s' if len(splits) > 1 else ''})"):
                res, y_true, y_pred = evaluate(spec, feats, corpus.gender if task == "gender" else corpus.speaker,
                                               splits, labels=labels, pos_label=pos_label, progress=progress,
                                               task=task, protocol=protocol, zero_shot_pred=zero_shot)
            res["seconds"] = progress.timings[f"{task}/{spec.key}/{protocol}"]
            entry["protocols"][protocol] = res
            if protocol != "study_split":  # confusion matrix of the out-of-fold predictions
                name = f"confusion_{task}_{spec.key.replace('@', '_')}.png"
                title = f"{spec.label} [{FEATURE_LABELS[spec.features]}]\n{protocol}, out-of-fold predictions"
                entry["confusion_figure"] = _confusion_figure(y_true, y_pred, title, out_dir, name, figures,
                                                              labels=labels)
        entry.update(status="ok", reason=None)
    except Skipped as exc:
        progress.total -= _spec_steps(spec, len(splits_by_protocol)) - len(entry["protocols"])
        entry.update(status="skipped", reason=str(exc))
        progress.log(f"{task}: {spec.label} [{spec.features}] skipped: {exc}")
    except ModelNotAvailableError as exc:
        progress.total -= _spec_steps(spec, len(splits_by_protocol)) - len(entry["protocols"])
        entry.update(status="skipped", reason=f"model not available locally: {_short(exc)}")
        progress.log(f"{task}: {spec.label} skipped: {exc}")
    except Exception as exc:  # noqa: BLE001 - one failing model must not lose the whole report
        entry.update(status="failed", reason=_short(exc), traceback=traceback.format_exc())
        progress.log(f"{task}: {spec.label} [{spec.features}] FAILED: {_short(exc)}")
    entry["seconds"] = time.perf_counter() - t_start
    return entry


def _spec_steps(spec, n_protocols):
    return n_protocols + (1 if spec.kind == "zero-shot" else 0)


def _plan_size(config, g_specs, s_specs):
    """Number of progress steps when everything runs (what is skipped takes its steps off as it goes)."""
    g_feats = {s.features for s in g_specs} - {"mfcc", "audio"}
    s_feats = {s.features for s in s_specs} - {"mfcc", "audio"}
    if config.synthetic:  # one corpus for both tasks: features are extracted once
        s_feats -= g_feats
    n = 3 + (0 if config.synthetic else 1)  # load data, gender MFCC, outliers, speaker MFCC
    n += len(g_feats) + len(s_feats | {"wav2vec"})  # wav2vec is always tried (for PCA / k-means)
    n += sum(_spec_steps(s, 2) for s in g_specs) + sum(_spec_steps(s, 1) for s in s_specs)
    return n + 2 * (1 + (1 if config.wav2vec else 0))  # PCA and k-means per feature set


def run_reproduce(config, progress=None):
    """Run the study's experiments; write figures into ``config.out`` and return the results dict.

    Raises :class:`DataError` when no data is usable.
    """
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    os.environ.setdefault("KERAS_BACKEND", "torch")
    progress = progress or Progress()
    out_dir = os.path.abspath(config.out)
    os.makedirs(out_dir, exist_ok=True)
    budget = Budget.make(quick=config.quick, synthetic=config.synthetic)
    g_specs, s_specs = gender_specs(config, budget), speaker_specs(config, budget)
    progress.total = _plan_size(config, g_specs, s_specs)
    started = datetime.datetime.now(datetime.UTC)
    t_start = time.perf_counter()
    figures = []
    results = {
        "skvoice_version": None, "command": "skvoice " + " ".join(config.argv or ["reproduce"]),
        "created_utc": started.isoformat(timespec="seconds"),
        "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(config).items()
                   if k != "argv"},
        "budget": dataclasses.asdict(budget), "machine": machine_info(), "study": STUDY,
    }
    from . import __version__

    results["skvoice_version"] = __version__

    with progress.step("load data", "loading data"):
        g_corpus, s_corpus, data_info = load_corpora(config, budget, progress)
    results["data"] = {**data_info, "gender": g_corpus.description, "speaker": s_corpus.description}
    progress.log(f"gender: {g_corpus.description['n_recordings']} recordings of {g_corpus.description['n_speakers']}"
                 f" speakers ({g_corpus.description['hours']:.2f} h); speaker ID: "
                 f"{s_corpus.description['n_recordings']} recordings of {s_corpus.description['n_speakers']} "
                 f"speakers ({s_corpus.description['hours']:.2f} h)")

    # ---------------- Task 1: outliers, gender classifiers
    from .analysis import outlier_table, plot_outlier_counts

    mfcc_g = get_features(g_corpus, "mfcc", config, progress, "gender")
    g_corpus.description["n_frames"] = int(sum(len(r) for r in mfcc_g))
    with progress.step("outliers", "gender: outlier counts (z-score, IQR)"):
        table = outlier_table(mfcc_g)
        results["outliers"] = {
            "n_frames": int(table["n_frames"].iloc[0]),
            "features": FEATURE_LABELS["mfcc"],
            "counts": {str(m): {str(c): int(v) for c, v in row.items() if c != "n_frames"}
                       for m, row in table.iterrows()},
            "figure": _save(plot_outlier_counts(table), out_dir, "outliers.png", figures),
        }
    splits, protocol_info = gender_splits(g_corpus, budget, config.seed)
    pos = "M" if "M" in set(g_corpus.gender) else None
    g_labels = sorted(set(g_corpus.gender))
    results["gender"] = {"protocols": protocol_info, "positive_class": pos, "labels": g_labels, "models": {}}
    for spec in g_specs:
        _run_model(spec, g_corpus, config, progress, results["gender"]["models"], figures, out_dir,
                   splits_by_protocol=splits, labels=g_labels, pos_label=pos, task="gender")

    # ---------------- Task 2: speaker identification, PCA, k-means
    mfcc_s = get_features(s_corpus, "mfcc", config, progress, "speaker")
    s_corpus.description["n_frames"] = int(sum(len(r) for r in mfcc_s))
    s_split, s_info = speaker_splits(s_corpus, budget, config.seed)
    s_labels = sorted(set(s_corpus.speaker))
    results["speaker"] = {"protocol": s_info, "labels": s_labels, "models": {}}
    for spec in s_specs:
        _run_model(spec, s_corpus, config, progress, results["speaker"]["models"], figures, out_dir,
                   splits_by_protocol={"closed_set": s_split}, labels=s_labels, pos_label=None, task="speaker")

    results["pca"], results["kmeans"] = {}, {}
    for feats_name in ("mfcc", "wav2vec"):
        try:
            feats = get_features(s_corpus, feats_name, config, progress, "speaker")
        except Skipped as exc:
            results["pca"][feats_name] = _status("skipped", str(exc))
            results["kmeans"][feats_name] = _status("skipped", str(exc))
            continue
        except Exception as exc:  # noqa: BLE001
            results["pca"][feats_name] = _status("failed", _short(exc))
            results["kmeans"][feats_name] = _status("failed", _short(exc))
            progress.log(f"speaker: {FEATURE_LABELS[feats_name]} FAILED: {_short(exc)}")
            continue
        results["pca"][feats_name] = _pca_step(feats, feats_name, progress, out_dir, figures)
        results["kmeans"][feats_name] = _kmeans_step(feats, s_corpus.speaker, feats_name, budget, config.seed,
                                                     progress, out_dir, figures)

    results["timings"] = {k: round(v, 3) for k, v in progress.timings.items()}
    results["total_seconds"] = time.perf_counter() - t_start
    results["machine"]["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    results["figures"] = figures
    results["out_dir"] = out_dir
    return results


def _pca_step(feats, name, progress, out_dir, figures):
    from .analysis import components_for_variance, plot_components_histogram

    try:
        with progress.step(f"pca/{name}", f"speaker: per-recording PCA (85 % variance) on {FEATURE_LABELS[name]}"):
            counts = components_for_variance(feats, 0.85)
            finite = counts[np.isfinite(counts)]
            fig = plot_components_histogram(counts, threshold=0.85)
            fig.axes[0].set_title(f"{FEATURE_LABELS[name]}: components for 85 % variance\n"
                                  f"({len(finite)} recordings)", fontsize=9)
            values, edges = np.histogram(finite, bins=np.arange(finite.min() - 0.5, finite.max() + 1.5))
            return _status("ok", n_features=int(feats[0].shape[1]), n_recordings=int(len(counts)),
                           n_without_variance=int(np.isnan(counts).sum()), threshold=0.85,
                           mean=float(finite.mean()), median=float(np.median(finite)), min=int(finite.min()),
                           max=int(finite.max()),
                           histogram={str(int(round(e + 0.5))): int(v) for e, v in zip(edges[:-1], values) if v},
                           figure=_save(fig, out_dir, f"pca_components_{name}.png", figures))
    except Exception as exc:  # noqa: BLE001
        progress.log(f"PCA on {name} FAILED: {_short(exc)}")
        return _status("failed", _short(exc))


def _kmeans_step(feats, speaker, name, budget, seed, progress, out_dir, figures):
    from .analysis import pca_kmeans, plot_clusters

    try:
        with progress.step(f"kmeans/{name}", f"speaker: PCA + k-means (one cluster per speaker) on "
                                             f"{FEATURE_LABELS[name]}"), single_openmp():
            frames = pca_kmeans(feats, speaker, n_components=47, level="frames", max_frames=budget.kmeans_max_frames,
                                random_state=seed)
            recs = pca_kmeans(feats, speaker, n_components=47, level="recordings", pooling=("mean", "std"),
                              n_init=10, random_state=seed)
            fig = plot_clusters(frames, max_points=4000, random_state=seed)
            fig.suptitle(f"PCA + k-means on {FEATURE_LABELS[name]} frames (first two components)", fontsize=10)
            fig.tight_layout()
            out = {}
            for level, res in (("frames", frames), ("recordings", recs)):
                out[level] = {"n_samples": int(len(res.labels)), "n_components": int(res.n_components),
                              "n_clusters": int(res.n_clusters),
                              "explained_variance": float(np.sum(res.explained_variance_ratio)),
                              **{k: float(v) for k, v in res.scores.items()}}
            out["frames"]["pooling"] = None
            out["recordings"]["pooling"] = "mean+std"
            return _status("ok", levels=out, figure=_save(fig, out_dir, f"kmeans_{name}.png", figures))
    except Exception as exc:  # noqa: BLE001
        progress.log(f"k-means on {name} FAILED: {_short(exc)}")
        return _status("failed", _short(exc))


# --------------------------------------------------------------------------------------------------------------
# skvoice demo
# --------------------------------------------------------------------------------------------------------------
def run_demo(progress=None, seed=0, n_jobs=None, stream=None):
    """A fast end-to-end demonstration: one gender and one speaker-ID result. Returns a dict of what it did."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline

    from .classifiers import FrameVoteClassifier, GMMSpeakerClassifier
    from .datasets import ENV_ROOT
    from .features import CMVN, MFCCExtractor

    progress = progress or Progress(stream=stream)
    out = {"data": None}
    root = os.environ.get(ENV_ROOT)
    g_budget = Budget(gender_per_sex=15, gender_max_per_speaker=1, speaker_max_per_speaker=6, speaker_max_speakers=10)
    g = s = None
    if root:
        try:
            root = _check_root(root, f"${ENV_ROOT}")
            g_sub, _ = choose_subset(root, None, ("train-clean-100",) + GENDER_SUBSETS, "--gender-subset")
            s_sub, _ = choose_subset(root, None, ("test-other",) + SPEAKER_SUBSETS, "--speaker-subset")
            g = _load_subset(root, g_sub, g_budget, seed, "gender")
            s = _load_subset(root, s_sub, g_budget, seed, "speaker")
            out["data"] = (f"LibriSpeech at {root} (${ENV_ROOT}): gender on {g_sub} "
                           f"({g.description['n_female']} F + {g.description['n_male']} M speakers, "
                           f"{g.description['n_recordings']} recordings), speaker ID on {s_sub} "
                           f"({s.description['n_speakers']} speakers, {s.description['n_recordings']} recordings)")
        except DataError as exc:
            progress.log(f"${ENV_ROOT} is set but unusable ({exc}); falling back to synthetic voices")
            g = s = None
    if g is None:
        b = Budget(synthetic_speakers=8, synthetic_utterances=4, synthetic_duration=1.5)
        g = s = _synthetic_corpus(b, seed)
        out["data"] = (f"synthetic voices (make_voices: 8 speakers x 4 utterances x 1.5 s; set ${ENV_ROOT} to a "
                       "LibriSpeech root for real speech)")
    progress.log("data: " + out["data"])

    mfcc = MFCCExtractor(13, deltas=True, pitch=True, n_jobs=n_jobs)
    with progress.step("demo/gender", "gender: MFCC+deltas+pitch -> CMVN -> FrameVote(HGB, soft), speaker-disjoint CV"):
        Xg = mfcc.fit_transform(g.X)
        k = max(2, min(3, min(np.unique(g.speaker[g.gender == c]).size for c in np.unique(g.gender))))
        cv = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
        model = make_pipeline(CMVN(), FrameVoteClassifier(HistGradientBoostingClassifier(random_state=seed),
                                                          voting="soft", max_frames=200, random_state=seed))
        with single_openmp():
            acc = cross_val_score(model, Xg, g.gender, groups=g.speaker, cv=cv)
    out["gender"] = {"accuracy_mean": float(acc.mean()), "accuracy_std": float(acc.std()), "folds": k,
                     "n_recordings": int(len(g.X)), "n_speakers": int(np.unique(g.speaker).size)}
    with progress.step("demo/speaker", "speaker ID: MFCC -> CMVN -> GMM-UBM, stratified CV"):
        Xs = MFCCExtractor(13, n_jobs=n_jobs).fit_transform(s.X)
        k2 = max(2, min(3, int(np.unique(s.speaker, return_counts=True)[1].min())))
        cv2 = StratifiedKFold(n_splits=k2, shuffle=True, random_state=seed)
        model2 = make_pipeline(CMVN(), GMMSpeakerClassifier(n_components=32, ubm=True, n_init=1, max_frames=300,
                                                            random_state=seed))
        with single_openmp():
            acc2 = cross_val_score(model2, Xs, s.speaker, cv=cv2)
    out["speaker"] = {"accuracy_mean": float(acc2.mean()), "accuracy_std": float(acc2.std()), "folds": k2,
                      "n_recordings": int(len(s.X)), "n_speakers": int(np.unique(s.speaker).size)}
    out["seconds"] = time.perf_counter() - progress.start
    return out
