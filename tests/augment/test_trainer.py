"""AugmentedTrainer: augmentation at fit time only, checked with a probe that records what it sees."""

import pickle

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score, cross_validate
from sklearn.pipeline import make_pipeline

from skvoice.augment import AddNoise, AugmentedTrainer, Gain, PadSilence, RandomChoice
from skvoice.classifiers import FrameVoteClassifier
from skvoice.datasets import make_voices
from skvoice.features import CMVN, MFCCExtractor, StatsPooling

LOG = {}


class Probe(ClassifierMixin, BaseEstimator):
    """Records every recording set it is fitted on or asked about (in ``LOG[name]``); predicts the first class."""

    def __init__(self, name="probe"):
        self.name = name

    def fit(self, X, y, groups=None, sample_weight=None):
        LOG.setdefault(self.name, []).append(("fit", list(X), np.asarray(y), groups, sample_weight))
        self.classes_ = np.unique(y)
        return self

    def _record(self, what, X):
        LOG.setdefault(self.name, []).append((what, list(X)))

    def predict(self, X):
        self._record("predict", X)
        return np.full(len(X), self.classes_[0])

    def predict_proba(self, X):
        self._record("predict_proba", X)
        return np.tile(np.eye(len(self.classes_))[0], (len(X), 1))

    def decision_function(self, X):
        self._record("decision_function", X)
        return np.zeros(len(X))

    def transform(self, X):
        self._record("transform", X)
        return np.zeros((len(X), 1))


def _same(a, b):
    return len(a) == len(b) and all(
        (x == y) if isinstance(x, str) else (np.shape(x) == np.shape(y) and np.array_equal(x, y)) for x, y in zip(a, b))


@pytest.fixture(scope="module")
def voices():
    return make_voices(n_speakers=4, n_utterances=3, duration=0.6, random_state=0)


@pytest.fixture(autouse=True)
def _clear_log():
    LOG.clear()


@pytest.mark.parametrize("n_copies, keep_clean", [(1, True), (2, True), (2, False), (0, True)])
def test_fit_sees_clean_plus_degraded_copies(voices, n_copies, keep_clean):
    X, y = list(voices.waveforms), voices.speaker
    n = len(X)
    model = AugmentedTrainer(Probe("p"), AddNoise("white", snr_db=10), n_copies=n_copies, keep_clean=keep_clean,
                             random_state=0).fit(X, y, sample_weight=np.arange(n, dtype=float))
    (what, fitted, fy, _, sw), = LOG["p"]
    parts = int(keep_clean) + n_copies
    assert what == "fit" and len(fitted) == parts * n == model.n_fit_recordings_
    np.testing.assert_array_equal(fy, np.tile(y, parts))
    np.testing.assert_array_equal(sw, np.tile(np.arange(n, dtype=float), parts))
    if keep_clean:
        assert _same(fitted[:n], X)  # the clean recordings, untouched
    copies = [fitted[k * n:(k + 1) * n] for k in range(int(keep_clean), parts)]
    for copy in copies:  # degraded: same length, 10 dB SNR, not the clean signal
        for clean, z in zip(X, copy):
            assert z.shape == clean.shape and not np.allclose(z, clean)
    if n_copies == 2:  # each copy has its own noise
        assert not np.allclose(copies[0][0], copies[1][0])


def test_predict_and_friends_see_the_input_unchanged(voices):
    X, y = list(voices.waveforms), voices.speaker
    model = AugmentedTrainer(Probe("p"), PadSilence(0.5, 0.5), n_copies=1, random_state=0).fit(X, y)
    Xtest = X[:5]
    model.predict(Xtest)
    model.predict_proba(Xtest)
    model.decision_function(Xtest)
    model.transform(Xtest)
    model.score(Xtest, y[:5])
    calls = LOG["p"][1:]
    assert [c[0] for c in calls] == ["predict", "predict_proba", "decision_function", "transform", "predict"]
    for _, seen in calls:
        assert _same(seen, Xtest)
    np.testing.assert_array_equal(model.classes_, np.unique(y))


