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
