import pickle

import numpy as np
import pytest
from sklearn.base import clone

from skvoice._ragged import as_recording_set
from skvoice.classifiers import GMMSpeakerClassifier
from skvoice.classifiers._gmm import map_adapt_means


def _speakers(n_speakers=4, n_rec=4, seed=0, dim=5):
    rng = np.random.RandomState(seed)
    centres = rng.normal(0, 3, size=(n_speakers, 3, dim))
    X, y = [], []
    for s in range(n_speakers):
        for _ in range(n_rec):
            comp = rng.randint(3, size=60)
            X.append(centres[s, comp] + rng.normal(size=(60, dim)))
            y.append(f"spk{s}")
    return as_recording_set(X), np.array(y)


@pytest.mark.parametrize("ubm", [False, True])
def test_identifies_held_out_recordings(ubm):
    X, y = _speakers()
    clf = GMMSpeakerClassifier(n_components=4, ubm=ubm, random_state=0).fit(X[::2], y[::2])
    assert (clf.predict(X[1::2]) == y[1::2]).mean() == 1.0
    assert len(clf.models_) == 4 and clf.classes_.tolist() == ["spk0", "spk1", "spk2", "spk3"]


def test_scores_are_mean_frame_log_likelihoods():
    X, y = _speakers()
    clf = GMMSpeakerClassifier(n_components=3, random_state=0).fit(X, y)
    d = clf.decision_function(X[:2])
    assert np.allclose(d[0], [m.score(X[0]) for m in clf.models_])
    total = GMMSpeakerClassifier(n_components=3, scoring="sum", random_state=0).fit(X, y).decision_function(X[:1])
    assert np.allclose(total, d[:1] * 60)
    p = clf.predict_proba(X)
    assert np.allclose(p.sum(1), 1) and np.allclose(np.log(p), clf.predict_log_proba(X))


def test_binary_decision_function_is_1d():
    X, y = _speakers(n_speakers=2)
    d = GMMSpeakerClassifier(n_components=2, random_state=0).fit(X, y).decision_function(X)
    assert d.shape == (len(X),)


@pytest.mark.parametrize("ubm", [False, True])
def test_two_speaker_scores_keep_each_speakers_own_score(ubm):
    # with two speakers decision_function is one column and predict_log_proba only the difference: a stranger
    # scores like a target there. speaker_scores keeps both columns, so verification scorers and ScoreFusion
    # test a claim against the claimed speaker's own model
    from skvoice.classifiers._verification import _class_scores
    from skvoice.metrics import make_verification_scorer

    X, y = _speakers(n_speakers=3)
    two = y != "spk2"
    clf = GMMSpeakerClassifier(n_components=2, ubm=ubm, n_init=1, random_state=0).fit(X[two], y[two])
    s = clf.speaker_scores(X)
    assert s.shape == (len(X), 2)
    assert np.allclose(clf.decision_function(X), s[:, 1] - s[:, 0])
    assert np.allclose(s[0], [m.score(X[0]) - (clf.ubm_.score(X[0]) if ubm else 0.0) for m in clf.models_])
    assert np.allclose(_class_scores(clf, X), s)  # what ScoreFusion fuses
    scores, classes = make_verification_scorer("eer")._scores(clf, X)
    assert np.allclose(scores, s) and list(classes) == ["spk0", "spk1"]  # one trial per recording and speaker
    # a stranger's best score is below the enrolled speakers' own scores
    own = s[two][np.arange(two.sum()), (y[two] == "spk1").astype(int)]
    assert s[~two].max() < np.median(own)


def test_map_adaptation_formula():
    from sklearn.mixture import GaussianMixture

    rng = np.random.RandomState(0)
    ubm = GaussianMixture(2, covariance_type="diag", random_state=0).fit(rng.normal(size=(500, 2)))
    data = rng.normal(3, 1, size=(50, 2))
    adapted = map_adapt_means(ubm, data, relevance_factor=16)
    resp = ubm.predict_proba(data)
    n = resp.sum(0)
    expected = (n / (n + 16))[:, None] * (resp.T @ data / n[:, None]) + (16 / (n + 16))[:, None] * ubm.means_
    assert np.allclose(adapted.means_, expected)
    assert np.allclose(adapted.covariances_, ubm.covariances_) and adapted is not ubm


