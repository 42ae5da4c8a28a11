"""Tests for the study's Keras networks (scikeras wrapper + ready estimators)."""

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")  # before keras is imported (conftest does it too)
pytest.importorskip("torch")
pytest.importorskip("scikeras")
# ruff: noqa: E402 - the imports below need KERAS_BACKEND set and the optional dependencies present

import joblib
import keras
from scikeras.wrappers import KerasClassifier
from sklearn.base import clone, is_classifier
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, check_cv, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from skvoice._sklearn_compat import InvalidParameterError
from skvoice.classifiers import (
    CNN1DGenderClassifier,
    DenseGenderClassifier,
    DenseSpeakerClassifier,
    FrameVoteClassifier,
    SkvoiceKerasClassifier,
    build_cnn1d_gender_net,
    build_dense_gender_net,
    build_dense_speaker_net,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _blobs(n=200, n_features=13, labels=("F", "M"), seed=0):
    """Separable classes: each class shifts its own block of features."""
    rng = np.random.RandomState(seed)
    y = np.asarray(labels)[rng.randint(len(labels), size=n)]
    codes = np.searchsorted(np.unique(labels), y)
    X = rng.normal(size=(n, n_features)).astype(np.float32)
    k = min(len(labels), n_features)
    X[:, :k] += 4.0 * np.eye(len(labels))[codes][:, :k]
    return X, y


# ---------------------------------------------------------------------------------------------------------------------
# scikit-learn estimator checks
# ---------------------------------------------------------------------------------------------------------------------

_STOCHASTIC = ("mini-batch SGD training: a sample of weight 2 is not the same as the sample repeated (different "
               "batches, shuffles and validation split), so predictions differ")
_FLOAT32 = ("float32 network: a row's probabilities can change by float32 rounding (~1e-7) with the batch it is "
            "computed in, above the check's rtol=1e-7 (passes or not depending on the BLAS kernel)")
KERAS_FAILURES = {
    "check_sample_weight_equivalence_on_dense_data": _STOCHASTIC,
    "check_methods_subset_invariance": _FLOAT32,
}
_SCIKERAS_BASE = "inherited from scikeras' KerasClassifier, which a subclass cannot change"
SCIKERAS_FAILURES = {
    **KERAS_FAILURES,
    "check_sample_weight_equivalence_on_sparse_data": _STOCHASTIC,
    "check_estimator_tags_renamed": f"scikeras' BaseWrapper defines the pre-1.6 `_more_tags` ({_SCIKERAS_BASE}); "
                                    "the subclass defines __sklearn_tags__, which is what scikit-learn uses",
    "check_mixin_order": f"KerasClassifier(BaseWrapper, ClassifierMixin) puts BaseEstimator first ({_SCIKERAS_BASE}; "
                         "reordering the bases is an MRO conflict); the tags this order breaks are overridden",
}
_NARROW = ("the check's data has fewer than 8 features; the 1-D CNN (three size-3 convolutions + pooling) rejects it "
           "with a clear ValueError by design")
CNN_FAILURES = {
    **KERAS_FAILURES,
    **{name: _NARROW for name in [
        "check_classifier_data_not_an_array", "check_classifiers_classes", "check_classifiers_one_label",
        "check_classifiers_train", "check_dict_unchanged", "check_dont_overwrite_parameters",
        "check_estimators_dtypes", "check_estimators_fit_returns_self", "check_estimators_nan_inf",
        "check_estimators_overwrite_params", "check_estimators_pickle", "check_f_contiguous_array_estimator",
        "check_fit2d_predict1d", "check_fit_check_is_fitted", "check_fit_idempotent", "check_fit_score_takes_y",
        "check_methods_sample_order_invariance", "check_methods_subset_invariance", "check_n_features_in",
        "check_n_features_in_after_fitting", "check_pipeline_consistency", "check_positive_only_tag_during_fit",
        "check_readonly_memmap_input", "check_sample_weights_list", "check_sample_weights_not_an_array",
        "check_sample_weights_not_overwritten", "check_sample_weights_pandas_series", "check_sample_weights_shape",
        "check_supervised_y_2d",
    ]},
}

# tiny epochs keep each fit at ~0.1-0.2 s; the configurations still learn the checks' blobs (check_classifiers_train
# demands > 83 % training accuracy from the ready estimators). The dense gender net's first layer has only
# n_features (= 2 in that check) ReLU units, so it needs more epochs than the speaker net: it runs with the slow tests.
FAST_ESTIMATORS = [
    DenseSpeakerClassifier(epochs=3, batch_size=32, random_state=0),
    CNN1DGenderClassifier(epochs=2, batch_size=64, random_state=0),
]
SLOW_ESTIMATORS = [
    DenseGenderClassifier(epochs=10, batch_size=32, learning_rate=0.01, random_state=0),
]


def _expected_failures(est):
    if isinstance(est, CNN1DGenderClassifier):
        return CNN_FAILURES
    if isinstance(est, SkvoiceKerasClassifier):
        return SCIKERAS_FAILURES
    return KERAS_FAILURES


@parametrize_with_checks(FAST_ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks(SLOW_ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_compatible_slow(estimator, check):
    check(estimator)


@pytest.mark.slow
def test_scikeras_wrapper_sklearn_compatible():
    # one test, not parametrize_with_checks: the check ids would embed the builder function's repr (a memory
    # address), which differs between pytest-xdist workers and breaks their collection
    from sklearn.utils.estimator_checks import check_estimator

    est = SkvoiceKerasClassifier(build_dense_gender_net, epochs=3, batch_size=64, verbose=0, random_state=0)
    results = check_estimator(est, expected_failed_checks=SCIKERAS_FAILURES, on_fail=None)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"]
    assert not failed, failed
    assert sum(r["status"] == "passed" for r in results) > 30


# ---------------------------------------------------------------------------------------------------------------------
# model builders
# ---------------------------------------------------------------------------------------------------------------------


def test_builders_follow_the_study():
    meta = {"n_features_in_": 13, "n_classes_": 2}
    dense = build_dense_gender_net(meta)
    assert [lay.units for lay in dense.layers if isinstance(lay, keras.layers.Dense)] == [13, 128, 64, 2]
    assert sum(isinstance(lay, keras.layers.BatchNormalization) for lay in dense.layers) == 3
    assert isinstance(dense.optimizer, keras.optimizers.RMSprop)

    cnn = build_cnn1d_gender_net(meta, learning_rate=0.005)
    convs = [lay for lay in cnn.layers if isinstance(lay, keras.layers.Conv1D)]
    assert [c.filters for c in convs] == [32, 48, 120] and all(c.kernel_size == (3,) for c in convs)
    assert [lay.units for lay in cnn.layers if isinstance(lay, keras.layers.Dense)] == [128, 64, 2]
    assert isinstance(cnn.optimizer, keras.optimizers.Adam)
    assert float(cnn.optimizer.learning_rate) == pytest.approx(0.005)

    spk = build_dense_speaker_net({"n_features_in_": 26, "n_classes_": 10})
    assert spk.input_shape == (None, 26) and spk.output_shape == (None, 10)
    assert [lay.units for lay in spk.layers if isinstance(lay, keras.layers.Dense)] == [64, 250, 10]
    assert any(isinstance(lay, keras.layers.Dropout) and lay.rate == 0.5 for lay in spk.layers)
    opt = spk.optimizer
    assert isinstance(opt, keras.optimizers.SGD) and opt.nesterov and opt.momentum == pytest.approx(0.9)
    assert float(opt.learning_rate) == pytest.approx(0.1)


@pytest.mark.parametrize("builder", [build_dense_gender_net, build_cnn1d_gender_net, build_dense_speaker_net])
def test_builders_size_from_meta_and_need_it(builder):
    model = builder({"n_features_in_": 20, "n_classes_": 5})
    assert model.input_shape == (None, 20) and model.output_shape == (None, 5)
    with pytest.raises(ValueError, match="meta"):
        builder()
    with pytest.raises(ValueError, match="n_classes_"):
        builder({"n_features_in_": 20, "n_classes_": None})


@pytest.mark.parametrize("builder", [build_dense_gender_net, build_cnn1d_gender_net, build_dense_speaker_net])
def test_builders_work_with_plain_scikeras(builder):
    X, y = _blobs(n=60, labels=("a", "b", "c"))
    clf = KerasClassifier(model=builder, epochs=1, batch_size=32, verbose=0).fit(X, y)
    assert clf.model_.input_shape == (None, 13) and clf.model_.output_shape == (None, 3)
    assert set(clf.predict(X)) <= {"a", "b", "c"}


# ---------------------------------------------------------------------------------------------------------------------
# classifier behaviour
# ---------------------------------------------------------------------------------------------------------------------

ALL = [
    DenseGenderClassifier(epochs=2, random_state=0),
    CNN1DGenderClassifier(epochs=2, random_state=0),
    DenseSpeakerClassifier(epochs=2, random_state=0),
    SkvoiceKerasClassifier(build_dense_gender_net, epochs=2, verbose=0, random_state=0),
]


@pytest.mark.parametrize("est", ALL, ids=lambda e: type(e).__name__)
def test_is_classifier_and_stratified_cv(est):
    assert is_classifier(est)
    assert isinstance(check_cv(3, np.array(["F", "M"] * 5), classifier=is_classifier(est)), StratifiedKFold)
    assert not is_classifier(KerasClassifier(build_dense_gender_net))  # the scikeras 0.13 bug being fixed


@pytest.mark.parametrize("labels", [("F", "M"), (3, 7, 11), ("1089", "121", "1284", "1580")])
def test_string_and_integer_labels(labels):
    X, y = _blobs(n=240, labels=labels)
    clf = DenseGenderClassifier(epochs=15, batch_size=32, learning_rate=0.01, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, np.unique(np.asarray(labels)))
    pred = clf.predict(X)
    assert pred.dtype == clf.classes_.dtype and set(pred) <= set(clf.classes_)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), len(labels)) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-5)
    np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, y) > 0.9


