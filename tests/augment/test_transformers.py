"""Degradation transformers over recording sets: paths and waveforms, determinism, named conditions."""

import os

import numpy as np
import pytest
import soundfile as sf
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

from skvoice.augment import (
    AddNoise,
    Clip,
    Codec,
    Degrade,
    Gain,
    PadSilence,
    RandomChoice,
    Reverb,
    SetLevel,
    Telephone,
    active_mask,
    make_condition,
    measure_snr,
    signal_level,
)
from skvoice.datasets import make_voices
from skvoice.features import MFCCExtractor

SR = 16000


@pytest.fixture(scope="module")
def waves():
    v = make_voices(n_speakers=3, n_utterances=2, duration=1.0, random_state=0)
    return list(v.waveforms)


@pytest.fixture
def wav_files(waves, tmp_path):
    paths = []
    for i, w in enumerate(waves):
        p = os.path.join(tmp_path, f"rec{i}.wav")
        sf.write(p, w, SR, subtype="FLOAT")
        paths.append(p)
    return paths


RANDOM = [
    lambda: AddNoise("pink", snr_db=(0, 20)),
    lambda: Reverb(rt60=(0.2, 0.8), method="statistical"),
    lambda: Gain(gain_db=(-10, 10)),
    lambda: PadSilence((0.0, 0.5), (0.0, 0.5), noise_floor_db=-70),
    lambda: RandomChoice([None, "white_10dB", "gain_-6dB"]),
    lambda: Degrade([Gain(gain_db=(-3, 3)), AddNoise("brown", snr_db=(5, 15))]),
]


@pytest.mark.parametrize("make", RANDOM)
def test_int_random_state_is_deterministic_and_batch_independent(make, waves):
    est = make().set_params(random_state=0)
    a = est.fit_transform(waves)
    b = clone(est).fit_transform(waves)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    # the same recording gets the same degradation whatever else is in the batch, in any order
    rev = est.transform(waves[::-1])[::-1]
    one = est.transform(waves[2:3])[0]
    for x, y in zip(a, rev):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a[2], one)
    # another seed, another degradation
    c = make().set_params(random_state=1).fit_transform(waves)
    assert any(len(x) != len(y) or not np.array_equal(x, y) for x, y in zip(a, c))


def test_random_state_instance_and_none_draw_afresh(waves):
    est = AddNoise("white", snr_db=10, random_state=np.random.RandomState(0))
    a, b = est.fit_transform(waves), est.transform(waves)
    assert not np.array_equal(a[0], b[0])
    a = AddNoise("white", snr_db=10).fit_transform(waves)
    b = AddNoise("white", snr_db=10).fit_transform(waves)
    assert not np.array_equal(a[0], b[0])


def test_parallel_equals_sequential(waves):
    est = Degrade(["reverb_0.4s_statistical", "pink_5dB", "mp3_24k"], random_state=0)
    a = est.fit_transform(waves)
    b = clone(est).set_params(n_jobs=2).fit_transform(waves)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_paths_and_waveforms(waves, wav_files):
    # deterministic degradations give the same result from files and from waveforms
    for est in (Telephone(), SetLevel(-30.0), Codec("mp3", bitrate=32)):
        from_files, from_waves = est.fit_transform(wav_files), est.fit_transform(waves)
        assert from_files.dtype == object and len(from_files) == len(waves)
        for x, y in zip(from_files, from_waves):
            np.testing.assert_allclose(x, y, atol=1e-6)
    # random ones too: a recording's draw comes from its samples, not from where it is stored, so a corpus
    # moved to another folder (or passed decoded) is degraded the same way
    moved = []
    for p in wav_files:
        os.makedirs(os.path.join(os.path.dirname(p), "moved"), exist_ok=True)
        moved.append(os.path.join(os.path.dirname(p), "moved", "renamed_" + os.path.basename(p)))
        os.link(p, moved[-1])
    for make in RANDOM:
        est = make().set_params(random_state=0)
        for x, y, z in zip(est.fit_transform(wav_files), est.transform(moved), est.transform(waves)):
            np.testing.assert_array_equal(x, y)
            np.testing.assert_array_equal(x, z)
    # files at another rate are resampled to sample_rate
    p8 = wav_files[0].replace(".wav", "_8k.wav")
    sf.write(p8, waves[0][::2], 8000)
    out = Gain(0.0).fit_transform([p8])
    assert out[0].shape == (SR,)


def test_equal_samples_draw_equally_whatever_the_sign_of_zero(waves):
    # the seed hashed the float bytes, where -0.0 (numpy arithmetic makes it, decoders and int16 never) differs
    # from 0.0: the same recording passed as float32 and as int16 got another degraded copy
    w = np.round(waves[0] * 2 ** 15) / 2 ** 15  # 16-bit samples; tiny negative ones round to -0.0
    assert np.signbit(w[w == 0]).any()
    as_int16 = np.round(w * 2 ** 15).astype(np.int16)
    for make in RANDOM:
        est = make().set_params(random_state=0)
        np.testing.assert_array_equal(est.fit_transform([w])[0], est.transform([as_int16])[0])


def test_output_types(waves):
    X2d = np.vstack(waves)
    out = AddNoise("white", 10, random_state=0).fit_transform(X2d)
    assert isinstance(out, np.ndarray) and out.shape == X2d.shape and out.dtype == np.float32
    out = AddNoise("white", 10, random_state=0).fit_transform(waves)
    assert out.dtype == object and out.shape == (len(waves),) and out[0].dtype == np.float32
    out = PadSilence((0.0, 1.0), 0.0, random_state=0).fit_transform(waves)
    assert out.dtype == object and len({len(w) for w in out}) > 1


