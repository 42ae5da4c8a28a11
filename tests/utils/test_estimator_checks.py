"""The recording-set contract (skvoice.utils.estimator_checks) over every public skvoice estimator.

Known failures of today's code are listed in EXPECTED_RECORDING_CHECK_FAILURES, the one table to edit: an entry
whose check starts passing makes the run fail (strict xfail) until it is removed. The second half of the file
proves that every check catches a deliberately broken toy estimator.
"""

import atexit
import os
import shutil
import tempfile
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin

from skvoice import AudioError, SkippedRecordingsWarning
from skvoice.classifiers import GMMSpeakerClassifier
from skvoice.features import CMVN, MFCCExtractor, VoiceActivityDetector
from skvoice.utils import estimator_checks as ec
from skvoice.utils import with_feature_names
from skvoice.utils.estimator_checks import (
    check_classifier_one_label_per_recording,
    check_clone_and_params,
    check_dict_unchanged_recordings,
    check_on_error_alignment,
    check_pickle_roundtrip,
    check_pipeline_memory,
    check_recording_estimator,
    check_recording_subset_invariance,
    check_refit_resets_state,
    check_set_output_pandas,
    check_transformer_recording_set,
    get_recording_tags,
    parametrize_with_recording_checks,
)

from estimator_sets import core_estimators

# ------------------------------------------------------------------------------------------------------------------
# Known failures of today's code: (estimator test id, check) -> reason. Remove entries as the refactor fixes them.
# ------------------------------------------------------------------------------------------------------------------
EXPECTED_RECORDING_CHECK_FAILURES = {}


# ------------------------------------------------------------------------------------------------------------------
# The estimators (tiny local models for the pretrained ones, as in tests/features and tests/classifiers)
# ------------------------------------------------------------------------------------------------------------------
_MODEL_DIR = tempfile.mkdtemp(prefix="skvoice-recording-checks-")
atexit.register(shutil.rmtree, _MODEL_DIR, True)