def test_speaker_net_learns_speakers():
    X, y = _blobs(n=300, n_features=26, labels=tuple(f"spk{i}" for i in range(6)))
    clf = DenseSpeakerClassifier(epochs=30, batch_size=32, random_state=0).fit(X[:200], y[:200])
    assert clf.score(X[200:], y[200:]) > 0.9


def test_voting_calibration_grid_search_cross_val():
    X, y = _blobs(n=160)
    dense = DenseGenderClassifier(epochs=4, batch_size=32, learning_rate=0.01, random_state=0)
    cnn = CNN1DGenderClassifier(epochs=4, batch_size=32, random_state=0)
    vote = VotingClassifier([("dense", dense), ("cnn", cnn), ("lr", LogisticRegression())], voting="soft")
    assert vote.fit(X, y).score(X, y) > 0.9
    assert vote.predict_proba(X[:3]).shape == (3, 2)

    cal = CalibratedClassifierCV(dense, cv=2).fit(X, y)
    np.testing.assert_array_equal(cal.classes_, ["F", "M"])
    assert cal.score(X, y) > 0.9

    scores = cross_val_score(dense, X, y, cv=2)
    assert scores.shape == (2,) and scores.min() > 0.8

    grid = GridSearchCV(dense, {"learning_rate": [1e-5, 0.01], "epochs": [4]}, cv=2).fit(X, y)
    assert grid.best_params_["learning_rate"] == 0.01


