"""XVectorEmbedding: tiny randomly initialised *ForXVector checkpoints built locally (no hub access)."""

import atexit
import os
import pickle
import shutil
import tempfile
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from skvoice import AudioError, ModelNotAvailableError, SkippedRecordingsWarning  # noqa: E402
from skvoice.features import XVectorEmbedding  # noqa: E402

TINY = dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32, conv_dim=(8, 8),
            conv_kernel=(10, 3), conv_stride=(5, 2), num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=2,
            tdnn_dim=(8, 8), tdnn_kernel=(3, 1), tdnn_dilation=(1, 1), xvector_output_dim=12)

_RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID", f"pid{os.getpid()}")
_DIR = os.path.join(tempfile.gettempdir(), f"skvoice-xvector-{os.getuid()}-{_RUN}")
os.makedirs(_DIR, exist_ok=True)
if "PYTEST_XDIST_TESTRUNUID" not in os.environ:
    atexit.register(shutil.rmtree, _DIR, True)


def make_model(name, kind="wavlm", preprocessor=None, seed=0):
    """A seeded tiny x-vector model, created atomically so that pytest-xdist workers share it."""
    from transformers import (
        Wav2Vec2Config,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForXVector,
        WavLMConfig,
        WavLMForXVector,
    )

    final = os.path.join(_DIR, name)
    if os.path.isfile(os.path.join(final, "config.json")):
        return final
    staging = tempfile.mkdtemp(prefix=f".{name}-", dir=_DIR)
    config_cls, model_cls = (WavLMConfig, WavLMForXVector) if kind == "wavlm" else (Wav2Vec2Config,
                                                                                    Wav2Vec2ForXVector)
    torch.manual_seed(seed)
    model = model_cls(config_cls(**TINY, architectures=[model_cls.__name__]))
    model.save_pretrained(staging)
    if preprocessor is not None:
        Wav2Vec2FeatureExtractor(**preprocessor).save_pretrained(staging)
    try:
        os.rename(staging, final)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
    return final


WAVLM = make_model("wavlm")
W2V_NORM = make_model("w2v-norm", kind="wav2vec2", preprocessor=dict(do_normalize=True, return_attention_mask=True))


@pytest.fixture(scope="module")
def waves():
    rng = np.random.RandomState(0)
    t = np.arange(16000) / 16000
    return [(0.3 * np.sin(2 * np.pi * f * t[:n]) + 0.05 * rng.randn(n)).astype(np.float32)
            for f, n in [(150, 9000), (220, 16000), (300, 12000), (180, 16000)]]


@pytest.mark.parametrize("model", [WAVLM, W2V_NORM])
def test_matches_transformers_and_is_unit_norm(model, waves):
    from transformers import AutoFeatureExtractor, AutoModelForAudioXVector, Wav2Vec2FeatureExtractor

    emb = XVectorEmbedding(model, chunk_seconds=None).fit(waves)
    out = emb.transform(waves)
    assert out.shape == (4, 12) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    net = AutoModelForAudioXVector.from_pretrained(model).eval()
    try:
        fe = AutoFeatureExtractor.from_pretrained(model)
    except OSError:
        fe = Wav2Vec2FeatureExtractor(do_normalize=False)
    use_mask = fe.return_attention_mask
    for w, row in zip(waves, out):
        inputs = fe(w, sampling_rate=16000, return_tensors="pt", return_attention_mask=use_mask)
        with torch.no_grad():
            ref = net(**inputs).embeddings[0].numpy()
        np.testing.assert_allclose(row, ref / np.linalg.norm(ref), atol=1e-5)


def test_batch_size_and_blocks_do_not_change_results(waves, monkeypatch):
    one = XVectorEmbedding(WAVLM, batch_size=1).fit_transform(waves)
    np.testing.assert_allclose(XVectorEmbedding(WAVLM, batch_size=4).fit_transform(waves), one, atol=1e-5)
    monkeypatch.setattr(XVectorEmbedding, "_block_size", 3)
    np.testing.assert_allclose(XVectorEmbedding(WAVLM).fit_transform(waves), one, atol=1e-5)


def test_shortest_accepted_recording_gives_a_finite_embedding():
    # the shortest input let the TDNN head make one frame, and the std of one frame is NaN: recordings just above
    # the minimum (0.305-0.325 s for wavlm-base-plus-sv) came out as NaN with no error and no failures_ entry
    rng = np.random.RandomState(0)
    emb = XVectorEmbedding(WAVLM).fit()
    finite = 0
    for n in range(30, 61):
        try:
            out = emb.transform([(0.3 * rng.randn(n)).astype(np.float32)])
        except AudioError as exc:
            assert "too short" in str(exc)
            continue
        assert np.isfinite(out).all(), n
        finite += 1
    assert 0 < finite < 31


