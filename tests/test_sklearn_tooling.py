"""scikit-learn tooling around skvoice's meta-estimators: metadata routing of groups and weights, refits,
sub-estimator names, tags and feature names through audio steps (the third bug hunt)."""

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.utils import get_tags

import skvoice.classifiers._verification as V
from skvoice.augment import AugmentedTrainer, BandLimit, Gain
from skvoice.classifiers import BandwidthRouter, FrameVoteClassifier, ScoreFusion, SpeakerVerifier
from skvoice.datasets import make_voices
from skvoice.features import Denoise, MFCCExtractor, StatsPooling, VoiceActivityDetector
from skvoice.utils.estimator_checks import check_clone_and_params


@pytest.fixture(scope="module")
def voices():
    v = make_voices(n_speakers=3, n_utterances=4, duration=0.6, random_state=0)
    return list(v.waveforms), v.speaker


@pytest.fixture
def fold_groups(monkeypatch):
    """Whether each ScoreFusion.fit drew its cross-fitting folds with groups."""
    seen = []
    original = V.speaker_folds

    def spy(y_idx, n_folds, random_state=None, groups=None):
        seen.append(groups is not None)
        return original(y_idx, n_folds, random_state, groups)

    monkeypatch.setattr(V, "speaker_folds", spy)
    return seen


def _fusion_pipeline():
    return Pipeline([("mfcc", MFCCExtractor()), ("pool", StatsPooling()),
                     ("fusion", ScoreFusion([("a", LogisticRegression(max_iter=1000)),
                                             ("b", LogisticRegression(C=0.1, max_iter=1000))], cv=2,
                                            random_state=0))])


def _fusion():
    def system(c):
        return make_pipeline(MFCCExtractor(), StatsPooling(), LogisticRegression(C=c, max_iter=1000))
    return ScoreFusion([("a", system(1.0)), ("b", system(0.1))], cv=2, random_state=0)


@pytest.mark.parametrize("routing", [False, True])
@pytest.mark.parametrize("make, n_fusions", [(_fusion, 1), (lambda: BandwidthRouter(_fusion(), _fusion()), 2),
                                              (lambda: BandwidthRouter(_fusion_pipeline(), _fusion_pipeline()), 2)])
def test_copy_groups_reach_every_fusion(voices, fold_groups, routing, make, n_fusions):
    # a recording and its degraded copies must share a cross-fitting fold. With routing on and no request set the
    # groups were dropped silently; a router gave none to a Pipeline ending in ScoreFusion
    X, y = voices
    with warnings.catch_warnings(), sklearn.config_context(enable_metadata_routing=routing):
        warnings.simplefilter("ignore")
        AugmentedTrainer(make(), Gain(-6.0), n_copies=1, random_state=0).fit(X, y)
    assert fold_groups == [True] * n_fusions


class _GroupsProbe(ClassifierMixin, BaseEstimator):
    def fit(self, X, y, groups=None):
        self.groups_, self.classes_ = groups, np.unique(y)
        return self

    def predict(self, X):
        return np.repeat(self.classes_[0], len(X))


def test_router_gives_groups_only_to_models_that_requested_them():
    X, y = np.random.RandomState(0).standard_normal((6, 400)), [0, 1] * 3
    with sklearn.config_context(enable_metadata_routing=True):
        router = BandwidthRouter(_GroupsProbe().set_fit_request(groups=True),
                                 _GroupsProbe().set_fit_request(groups=False)).fit(X, y, groups=np.arange(6))
    assert router.wideband_.groups_.tolist() == list(range(6)) and router.narrowband_.groups_ is None
    # a request left unset is scikit-learn's error, not a silent drop (skvoice._routing's promise)
    from sklearn.exceptions import UnsetMetadataPassedError

    with sklearn.config_context(enable_metadata_routing=True), pytest.raises(UnsetMetadataPassedError):
        BandwidthRouter(_GroupsProbe(), _GroupsProbe().set_fit_request(groups=False)).fit(X, y, groups=np.arange(6))