def test_scikeras_wrapper_in_meta_estimators():
    """The fixed tags are what VotingClassifier, CalibratedClassifierCV and FrameVoteClassifier rely on."""
    X, y = _blobs(n=120)
    raw = SkvoiceKerasClassifier(build_dense_gender_net, model__learning_rate=0.01, epochs=4, batch_size=16,
                                 verbose=0, random_state=0)
    vote = VotingClassifier([("keras", raw), ("lr", LogisticRegression())], voting="soft").fit(X, y)
    assert vote.score(X, y) > 0.9
    assert CalibratedClassifierCV(raw, cv=2).fit(X, y).predict_proba(X).shape == (120, 2)
    assert cross_val_score(raw, X, y, cv=2).min() > 0.8
    labels = np.array(["F", "M"] * 6)
    recs = np.empty(12, dtype=object)  # 12 recordings of 10 standardised frames; feature 1 tells the class
    rng = np.random.RandomState(0)
    for i, label in enumerate(labels):
        recs[i] = rng.normal(size=(10, 13)).astype(np.float32)
        recs[i][:, 1] += 2.5 if label == "M" else -2.5
    frame_vote = FrameVoteClassifier(raw, voting="soft").fit(recs, labels)
    assert frame_vote.predict_proba(recs).shape == (12, 2)
    assert frame_vote.score(recs, labels) >= 11 / 12


