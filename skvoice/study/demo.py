"""``skvoice demo``: one gender and one speaker-ID result in well under a minute."""

from __future__ import annotations

import dataclasses
import os
import time

import numpy as np

from .config import Budget
from .data import GENDER_SUBSETS, SPEAKER_SUBSETS, check_root, choose_subset, load_librispeech_subset, synthetic_corpus
from .errors import DataError
from .evaluation import single_openmp
from .progress import Progress

__all__ = ["DemoScore", "DemoResult", "run_demo"]


@dataclasses.dataclass
class DemoScore:
    """Cross-validated per-recording accuracy of one demo model."""

    accuracy_mean: float
    accuracy_std: float
    folds: int
    n_recordings: int
    n_speakers: int


@dataclasses.dataclass
class DemoResult:
    data: str
    gender: DemoScore
    speaker: DemoScore
    seconds: float


def _real_corpora(root, seed, progress):
    """Gender and speaker corpora from ``$SKVOICE_LIBRISPEECH`` (train-clean-100 / test-other first), or None."""
    from ..datasets import ENV_ROOT

    budget = Budget(gender_per_sex=15, gender_max_per_speaker=1, speaker_max_per_speaker=6, speaker_max_speakers=10)
    try:
        root = check_root(root, f"${ENV_ROOT}")
        g_sub, _ = choose_subset(root, None, ("train-clean-100",) + GENDER_SUBSETS, "--gender-subset")
        s_sub, _ = choose_subset(root, None, ("test-other",) + SPEAKER_SUBSETS, "--speaker-subset")
        g = load_librispeech_subset(root, g_sub, budget, seed, "gender")
        s = load_librispeech_subset(root, s_sub, budget, seed, "speaker")
    except DataError as exc:
        progress.log(f"${ENV_ROOT} is set but unusable ({exc}); falling back to synthetic voices")
        return None
    gd, sd = g.description, s.description
    text = (f"LibriSpeech at {root} (${ENV_ROOT}): gender on {g_sub} ({gd.n_female} F + {gd.n_male} M speakers, "
            f"{gd.n_recordings} recordings), speaker ID on {s_sub} ({sd.n_speakers} speakers, {sd.n_recordings} "
            "recordings)")
    return g, s, text


def _score(scores, folds, corpus):
    return DemoScore(accuracy_mean=float(scores.mean()), accuracy_std=float(scores.std()), folds=folds,
                     n_recordings=int(len(corpus.X)), n_speakers=int(np.unique(corpus.speaker).size))


def run_demo(progress=None, seed=0, n_jobs=None, stream=None):
    """A fast end-to-end demonstration: one gender and one speaker-ID result (a :class:`DemoResult`)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline

    from ..classifiers import FrameVoteClassifier, GMMSpeakerClassifier
    from ..datasets import ENV_ROOT
    from ..features import CMVN, MFCCExtractor

    progress = progress or Progress(stream=stream)
    root = os.environ.get(ENV_ROOT)
    real = _real_corpora(root, seed, progress) if root else None
    if real is not None:
        g, s, data = real
    else:
        g = s = synthetic_corpus(Budget(synthetic_speakers=8, synthetic_utterances=4, synthetic_duration=1.5), seed)
        data = (f"synthetic voices (make_voices: 8 speakers x 4 utterances x 1.5 s; set ${ENV_ROOT} to a "
                "LibriSpeech root for real speech)")
    progress.log("data: " + data)

    mfcc = MFCCExtractor(13, deltas=True, pitch=True, n_jobs=n_jobs)
    with progress.step("demo/gender", "gender: MFCC+deltas+pitch -> CMVN -> FrameVote(HGB, soft), speaker-disjoint CV"):
        Xg = mfcc.fit_transform(g.X)
        k = max(2, min(3, min(np.unique(g.speaker[g.gender == c]).size for c in np.unique(g.gender))))
        cv = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
        model = make_pipeline(CMVN(), FrameVoteClassifier(HistGradientBoostingClassifier(random_state=seed),
                                                          voting="soft", max_frames=200, random_state=seed))
        with single_openmp():
            # the splits themselves, not groups=: with metadata routing on, cross_val_score refuses groups
            acc = cross_val_score(model, Xg, g.gender, cv=list(cv.split(Xg, g.gender, g.speaker)))
    with progress.step("demo/speaker", "speaker ID: MFCC -> CMVN -> GMM-UBM, stratified CV"):
        Xs = MFCCExtractor(13, n_jobs=n_jobs).fit_transform(s.X)
        k2 = max(2, min(3, int(np.unique(s.speaker, return_counts=True)[1].min())))
        cv2 = StratifiedKFold(n_splits=k2, shuffle=True, random_state=seed)
        model2 = make_pipeline(CMVN(), GMMSpeakerClassifier(n_components=32, ubm=True, n_init=1, max_frames=300,
                                                            random_state=seed))
        with single_openmp():
            acc2 = cross_val_score(model2, Xs, s.speaker, cv=cv2)
    return DemoResult(data=data, gender=_score(acc, k, g), speaker=_score(acc2, k2, s),
                      seconds=time.perf_counter() - progress.start)