def _torch_estimators():
    try:
        import torch
        import transformers
    except ImportError:
        return []
    from skvoice.classifiers import HubertGender
    from skvoice.classifiers._hubert import HubertForSpeechClassification
    from skvoice.features import Wav2VecChunker

    w2v = os.path.join(_MODEL_DIR, "tiny-wav2vec2")
    config = transformers.Wav2Vec2Config(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37, conv_dim=(32, 32),
        conv_stride=(5, 4), conv_kernel=(10, 4), num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transformers.Wav2Vec2Model(config).eval().save_pretrained(w2v)

    hubert = os.path.join(_MODEL_DIR, "tiny-hubert")
    config = transformers.HubertConfig(
        hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32, conv_dim=(8, 8),
        conv_kernel=(10, 3), conv_stride=(5, 2), num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=2,
        classifier_proj_size=8, pooling_mode="mean", id2label={0: "female", 1: "male"},
        label2id={"female": 0, "male": 1})
    torch.manual_seed(0)
    model = HubertForSpeechClassification(config)
    with torch.no_grad():  # random heads large enough that outputs depend on the input
        for name, p in model.named_parameters():
            if name.startswith(("classifier", "projector")):
                p.normal_(0.0, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save_pretrained(hubert)

    estimators = [
        Wav2VecChunker(w2v, chunk_seconds=0.25, device="cpu"),
        Wav2VecChunker(w2v, chunk_seconds=0.25, output="mean", last_chunk="keep", device="cpu"),
        HubertGender(hubert),
    ]
    try:
        from skvoice.features import SpeakerEmbedding
        from skvoice.features._embedding import resemblyzer_weights_path

        resemblyzer_weights_path()
        estimators += [SpeakerEmbedding(), SpeakerEmbedding(output="windows", vad=False)]
    except (ImportError, FileNotFoundError):
        pass
    return estimators


def _denoise_estimators():
    try:
        import noisereduce  # noqa: F401
    except ImportError:
        return []
    from skvoice.features import Denoise

    return [Denoise(), Denoise(stationary=False, n_fft=256)]


def _keras_estimators():
    try:
        import scikeras  # noqa: F401

        from skvoice.classifiers import CNN1DGenderClassifier, DenseGenderClassifier, DenseSpeakerClassifier
    except ImportError:
        return []
    return [DenseGenderClassifier(epochs=2, batch_size=8, random_state=0),
            CNN1DGenderClassifier(epochs=2, batch_size=8, random_state=0),
            DenseSpeakerClassifier(epochs=2, batch_size=8, random_state=0)]


ESTIMATORS = [
    *core_estimators(),
    MFCCExtractor(deltas=True, pitch=True),
    VoiceActivityDetector(method="energy"),
    *_denoise_estimators(),
    *_torch_estimators(),
    *_keras_estimators(),
]


def _input_kind(estimator):
    """The Keras networks take fixed-length vectors only (frames come through FrameVoteClassifier)."""
    keras_nets = {"DenseGenderClassifier", "CNN1DGenderClassifier", "DenseSpeakerClassifier"}
    return "2d" if type(estimator).__name__ in keras_nets else None


def _expected_failures(estimator):
    est_id = ec._estimator_id(estimator)
    return {check: reason for (eid, check), reason in EXPECTED_RECORDING_CHECK_FAILURES.items() if eid == est_id}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@parametrize_with_recording_checks(ESTIMATORS, input_kind=_input_kind, expected_failed_checks=_expected_failures)
def test_recording_contract(estimator, check):
    check(estimator)


def test_expected_failures_table_names_existing_pairs():
    """A typo (or a removed estimator) in the table would silently xfail nothing."""
    known = {(ec._estimator_id(est), name) for est in ESTIMATORS
             for name, _ in ec._yield_bound_checks(est, _input_kind)}
    present = {type(est).__name__ for est in ESTIMATORS}  # estimators of missing optional extras are left out
    stale = [key for key in EXPECTED_RECORDING_CHECK_FAILURES
             if key not in known and key[0].split("(")[0] in present]
    assert not stale


def test_estimator_ids_are_short_and_path_free():
    ids = [ec._estimator_id(est) for est in ESTIMATORS]
    assert len(set(ids)) == len(ids)
    assert not any(_MODEL_DIR in i or " " in i for i in ids)
    assert "CMVN(mode='per_recording')" in ids
    assert "FrameVoteClassifier(estimator=LogisticRegression(),max_frames=5,random_state=0,voting='soft')" in ids


# ------------------------------------------------------------------------------------------------------------------
# Toy estimators: a correct one of each kind, and broken variants that each check must catch
# ------------------------------------------------------------------------------------------------------------------
def _as_recordings(X):
    """(recordings, is_2d) with no skvoice helper: the toys must not depend on the code under test."""
    if isinstance(X, pd.Series):
        X = list(X)
    if isinstance(X, np.ndarray) and X.dtype != object:
        X = np.asarray(X, dtype=np.float32)
        return [X[i:i + 1] for i in range(X.shape[0])], True
    return [np.asarray(x, dtype=np.float32) for x in X], False


def _ragged(items):
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


class RaggedAwareOutput:
    """set_output that leaves recording sets alone and wraps 2-D output in a DataFrame."""

    def set_output(self, *, transform=None):
        if transform is not None:
            self._sklearn_output_config = {"transform": transform}
        return self

    def _wrap(self, out):
        config = getattr(self, "_sklearn_output_config", {}).get("transform", "default")
        if config == "default":
            config = sklearn.get_config()["transform_output"]
        if config == "pandas" and out.dtype != object:
            return pd.DataFrame(out, columns=self.get_feature_names_out())
        return out


class ToyCentering(RaggedAwareOutput, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Subtracts the training frame mean. Correct: passes every check (its set_output keeps ragged output)."""

    _parameter_constraints = {"scale": ["boolean"]}

    def __init__(self, scale=False):
        self.scale = scale

    def fit(self, X, y=None):
        recs, _ = _as_recordings(X)
        frames = np.vstack(recs)
        self.mean_ = frames.mean(axis=0)
        if self.scale:
            self.scale_ = frames.std(axis=0) + 1e-6
        elif hasattr(self, "scale_"):
            del self.scale_
        self.n_features_in_ = frames.shape[1]
        return self

    def _one(self, r):
        z = r - self.mean_.astype(np.float32)
        return z / self.scale_.astype(np.float32) if self.scale else z

    def transform(self, X):
        recs, is_2d = _as_recordings(X)
        out = [self._one(r) for r in recs]
        return self._wrap(np.vstack(out) if is_2d else _ragged(out))

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"x{i}" for i in range(self.n_features_in_)], dtype=object)


class ToyNearestMean(ClassifierMixin, BaseEstimator):
    """Nearest class mean of each recording's mean frame. Correct: passes every check."""

    def fit(self, X, y):
        recs, _ = _as_recordings(X)
        y = np.asarray(y)
        if len(y) != len(recs):
            raise ValueError("one label per recording")
        self.classes_ = np.unique(y)
        means = np.vstack([r.mean(axis=0) for r in recs])
        self.centers_ = np.vstack([means[y == c].mean(axis=0) for c in self.classes_])
        return self

    def _scores(self, X):
        recs, _ = _as_recordings(X)
        means = np.vstack([r.mean(axis=0) for r in recs])
        return -((means[:, None, :] - self.centers_[None]) ** 2).sum(axis=2)

    def predict_proba(self, X):
        s = self._scores(X)
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X):
        return self.classes_[np.argmax(self._scores(X), axis=1)]


class ToyAudioEnergy(RaggedAwareOutput, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Audio -> frames of (log energy, zero-crossing rate); on_error like skvoice's extractors (failures_)."""

    def __init__(self, on_error="raise"):
        self.on_error = on_error

    def fit(self, X=None, y=None):
        self.n_features_out_ = 2
        self.failures_ = []  # a refit forgets the failures of earlier transforms
        return self

    def _one(self, item, index):
        if isinstance(item, (str, os.PathLike)):
            import soundfile as sf

            try:
                y, _ = sf.read(item, dtype="float32")
            except Exception as exc:
                raise AudioError(item, str(exc)) from exc
        else:
            y = np.asarray(item, dtype=np.float32)
        src = str(item) if isinstance(item, str) else f"<waveform {index}>"
        if y.size < 400:
            raise AudioError(src, "too short")
        if not np.isfinite(y).all():
            raise AudioError(src, "NaN")
        if np.abs(y).max() < 1e-5:
            raise AudioError(src, "silent")
        frames = np.lib.stride_tricks.sliding_window_view(y, 400)[::160]
        energy = np.log((frames ** 2).mean(axis=1) + 1e-10)
        zcr = (np.diff(np.sign(frames), axis=1) != 0).mean(axis=1)
        return np.column_stack([energy, zcr]).astype(np.float32)

    def _failed(self, index, exc):
        return {"index": index, "source": exc.source, "reason": exc.reason}

    def transform(self, X):
        out, self.failures_ = [], []
        for i, item in enumerate(list(X)):
            try:
                out.append(self._one(item, i))
            except AudioError as exc:
                if self.on_error == "raise":
                    raise
                self.failures_.append(self._failed(i, exc))
                out.append(np.empty((0, 2), dtype=np.float32))
        if self.failures_ and self.on_error == "warn":
            warnings.warn(f"{len(self.failures_)} recordings failed", SkippedRecordingsWarning, stacklevel=2)
        # the recording set carries the column names to the next step, as skvoice's frame transformers do
        return self._wrap(with_feature_names(_ragged(out), self.get_feature_names_out()))

    def get_feature_names_out(self, input_features=None):
        return np.asarray(["log_energy", "zcr"], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        return tags


# ---- broken variants (each breaks one promise) ---------------------------------------------------------------------
class LosesARecording(ToyCentering):
    def transform(self, X):
        return super().transform(X)[:-1]


class AddsFrames(ToyCentering):
    def _one(self, r):
        return np.vstack([super()._one(r)] * 2)


class Float64Frames(ToyCentering):
    def _one(self, r):
        return super()._one(r).astype(np.float64)


class RaggedFor2D(ToyCentering):
    """Returns a recording set for plain 2-D input too."""

    def transform(self, X):
        recs, _ = _as_recordings(X)
        return _ragged([self._one(r) for r in recs])


class BatchDependent(ToyCentering):
    """Centres with the mean of the batch being transformed."""

    def transform(self, X):
        recs, is_2d = _as_recordings(X)
        mean = np.vstack(recs).mean(axis=0)
        out = [r - mean for r in recs]
        return self._wrap(np.vstack(out) if is_2d else _ragged(out))


class RemembersLastBatch(ToyCentering):
    def transform(self, X):
        self.n_transformed_ = len(X)
        return super().transform(X)


class KeepsStaleScale(ToyCentering):
    """Forgets to delete scale_ when refitted with scale=False."""

    def fit(self, X, y=None):
        scale = getattr(self, "scale_", None)
        super().fit(X, y)
        if scale is not None and not self.scale:
            self.scale_ = scale
        return self


class CountsFits(ToyCentering):
    """Keeps a count across fits: fitted state that a refit does not reset."""

    def fit(self, X, y=None):
        self.n_fits_ = getattr(self, "n_fits_", 0) + 1
        return super().fit(X, y)


class LeaksPreviousWidth(ToyCentering):
    """Refitting keeps the previous fit's n_features_in_ (and so cannot transform the new data)."""

    def fit(self, X, y=None):
        width = getattr(self, "n_features_in_", None)
        super().fit(X, y)
        if width is not None:
            self.n_features_in_ = width
        return self


class ForgetsMeanWhenPickled(ToyCentering):
    def __getstate__(self):
        state = dict(super().__getstate__())
        state["mean_"] = np.zeros_like(state["mean_"])
        return state


class PlainSklearnOutput(ToyCentering, auto_wrap_output_keys=("transform",)):
    """scikit-learn's own set_output wrapping, which turns ragged output into a broken DataFrame."""

    set_output = TransformerMixin.set_output

    def transform(self, X):  # scikit-learn wraps only the methods a class defines itself
        return super().transform(X)


class CachesInInit(ToyCentering):
    def __init__(self, scale=False):
        super().__init__(scale=scale)
        self.cache_ = {}


class HoldsBigTable(ToyCentering):
    def __init__(self, scale=False, table=None):
        super().__init__(scale=scale)
        self.table = table


class UnstableHash(ToyCentering):
    """Pickles a fresh token every time, so joblib.Memory never finds it again."""

    def __getstate__(self):
        state = dict(super().__getstate__())
        state["_token"] = os.urandom(8)
        return state


class PredictsFrames(ToyNearestMean):
    """One label per frame instead of per recording."""

    def predict(self, X):
        recs, _ = _as_recordings(X)
        return np.concatenate([np.repeat(p, len(r)) for p, r in zip(super().predict(X), recs)])


class IntegerClasses(ToyNearestMean):
    def predict(self, X):
        return np.argmax(self._scores(X), axis=1)

    def fit(self, X, y):
        super().fit(X, y)
        self.classes_ = np.arange(len(self.classes_))
        return self


class IgnoresLabelCount(ToyNearestMean):
    def fit(self, X, y):
        recs, _ = _as_recordings(X)
        y = np.resize(np.asarray(y), len(recs))
        return super().fit(X, y)


class DropsFailedRecordings(ToyAudioEnergy):
    def transform(self, X):
        out = super().transform(X)
        return _ragged([r for r in out if len(r)])


class NonePlaceholder(ToyAudioEnergy):
    """Puts None, not a 0-row array, in the failed recording's slot."""

    def transform(self, X):
        out = super().transform(X)
        for i, r in enumerate(out):
            if len(r) == 0:
                out[i] = None
        return out


class BlockLocalFailureIndex(ToyAudioEnergy):
    """Reports failures with an index counted from the first failure's block (off by one)."""

    def _failed(self, index, exc):
        return {"index": index - 1, "source": exc.source, "reason": exc.reason}


class NeverWarns(ToyAudioEnergy):
    def transform(self, X):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SkippedRecordingsWarning)
            return super().transform(X)


class KeepsStaleFailures(ToyAudioEnergy):
    def fit(self, X=None, y=None):
        self.n_features_out_ = 2
        return self


class AcceptsSilence(ToyAudioEnergy):
    def _one(self, item, index):
        if not isinstance(item, (str, os.PathLike)) and len(item) >= 400 and not np.abs(item).max():
            return np.zeros((1 + (len(item) - 400) // 160, 2), dtype=np.float32)
        return super()._one(item, index)


def test_correct_toys_pass_every_applicable_check():
    for est in (ToyCentering(), ToyCentering(scale=True), ToyNearestMean()):
        report = check_recording_estimator(est)
        assert {r["status"] for r in report} == {"passed"}, report
    report = check_recording_estimator(ToyAudioEnergy(), on_fail=None)
    # failures_ written by transform is exactly what check_dict_unchanged_recordings forbids
    assert [r["check"] for r in report if r["status"] != "passed"] == ["check_dict_unchanged_recordings"]


@pytest.mark.parametrize("check, estimator, match", [
    (check_transformer_recording_set, LosesARecording(), "6 recordings in, 5 items out"),
    (check_transformer_recording_set, AddsFrames(), "frames in but"),
    (check_transformer_recording_set, Float64Frames(), "dtype float64; frames are float32"),
    (check_transformer_recording_set, RaggedFor2D(), r"transform\(2-D array\) returned ndarray\(shape=\(6,\)"),
    (check_recording_subset_invariance, BatchDependent(), "alone vs in the batch"),
    (check_dict_unchanged_recordings, RemembersLastBatch(), r"added \['n_transformed_'\]"),
    (check_dict_unchanged_recordings, KeepsStaleFailures(), r"added \['failures_'\]"),
    (check_refit_resets_state, KeepsStaleScale(), r"scale=True, then fit\(B\) with scale=False leaves .*scale_"),
    (check_refit_resets_state, CountsFits(), r"after fit\(A\) then fit\(B\), fitted attributes \['n_fits_'\] differ"),
    (check_refit_resets_state, LeaksPreviousWidth(), r"fitted attributes \['n_features_in_'\] differ"),
    (check_pickle_roundtrip, ForgetsMeanWhenPickled(), "after a pickle round trip"),
    (check_set_output_pandas, PlainSklearnOutput(), "Length mismatch"),
    (check_clone_and_params, CachesInInit(), r"still holds \['cache_'\]"),
    (check_clone_and_params, HoldsBigTable(table=np.zeros(200_000)), "pickles to"),
    (check_pipeline_memory, UnstableHash(), "missed the cache"),
    (check_classifier_one_label_per_recording, PredictsFrames(), "6 recordings in, output of shape"),
    (check_classifier_one_label_per_recording, IntegerClasses(), "expected the labels of y"),
    (check_classifier_one_label_per_recording, IgnoresLabelCount(), "6 recordings with 5 labels"),
    (check_on_error_alignment, DropsFailedRecordings(), "4 recordings in, 3 outputs"),
    (check_on_error_alignment, NonePlaceholder(), r"placeholder is NoneType; expected a \(0, 2\) array"),
    (check_on_error_alignment, BlockLocalFailureIndex(), r"failures_ lists \[0\], expected \[1\]"),
    (check_on_error_alignment, NeverWarns(), "no SkippedRecordingsWarning"),
    (check_on_error_alignment, AcceptsSilence(), "accepted a silent recording"),
    (check_on_error_alignment, KeepsStaleFailures(), r"after a refit failures_ still lists \[1\]"),
], ids=lambda v: type(v).__name__ if isinstance(v, BaseEstimator) else getattr(v, "__name__", None))
def test_each_check_catches_a_broken_estimator(check, estimator, match):
    good = {"check_on_error_alignment": ToyAudioEnergy(),
            "check_classifier_one_label_per_recording": ToyNearestMean()}.get(check.__name__, ToyCentering())
    check(type(good).__name__, good)  # the correct toy of the same kind passes this very check
    with pytest.raises(AssertionError, match=match):
        check(type(estimator).__name__, estimator)


def test_checks_refuse_estimators_they_do_not_apply_to():
    with pytest.raises(TypeError, match="transformers only"):
        check_transformer_recording_set("ToyNearestMean", ToyNearestMean())
    with pytest.raises(TypeError, match="audio input only"):
        check_on_error_alignment("ToyCentering", ToyCentering())
    with pytest.raises(TypeError, match="on_error parameter"):
        check_on_error_alignment("ToyCentering", ToyCentering(), input_kind="audio")


def test_get_recording_tags():
    assert get_recording_tags(MFCCExtractor()) == ec.RecordingTags("audio", "transformer", True)
    assert get_recording_tags(CMVN()) == ec.RecordingTags("frames", "transformer", False)
    assert get_recording_tags(GMMSpeakerClassifier()) == ec.RecordingTags("frames", "classifier", False)
    assert get_recording_tags(ToyNearestMean(), "2d").input_kind == "2d"
    with pytest.raises(ValueError, match="input_kind"):
        get_recording_tags(CMVN(), "waveforms")


def test_check_recording_estimator_reports_and_raises():
    with pytest.raises(AssertionError, match="(?s)fails 1 recording-set check.*check_set_output_pandas"):
        check_recording_estimator(PlainSklearnOutput())
    report = check_recording_estimator(PlainSklearnOutput(), expected_failed_checks={
        "check_set_output_pandas": "known", "check_pickle_roundtrip": "wrongly listed"})
    status = {r["check"]: r["status"] for r in report}
    assert status["check_set_output_pandas"] == "xfail" and status["check_pickle_roundtrip"] == "xpass"
    assert set(status.values()) == {"passed", "xfail", "xpass"}
    assert "check_on_error_alignment" not in status and "check_classifier_one_label_per_recording" not in status


def test_parametrize_marks_expected_failures_strictly():
    mark = parametrize_with_recording_checks([ToyCentering(), ToyNearestMean()],
                                             expected_failed_checks=lambda e: {"check_pickle_roundtrip": "why"}
                                             if isinstance(e, ToyNearestMean) else {})
    params = mark.args[1]
    ids = [p.id for p in params]
    assert "ToyCentering()-check_pipeline_memory" in ids and "ToyNearestMean()-check_pipeline_memory" not in ids
    marked = [p for p in params if p.marks]
    assert [p.id for p in marked] == ["ToyNearestMean()-check_pickle_roundtrip"]
    assert marked[0].marks[0].kwargs == {"strict": True, "reason": "why"}
    with pytest.raises(TypeError, match="instances"):
        parametrize_with_recording_checks([ToyCentering])