def test_frame_vote_cnn_on_synthetic_voices():
    """Per-frame CNN + soft vote per recording gets held-out utterances' gender right."""
    from skvoice.datasets import make_voices
    from skvoice.features import CMVN, MFCCExtractor

    voices = make_voices(n_speakers=8, n_utterances=3, duration=1.0, random_state=0)
    frames = MFCCExtractor().fit_transform(voices.waveforms)
    gender = np.asarray(voices.gender)
    test = np.arange(len(gender)) % 3 == 2  # one held-out utterance per speaker
    model = make_pipeline(CMVN(), FrameVoteClassifier(
        CNN1DGenderClassifier(epochs=8, batch_size=64, random_state=0), voting="soft"))
    model.fit(frames[~test], gender[~test])
    assert is_classifier(model[-1].estimator_)
    np.testing.assert_array_equal(model.classes_, ["F", "M"])
    assert model.score(frames[test], gender[test]) >= 7 / 8
    assert model.predict_proba(frames[test]).shape == (8, 2)


# ---------------------------------------------------------------------------------------------------------------------
# training details
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [DenseGenderClassifier, CNN1DGenderClassifier, DenseSpeakerClassifier])
def test_random_state_makes_fits_reproducible(cls):
    X, y = _blobs(n=120)
    kw = dict(epochs=3, batch_size=16, validation_split=0.2)
    p0 = cls(**kw, random_state=0).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(cls(**kw, random_state=0).fit(X, y).predict_proba(X), p0)
    assert not np.allclose(cls(**kw, random_state=1).fit(X, y).predict_proba(X), p0)
    # a RandomState instance is consumed like everywhere in scikit-learn: equal states give equal fits
    p_rs = cls(**kw, random_state=np.random.RandomState(5)).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(cls(**kw, random_state=np.random.RandomState(5)).fit(X, y).predict_proba(X), p_rs)


def test_scikeras_wrapper_seeding_and_global_state():
    import torch

    X, y = _blobs(n=80)

    def make(rs):
        return SkvoiceKerasClassifier(build_dense_speaker_net, epochs=2, batch_size=16, verbose=0, random_state=rs)

    # fitting does not reset the caller's global random streams (Python, NumPy, torch); the legacy global NumPy
    # state is exactly what keras.utils.set_random_seed overwrites, hence NPY002 is silenced for it
    np_before, torch_before = np.random.get_state()[1].copy(), torch.get_rng_state().clone()  # noqa: NPY002
    fitted = make(3).fit(X, y)
    np.testing.assert_array_equal(np.random.get_state()[1], np_before)  # noqa: NPY002
    assert torch.equal(torch.get_rng_state(), torch_before)

    p0 = fitted.predict_proba(X)
    np.testing.assert_array_equal(make(3).fit(X, y).predict_proba(X), p0)
    # scikeras alone derives seed 0 from any RandomState; the subclass draws a real seed from it
    pa = make(np.random.RandomState(1)).fit(X, y).predict_proba(X)
    pb = make(np.random.RandomState(2)).fit(X, y).predict_proba(X)
    assert not np.allclose(pa, pb)
    # partial_fit keeps training the same model, reproducibly
    runs = []
    for _ in range(2):
        clf = make(0).partial_fit(X, y, classes=["F", "M"]).partial_fit(X, y)
        assert clf.current_epoch == 2
        runs.append(clf.predict_proba(X))
    np.testing.assert_array_equal(*runs)


