"""Wav2VecChunker and the fairseq checkpoint reader, with tiny random models built locally."""

import os
import pickle
import shutil
import sys
import tempfile
import time
import types
import warnings

import joblib
import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from skvoice._audio import AudioError  # noqa: E402
from skvoice._fairseq import (  # noqa: E402
    FairseqCheckpointError,
    hf_to_fairseq_checkpoint,
    load_fairseq_wav2vec2,
    read_fairseq_checkpoint,
    save_fairseq_checkpoint,
)
from skvoice._hub import ModelNotAvailableError  # noqa: E402
from skvoice._parallel import SkippedRecordingsWarning  # noqa: E402
from skvoice.features import Wav2VecChunker  # noqa: E402
from skvoice.features._wav2vec import _RUNTIMES  # noqa: E402

SR = 16000
CHUNK_S = 0.5  # 8000 samples: 399 frames for the tiny models below
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37, conv_dim=(32, 32),
            conv_stride=(5, 4), conv_kernel=(10, 4), num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
FRAMES = 399  # ((8000 - 10) // 5 + 1 - 4) // 4 + 1
FIELD = 25  # receptive field of conv_kernel=(10, 4), conv_stride=(5, 4)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _frames(n):
    n = (n - 10) // 5 + 1
    return (n - 4) // 4 + 1


def _save(model, folder):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def w2v_model():
    torch.manual_seed(0)
    return transformers.Wav2Vec2Model(transformers.Wav2Vec2Config(**TINY)).eval()


@pytest.fixture(scope="module")
def w2v_dir(tmp_path_factory, w2v_model):
    return _save(w2v_model, tmp_path_factory.mktemp("w2v"))


@pytest.fixture(scope="module")
def stable_model():
    """Pre-LN variant (like wav2vec2-large-lv60): layer-norm conv extractor, final encoder LayerNorm."""
    torch.manual_seed(1)
    cfg = transformers.Wav2Vec2Config(**TINY, do_stable_layer_norm=True, feat_extract_norm="layer", conv_bias=True)
    model = transformers.Wav2Vec2Model(cfg).eval()
    with torch.no_grad():  # non-trivial final LayerNorm so that applying it (or not) is visible
        model.encoder.layer_norm.weight.uniform_(0.5, 1.5)
        model.encoder.layer_norm.bias.uniform_(-0.5, 0.5)
    return model


@pytest.fixture(scope="module")
def stable_dir(tmp_path_factory, stable_model):
    return _save(stable_model, tmp_path_factory.mktemp("w2v_stable"))


@pytest.fixture(scope="module")
def hubert_dir(tmp_path_factory):
    torch.manual_seed(2)
    model = transformers.HubertModel(transformers.HubertConfig(**TINY)).eval()
    return _save(model, tmp_path_factory.mktemp("hubert"))