def test_cross_validation_never_augments_test_folds(voices):
    X, y, groups = np.asarray(voices.waveforms), voices.speaker, voices.speaker
    model = AugmentedTrainer(Probe("cv"), Gain(gain_db=(-20, -10)), n_copies=2, random_state=0)
    cv = GroupKFold(n_splits=4)
    cross_val_score(model, X, voices.gender, groups=groups, cv=cv)
    fits = [c for c in LOG["cv"] if c[0] == "fit"]
    predicts = [c for c in LOG["cv"] if c[0] == "predict"]
    assert len(fits) == len(predicts) == 4
    for (train, test), fit_call, pred_call in zip(cv.split(X, y, groups), fits, predicts):
        assert len(fit_call[1]) == 3 * len(train)
        assert _same(fit_call[1][: len(train)], list(X[train]))
        assert _same(pred_call[1], list(X[test]))  # the test fold exactly as given
        # no test recording (nor a copy of one) was trained on: copies are quieter versions of train rows only
        for z in fit_call[1][len(train):]:
            ratios = [np.max(np.abs(z)) / np.max(np.abs(x)) for x in X[test]]
            matches = [np.allclose(z / r, x, atol=1e-5) for r, x in zip(ratios, X[test])]
            assert not any(matches)


def test_cross_validate_with_a_real_pipeline(voices):
    pipe = make_pipeline(MFCCExtractor(), CMVN(), FrameVoteClassifier(LogisticRegression(max_iter=300)))
    model = AugmentedTrainer(pipe, RandomChoice([AddNoise("brown", (10, 20)), Gain((-10, 10))]), random_state=0)
    # speaker identification on held-out utterances: 3 stratified folds of 4 speakers x 3 utterances
    res = cross_validate(model, voices.waveforms, voices.speaker, cv=3, return_estimator=True)
    assert res["test_score"].shape == (3,)
    assert all(est.n_fit_recordings_ == 2 * 8 for est in res["estimator"])


def test_grid_search_nested_params(voices):
    pipe = make_pipeline(MFCCExtractor(), StatsPooling(), LogisticRegression(max_iter=500))
    model = AugmentedTrainer(pipe, AddNoise("white", snr_db=20), random_state=0)
    grid = GridSearchCV(model, {"estimator__logisticregression__C": [0.1, 10.0], "n_copies": [0, 1],
                                "augmenter__snr_db": [10.0, 30.0]}, cv=2)
    grid.fit(voices.waveforms, voices.gender)
    assert set(grid.best_params_) == {"estimator__logisticregression__C", "n_copies", "augmenter__snr_db"}
    assert grid.best_estimator_.estimator_.named_steps["logisticregression"].C in (0.1, 10.0)
    assert grid.predict(voices.waveforms).shape == (len(voices.waveforms),)


def test_groups_are_repeated_for_an_inner_search(voices):
    X, y, groups = list(voices.waveforms), voices.speaker, voices.speaker
    AugmentedTrainer(Probe("g"), Gain(-6.0), n_copies=2).fit(X, y, groups=groups)
    fit_groups = LOG["g"][0][3]
    np.testing.assert_array_equal(fit_groups, np.tile(groups, 3))


def test_determinism(voices):
    X, y = list(voices.waveforms), voices.speaker
    for seed in (0, 0, 1):
        AugmentedTrainer(Probe(f"d{seed}"), AddNoise("pink", snr_db=(0, 20)), random_state=seed).fit(X, y)
    a, b, c = (LOG[k][i][1] for k, i in (("d0", 0), ("d0", 1), ("d1", 0)))
    assert _same(a, b)
    assert not _same(a, c)


def test_validation(voices):
    X, y = list(voices.waveforms), voices.speaker
    with pytest.raises(ValueError, match="nothing to train on"):
        AugmentedTrainer(Probe(), Gain(0.0), n_copies=0, keep_clean=False).fit(X, y)
    with pytest.raises(ValueError, match="sample_rate"):
        AugmentedTrainer(make_pipeline(MFCCExtractor(sample_rate=8000), StatsPooling(), LogisticRegression()),
                         Gain(0.0)).fit(X, y)
    with pytest.raises(ValueError, match="requires y"):
        AugmentedTrainer(LogisticRegression(), Gain(0.0)).fit(np.vstack(X), None)
    with pytest.raises(ValueError, match="n_copies"):
        AugmentedTrainer(Probe(), Gain(0.0), n_copies=-1).fit(X, y)
    with pytest.raises(AttributeError):
        AugmentedTrainer(make_pipeline(MFCCExtractor(), StatsPooling()), Gain(0.0)).predict  # noqa: B018