def test_early_stopping_and_validation_split():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 13)).astype(np.float32)
    y = rng.choice(["F", "M"], size=300)  # pure noise: the validation loss stops improving at once
    clf = DenseGenderClassifier(epochs=60, batch_size=32, patience=2, random_state=0).fit(X, y)
    assert clf.validation_used_ and "val_loss" in clf.history_
    assert clf.n_epochs_ < 60 and len(clf.history_["loss"]) == clf.n_epochs_
    full = DenseGenderClassifier(epochs=3, patience=None, validation_split=0.0, random_state=0).fit(X, y)
    assert full.n_epochs_ == 3 and not full.validation_used_ and "val_loss" not in full.history_
    # a single sample cannot be split: falls back to the training loss instead of failing
    assert DenseGenderClassifier(epochs=2, validation_split=0.1).fit(X[:5], y[:5]).validation_used_
    assert not DenseGenderClassifier(epochs=2, validation_split=0.1).fit(X[:1], y[:1]).validation_used_
    # sorted labels: the held-out part is a random subset, not the last class
    order = np.argsort(y, kind="stable")
    srt = DenseGenderClassifier(epochs=1, validation_split=0.3, random_state=0).fit(X[order], y[order])
    assert srt.validation_used_ and srt.classes_.tolist() == ["F", "M"]


def test_n_threads_is_local_to_fit_and_predict():
    import torch

    X, y = _blobs(n=40)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        seen = []
        clf = DenseGenderClassifier(epochs=1, n_threads=1, random_state=0)
        clf.fit(X, y)
        assert torch.get_num_threads() == 2
        original = clf.keras_classifier_.predict_proba
        clf.keras_classifier_.predict_proba = lambda X: seen.append(torch.get_num_threads()) or original(X)
        clf.predict(X)
        assert seen == [1] and torch.get_num_threads() == 2
        DenseGenderClassifier(epochs=1, n_threads=None).fit(X, y)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_sample_weight_is_used():
    X, y = _blobs(n=200)
    flipped = np.where(y == "F", "M", "F")
    X2, y2 = np.vstack([X, X]), np.concatenate([y, flipped])  # every point also appears with the wrong label
    w = np.r_[np.ones(len(y)), np.zeros(len(y))]  # ... with weight zero
    kw = dict(epochs=10, batch_size=32, learning_rate=0.01, random_state=0)
    assert DenseGenderClassifier(**kw).fit(X2, y2, sample_weight=w).score(X, y) > 0.9
    assert DenseGenderClassifier(**kw).fit(X2, y2).score(X, y) < 0.75


def test_parameter_validation_and_input_errors():
    X, y = _blobs(n=40)
    with pytest.raises(InvalidParameterError, match="epochs"):
        DenseGenderClassifier(epochs=0).fit(X, y)
    with pytest.raises(InvalidParameterError, match="validation_split"):
        DenseGenderClassifier(validation_split=1.0).fit(X, y)
    with pytest.raises(InvalidParameterError, match="dropout"):
        DenseSpeakerClassifier(dropout=1.5).fit(X, y)
    with pytest.raises(ValueError, match="Unknown label type"):
        DenseGenderClassifier(epochs=1).fit(X, np.linspace(0, 1, len(X)))
    clf = DenseGenderClassifier(epochs=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="X has 5 features, but DenseGenderClassifier is expecting 13"):
        clf.predict(X[:, :5])
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.predict(X_nan)
    # the scikeras wrapper: fit on float32, predict on float64 (scikeras alone refuses the cast)
    raw = SkvoiceKerasClassifier(build_dense_gender_net, epochs=1, verbose=0).fit(X, y)
    assert raw.predict(X.astype(np.float64)).shape == (40,)
    assert raw.predict_proba(X[:1]).shape == (1, 2)  # scikeras alone squeezes this to (2,)
    with pytest.raises(ValueError, match="X has 5 features"):
        raw.predict(X[:, :5])