def test_a_conformer_result_does_not_depend_on_its_batch_companions(tmp_path):
    # a conformer's depthwise time convolution reads the zero padding of a masked batch: the short recording's
    # embedding moved by up to 1e-3 when batched with a long one
    from transformers import Wav2Vec2ConformerConfig, Wav2Vec2ConformerForXVector, Wav2Vec2FeatureExtractor

    config = dict(TINY, conv_depthwise_kernel_size=7, feat_extract_norm="layer", do_stable_layer_norm=True,
                  position_embeddings_type="relative", architectures=["Wav2Vec2ConformerForXVector"])
    torch.manual_seed(0)
    Wav2Vec2ConformerForXVector(Wav2Vec2ConformerConfig(**config)).save_pretrained(tmp_path)
    Wav2Vec2FeatureExtractor(do_normalize=True, return_attention_mask=True).save_pretrained(tmp_path)
    rng = np.random.RandomState(0)
    short, long = (0.3 * rng.randn(3000)).astype(np.float32), (0.3 * rng.randn(48000)).astype(np.float32)
    emb = XVectorEmbedding(str(tmp_path), chunk_seconds=None).fit()
    np.testing.assert_allclose(emb.transform([short, long])[0], emb.transform([short])[0], atol=1e-6)


def test_chunking_averages_chunk_embeddings(waves):
    whole = XVectorEmbedding(WAVLM, chunk_seconds=None).fit_transform(waves[1:2])
    chunked = XVectorEmbedding(WAVLM, chunk_seconds=0.5).fit_transform(waves[1:2])
    assert not np.allclose(whole, chunked, atol=1e-4)
    halves = XVectorEmbedding(WAVLM, chunk_seconds=None).fit_transform([waves[1][:8000], waves[1][8000:]])
    raw = XVectorEmbedding(WAVLM, chunk_seconds=None)
    from transformers import AutoModelForAudioXVector

    net = AutoModelForAudioXVector.from_pretrained(WAVLM).eval()
    with torch.no_grad():
        e = [net(torch.from_numpy(h[None])).embeddings[0].numpy() for h in (waves[1][:8000], waves[1][8000:])]
    mean = (e[0] + e[1]) / 2
    np.testing.assert_allclose(chunked[0], mean / np.linalg.norm(mean), atol=1e-5)
    assert halves.shape == (2, 12) and raw.get_params()["chunk_seconds"] is None


def test_bad_inputs_and_on_error(tmp_path, waves):
    bad = [waves[0], np.zeros(8000, np.float32), str(tmp_path / "missing.flac"), waves[1],
           np.full(20, 0.3, np.float32)]
    with pytest.raises(AudioError, match="silent"):
        XVectorEmbedding(WAVLM).fit_transform(bad)
    emb = XVectorEmbedding(WAVLM, on_error="warn").fit()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = emb.transform(bad)
    assert sum(issubclass(w.category, SkippedRecordingsWarning) for w in caught) == 1
    assert [f["index"] for f in emb.failures_] == [1, 2, 4]
    assert np.isnan(out[[1, 2, 4]]).all()
    np.testing.assert_allclose(out[[0, 3]], XVectorEmbedding(WAVLM).fit_transform([waves[0], waves[1]]), atol=1e-5)


def test_not_an_xvector_checkpoint_and_missing_models(tmp_path):
    from transformers import WavLMConfig, WavLMModel

    WavLMModel(WavLMConfig(**TINY)).save_pretrained(tmp_path / "plain")
    with pytest.raises(ValueError, match="not an x-vector checkpoint"):
        XVectorEmbedding(tmp_path / "plain").fit()
    with pytest.raises(ModelNotAvailableError, match="does not exist"):
        XVectorEmbedding(tmp_path / "nope").fit()
    with pytest.raises(ModelNotAvailableError, match="offline|cache"):
        XVectorEmbedding("someone/not-cached-xvector-model").fit()


def test_pickle_holds_no_network_and_transform_changes_no_state(waves):
    import joblib

    emb = XVectorEmbedding(WAVLM).fit()
    before = emb.transform(waves)
    blob = pickle.dumps(emb)
    assert len(blob) < 5_000
    h = joblib.hash(emb)
    emb.transform(waves)
    assert joblib.hash(emb) == h
    np.testing.assert_array_equal(pickle.loads(blob).transform(waves), before)


_TOO_SHORT = ("the check feeds rows of 2-20 numbers as waveforms; audio shorter than the encoder's receptive field "
              "is rejected with AudioError by design")
EXPECTED_FAILED = {name: _TOO_SHORT for name in [
    "check_estimators_dtypes", "check_fit_score_takes_y", "check_dtype_object", "check_pipeline_consistency",
    "check_estimators_pickle", "check_f_contiguous_array_estimator", "check_transformer_data_not_an_array",
    "check_transformer_general", "check_transformer_preserve_dtypes", "check_methods_sample_order_invariance",
    "check_methods_subset_invariance", "check_dict_unchanged", "check_fit_idempotent"]}
EXPECTED_FAILED.update({
    "check_n_features_in": "input is audio (waveforms of any length): there is no input feature dimension",
    "check_n_features_in_after_fitting": "input is audio: there is no input feature dimension",
})


@parametrize_with_checks([XVectorEmbedding(WAVLM, device="cpu")], expected_failed_checks=lambda est: EXPECTED_FAILED)
def test_sklearn_compatible(estimator, check):
    check(estimator)
