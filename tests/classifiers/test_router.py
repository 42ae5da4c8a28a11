import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from skvoice.augment import band_limit, telephone
from skvoice.classifiers import BandwidthRouter, ScoreFusion, SpeakerVerifier, high_band_ratio
from skvoice.datasets import make_voices

from estimator_sets import SAMPLE_WEIGHT_CHECKS


@pytest.fixture(scope="module")
def voices():
    return make_voices(n_speakers=3, n_utterances=4, duration=1.0, random_state=0)


def _noise(seconds=1.0, seed=0):
    return (0.1 * np.random.RandomState(seed).standard_normal(int(16000 * seconds))).astype(np.float32)


def test_high_band_ratio_separates_narrow_band_channels():
    y = _noise()
    assert abs(high_band_ratio(y)) < 1.0  # white noise: as much power above 4 kHz as below
    assert high_band_ratio(telephone(y, 16000)) < -50
    assert high_band_ratio(band_limit(y, 16000, 300.0, 3400.0)) < -35  # a filter's skirt, not a resampler's
    assert -30 < high_band_ratio(band_limit(y, 16000, 100.0, 5500.0)) < 0  # a wide-band device keeps some
    assert np.isnan(high_band_ratio(np.zeros(16000, dtype=np.float32)))
    assert high_band_ratio(np.sin(2 * np.pi * 1000 * np.arange(16000) / 16000)) < -50


def test_routes_each_recording_to_the_model_of_its_channel(voices):
    X = list(voices.waveforms)
    y = np.asarray(voices.speaker)
    a, b = y[0], y[-1]
    router = BandwidthRouter(DummyClassifier(strategy="constant", constant=a),
                             DummyClassifier(strategy="constant", constant=b)).fit(X, y)
    phone = [telephone(w, 16000) for w in X[:3]]
    mixed = [X[0], phone[0], X[1], phone[1], phone[2]]
    narrow = router.is_narrowband(mixed)
    np.testing.assert_array_equal(narrow, [False, True, False, True, True])
    np.testing.assert_array_equal(router.predict(mixed), [a, b, a, b, b])
    proba = router.predict_proba(mixed)
    assert proba.shape == (5, 3)
    np.testing.assert_array_equal(proba.argmax(axis=1), np.searchsorted(router.classes_, [a, b, a, b, b]))
    # one channel only: the other model is not called
    np.testing.assert_array_equal(router.predict(phone), [b] * 3)
    np.testing.assert_array_equal(router.predict(X[:2]), [a, a])


def test_degraded_wide_band_speech_stays_wide_band(voices):
    from skvoice.augment import make_condition

    X = list(voices.waveforms)
    router = BandwidthRouter(LogisticRegression(), LogisticRegression())
    for condition in ("clean", "white_10dB", "pink_10dB", "reverb_0.6s", "level_-40dB", "silence_5s"):
        degraded = make_condition(condition, random_state=0).fit_transform(X)
        assert not router.is_narrowband(degraded).any(), condition
    assert router.is_narrowband(make_condition("telephone").fit_transform(X)).all()


class _GroupsProbe(ClassifierMixin, BaseEstimator):
    """Keeps the groups and sample weights its fit was given."""

    def fit(self, X, y, groups=None, sample_weight=None):
        self.classes_ = np.unique(y)
        self.groups_, self.sample_weight_ = groups, sample_weight
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_fit_passes_groups_to_models_that_take_them():
    X, y, groups = np.random.RandomState(0).standard_normal((6, 20)), [0, 1, 0, 1, 0, 1], [0, 0, 1, 1, 2, 2]
    router = BandwidthRouter(_GroupsProbe(), DummyClassifier()).fit(X, y, groups=groups)
    np.testing.assert_array_equal(router.wideband_.groups_, groups)
    router = BandwidthRouter(DummyClassifier(), _GroupsProbe()).fit(X, y)
    assert router.narrowband_.groups_ is None