@pytest.mark.parametrize("n_features", [1, 5, 7])
def test_cnn_rejects_too_short_input(n_features):
    X, y = _blobs(n=20, n_features=n_features)
    msg = rf"at least 8 input features .* got {n_features} feature\(s\)"
    with pytest.raises(ValueError, match=msg):
        CNN1DGenderClassifier(epochs=1).fit(X, y)
    with pytest.raises(ValueError, match=msg):
        build_cnn1d_gender_net({"n_features_in_": n_features, "n_classes_": 2})
    with pytest.raises(ValueError, match=msg):
        SkvoiceKerasClassifier(build_cnn1d_gender_net, epochs=1, verbose=0).fit(X, y)


def test_cnn_accepts_minimum_width():
    X, y = _blobs(n=40, n_features=8)
    assert CNN1DGenderClassifier(epochs=1, random_state=0).fit(X, y).predict(X).shape == (40,)


# ---------------------------------------------------------------------------------------------------------------------
# persistence
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("est", ALL, ids=lambda e: type(e).__name__)
def test_pickle_and_joblib_round_trip(est, tmp_path):
    X, y = _blobs(n=80, labels=("F", "M"))
    fitted = clone(est).fit(X, y)
    expected = fitted.predict_proba(X)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X), expected)
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
    joblib.dump(fitted, tmp_path / "model.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "model.joblib").predict_proba(X), expected)
    # the copy is independent: refitting it leaves the original untouched
    restored.fit(X[:40], y[:40])
    np.testing.assert_array_equal(fitted.predict_proba(X), expected)


@pytest.mark.slow
def test_joblib_round_trip_in_fresh_process(tmp_path):
    """A pickled model loads in a new interpreter (backend chosen by skvoice, not by the caller)."""
    X, y = _blobs(n=80)
    fitted = CNN1DGenderClassifier(epochs=2, random_state=0).fit(X, y)
    joblib.dump(fitted, tmp_path / "cnn.joblib")
    np.save(tmp_path / "X.npy", X)
    code = ("import joblib, numpy as np; m = joblib.load('cnn.joblib'); "  # no KERAS_BACKEND, keras not yet imported
            "np.save('p.npy', m.predict_proba(np.load('X.npy'))); import keras; print(keras.backend.backend())")
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().endswith("torch")
    np.testing.assert_allclose(np.load(tmp_path / "p.npy"), fitted.predict_proba(X), rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------------------------------------------------------------
# real data
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.slow
def test_dense_gender_frame_vote_on_librispeech(librispeech_root):
    """Speaker-disjoint gender on train-clean-100 (151 speakers): MFCC + global CMVN + dense net, soft vote.

    Measured: 0.848 mean per-recording accuracy over these 5 folds (0.77-0.90), ~3 s CPU per fit.
    """
    from sklearn.model_selection import GroupKFold

    from skvoice.datasets import load_librispeech
    from skvoice.features import CMVN, MFCCExtractor

    data = load_librispeech(librispeech_root, "train-clean-100")
    frames = MFCCExtractor(n_mfcc=13).fit_transform(data.filenames)
    y, groups = np.asarray(data.gender), np.asarray(data.speaker)
    model = make_pipeline(CMVN("global"), FrameVoteClassifier(
        DenseGenderClassifier(epochs=20, random_state=0), voting="soft", max_frames=100, random_state=0))
    scores = cross_val_score(model, frames, y, groups=groups, cv=GroupKFold(n_splits=5))
    assert scores.mean() >= 0.75, scores
