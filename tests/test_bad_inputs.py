"""A generated corpus of bad and unusual audio, and what every audio-consuming estimator does with it.

Each case is generated here (no binary fixtures). "ok" cases must be processed; every other case must raise an
AudioError naming the file and the reason with on_error="raise", and be reported in ``failures_`` (keeping the
good recordings' results unchanged) with on_error="skip".
"""

import os
import warnings

import numpy as np
import pytest
import soundfile as sf

from skvoice import AudioError, SkippedRecordingsWarning

SR = 16000


def _speech(seconds=1.5, sr=SR, seed=0):
    from skvoice.datasets import make_voices

    y = make_voices(1, 1, duration=seconds, sample_rate=sr, random_state=seed).waveforms[0]
    return y


def build_corpus(root):
    """Return {case: (input, expected)}; expected is "ok" or a regex the AudioError must match."""
    root.mkdir(parents=True, exist_ok=True)
    y = _speech()
    cases = {}

    def wav(name, data, sr=SR, subtype="PCM_16", fmt=None):
        path = root / name
        sf.write(path, data, sr, subtype=subtype, format=fmt)
        return str(path)

    cases["good_wav"] = (wav("good.wav", y), "ok")
    cases["stereo"] = (wav("stereo.wav", np.stack([y, 0.5 * y], axis=1)), "ok")
    cases["rate_8k"] = (wav("r8k.wav", _speech(sr=8000), sr=8000), "ok")
    cases["rate_44k"] = (wav("r44k.wav", _speech(sr=44100), sr=44100), "ok")
    cases["pcm24"] = (wav("pcm24.wav", y, subtype="PCM_24"), "ok")
    cases["float_wav"] = (wav("float.wav", y, subtype="FLOAT"), "ok")
    cases["clipping"] = (wav("clipped.wav", np.clip(8 * y, -1, 1)), "ok")
    cases["non_ascii_name"] = (wav("voix_éàü_声音.flac", y, fmt="FLAC"), "ok")
    cases["ogg"] = (wav("speech.ogg", y, subtype="VORBIS", fmt="OGG"), "ok")
    cases["waveform_array"] = (y.copy(), "ok")

    empty = root / "empty.wav"
    empty.write_bytes(b"")
    cases["zero_bytes"] = (str(empty), "empty")
    text = root / "text.wav"
    text.write_text("RIFF? no, just text pretending to be audio")
    cases["text_as_wav"] = (str(text), "cannot read audio header")
    full = root / "full.flac"
    sf.write(full, y, SR)
    data = full.read_bytes()
    trunc = root / "truncated.flac"
    trunc.write_bytes(data[: len(data) // 2])
    cases["truncated_flac"] = (str(trunc), "corrupt or truncated")
    wfull = wav("wfull.wav", y)
    wtrunc = root / "truncated.wav"
    wtrunc.write_bytes(open(wfull, "rb").read()[:5000])
    cases["truncated_wav"] = (str(wtrunc), "truncated WAV")
    cases["silence"] = (wav("silence.wav", np.zeros(SR, dtype=np.float32)), "silent")
    cases["clip_10ms"] = (wav("short.wav", y[:160]), "too short")
    cases["clip_1ms"] = (wav("shorter.wav", y[:16]), "too short")
    directory = root / "a_directory.wav"
    directory.mkdir()
    cases["directory"] = (str(directory), "directory")
    cases["missing"] = (str(root / "missing.flac"), "does not exist")
    cases["nan_array"] = (np.where(np.arange(len(y)) % 100 == 0, np.nan, y).astype(np.float32), "NaN")
    cases["inf_array"] = (np.where(np.arange(len(y)) == 5, np.inf, y).astype(np.float32), "NaN or infinite")
    cases["out_of_range"] = ((y * 1e19).astype(np.float32), "far beyond any audio scale")  # MFCCs were all NaN
    if os.geteuid() != 0:  # root reads anything: the permission case only means something for other users
        locked = wav("locked.wav", y)
        os.chmod(locked, 0)
        cases["unreadable"] = (locked, "permission")
    return cases


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build_corpus(tmp_path_factory.mktemp("bad_corpus"))


def _mfcc(**kw):
    from skvoice.features import MFCCExtractor

    return MFCCExtractor(**kw)


def _embedding(**kw):
    from skvoice.features import SpeakerEmbedding

    return SpeakerEmbedding(output="windows", **kw)


def _denoise(**kw):
    pytest.importorskip("noisereduce")
    from skvoice.features import Denoise

    return Denoise(**kw)


_TINY = {}


def _wav2vec(**kw):
    """A tiny randomly initialised wav2vec2 saved once per test session (no download)."""
    import tempfile

    from transformers import Wav2Vec2Config, Wav2Vec2Model

    from skvoice.features import Wav2VecChunker

    if "w2v" not in _TINY:
        folder = tempfile.mkdtemp(prefix="skvoice-tiny-w2v-")
        config = Wav2Vec2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
                                conv_dim=(32, 32), conv_stride=(5, 4), conv_kernel=(10, 4),
                                num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
        Wav2Vec2Model(config).save_pretrained(folder)
        _TINY["w2v"] = folder
    return Wav2VecChunker(_TINY["w2v"], output="mean", **kw)


CONSUMERS = {"MFCCExtractor": _mfcc, "SpeakerEmbedding": _embedding, "Wav2VecChunker": _wav2vec, "Denoise": _denoise}


def _run(make, items, **kw):
    est = make(**kw)
    return est, est.fit_transform(items)


# the tiny test encoder's receptive field is 25 samples (1.6 ms), so a 10 ms clip is long enough for it: it is
# zero-padded to one chunk (last_chunk="pad"); a real wav2vec2-base needs 400 samples (25 ms) and refuses it
OVERRIDES = {"Wav2VecChunker": {"clip_10ms": "ok"}}


def _expected(consumer, corpus):
    return {case: OVERRIDES.get(consumer, {}).get(case, exp) for case, (_, exp) in corpus.items()}


@pytest.mark.parametrize("consumer", sorted(CONSUMERS))
def test_each_case_raise_mode(corpus, consumer):
    make = CONSUMERS[consumer]
    expectations = _expected(consumer, corpus)
    for case, (item, _) in corpus.items():
        expected = expectations[case]
        if expected == "ok":
            _, out = _run(make, [item])
            assert len(out) == 1 and len(out[0]) > 0 and np.isfinite(out[0]).all(), case
        else:
            with pytest.raises(AudioError, match=expected) as info:
                _run(make, [item])
            if isinstance(item, str):
                assert item in str(info.value), case


@pytest.mark.parametrize("consumer", sorted(CONSUMERS))
def test_batch_with_bad_files_keeps_good_results(corpus, consumer):
    make = CONSUMERS[consumer]
    items = [item for item, _ in corpus.values()]
    bad = [i for i, exp in enumerate(_expected(consumer, corpus).values()) if exp != "ok"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # skip mode reports through failures_, silently
        est, out = _run(make, items, on_error="skip")
    assert len(out) == len(items)
    assert [f["index"] for f in est.failures_] == bad
    assert all(len(out[i]) == 0 for i in bad)
    good = _run(make, [corpus["good_wav"][0]])[1][0]
    assert np.allclose(out[0], good, atol=1e-5)  # a good file's result does not depend on its bad neighbours
    with pytest.warns(SkippedRecordingsWarning, match=f"{len(bad)} of {len(items)} recording"):
        _run(make, items, on_error="warn")


def test_resampled_files_have_the_right_number_of_frames(corpus):
    from skvoice.features import MFCCExtractor

    out = MFCCExtractor().fit_transform([corpus[c][0] for c in ("good_wav", "rate_8k", "rate_44k")])
    assert [len(x) for x in out] == [151, 151, 151]  # 1.5 s at a 10 ms hop, whatever the file's rate


def test_stereo_is_downmixed_not_rejected(corpus):
    from skvoice.features import MFCCExtractor

    mono, stereo = MFCCExtractor().fit_transform([corpus["good_wav"][0], corpus["stereo"][0]])
    assert mono.shape == stereo.shape and not np.allclose(mono, stereo)


def test_pipelines_fit_on_a_folder_with_skipped_files(corpus):
    """on_error="skip" keeps a bad training file as a 0-frame slot: the frame steps after it fit without it
    (they used to refuse the whole fit: "recording 3 has 0 frame(s)")."""
    from sklearn.base import clone
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from skvoice.classifiers import FrameVoteClassifier, GMMSpeakerClassifier
    from skvoice.features import CMVN, MFCCExtractor, OutlierFilter, StatsPooling

    good = [_speech(seed=s) for s in range(6)]
    items = good[:3] + [corpus["zero_bytes"][0]] + good[3:]
    y = np.array(["a", "b", "a", "b", "a", "b", "a"])
    keep = np.arange(7) != 3
    frames = MFCCExtractor(on_error="skip").fit_transform(items)
    assert len(frames[3]) == 0
    for model in (make_pipeline(CMVN(), FrameVoteClassifier(LogisticRegression(max_iter=500))),
                  make_pipeline(OutlierFilter(), GMMSpeakerClassifier(n_components=2, random_state=0))):
        fitted = clone(model).fit(frames, y)
        without = clone(model).fit(frames[keep], y[keep])  # the same as leaving the skipped file out
        np.testing.assert_allclose(fitted.predict_proba(frames[keep]), without.predict_proba(frames[keep]),
                                   atol=1e-6)
    pooled = make_pipeline(StatsPooling(), SimpleImputer(), LogisticRegression(max_iter=500)).fit(frames, y)
    assert pooled.predict(frames[keep]).shape == (6,)  # its row of NaN is imputed
    with pytest.raises(ValueError, match="none of the 2 recordings has any frames"):
        CMVN().fit(frames[[3, 3]])