@pytest.fixture(scope="module")
def waves():
    rng = np.random.RandomState(0)
    t = np.arange(int(1.3 * SR)) / SR
    base = (0.3 * np.sin(2 * np.pi * 150 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    return [base + 0.05 * rng.normal(size=t.size).astype(np.float32),
            (0.5 * rng.normal(size=int(0.7 * SR))).astype(np.float32),
            (0.2 * rng.normal(size=SR)).astype(np.float32)]


def chunker(model, **kw):
    kw.setdefault("chunk_seconds", CHUNK_S)
    kw.setdefault("device", "cpu")
    return Wav2VecChunker(model, **kw)


def _hf_states(model, chunk):
    with torch.inference_mode():
        out = model(torch.from_numpy(np.asarray(chunk, dtype=np.float32))[None], output_hidden_states=True)
    return [h[0].numpy() for h in out.hidden_states], out.last_hidden_state[0].numpy()


# ------------------------------------------------------------------------------------------------ shapes / chunking
@pytest.mark.parametrize("output,width", [("frames", 32), ("mean", 32), ("mean+std", 64)])
@pytest.mark.parametrize("layer", [-1, 0, 1, "average", [0, 2]])
def test_output_shapes(w2v_dir, waves, output, width, layer):
    est = chunker(w2v_dir, output=output, layer=layer).fit()
    X = est.transform(waves)
    assert X.dtype == object and len(X) == 3
    n_chunks = [3, 2, 2]  # 1.3 s, 0.7 s, 1.0 s in 0.5 s chunks, last one padded
    for x, n in zip(X, n_chunks):
        assert x.dtype == np.float32 and np.isfinite(x).all()
        assert x.shape == ((n * FRAMES if output == "frames" else n), width)
    assert est.n_features_out_ == width
    assert len(est.get_feature_names_out()) == width
    assert est.frames_per_chunk_ == FRAMES and est.min_samples_ == FIELD


@pytest.mark.parametrize("n_samples,expected", [
    # n_samples: {last_chunk: (number of chunks, number of frames) or "error"}
    (8000, {"pad": (1, FRAMES), "drop": (1, FRAMES), "keep": (1, FRAMES)}),
    (12000, {"pad": (2, 2 * FRAMES), "drop": (1, FRAMES), "keep": (2, FRAMES + _frames(4000))}),
    (7999, {"pad": (1, FRAMES), "drop": "error", "keep": (1, _frames(7999))}),
    (8000 + FIELD - 1, {"pad": (1, FRAMES), "drop": (1, FRAMES), "keep": (1, FRAMES)}),  # remainder < field
    (8000 + FIELD, {"pad": (2, 2 * FRAMES), "drop": (1, FRAMES), "keep": (2, FRAMES + 1)}),
    (100, {"pad": (1, FRAMES), "drop": "error", "keep": (1, _frames(100))}),
    (FIELD - 1, {"pad": "error", "drop": "error", "keep": "error"}),
    (24000, {"pad": (3, 3 * FRAMES), "drop": (3, 3 * FRAMES), "keep": (3, 3 * FRAMES)}),
])
@pytest.mark.parametrize("last_chunk", ["pad", "drop", "keep"])
def test_chunk_counts(w2v_dir, n_samples, expected, last_chunk):
    wave = (0.3 * np.random.RandomState(n_samples).normal(size=n_samples)).astype(np.float32)
    exp = expected[last_chunk]
    est = chunker(w2v_dir, last_chunk=last_chunk, output="mean").fit()
    if exp == "error":
        with pytest.raises(AudioError, match="too short"):
            est.transform([wave])
        return
    assert est.transform([wave])[0].shape == (exp[0], 32)
    assert est.set_params(output="frames").fit().transform([wave])[0].shape == (exp[1], 32)


def test_padding_matches_explicit_zero_padding(w2v_dir):
    wave = (0.3 * np.random.RandomState(0).normal(size=11000)).astype(np.float32)
    est = chunker(w2v_dir).fit()
    padded = np.zeros(16000, dtype=np.float32)
    padded[:11000] = wave
    np.testing.assert_allclose(est.transform([wave])[0], est.transform([padded])[0], atol=1e-5)


# ------------------------------------------------------------------------------------------------ layer semantics
def test_layers_match_transformers_hidden_states(w2v_model, w2v_dir):
    wave = (0.3 * np.random.RandomState(3).normal(size=8000)).astype(np.float32)
    states, last = _hf_states(w2v_model, wave)
    for layer, ref in [(0, states[0]), (1, states[1]), (2, states[2]), (-1, last), (-3, states[0]),
                       ("average", np.mean(states, axis=0)), ([0, 2], (states[0] + states[2]) / 2)]:
        est = chunker(w2v_dir, layer=layer).fit()
        np.testing.assert_allclose(est.transform([wave])[0], ref, atol=2e-5, err_msg=str(layer))
    est = chunker(w2v_dir, layer=1).fit()
    assert est.n_layers_run_ == 1 and est.n_layers_ == 2
    assert len(_RUNTIMES[est]["model"].encoder.layers) == 1  # the second layer is not run at all


def test_pre_layernorm_model_final_norm(stable_model, stable_dir):
    wave = (0.3 * np.random.RandomState(4).normal(size=8000)).astype(np.float32)
    seen = []  # the last layer's own output: transformers before 5.16 give it normalised in hidden_states[-1]
    hook = stable_model.encoder.layers[-1].register_forward_hook(
        lambda module, args, out: seen.append(out[0] if isinstance(out, (tuple, list)) else out))
    try:
        states, last = _hf_states(stable_model, wave)
    finally:
        hook.remove()
    assert not np.allclose(seen[0][0].numpy(), last, atol=1e-3)  # the final LayerNorm matters for this model
    np.testing.assert_allclose(chunker(stable_dir, layer=-1).fit().transform([wave])[0], last, atol=2e-5)
    np.testing.assert_allclose(chunker(stable_dir, layer=1).fit().transform([wave])[0], states[1], atol=2e-5)


@pytest.mark.parametrize("layer", [3, -4, [1, 5], [], [1.5], True])
def test_bad_layer(w2v_dir, layer):
    with pytest.raises(ValueError, match="layer"):
        chunker(w2v_dir, layer=layer).fit()


# ------------------------------------------------------------------------------------------------ fairseq checkpoints
@pytest.mark.parametrize("style", ["args", "cfg"])
@pytest.mark.parametrize("which", ["group", "stable"])
def test_fairseq_checkpoint_equals_hf_folder(tmp_path, style, which, w2v_model, w2v_dir, stable_model, stable_dir,
                                             waves):
    model, folder = (w2v_model, w2v_dir) if which == "group" else (stable_model, stable_dir)
    path = save_fairseq_checkpoint(model, tmp_path / "wav2vec_small.pt", style=style)
    for layer in (-1, "average"):
        fs = chunker(str(path), layer=layer).fit()
        hf = chunker(folder, layer=layer).fit()
        assert fs.model_source_ == "fairseq" and hf.model_source_ == "folder"
        for a, b in zip(fs.transform(waves), hf.transform(waves)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_fairseq_weights_exactly_mapped(tmp_path, w2v_model):
    path = save_fairseq_checkpoint(w2v_model, tmp_path / "ckpt.pt")
    model, info = load_fairseq_wav2vec2(path)
    ref = w2v_model.state_dict()
    got = model.state_dict()
    assert set(got) == set(ref)
    for key in ref:
        assert torch.equal(got[key], ref[key]), key
    assert info["name"] == "wav2vec2" and info["sample_rate"] == 16000 and info["normalize"] is False
    assert "quantizer.vars" in info["ignored"] and "final_proj.weight" in info["ignored"]


def test_fairseq_finetuned_ctc_layout(tmp_path, w2v_model):
    """Fine-tuned CTC checkpoints nest the pre-trained model under w2v_encoder.w2v_model."""
    ckpt = hf_to_fairseq_checkpoint(w2v_model, style="cfg")
    sd = {"w2v_encoder.w2v_model." + k: v for k, v in ckpt["model"].items()}
    sd["w2v_encoder.proj.weight"] = torch.zeros(5, 32)
    inner = {"model": ckpt["cfg"]["model"], "task": {"normalize": True, "sample_rate": 16000}}
    ckpt = {"cfg": {"model": {"_name": "wav2vec_ctc", "w2v_args": inner}, "task": {}}, "model": sd, "args": None}
    torch.save(ckpt, tmp_path / "ctc.pt")
    model, info = load_fairseq_wav2vec2(tmp_path / "ctc.pt")
    assert info["normalize"] is True and "w2v_encoder.proj.weight" in info["ignored"]
    assert torch.equal(model.state_dict()["encoder.layers.1.feed_forward.output_dense.weight"],
                       w2v_model.state_dict()["encoder.layers.1.feed_forward.output_dense.weight"])


def test_fairseq_normalize_flag_is_used(tmp_path, w2v_model, w2v_dir, waves):
    path = save_fairseq_checkpoint(w2v_model, tmp_path / "norm.pt", normalize=True)
    fs = chunker(str(path)).fit()
    assert fs.normalize_ is True
    hf = chunker(w2v_dir, normalize=True).fit()
    np.testing.assert_allclose(fs.transform(waves[:1])[0], hf.transform(waves[:1])[0], atol=1e-5)
    assert chunker(w2v_dir).fit().normalize_ is False  # no preprocessor_config.json: raw waveform


def test_fairseq_not_wav2vec2(tmp_path, w2v_model):
    ckpt = hf_to_fairseq_checkpoint(w2v_model, style="cfg")
    ckpt["cfg"]["model"]["_name"] = "hubert"
    torch.save(ckpt, tmp_path / "hubert.pt")
    with pytest.raises(FairseqCheckpointError, match="'hubert'.*only wav2vec 2.0"):
        chunker(str(tmp_path / "hubert.pt")).fit()
    torch.save(w2v_model.state_dict(), tmp_path / "plain_state_dict.pt")
    with pytest.raises(FairseqCheckpointError, match="not a fairseq checkpoint"):
        chunker(str(tmp_path / "plain_state_dict.pt")).fit()
    (tmp_path / "garbage.pt").write_bytes(b"this is not a torch file at all")
    with pytest.raises(FairseqCheckpointError, match="could not be read"):
        chunker(str(tmp_path / "garbage.pt")).fit()


def test_fairseq_key_problems_are_listed(tmp_path, w2v_model):
    ckpt = hf_to_fairseq_checkpoint(w2v_model)
    ckpt["model"]["encoder.layers.0.mystery.weight"] = torch.zeros(3)
    del ckpt["model"]["encoder.layers.1.fc2.bias"]
    ckpt["model"]["encoder.layers.0.fc1.weight"] = torch.zeros(5, 5)
    torch.save(ckpt, tmp_path / "bad.pt")
    with pytest.raises(FairseqCheckpointError) as info:
        load_fairseq_wav2vec2(tmp_path / "bad.pt")
    msg = str(info.value)
    assert "encoder.layers.0.mystery.weight" in msg
    assert "encoder.layers.1.feed_forward.output_dense.bias" in msg
    assert "encoder.layers.0.fc1.weight (5, 5)" in msg


def test_fairseq_cfg_pickled_with_uninstalled_omegaconf(tmp_path, w2v_model, monkeypatch):
    """New fairseq pickles `cfg` as omegaconf objects; they load without omegaconf (or fairseq) installed."""
    fake = types.ModuleType("omegaconf")

    class DictConfig:  # what matters is the pickled state layout: `_content` holding value nodes
        def __init__(self, content):
            self.__dict__.update(_metadata=None, _parent=None, _content=content)

    class AnyNode:
        def __init__(self, val):
            self.__dict__.update(_metadata=None, _parent=None, _val=val)

    for cls in (DictConfig, AnyNode):
        cls.__module__ = "omegaconf"
        cls.__qualname__ = cls.__name__
        setattr(fake, cls.__name__, cls)
    monkeypatch.setitem(sys.modules, "omegaconf", fake)

    def wrap(d):
        return DictConfig({k: wrap(v) if isinstance(v, dict) else AnyNode(v) for k, v in d.items()})

    ckpt = hf_to_fairseq_checkpoint(w2v_model, style="cfg", normalize=True)
    ckpt["cfg"] = wrap(ckpt["cfg"])
    torch.save(ckpt, tmp_path / "omegaconf.pt")
    monkeypatch.delitem(sys.modules, "omegaconf")
    loaded = read_fairseq_checkpoint(tmp_path / "omegaconf.pt")
    assert loaded["cfg"]["model"]["_name"] == "wav2vec2"
    assert loaded["cfg"]["model"]["encoder_layers"] == 2
    model, info = load_fairseq_wav2vec2(tmp_path / "omegaconf.pt")
    assert info["normalize"] is True
    assert torch.equal(model.state_dict()["masked_spec_embed"], w2v_model.state_dict()["masked_spec_embed"])


# ------------------------------------------------------------------------------------------------ model sources
def test_folder_without_config(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(ModelNotAvailableError, match="config.json"):
        chunker(str(tmp_path)).fit()


def test_missing_path():
    with pytest.raises(ModelNotAvailableError, match="does not exist"):
        chunker("/nonexistent/wav2vec_small.pt").fit()


def test_hub_id_offline_fails_fast():
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    start = time.perf_counter()
    with pytest.raises(ModelNotAvailableError, match="not in the local Hugging Face cache"):
        chunker("skvoice-tests/no-such-wav2vec2-model").fit()
    assert time.perf_counter() - start < 10


def test_not_a_speech_encoder(tmp_path):
    bert = transformers.BertModel(transformers.BertConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                                                          intermediate_size=8, vocab_size=10))
    with pytest.raises(ValueError, match="not a wav2vec2-style speech encoder"):
        chunker(_save(bert, tmp_path)).fit()


def test_hubert(hubert_dir, waves):
    est = chunker(hubert_dir, output="mean+std", layer="average").fit()
    X = est.transform(waves)
    assert est.model_type_ == "hubert" and [x.shape for x in X] == [(3, 64), (2, 64), (2, 64)]


def test_preprocessor_config(tmp_path, w2v_model, waves):
    folder = _save(w2v_model, tmp_path / "m")
    transformers.Wav2Vec2FeatureExtractor(do_normalize=True, sampling_rate=16000).save_pretrained(folder)
    est = chunker(folder).fit()
    assert est.normalize_ is True
    assert chunker(folder, normalize=False).fit().normalize_ is False
    # normalised input: features do not depend on the recording's gain
    a, b = est.transform([waves[2], 3 * waves[2]])
    np.testing.assert_allclose(a, b, atol=1e-4)
    with pytest.raises(ValueError, match="expects audio at 16000 Hz"):
        chunker(folder, sample_rate=8000).fit()


# ------------------------------------------------------------------------------------------------ batching, pickling
def test_batch_size_does_not_change_features(w2v_dir, waves):
    a = chunker(w2v_dir, batch_size=1).fit().transform(waves)
    b = chunker(w2v_dir, batch_size=8).fit().transform(waves)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-5)


def test_one_fitted_chunker_transforms_from_several_threads(w2v_dir, waves):
    """A threaded server calls transform on one fitted chunker at once: each call gets its own hidden states."""
    from concurrent.futures import ThreadPoolExecutor

    est = chunker(w2v_dir, layer=[0, 2]).fit()
    batches = [waves[:1], waves[1:], waves[::-1], waves[2:]]
    alone = [est.transform(b) for b in batches]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(est.transform, batches * 4))
    for k, out in enumerate(threaded):
        for x, y in zip(out, alone[k % len(batches)]):
            np.testing.assert_array_equal(x, y)


def test_many_recordings_keep_order(w2v_dir):
    """More recordings than one decoding block, tails of varied lengths: each output is its own recording's."""
    rng = np.random.RandomState(5)
    waves = [(0.3 * rng.normal(size=rng.randint(300, 20000))).astype(np.float32) for _ in range(37)]
    est = chunker(w2v_dir, batch_size=3, last_chunk="keep", output="mean").fit()
    together = est.transform(waves)
    for i in (0, 17, 36):
        np.testing.assert_allclose(together[i], est.transform([waves[i]])[0], rtol=1e-5, atol=1e-5)
    assert sum(x.shape[0] for x in together) == sum(-(-len(w) // 8000) for w in waves)


def test_pickle_round_trip(w2v_dir, waves, tmp_path):
    est = chunker(w2v_dir, layer="average").fit()
    before = est.transform(waves)
    blob = pickle.dumps(est)
    assert len(blob) < 20_000  # parameters and fitted attributes, never the weights
    assert joblib.dump(est, tmp_path / "est.joblib") and os.path.getsize(tmp_path / "est.joblib") < 20_000
    restored = pickle.loads(blob)
    assert restored not in _RUNTIMES  # the model is not in the pickle: transform reloads it
    after = restored.transform(waves)
    for x, y in zip(before, after):
        np.testing.assert_array_equal(x, y)
    assert joblib.hash(est) == joblib.hash(restored)  # Pipeline(memory=...) hashing stays cheap and stable


def test_unpickled_with_changed_model(w2v_dir, tmp_path, waves):
    folder = shutil.copytree(w2v_dir, tmp_path / "m")
    est = chunker(str(folder)).fit()
    blob = pickle.dumps(est)
    torch.manual_seed(0)
    _save(transformers.Wav2Vec2Model(transformers.Wav2Vec2Config(**{**TINY, "num_hidden_layers": 3})), folder)
    with pytest.raises(ValueError, match="changed since fit"):
        pickle.loads(blob).transform(waves[:1])


def test_file_paths_and_resampling(w2v_dir, waves, tmp_path):
    sf = pytest.importorskip("soundfile")
    sf.write(tmp_path / "a.wav", waves[0], SR, subtype="FLOAT")
    sf.write(tmp_path / "b8k.flac", waves[1][::2], SR // 2)  # 0.7 s at 8 kHz -> resampled to 16 kHz
    est = chunker(w2v_dir, output="mean").fit()
    X = est.transform([str(tmp_path / "a.wav"), tmp_path / "b8k.flac"])
    assert [x.shape for x in X] == [(3, 32), (2, 32)]
    np.testing.assert_allclose(X[0], est.transform(waves[:1])[0], atol=1e-4)


@pytest.mark.slow  # starts a loky process pool
def test_parallel_decoding(w2v_dir, waves, tmp_path):
    sf = pytest.importorskip("soundfile")
    files = []
    for i, w in enumerate(waves * 7):
        files.append(str(tmp_path / f"{i}.wav"))
        sf.write(files[-1], w, SR, subtype="FLOAT")
    X = chunker(w2v_dir, output="mean").fit().transform(files)
    Xp = chunker(w2v_dir, output="mean", n_jobs=2, batch_size=4).fit().transform(files)
    for x, y in zip(X, Xp):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------------------------------------ bad input
def _bad_inputs(tmp_path):
    nan = np.full(16000, 0.1, dtype=np.float32)
    nan[100] = np.nan
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF....WAVEfmt garbage")
    return {
        "silent": np.zeros(16000, dtype=np.float32),
        "dither": np.full(16000, 1e-6, dtype=np.float32),
        "nan": nan,
        "too_short": np.full(FIELD - 1, 0.1, dtype=np.float32),
        "corrupt": str(tmp_path / "corrupt.wav"),
        "missing": str(tmp_path / "missing.flac"),
    }


@pytest.mark.parametrize("kind,reason", [("silent", "silent"), ("dither", "silent"), ("nan", "NaN"),
                                         ("too_short", "too short"), ("corrupt", "corrupt"),
                                         ("missing", "does not exist")])
def test_bad_input_per_on_error(w2v_dir, waves, tmp_path, kind, reason):
    bad = _bad_inputs(tmp_path)[kind]
    X = [waves[0], bad, waves[2]]
    with pytest.raises(AudioError, match=reason):
        chunker(w2v_dir).fit().transform(X)
    est = chunker(w2v_dir, on_error="warn", output="mean").fit()
    with pytest.warns(SkippedRecordingsWarning, match=reason):
        out = est.transform(X)
    assert [x.shape for x in out] == [(3, 32), (0, 32), (2, 32)]
    assert [f["index"] for f in est.failures_] == [1] and reason in est.failures_[0]["reason"]
    est = chunker(w2v_dir, on_error="skip", output="mean").fit()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = est.transform(X)
    assert out[1].shape == (0, 32) and len(est.failures_) == 1


def test_drop_mode_short_recording_error(w2v_dir):
    with pytest.raises(AudioError, match="fewer than one chunk"):
        chunker(w2v_dir, last_chunk="drop").fit().transform([np.full(7000, 0.1, dtype=np.float32)])


def test_bad_container(w2v_dir):
    est = chunker(w2v_dir).fit()
    with pytest.raises(TypeError, match="wrap it in a list"):
        est.transform("some/file.wav")
    with pytest.raises(ValueError, match="empty recording set"):
        est.transform([])


# ------------------------------------------------------------------------------------------------ precision options
def _cosine(a, b):
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return a @ b / np.linalg.norm(a) / np.linalg.norm(b)


def test_int8_quantisation(w2v_dir, waves):
    ref = chunker(w2v_dir).fit().transform(waves)
    est = chunker(w2v_dir, quantize="int8").fit()
    assert est.dtype_ == "float32"
    assert "quantized.dynamic" in type(_RUNTIMES[est]["model"].encoder.layers[0].feed_forward.output_dense).__module__
    out = est.transform(waves)
    for a, b in zip(ref, out):
        assert a.shape == b.shape
        assert 0.95 < _cosine(a, b) < 1.0  # close to, but not, the float32 features


def test_bfloat16_cpu(w2v_dir, waves):
    from skvoice.features._wav2vec import _cpu_bf16_supported

    if not _cpu_bf16_supported():
        with pytest.warns(UserWarning, match="no native bf16"):
            assert chunker(w2v_dir, dtype="bfloat16").fit().dtype_ == "float32"
        return
    ref = chunker(w2v_dir).fit().transform(waves)
    out = chunker(w2v_dir, dtype="bfloat16").fit().transform(waves)
    for a, b in zip(ref, out):
        assert b.dtype == np.float32 and _cosine(a, b) > 0.98
    both = chunker(w2v_dir, dtype="bfloat16", quantize="int8").fit()
    assert both.dtype_ == "bfloat16"
    for a, b in zip(ref, both.transform(waves)):
        assert _cosine(a, b) > 0.95


@pytest.mark.parametrize("kw,match", [({"dtype": "float16"}, "needs CUDA"),
                                      ({"quantize": "int8", "dtype": "float16"}, "needs CUDA"),
                                      ({"chunk_seconds": 0.001}, "receptive field")])
def test_bad_precision_settings(w2v_dir, kw, match):
    with pytest.raises(ValueError, match=match):
        chunker(w2v_dir, **kw).fit()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA error")
def test_cuda_requested_without_cuda(w2v_dir):
    with pytest.raises(ValueError, match="no CUDA device"):
        chunker(w2v_dir, device="cuda").fit()
    assert chunker(w2v_dir, device="auto").fit().device_ == "cpu"


# ------------------------------------------------------------------------------------------------ scikit-learn API
def test_api_contract(w2v_dir, waves):
    est = chunker(w2v_dir, output="mean", layer=[1, 2])
    with pytest.raises(NotFittedError):
        est.transform(waves)
    assert est.fit(waves) is est
    twin = clone(est)
    assert twin.get_params() == est.get_params() and not hasattr(twin, "n_features_out_")
    twin.set_params(output="mean+std")
    assert twin.fit().transform(waves)[0].shape == (3, 64)
    with pytest.raises(ValueError, match=r"\['layer'\] changed since fit"):
        twin.set_params(layer=0).transform(waves)
    twin.set_params(batch_size=2, on_error="skip")  # transform-time settings need no refit
    twin.set_params(layer=[1, 2]).transform(waves)
    np.testing.assert_allclose(est.fit_transform(waves)[1], est.transform(waves)[1])


def _check_model_dir():
    """A 1-conv tiny model whose receptive field is 2 samples, so the 2-D toy data of the checks is usable audio.

    Its folder name is fixed (the test ids contain it, and pytest-xdist workers must collect identical ids); it is
    created atomically, so concurrent workers share one copy.
    """
    cfg = dict(hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=8, conv_dim=(8,),
               conv_stride=(1,), conv_kernel=(2,), num_conv_pos_embeddings=2, num_conv_pos_embedding_groups=1)
    final = os.path.join(tempfile.gettempdir(), f"skvoice-w2v-checks-{transformers.__version__}-{os.getuid()}")
    if os.path.isfile(os.path.join(final, "config.json")):
        return final
    torch.manual_seed(0)
    staging = tempfile.mkdtemp(prefix="skvoice-w2v-checks-staging-")
    _save(transformers.Wav2Vec2Model(transformers.Wav2Vec2Config(**cfg)).eval(), staging)
    try:
        os.rename(staging, final)
    except OSError:  # another process created it first
        shutil.rmtree(staging, ignore_errors=True)
    return final


# Each row of the checks' 2-D data is read as one (very short) waveform; chunk_seconds=0.001 is 16 samples.
# The output is a recording set (a 1-D object array holding one 2-D array per recording, see skvoice/_ragged.py); the
# checks below compare outputs with assert_allclose, which cannot compare object arrays of arrays. The same
# properties are tested directly above: pickling (test_pickle_round_trip), subset/order invariance
# (test_many_recordings_keep_order), idempotent fit and fit_transform == transform (test_api_contract).
_RAGGED = "output is a recording set (object array of per-recording arrays) that the check compares numerically"
_EXPECTED_FAILED = {
    "check_transformer_general": _RAGGED,
    "check_transformer_data_not_an_array": _RAGGED,
    "check_methods_sample_order_invariance": _RAGGED,
    "check_methods_subset_invariance": _RAGGED,
    "check_fit_idempotent": _RAGGED,
    "check_pipeline_consistency": _RAGGED,
    "check_estimators_pickle": _RAGGED,
    "check_transformer_preserve_dtypes": "a recording set has dtype object; its frames are always float32, "
                                         "whatever the waveform dtype",
    "check_n_features_in": "input rows are waveforms of any length, not feature vectors: no n_features_in_",
    "check_n_features_in_after_fitting": "input rows are waveforms of any length, not feature vectors: no "
                                         "n_features_in_",
    "check_estimators_dtypes": "the check's toy data contains all-zero rows, i.e. silent recordings, which are "
                               "rejected by design (peak < 1e-5)",
}


@parametrize_with_checks([Wav2VecChunker(_check_model_dir(), chunk_seconds=0.001, output="mean", device="cpu")],
                         expected_failed_checks=lambda est: _EXPECTED_FAILED)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# ------------------------------------------------------------------------------------------------ real data
@pytest.mark.realdata
def test_librispeech_files(librispeech_root, w2v_dir):
    from skvoice._audio import audio_info
    from skvoice.datasets import load_librispeech

    data = load_librispeech(librispeech_root, subset="test-other")
    files = list(data.filenames[:3])
    est = Wav2VecChunker(w2v_dir, output="mean", device="cpu").fit()  # default 2 s chunks
    X = est.transform(files)
    for x, f in zip(X, files):
        n = audio_info(f).frames
        expected = n // 32000 + (n % 32000 >= FIELD)
        assert x.shape == (expected, 32) and np.isfinite(x).all()