def test_pickle_round_trip(voices):
    pipe = make_pipeline(MFCCExtractor(), StatsPooling(), LogisticRegression(max_iter=500))
    model = AugmentedTrainer(pipe, AddNoise("white", 20), random_state=0).fit(voices.waveforms, voices.gender)
    back = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(back.predict(voices.waveforms), model.predict(voices.waveforms))
    assert "_skvoice_version" in model.__getstate__()


def test_groups_default_to_the_original_recording(voices):
    """An estimator whose fit takes ``groups`` gets one group per original recording (clean + its copies)."""
    X, y = list(voices.waveforms), voices.speaker
    AugmentedTrainer(Probe("auto"), Gain(-6.0), n_copies=2).fit(X, y)
    np.testing.assert_array_equal(LOG["auto"][0][3], np.tile(np.arange(len(X)), 3))
    AugmentedTrainer(Probe("none"), Gain(-6.0), n_copies=1, keep_clean=False).fit(X, y)
    np.testing.assert_array_equal(LOG["none"][0][3], np.arange(len(X)))


def test_no_groups_for_an_estimator_without_them(voices):
    X, y = list(voices.waveforms), voices.speaker
    model = AugmentedTrainer(make_pipeline(MFCCExtractor(), StatsPooling(), LogisticRegression()), Gain(-6.0))
    model.fit(X, y)  # Pipeline.fit has no ``groups``: nothing is added to its parameters
    assert model.n_fit_recordings_ == 2 * len(X)


def test_speaker_scores_and_verify_are_delegated(voices):
    from skvoice.classifiers import ScoreFusion, SpeakerVerifier

    X, y = list(voices.waveforms), voices.speaker
    fusion = ScoreFusion([("v", make_pipeline(MFCCExtractor(), StatsPooling(), SpeakerVerifier(random_state=0)))],
                         cv=2, random_state=0)
    model = AugmentedTrainer(fusion, Gain(-6.0), n_copies=1, random_state=0).fit(X, y)
    np.testing.assert_array_equal(model.speaker_scores(X[:4]), model.estimator_.speaker_scores(X[:4]))
    np.testing.assert_array_equal(model.verify(X[:4], y[:4]), model.estimator_.verify(X[:4], y[:4]))
    assert not hasattr(AugmentedTrainer(Probe(), Gain(-6.0)), "verify")


def test_groups_reach_a_pipeline_ending_in_an_estimator_that_takes_them(voices):
    """``Pipeline(..., ScoreFusion)``: the groups go to the final step (a recording and its copies in one fold)."""
    X, y = list(voices.waveforms), voices.speaker
    AugmentedTrainer(make_pipeline(StatsPoolingPassthrough(), Probe("pipe")), Gain(-6.0), n_copies=1).fit(X, y)
    np.testing.assert_array_equal(LOG["pipe"][-1][3], np.tile(np.arange(len(X)), 2))
    w = np.linspace(1, 2, len(X))
    AugmentedTrainer(make_pipeline(StatsPoolingPassthrough(), Probe("pipe_w")), Gain(-6.0), n_copies=1).fit(
        X, y, probe__sample_weight=w)
    np.testing.assert_array_equal(LOG["pipe_w"][-1][4], np.tile(w, 2))


def test_metadata_routing(voices):
    import sklearn

    X, y = list(voices.waveforms), voices.speaker
    w = np.linspace(1, 2, len(X))
    with sklearn.config_context(enable_metadata_routing=True):
        AugmentedTrainer(Probe("routed").set_fit_request(sample_weight=True, groups=True), Gain(-6.0)).fit(
            X, y, sample_weight=w)
        _, _, _, groups, weights = LOG["routed"][-1]
        np.testing.assert_array_equal(weights, np.tile(w, 2))
        np.testing.assert_array_equal(groups, np.tile(np.arange(len(X)), 2))
        with pytest.raises(Exception, match="sample_weight"):  # not requested: scikit-learn's error, not dropped
            AugmentedTrainer(Probe("unset"), Gain(-6.0)).fit(X, y, sample_weight=w)