def test_transformer_snr_and_level_are_exact(waves):
    noisy = AddNoise("babble", snr_db=5.0, sources=waves[3:], n_talkers=3, random_state=0).fit_transform(waves[:3])
    for clean, z in zip(waves[:3], noisy):
        assert abs(measure_snr(clean, z, SR) - 5.0) < 0.5
    quiet = make_condition("level_-40dB").fit_transform(waves)
    for z in quiet:
        assert abs(signal_level(z, SR) - (-40.0)) < 0.01


def test_silence_condition_lengths(waves):
    out = make_condition("silence_5s").fit_transform(waves)
    for clean, z in zip(waves, out):
        assert len(z) == len(clean) + 2 * 5 * SR
        assert not z[: 5 * SR].any() and not z[-5 * SR:].any()
        assert not active_mask(z, SR)[: 5 * SR].any()


def test_make_condition_names():
    assert isinstance(make_condition("clean"), Degrade)
    assert make_condition("telephone").law == "mu" and make_condition("telephone_alaw").law == "a"
    assert make_condition("telephone_nocodec").law is None
    noise = make_condition("pink_-5dB", random_state=3)
    assert (noise.noise, noise.snr_db, noise.random_state) == ("pink", -5.0, 3)
    assert make_condition("noise_10dB", sources=["a.wav"]).noise == "recorded"
    assert make_condition("mp3_32k").get_params()["bitrate"] == 32
    assert make_condition("opus_12k").codec == "opus"
    assert make_condition("vorbis_q0.3").quality == 0.3
    rev = make_condition("reverb_0.6s")
    assert (rev.rt60, rev.method, rev.n_rooms) == (0.6, "image", 8)
    assert make_condition("reverb_1.2s_statistical").method == "statistical"
    pad = make_condition("silence_2.5s")
    assert (pad.leading, pad.trailing) == (2.5, 2.5)
    assert make_condition("gain_-12dB").gain_db == -12.0
    assert make_condition("clip_5pct").fraction == pytest.approx(0.05)
    for bad in ("white_10", "reverb", "mp3_32", "unknown"):
        with pytest.raises(ValueError, match="unknown condition"):
            make_condition(bad)
    with pytest.raises(TypeError):
        make_condition(3)


def test_clean_condition_decodes_only(waves, wav_files):
    out = make_condition("clean").fit_transform(wav_files)
    for x, y in zip(out, waves):
        np.testing.assert_allclose(x, y, atol=1e-7)


def test_random_choice_uses_every_option_in_proportion():
    rng = np.random.default_rng(0)
    X = [rng.standard_normal(400).astype(np.float32) for _ in range(400)]
    out = RandomChoice([None, Gain(-20.0), Clip(0.5)], p=[0.5, 0.25, 0.25], random_state=0).fit_transform(X)
    same = np.array([np.array_equal(x, z) for x, z in zip(X, out)])
    quieter = np.array([np.allclose(z, 0.1 * x, rtol=1e-5, atol=1e-7) for x, z in zip(X, out)])
    clipped = np.array([np.isclose(np.mean(np.abs(z) >= np.abs(z).max()), 0.5, atol=0.01) for z in out])
    assert (same.astype(int) + quieter + clipped == 1).all()  # exactly one option per recording
    assert 0.43 < same.mean() < 0.57 and 0.18 < quieter.mean() < 0.32 and 0.18 < clipped.mean() < 0.32


def test_validation_errors(waves):
    with pytest.raises(ValueError, match="needs sources"):
        AddNoise("babble").fit(waves)
    with pytest.raises(ValueError, match="snr_db"):
        AddNoise(snr_db=(20, 5)).fit(waves)
    with pytest.raises(ValueError):
        AddNoise(noise="purple").fit(waves)
    with pytest.raises(ValueError, match="fraction must be < 1"):
        Clip(1.0).fit(waves)
    with pytest.raises(ValueError, match="probabilities"):
        RandomChoice(["white_10dB", None], p=[0.9, 0.2]).fit(waves)
    with pytest.raises(ValueError, match="sample_rate"):
        Degrade([Gain(0.0, sample_rate=8000)]).fit(waves)
    with pytest.raises(TypeError, match="condition name or a skvoice degradation"):
        Degrade([MFCCExtractor()]).fit(waves)
    with pytest.raises(TypeError, match="single path"):
        Gain(0.0).fit_transform("one.wav")


def test_bad_recordings_name_the_source(tmp_path):
    bad = os.path.join(tmp_path, "missing.wav")
    with pytest.raises(ValueError, match="missing.wav"):
        Telephone().fit_transform([bad])


def test_in_a_pipeline_with_set_output(waves):
    pipe = make_pipeline(AddNoise("white", 20, random_state=0), MFCCExtractor())
    frames = pipe.fit_transform(waves)
    assert len(frames) == len(waves) and frames[0].shape[1] == 13
    assert Telephone().set_output(transform="pandas") is not None


@pytest.mark.slow
def test_image_reverb_pool(waves):
    pytest.importorskip("pyroomacoustics")
    out = Reverb(0.4, method="image", n_rooms=2, random_state=0).fit_transform(waves)
    assert all(z.shape == w.shape for z, w in zip(out, waves))
    assert all(not np.allclose(z, w) for z, w in zip(out, waves))
