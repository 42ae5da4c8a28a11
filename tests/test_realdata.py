"""Real LibriSpeech tests (the shared subset): speaker-disjoint gender, held-out-utterance speaker ID, cached search.

Run with ``SKVOICE_LIBRISPEECH=../shared/data/LibriSpeech``; skipped otherwise. ``make test`` runs them.
"""

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skvoice.classifiers import FrameVoteClassifier, GMMSpeakerClassifier
from skvoice.datasets import load_librispeech
from skvoice.features import CMVN, MFCCExtractor, StatsPooling

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture(scope="module")
def gender_data(librispeech_root):
    data = load_librispeech(librispeech_root, "train-clean-100")
    assert len(data.frame) == 151 and data.frame.speaker.nunique() == 151
    return data


@pytest.fixture(scope="module")
def speaker_data(librispeech_root):
    data = load_librispeech(librispeech_root, "test-other", target="speaker")
    assert data.frame.speaker.nunique() == 10 and len(data.frame) == 60
    return data


def test_gender_speaker_disjoint_frame_vote_beats_pooled_baseline(gender_data):
    """MFCC+deltas+pitch -> CMVN -> FrameVote(HGB, soft) vs the MFCC mean/std + LR baseline, GroupKFold by speaker.

    Measured on this subset (2-core CPU): baseline 0.848, frame voting 0.913-0.920.
    """
    X, y, groups = gender_data.filenames, gender_data.gender, gender_data.speaker
    cv = GroupKFold(n_splits=5)
    baseline = make_pipeline(MFCCExtractor(n_jobs=2), StatsPooling(), StandardScaler(),
                             LogisticRegression(max_iter=2000))
    ours = Pipeline([
        ("mfcc", MFCCExtractor(deltas=True, pitch=True, n_jobs=2)),
        ("cmvn", CMVN()),
        ("vote", FrameVoteClassifier(HistGradientBoostingClassifier(random_state=0), voting="soft", max_frames=300,
                                     random_state=0)),
    ])
    base_scores = cross_val_score(baseline, X, y, groups=groups, cv=cv)
    our_scores = cross_val_score(ours, X, y, groups=groups, cv=cv)
    print(f"\nspeaker-disjoint gender accuracy: baseline {base_scores.mean():.3f}, frame vote {our_scores.mean():.3f}")
    assert our_scores.mean() >= 0.88
    assert our_scores.mean() > base_scores.mean()


@pytest.mark.parametrize("ubm", [False, True])
def test_speaker_id_on_held_out_utterances(speaker_data, ubm):
    X = MFCCExtractor(n_jobs=2).fit_transform(speaker_data.filenames)
    y = speaker_data.speaker
    model = make_pipeline(CMVN(), GMMSpeakerClassifier(n_components=32 if ubm else 16, ubm=ubm,
                                                       n_init=1 if ubm else 3, random_state=0))
    scores = cross_val_score(model, X, y, cv=StratifiedKFold(3, shuffle=True, random_state=0))
    print(f"\n10-speaker ID accuracy (ubm={ubm}): {scores.mean():.3f}")
    assert scores.mean() >= 0.9
    # harder: train on 2 utterances per speaker, test on the other 4
    first_two = np.concatenate([np.flatnonzero(y == s)[:2] for s in np.unique(y)])
    test = np.setdiff1d(np.arange(len(y)), first_two)
    acc = (model.fit(X[first_two], y[first_two]).predict(X[test]) == y[test]).mean()
    print(f"2 training utterances per speaker: {acc:.3f}")
    assert acc >= 0.8


def test_grid_search_with_cached_features(gender_data, tmp_path, monkeypatch):
    """Pipeline(memory=...) extracts features once per training fold, not once per candidate."""
    fits = []
    original_fit = MFCCExtractor.fit

    def counting_fit(self, X=None, y=None):
        fits.append(len(X))
        return original_fit(self, X, y)

    monkeypatch.setattr(MFCCExtractor, "fit", counting_fit)
    subset = np.arange(0, 151, 2)  # 76 recordings keep this quick
    X, y, groups = gender_data.filenames[subset], gender_data.gender[subset], gender_data.speaker[subset]

    def search(memory):
        fits.clear()
        pipe = Pipeline([("mfcc", MFCCExtractor(n_jobs=2)), ("pool", StatsPooling()), ("scale", StandardScaler()),
                         ("clf", LogisticRegression(max_iter=2000))], memory=memory)
        gs = GridSearchCV(pipe, {"clf__C": [0.01, 0.1, 1.0]}, cv=GroupKFold(3))
        gs.fit(X, y, groups=groups)
        return gs, list(fits)

    cached, cached_fits = search(str(tmp_path / "cache"))
    plain, plain_fits = search(None)
    assert len(plain_fits) == 3 * 3 + 1  # every candidate re-extracts on every fold, plus the refit
    assert len(cached_fits) == 3 + 1  # once per fold, plus the refit
    assert cached.best_params_ == plain.best_params_
    assert np.isclose(cached.best_score_, plain.best_score_)
    assert cached.best_score_ > 0.75