def test_components_capped_by_frames_and_attributes():
    X = as_recording_set([np.random.RandomState(0).normal(size=(3, 2)), np.ones((40, 2)) + 5])
    clf = GMMSpeakerClassifier(n_components=16, n_init=1, random_state=0).fit(X, ["a", "b"])
    assert clf.models_[0].n_components == 3 and clf.n_iter_ >= 1 and isinstance(clf.converged_, bool)


def test_pickle_round_trip():
    X, y = _speakers()
    clf = GMMSpeakerClassifier(n_components=2, random_state=0, n_jobs=2).fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(again.predict_proba(X), clf.predict_proba(X))


def test_reproducible_with_random_state():
    X, y = _speakers()
    a = GMMSpeakerClassifier(n_components=3, random_state=1).fit(X, y).decision_function(X)
    b = GMMSpeakerClassifier(n_components=3, random_state=1).fit(X, y).decision_function(X)
    assert np.array_equal(a, b)


def test_errors():
    X, y = _speakers()
    with pytest.raises(ValueError, match="inconsistent"):
        GMMSpeakerClassifier().fit(X, y[:3])
    with pytest.raises(ValueError, match="covariance_type"):
        GMMSpeakerClassifier(covariance_type="banana").fit(X, y)
    clf = GMMSpeakerClassifier(n_components=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="0 frame"):
        clf.predict(as_recording_set([np.empty((0, 5))]))


def test_top_c_scoring_matches_full_scoring_and_approximates_it():
    """top_c = n_components is exact; a small top_c keeps the predictions (the standard GMM-UBM shortcut)."""
    rng = np.random.RandomState(0)
    centres = rng.normal(0, 3, size=(4, 6))
    X = np.empty(24, dtype=object)
    y = np.repeat(np.arange(4), 6)
    for i, k in enumerate(y):
        X[i] = rng.normal(centres[k], 1.0, size=(60, 6))
    full = GMMSpeakerClassifier(n_components=8, ubm=True, n_init=1, random_state=0).fit(X[::2], y[::2])
    exact = clone(full).set_params(top_c=8).fit(X[::2], y[::2])
    np.testing.assert_allclose(exact.decision_function(X[1::2]), full.decision_function(X[1::2]), atol=1e-8)
    approx = clone(full).set_params(top_c=2).fit(X[::2], y[::2])
    np.testing.assert_array_equal(approx.predict(X[1::2]), full.predict(X[1::2]))
    assert np.abs(approx.decision_function(X[1::2]) - full.decision_function(X[1::2])).max() < 0.5
    with pytest.raises(ValueError, match="top_c"):
        GMMSpeakerClassifier(n_components=2, top_c=1).fit(X, y)


def test_top_c_scores_long_recordings_in_blocks(monkeypatch):
    # all frames went through (n_frames, top_c, n_features) temporaries at once: 12x the audio for an hour of
    # speech, 3x the memory of exact scoring; blocks give the same scores
    import skvoice.classifiers._gmm as G

    rng = np.random.RandomState(0)
    X = as_recording_set([rng.normal(k, 1.0, size=(300, 4)) for k in range(3) for _ in range(2)])
    y = np.repeat(np.arange(3), 2)
    clf = GMMSpeakerClassifier(n_components=4, ubm=True, top_c=2, n_init=1, random_state=0).fit(X, y)
    whole = clf.decision_function(X)
    calls = []
    real = G._top_c_llr

    def counted(ubm, means, frames, top_c):
        calls.append(len(frames))
        return real(ubm, means, frames, top_c)

    monkeypatch.setattr(G, "_TOP_C_BLOCK", 128)
    monkeypatch.setattr(G, "_top_c_llr", counted)
    np.testing.assert_allclose(clf.decision_function(X), whole, rtol=1e-12)
    assert max(calls[1:]) <= 128