def test_refit_on_audio_forgets_the_matrix_width(voices):
    X, y = voices
    n = min(len(w) for w in X)
    matrix = np.stack([w[:n] for w in X])
    X = [w[: n - 100 * i] for i, w in enumerate(X)]  # recordings of different lengths: no feature width
    fusion = _fusion().fit(matrix, y)
    assert fusion.n_features_in_ == n
    fusion.fit(X, y)
    assert not hasattr(fusion, "n_features_in_")
    assert len(fusion.predict([w[: n // 2] for w in X[:2]])) == 2  # was "X has ... features, expecting ..."
    router = BandwidthRouter(LogisticRegression(), LogisticRegression()).fit(matrix, y)
    assert router.n_features_in_ == n
    router.set_params(wideband=_fusion_pipeline(), narrowband=_fusion_pipeline()).fit(X, y)
    assert not hasattr(router, "n_features_in_")


@pytest.mark.parametrize("name, match", [("C", "conflict with constructor arguments"), ("a__b", "must not contain __")])
def test_fusion_refuses_names_that_break_get_params(voices, name, match):
    X, y = voices
    fusion = ScoreFusion([(name, LogisticRegression()), ("other", LogisticRegression())])
    with pytest.raises(ValueError, match=match):
        fusion.fit(np.random.RandomState(0).standard_normal((len(y), 4)), y)


def test_router_tags_say_audio_input():
    assert get_tags(BandwidthRouter(LogisticRegression(), LogisticRegression())).input_tags.string


def test_clone_check_accepts_composites_sharing_default_objects():
    # two StatsPooling steps share the default stats tuple, which clone rebuilds: one hash of the whole parameter
    # dict changed with that sharing although no parameter did
    check_clone_and_params("router", BandwidthRouter(_fusion(), _fusion()))


@pytest.mark.parametrize("front", [VoiceActivityDetector(method="energy"), Denoise(), BandLimit(300.0, 3400.0)])
def test_audio_steps_pass_feature_names_through(front):
    X = make_voices(n_speakers=2, n_utterances=1, duration=0.6, random_state=0).waveforms
    pipe = make_pipeline(front, MFCCExtractor(n_mfcc=2), StatsPooling(stats=("mean",))).fit(X)
    assert pipe.get_feature_names_out().tolist() == ["mean_mfcc_0", "mean_mfcc_1"]
    assert front.get_feature_names_out() is None


def test_audio_steps_never_wrap_waveforms_in_dataframes():
    X = np.random.RandomState(0).standard_normal((2, 8000)).astype("float32") * 0.1
    with sklearn.config_context(transform_output="pandas"):
        out = Gain(-6.0).fit_transform(X)
    assert isinstance(out, np.ndarray) and out.shape == X.shape


def _scaled_lr():
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


@pytest.mark.parametrize("make", [
    lambda: FrameVoteClassifier(LogisticRegression(max_iter=1000)),
    lambda: AugmentedTrainer(LogisticRegression(max_iter=1000), Gain(-6.0)),
    # hunt 5: the two fusers took weights through **fit_params only; wrapping a Pipeline, the two wrappers passed
    # a bare sample_weight that Pipeline.fit refuses (CalibratedClassifierCV crashed on the recipes' shape)
    lambda: ScoreFusion([("a", LogisticRegression(max_iter=1000)), ("b", _scaled_lr())], cv=2, random_state=0),
    lambda: BandwidthRouter(LogisticRegression(max_iter=1000), _scaled_lr()),
    lambda: FrameVoteClassifier(_scaled_lr()),
    lambda: AugmentedTrainer(_scaled_lr(), Gain(-6.0)),
])
def test_wrappers_see_sample_weight(voices, make):
    # CalibratedClassifierCV looks at fit's signature: with sample_weight only in **fit_params it warned that the
    # classifier "does not appear to accept sample_weight" and fitted it without the weights
    from sklearn.utils.validation import has_fit_parameter

    assert has_fit_parameter(make(), "sample_weight")
    X, y = voices
    n = min(len(w) for w in X)
    X = MFCCExtractor().fit_transform(X) if isinstance(make(), FrameVoteClassifier) else np.stack([w[:n] for w in X])
    y = np.asarray(y == y[0])
    w = np.where(y, 1.0, 0.5)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*does not appear to accept sample_weight")
        CalibratedClassifierCV(make(), cv=2).fit(X, y, sample_weight=w)


def test_weights_reach_the_final_step_of_a_wrapped_pipeline(voices):
    X, y = voices
    X = np.stack([w[:min(len(w) for w in X)] for w in X])
    y = np.asarray(y == y[0])
    w = np.where(np.arange(len(y)) % 3 == 0, 5.0, 0.2)
    weighted = AugmentedTrainer(_scaled_lr(), Gain(-6.0)).fit(X, y, sample_weight=w).estimator_[-1].coef_
    by_name = AugmentedTrainer(_scaled_lr(), Gain(-6.0)).fit(
        X, y, logisticregression__sample_weight=w).estimator_[-1].coef_
    plain = AugmentedTrainer(_scaled_lr(), Gain(-6.0)).fit(X, y).estimator_[-1].coef_
    np.testing.assert_allclose(weighted, by_name)
    assert not np.allclose(weighted, plain)


class _CountingLR(LogisticRegression):
    fits = 0

    def fit(self, X, y, sample_weight=None):
        type(self).fits += 1
        return super().fit(X, y, sample_weight=sample_weight)


def test_router_fits_a_system_both_fusions_share_once(voices):
    # the robust speaker recipe puts one GMM system in both fusions: it was cross-fitted and fitted twice, and the
    # shared front end ran twice (39% of the recipe's fit). Results must not change
    X, y = voices

    def fusion(other_c):
        shared = make_pipeline(MFCCExtractor(), StatsPooling(), _CountingLR(max_iter=1000))
        other = make_pipeline(MFCCExtractor(), StatsPooling(), LogisticRegression(C=other_c, max_iter=1000))
        return ScoreFusion([("shared", shared), ("other", other)], cv=2, random_state=0)

    _CountingLR.fits = 0
    router = BandwidthRouter(fusion(0.1), fusion(0.01)).fit(X, y)
    assert _CountingLR.fits == 3  # 2 folds + the final fit, once for both fusions (was 6)
    assert router.wideband_.named_estimators_["shared"][-1] is router.narrowband_.named_estimators_["shared"][-1]
    alone = [fusion(0.1).fit(X, y), fusion(0.01).fit(X, y)]  # outside the router: nothing shared
    for fitted, single in zip((router.wideband_, router.narrowband_), alone):
        np.testing.assert_allclose(fitted.weights_, single.weights_)
        np.testing.assert_allclose(fitted.speaker_scores(X), single.speaker_scores(X))


def test_router_shares_work_only_for_its_own_input():
    # the shared-fit caches keyed an input by id() and length: a search inside the router fits its fusion on
    # per-split copies, a freed copy left its id to the next split's copy, and that copy was given the MFCCs of
    # the first split's recordings (the searches' scores differed from the same searches alone, run to run)
    v = make_voices(n_speakers=4, n_utterances=6, duration=0.5, random_state=0)
    rng = np.random.RandomState(0)
    X = np.empty(24, dtype=object)
    X[:] = [w[:rng.randint(6000, 8000)] for w in v.waveforms]
    y = np.asarray(v.speaker)

    def search(seed):
        lr = make_pipeline(MFCCExtractor(n_mfcc=8), StatsPooling(), LogisticRegression(max_iter=1000))
        verifier = SpeakerVerifier(normalization=None, random_state=0)
        cos = make_pipeline(MFCCExtractor(n_mfcc=8), StatsPooling(), verifier)
        fusion = ScoreFusion([("lr", lr), ("cos", cos)], cv=2, random_state=0)
        return GridSearchCV(fusion, {"C": [0.1, 10.0]}, cv=KFold(3, shuffle=True, random_state=seed))

    router = BandwidthRouter(search(0), search(1)).fit(X, y)
    for fitted, seed in zip((router.wideband_, router.narrowband_), (0, 1)):
        alone = search(seed).fit(X, y)
        np.testing.assert_allclose(fitted.cv_results_["mean_test_score"], alone.cv_results_["mean_test_score"])

    # deterministically: inside the block only the block's input is keyed; an equal-length copy never is
    with V.shared_fusion_fits(X):
        assert V._data_key(X) is not None
        assert V._data_key(X.copy()) is None and V._data_key(list(X)) is None
    assert V._data_key(X) is None


def test_weights_a_system_cannot_take_are_refused_by_name():
    X, y = np.random.RandomState(0).randn(24, 4), np.repeat([0, 1, 2], 8)
    fusion = ScoreFusion([("verifier", SpeakerVerifier(random_state=0)), ("logreg", LogisticRegression())], cv=2)
    with pytest.raises(TypeError, match="'verifier' \\(SpeakerVerifier\\) does not take sample_weight"):
        fusion.fit(X, y, sample_weight=np.ones(24))


def test_fusion_hands_a_dataframe_to_its_systems_as_it_is():
    # the fusion converted the table to an array: systems that pick their columns by name failed
    import pandas as pd
    from sklearn.compose import ColumnTransformer, make_column_selector

    rng = np.random.RandomState(0)
    y = np.repeat(np.arange(4), 10)
    table = np.hstack([rng.normal(size=(4, 5))[y], rng.normal(size=(4, 3))[y]]) + rng.normal(size=(40, 8))
    df = pd.DataFrame(table, columns=[f"ecapa_{i}" for i in range(5)] + [f"xvec_{i}" for i in range(3)])

    def system(prefix):
        select = ColumnTransformer([("cols", "passthrough", make_column_selector(pattern=f"^{prefix}_"))])
        return make_pipeline(select, LogisticRegression())

    fusion = ScoreFusion([("ecapa", system("ecapa")), ("xvec", system("xvec"))], cv=2, random_state=0).fit(df, y)
    assert list(fusion.feature_names_in_) == list(df.columns)
    assert fusion.score(df, y) > 0.7
    with pytest.raises(ValueError, match="NaN"):
        fusion.predict(df.assign(ecapa_0=np.nan))


def test_pooled_dataframe_columns_are_the_pipeline_feature_names(voices):
    # a recording set carried no column names: after pooling the DataFrame said mean_x0 while the Pipeline said
    # mean_mfcc_0, and a scaler after the pooling made Pipeline.get_feature_names_out raise
    from sklearn.preprocessing import StandardScaler

    from skvoice.features import CMVN

    X, _ = voices
    pipe = make_pipeline(MFCCExtractor(n_mfcc=3), CMVN(), StatsPooling(stats=("mean", "std")), StandardScaler())
    table = pipe.set_output(transform="pandas").fit_transform(X)
    names = pipe.get_feature_names_out().tolist()
    assert names[:2] == ["mean_mfcc_0", "mean_mfcc_1"] and list(table.columns) == names
    with sklearn.config_context(transform_output="pandas"):
        assert list(make_pipeline(MFCCExtractor(n_mfcc=3), StatsPooling()).fit_transform(X).columns)[0] == \
            "mean_mfcc_0"
