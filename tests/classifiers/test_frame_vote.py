import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from skvoice._ragged import as_recording_set
from skvoice.classifiers import FrameVoteClassifier


def _data(seed=0):
    rng = np.random.RandomState(seed)
    X, y = [], []
    for i in range(20):
        label = "F" if i % 2 else "M"
        centre = 1.0 if label == "F" else -1.0
        X.append(rng.normal(centre, 1.5, size=(rng.randint(5, 40), 3)))
        y.append(label)
    return as_recording_set(X), np.array(y, dtype=object)


def test_hard_vote_is_majority_of_frame_predictions():
    X, y = _data()
    clf = FrameVoteClassifier(LogisticRegression()).fit(X, y)
    frames = clf.predict_frames(X)
    majority = []
    for f in frames:
        labels, counts = np.unique(f, return_counts=True)
        majority.append(labels[np.argmax(counts)] if counts.max() * 2 != len(f) else None)
    pred = clf.predict(X)
    assert all(m is None or m == p for m, p in zip(majority, pred))
    proba = clf.predict_proba(X)
    assert np.allclose(proba.sum(1), 1) and np.allclose(proba[0], [np.mean(frames[0] == c) for c in clf.classes_])


def test_soft_vote_is_mean_probability():
    X, y = _data()
    clf = FrameVoteClassifier(LogisticRegression(), voting="soft").fit(X, y)
    p = clf.predict_proba(X)
    assert np.allclose(p[3], clf.estimator_.predict_proba(X[3]).mean(0))
    assert (clf.predict(X) == clf.classes_[p.argmax(1)]).all()


def test_recording_accuracy_beats_frame_accuracy():
    X, y = _data()
    clf = FrameVoteClassifier(LogisticRegression()).fit(X, y)
    assert clf.score(X, y) >= clf.score_frames(X, y)
    assert clf.score(X, y) > 0.9


def test_soft_needs_predict_proba():
    X, y = _data()
    with pytest.raises(AttributeError, match="predict_proba"):
        FrameVoteClassifier(LinearSVC(), voting="soft").fit(X, y)
    assert FrameVoteClassifier(LinearSVC()).fit(X, y).predict(X).shape == (20,)


def test_max_frames_subsamples_reproducibly():
    X, y = _data()
    a = FrameVoteClassifier(LogisticRegression(), max_frames=4, random_state=0).fit(X, y)
    b = FrameVoteClassifier(LogisticRegression(), max_frames=4, random_state=0).fit(X, y)
    assert a.n_frames_fit_ == sum(min(len(x), 4) for x in X)
    assert np.allclose(a.estimator_.coef_, b.estimator_.coef_)


def test_default_estimator_and_fit_params():
    X, y = _data()
    clf = FrameVoteClassifier().fit(X, y)
    assert type(clf.estimator_).__name__ == "HistGradientBoostingClassifier"
    w = np.ones(sum(len(x) for x in X))
    FrameVoteClassifier(LogisticRegression()).fit(X, y, sample_weight=w)


def test_errors():
    X, y = _data()
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        FrameVoteClassifier(LogisticRegression()).fit(X, y[:-1])
    clf = FrameVoteClassifier(LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match=r"recording\(s\) \[1\] have no frames"):
        clf.predict(as_recording_set([X[0], np.empty((0, 3))]))
    with pytest.raises(ValueError, match="features"):
        clf.predict(as_recording_set([np.zeros((3, 5))]))
    with pytest.raises(ValueError, match="continuous"):
        FrameVoteClassifier(LogisticRegression()).fit(X, np.linspace(0, 1, 20))
    assert clone(clf).get_params()["voting"] == "hard"


def test_in_pipeline_with_cross_val_and_groups(voices):
    from sklearn.model_selection import StratifiedGroupKFold, cross_val_score
    from sklearn.pipeline import make_pipeline

    from skvoice.features import CMVN, MFCCExtractor

    pipe = make_pipeline(MFCCExtractor(pitch=True), CMVN(), FrameVoteClassifier(LogisticRegression(max_iter=500)))
    scores = cross_val_score(pipe, voices.waveforms, voices.gender, groups=voices.speaker, cv=StratifiedGroupKFold(2))
    assert scores.mean() >= 0.75  # unseen synthetic speakers; F0/formant cues make this easy


class _CountingLR(LogisticRegression):
    """LogisticRegression that counts its fits (to see what runs before an error)."""

    fits = 0

    def fit(self, X, y, sample_weight=None):
        type(self).fits += 1
        return super().fit(X, y, sample_weight=sample_weight)


def test_sample_weight_weighs_recordings():
    # one weight per recording is repeated over its frames, like y (it used to reach the frame classifier as is:
    # "sample_weight.shape == (20,), expected (n_frames,)")
    X, y = _data()
    lengths = np.array([len(x) for x in X])
    w = np.linspace(0.2, 3.0, 20)
    clf = FrameVoteClassifier(LogisticRegression()).fit(X, y, sample_weight=w)
    ref = LogisticRegression().fit(np.concatenate(list(X)), np.repeat(y, lengths), sample_weight=np.repeat(w, lengths))
    assert np.allclose(clf.estimator_.coef_, ref.coef_)
    unweighted = FrameVoteClassifier(LogisticRegression()).fit(X, y)
    assert not np.allclose(clf.estimator_.coef_, unweighted.estimator_.coef_)
    # zero weight on a recording = leaving it out
    keep = np.arange(20) != 3
    dropped = FrameVoteClassifier(LogisticRegression()).fit(X[keep], y[keep])
    zeroed = FrameVoteClassifier(LogisticRegression()).fit(X, y, sample_weight=keep.astype(float))
    assert np.allclose(zeroed.estimator_.coef_, dropped.estimator_.coef_, atol=1e-4)