def test_metadata_routing():
    import sklearn

    X, y, w = np.random.RandomState(0).standard_normal((6, 20)), [0, 1, 0, 1, 0, 1], np.arange(1.0, 7.0)
    router = BandwidthRouter(_GroupsProbe(), _GroupsProbe()).fit(X, y, sample_weight=w)  # routing off: to both
    np.testing.assert_array_equal(router.narrowband_.sample_weight_, w)
    with sklearn.config_context(enable_metadata_routing=True):
        router = BandwidthRouter(_GroupsProbe().set_fit_request(sample_weight=True),
                                 _GroupsProbe().set_fit_request(sample_weight=False)).fit(X, y, sample_weight=w)
        np.testing.assert_array_equal(router.wideband_.sample_weight_, w)
        assert router.narrowband_.sample_weight_ is None
        with pytest.raises(Exception, match="sample_weight"):
            BandwidthRouter(_GroupsProbe(), _GroupsProbe()).fit(X, y, sample_weight=w)


def test_open_set_methods_are_routed(voices):
    rng = np.random.RandomState(0)
    centres = rng.standard_normal((3, 8)) * 3
    y = np.repeat([0, 1, 2], 10)
    X = centres[y] + rng.standard_normal((30, 8))
    router = BandwidthRouter(SpeakerVerifier(random_state=0), SpeakerVerifier(random_state=0)).fit(X, y)
    assert router.speaker_scores(X).shape == (30, 3)
    assert router.verify(X, y).shape == (30,)
    with pytest.raises(ValueError, match="recordings but claimed has"):
        router.verify(X, y[:5])
    assert not hasattr(BandwidthRouter(LogisticRegression(), LogisticRegression()), "verify")


def test_bad_parameters_are_refused():
    X, y = np.random.RandomState(0).standard_normal((6, 20)), [0, 1, 0, 1, 0, 1]
    with pytest.raises(ValueError, match="below the Nyquist"):
        BandwidthRouter(DummyClassifier(), DummyClassifier(), cutoff=8000.0).fit(X, y)
    with pytest.raises(ValueError, match="cutoff"):
        BandwidthRouter(DummyClassifier(), DummyClassifier(), cutoff=-1.0).fit(X, y)


@pytest.mark.realdata
def test_librispeech_utterances_and_their_telephone_copies(librispeech_root):
    from skvoice.augment import make_condition
    from skvoice.datasets import load_librispeech

    files = load_librispeech(librispeech_root, "test-other").filenames
    router = BandwidthRouter(LogisticRegression(), LogisticRegression())
    ratios = router.high_band_ratio(files)
    assert (ratios > -45).all(), ratios.min()  # wide-band read speech, well above the -50 dB threshold
    assert router.is_narrowband(make_condition("telephone").fit_transform(files)).all()
    assert not router.is_narrowband(make_condition("mp3_32k").fit_transform(files)).any()


def _router_failures(estimator):
    if isinstance(estimator.wideband, SpeakerVerifier):
        return {check: "its models (SpeakerVerifier) take no sample_weight: fitting with weights is refused with a "
                       "TypeError naming them" for check in SAMPLE_WEIGHT_CHECKS}
    return {}


@parametrize_with_checks([
    BandwidthRouter(LogisticRegression(), LogisticRegression(C=0.1)),
    BandwidthRouter(SpeakerVerifier(random_state=0),
                    ScoreFusion([("verifier", SpeakerVerifier(random_state=0))], random_state=0)),
], expected_failed_checks=_router_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_skops_round_trip(tmp_path):
    from skvoice.io import load_model, save_model

    X = np.random.RandomState(0).standard_normal((20, 400))
    y = np.repeat([0, 1], 10)
    router = BandwidthRouter(LogisticRegression(), LogisticRegression(C=0.1)).fit(X, y)
    loaded = load_model(save_model(router, tmp_path / "router.skops"))
    np.testing.assert_array_equal(loaded.predict(X), router.predict(X))


def test_generator_input(voices):
    # every audio estimator takes an iterable; the router read it once to measure the bandwidth, then indexed it
    X, y = list(voices.waveforms), voices.speaker
    router = BandwidthRouter(LogisticRegression(max_iter=500), LogisticRegression(max_iter=500))
    router.fit((x for x in X), y)
    np.testing.assert_array_equal(router.predict(x for x in X), router.predict(X))