class StatsPoolingPassthrough(BaseEstimator):
    """A stateless first step that hands its input on (so the final step sees the recordings)."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X


def test_integer_pcm_clean_rows_are_scaled_like_their_copies(voices):
    # a list of int16 waveforms: the clean rows were cast to float unscaled, 32768 times louder than their copies
    pcm = [np.round(w * 32767).astype(np.int16) for w in voices.waveforms[:4]]
    trainer = AugmentedTrainer(Probe(), Gain(0.0), n_copies=1, random_state=0).fit(pcm, voices.speaker[:4])
    _, X, _, _, _ = LOG["probe"][0]
    for clean, copy in zip(X[:4], X[4:]):
        assert np.abs(clean).max() < 1.0
        np.testing.assert_allclose(clean, copy, atol=1e-6)  # a 0 dB gain changes nothing
    assert trainer.estimator_ is not None


def test_a_pipeline_augmenter_is_seeded_step_by_step(voices):
    # a Pipeline has no random_state of its own: its steps kept theirs (None: not reproducible; an int: every
    # copy the same)
    X, y = voices.waveforms[:4], voices.speaker[:4]

    def copies(augmenter):
        AugmentedTrainer(Probe(), augmenter, n_copies=2, keep_clean=False, random_state=0).fit(X, y)
        return LOG.pop("probe")[0][1]

    unseeded = make_pipeline(AddNoise("white", snr_db=10), Gain((-6.0, 6.0)))
    first, again = copies(unseeded), copies(unseeded)
    assert _same(first, again)  # reproducible from the trainer's seed
    seeded = make_pipeline(AddNoise("white", snr_db=10, random_state=1), Gain((-6.0, 6.0), random_state=1))
    out = copies(seeded)
    assert not any(np.array_equal(a, b) for a, b in zip(out[:4], out[4:]))  # the two copies differ


def test_score_metadata_is_routed_to_the_estimator(voices):
    # the router mapped fit only: cross_validate(params={"sample_weight": w}) scored folds unweighted
    import sklearn

    X = np.stack([w[:8000] for w in voices.waveforms])
    y = voices.gender
    w = np.linspace(0.2, 3.0, len(X))
    folds = [(np.arange(0, 12, 2), np.arange(1, 12, 2)), (np.arange(1, 12, 2), np.arange(0, 12, 2))]
    with sklearn.config_context(enable_metadata_routing=True):
        lr = LogisticRegression(max_iter=1000).set_fit_request(sample_weight=False)
        inner = make_pipeline(MFCCExtractor(), StatsPooling(), lr.set_score_request(sample_weight=True))
        model = AugmentedTrainer(inner, Gain(-6.0), random_state=0)
        out = cross_validate(model, X, y, cv=folds, params={"sample_weight": w}, return_estimator=True)
        for (_, test), fitted, score in zip(folds, out["estimator"], out["test_score"]):
            assert score == pytest.approx(fitted.estimator_.score(X[test], y[test], sample_weight=w[test]))
        with pytest.raises(Exception, match="sample_weight"):  # unrequested: scikit-learn's error, not dropped
            AugmentedTrainer(make_pipeline(MFCCExtractor(), StatsPooling(), LogisticRegression()), Gain(-6.0)).fit(
                X, y).score(X, y, sample_weight=w)


def test_a_transformer_inside_names_its_features_and_sets_its_output(voices):
    # AugmentedTrainer delegated transform but had no get_feature_names_out, set_output or fit_transform: a
    # Pipeline using it as a learned front end could neither name its features nor switch to pandas
    from sklearn.preprocessing import StandardScaler

    X, y = list(voices.waveforms), voices.gender
    front = AugmentedTrainer(make_pipeline(MFCCExtractor(n_mfcc=3), StatsPooling(stats=("mean",)), StandardScaler()),
                             Gain(-6.0), random_state=0)
    model = make_pipeline(front, LogisticRegression()).fit(X, y)
    names = ["mean_mfcc_0", "mean_mfcc_1", "mean_mfcc_2"]
    assert model[:-1].get_feature_names_out().tolist() == names
    table = model[:-1].set_output(transform="pandas").transform(X)
    assert table.shape == (len(X), 3) and hasattr(table, "columns")
    np.testing.assert_allclose(front.set_output(transform="default").fit_transform(X, y),
                               front.fit(X, y).transform(X))
    assert front.set_output() is front