def test_sample_weight_follows_the_max_frames_subsample():
    X, y = _data()
    lengths = np.array([len(x) for x in X])
    w = np.linspace(0.2, 3.0, 20)
    a = FrameVoteClassifier(LogisticRegression(), max_frames=4, random_state=0).fit(X, y, sample_weight=w)
    b = FrameVoteClassifier(LogisticRegression(), max_frames=4, random_state=0).fit(
        X, y, sample_weight=np.repeat(w, lengths))  # per-frame weights: subsampled with the frames
    assert a.n_frames_fit_ == b.n_frames_fit_ == sum(min(n, 4) for n in lengths)
    assert np.allclose(a.estimator_.coef_, b.estimator_.coef_)
    with pytest.raises(ValueError, match="sample_weight"):
        FrameVoteClassifier(LogisticRegression(), max_frames=4, random_state=0).fit(X, y, sample_weight=w[:7])


def test_sample_weight_sliced_by_cross_validation(voices):
    from sklearn.model_selection import StratifiedGroupKFold, cross_val_score
    from sklearn.pipeline import make_pipeline

    from skvoice.features import CMVN, MFCCExtractor

    model = make_pipeline(MFCCExtractor(), CMVN(), FrameVoteClassifier(LogisticRegression(max_iter=500),
                                                                        max_frames=20, random_state=0))
    w = np.ones(len(voices.speaker))
    cv = StratifiedGroupKFold(2)
    weighted = cross_val_score(model, voices.waveforms, voices.gender, groups=voices.speaker, cv=cv,
                               params={"framevoteclassifier__sample_weight": w})
    plain = cross_val_score(model, voices.waveforms, voices.gender, groups=voices.speaker, cv=cv)
    assert np.allclose(weighted, plain)


def test_soft_vote_without_predict_proba_fails_before_fitting():
    from sklearn.svm import SVC

    X, y = _data()
    _CountingLR.fits = 0
    with pytest.raises(AttributeError, match="predict_proba"):
        FrameVoteClassifier(SVC(), voting="soft").fit(X, y)  # SVC(probability=False): refused before the frame fit
    FrameVoteClassifier(_CountingLR(), voting="soft").fit(X, y)
    assert _CountingLR.fits == 1


def test_metadata_routing():
    import sklearn

    X, y = _data()
    w = np.linspace(0.2, 3.0, 20)
    with sklearn.config_context(enable_metadata_routing=True):
        requested = FrameVoteClassifier(LogisticRegression().set_fit_request(sample_weight=True))
        routed = requested.fit(X, y, sample_weight=w)
        direct = FrameVoteClassifier(LogisticRegression()).fit(X, y)
        assert not np.allclose(routed.estimator_.coef_, direct.estimator_.coef_)
        with pytest.raises(Exception, match="sample_weight"):  # unset request: scikit-learn's error, not dropped
            FrameVoteClassifier(LogisticRegression()).fit(X, y, sample_weight=w)
    assert np.allclose(FrameVoteClassifier(LogisticRegression()).fit(X, y, sample_weight=w).estimator_.coef_,
                       routed.estimator_.coef_)


@pytest.mark.parametrize("voting", ["hard", "soft"])
def test_predict_log_proba_makes_it_a_fusion_system(voting):
    # without predict_log_proba a frame-vote classifier could not be a ScoreFusion system
    from skvoice.classifiers import GMMSpeakerClassifier, ScoreFusion

    rng = np.random.RandomState(0)
    centres = rng.normal(0, 2.0, size=(4, 3))
    X = as_recording_set([rng.normal(centres[i % 4], 1.0, size=(rng.randint(20, 40), 3)) for i in range(32)])
    y = np.array([f"spk{i % 4}" for i in range(32)], dtype=object)
    vote = FrameVoteClassifier(LogisticRegression(), voting=voting).fit(X, y)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(vote.predict_log_proba(X), np.log(vote.predict_proba(X)))
    fusion = ScoreFusion([("vote", FrameVoteClassifier(LogisticRegression(), voting=voting)),
                          ("gmm", GMMSpeakerClassifier(n_components=2, random_state=0))], random_state=0).fit(X, y)
    assert np.isfinite(fusion.weights_).all() and (fusion.predict(X) == y).mean() > 0.9


def test_hard_vote_ties_are_broken_in_predict_proba_too():
    # the tie-break by mean frame probability was applied in predict only: predict_proba read [0.5, 0.5], its
    # argmax said "a" and predict said "b"
    from sklearn.linear_model import LogisticRegression

    rng = np.random.RandomState(0)
    clf = FrameVoteClassifier(LogisticRegression(), voting="hard").fit(
        [rng.normal(-1, 0.3, (50, 1)), rng.normal(1, 0.3, (50, 1))], ["a", "b"])
    test = [np.array([[-0.1], [3.0]]), np.array([[-2.0], [-1.5], [2.0]])]  # a tie, then a clear majority
    proba = clf.predict_proba(test)
    assert clf.predict(test).tolist() == ["b", "a"]
    assert clf.classes_[proba.argmax(axis=1)].tolist() == ["b", "a"]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba[1], [2 / 3, 1 / 3])  # no tie: the vote fractions as before
    assert 0.5 < proba[0, 1] < 0.7
