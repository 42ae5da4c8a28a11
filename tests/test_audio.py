import os

import numpy as np
import pytest
import soundfile as sf

from skvoice import AudioError, load_audio
from skvoice._audio import audio_info, check_waveform


def _tone(sr, seconds=0.5, channels=1):
    t = np.arange(int(sr * seconds)) / sr
    y = 0.3 * np.sin(2 * np.pi * 220 * t).astype(np.float32)
    return np.stack([y] * channels, axis=1) if channels > 1 else y


@pytest.mark.parametrize("fmt,subtype", [("WAV", "PCM_16"), ("WAV", "PCM_24"), ("WAV", "FLOAT"), ("FLAC", "PCM_16"),
                                         ("OGG", "VORBIS")])
def test_formats_decode_to_float32_mono(tmp_path, fmt, subtype):
    path = tmp_path / f"a.{fmt.lower()}"
    sf.write(path, _tone(16000), 16000, format=fmt, subtype=subtype)
    y, sr = load_audio(path)
    assert sr == 16000 and y.dtype == np.float32 and y.ndim == 1
    assert abs(len(y) - 8000) <= 1 and np.isclose(np.abs(y).max(), 0.3, atol=0.05)


@pytest.mark.parametrize("rate", [8000, 22050, 44100])
def test_resampled_to_target_rate(tmp_path, rate):
    path = tmp_path / "a.wav"
    sf.write(path, _tone(rate, 1.0), rate)
    y, sr = load_audio(path, sample_rate=16000)
    assert sr == 16000 and abs(len(y) - 16000) <= 2
    spectrum = np.abs(np.fft.rfft(y))
    assert abs(np.argmax(spectrum) * 16000 / len(y) - 220) < 3  # the tone survives resampling


def test_native_rate_kept_with_none(tmp_path):
    sf.write(tmp_path / "a.wav", _tone(8000), 8000)
    assert load_audio(tmp_path / "a.wav", sample_rate=None)[1] == 8000


def test_stereo_downmixed(tmp_path):
    stereo = np.stack([np.full(1600, 0.5), np.full(1600, -0.1)], axis=1).astype(np.float32)
    sf.write(tmp_path / "s.wav", stereo, 16000, subtype="FLOAT")
    y, _ = load_audio(tmp_path / "s.wav")
    assert np.allclose(y, 0.2, atol=1e-6)
    y2, _ = load_audio(tmp_path / "s.wav", mono=False)
    assert y2.shape == (1600, 2)


def test_stereo_in_opposite_phase_keeps_its_speech(tmp_path):
    # right = -left (a balanced line wired the wrong way round): the mean is silence ("audio is silent" before)
    y = _tone(16000)
    sf.write(tmp_path / "s.wav", np.stack([y, -y], axis=1), 16000, subtype="FLOAT")
    np.testing.assert_allclose(load_audio(tmp_path / "s.wav")[0], y, atol=1e-7)
    sf.write(tmp_path / "q.wav", np.stack([y, -0.5 * y], axis=1), 16000, subtype="FLOAT")  # quieter: turned too
    np.testing.assert_allclose(load_audio(tmp_path / "q.wav")[0], 0.75 * y, atol=1e-7)
    np.testing.assert_allclose(check_waveform(np.stack([y, -y])), y, atol=1e-7)  # in memory, (channels, n)
    # with a little independent noise on each channel (-50 dBFS) the mean's peak stayed above the old 40 dB bar
    # and the down-mix was that noise alone (correlation 0.003 with the speech)
    noise = 0.00316 * np.random.default_rng(0).standard_normal((2, len(y)))
    noisy = np.stack([y + noise[0], -y + noise[1]], axis=1).astype(np.float32)
    sf.write(tmp_path / "n.wav", noisy, 16000, subtype="FLOAT")
    assert abs(np.corrcoef(load_audio(tmp_path / "n.wav")[0], y)[0, 1]) > 0.99  # either channel: both carry it
    # independent channels are averaged as they are
    other = np.random.default_rng(1).standard_normal(len(y)).astype(np.float32) * 0.1
    sf.write(tmp_path / "i.wav", np.stack([y, other], axis=1), 16000, subtype="FLOAT")
    np.testing.assert_allclose(load_audio(tmp_path / "i.wav")[0], (y + other) / 2, atol=1e-7)


def test_offset_and_duration(tmp_path):
    sf.write(tmp_path / "a.wav", np.arange(16000, dtype=np.float32) / 16000, 16000, subtype="FLOAT")
    y, _ = load_audio(tmp_path / "a.wav", offset=0.5, duration=0.25)
    assert len(y) == 4000 and np.isclose(y[0], 0.5)


@pytest.mark.parametrize("make,reason", [
    (lambda p: p.write_bytes(b""), "empty"),
    (lambda p: p.write_text("this is not audio"), "cannot read audio header"),
    (lambda p: p.mkdir(), "directory"),
])
def test_bad_files_raise_audio_error_naming_file(tmp_path, make, reason):
    path = tmp_path / "bad.wav"
    make(path)
    with pytest.raises(AudioError, match=reason) as info:
        load_audio(path)
    assert str(path) in str(info.value) and isinstance(info.value, ValueError)


def test_missing_file(tmp_path):
    with pytest.raises(AudioError, match="does not exist"):
        load_audio(tmp_path / "nope.flac")


@pytest.mark.parametrize("ext,match", [("flac", "corrupt or truncated"), ("wav", "truncated WAV")])
def test_truncated_files(tmp_path, ext, match):
    path = tmp_path / f"t.{ext}"
    sf.write(path, _tone(16000, 2.0), 16000)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(AudioError, match=match) as info:
        load_audio(path)
    assert str(path) in str(info.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read files without permission")
def test_unreadable_file(tmp_path):
    path = tmp_path / "locked.wav"
    sf.write(path, _tone(16000), 16000)
    path.chmod(0)
    with pytest.raises(AudioError, match="permission"):
        load_audio(path)


def test_non_ascii_name(tmp_path):
    path = tmp_path / "voix_éàü_声音.wav"
    sf.write(path, _tone(16000), 16000)
    assert load_audio(path)[0].shape == (8000,)
    assert audio_info(path).duration == pytest.approx(0.5)


def test_name_that_is_not_utf8(tmp_path):
    # a Latin-1 name (old archives): os.listdir gives it with a surrogate, which soundfile cannot encode
    sf.write(tmp_path / "cafe.wav", _tone(16000), 16000)
    try:
        os.rename(os.fsencode(tmp_path / "cafe.wav"), os.fsencode(tmp_path) + b"/caf\xe9.wav")
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    (name,) = os.listdir(tmp_path)
    path = os.path.join(tmp_path, name)
    assert name == "caf\udce9.wav"
    assert load_audio(path)[0].shape == (8000,)
    assert audio_info(path).duration == pytest.approx(0.5)


@pytest.mark.parametrize("dtype", ["int16", "int32"])
def test_integer_pcm_waveforms_are_scaled_like_decoded_files(tmp_path, dtype):
    path = tmp_path / "tone.wav"
    sf.write(path, _tone(16000), 16000, subtype="PCM_16" if dtype == "int16" else "PCM_32")
    pcm, _ = sf.read(path, dtype=dtype)  # what scipy.io.wavfile.read or pydub give
    np.testing.assert_allclose(check_waveform(pcm), load_audio(path)[0], atol=1e-7)


@pytest.mark.parametrize("dtype,full_scale,offset", [("int8", 128, 0), ("uint8", 128, 128)])
def test_eight_bit_pcm_waveforms(dtype, full_scale, offset):
    y = _tone(16000)
    pcm = np.round(y * (full_scale - 1) + offset).astype(dtype)
    np.testing.assert_allclose(check_waveform(pcm), y, atol=1.0 / full_scale)


def test_integer_pcm_waveforms_through_an_estimator():
    from skvoice.features import MFCCExtractor

    y = 0.3 * _tone(16000)
    pcm = np.round(y * 32767).astype(np.int16)
    mfcc = MFCCExtractor()
    # equal but for the 16-bit rounding (read unscaled, the mean c0 of this tone was 571 higher)
    np.testing.assert_allclose(mfcc.transform([pcm])[0], mfcc.transform([y])[0], atol=0.5)
    np.testing.assert_allclose(mfcc.transform(np.vstack([pcm, pcm]))[1], mfcc.transform([y])[0], atol=0.5)


def test_audio_error_pickles():
    import pickle

    err = pickle.loads(pickle.dumps(AudioError("f.wav", "broken")))
    assert err.source == "f.wav" and err.reason == "broken" and str(err) == "f.wav: broken"


@pytest.mark.parametrize("bad,match", [
    (np.array([0.0, np.nan, 1.0]), "NaN"),
    (np.array([0.0, np.inf]), "NaN or infinite"),
    (np.array([0.0, 3e18]), "peaks at 3e[+]18, far beyond"),
    (np.array([]), "empty"),
    (np.zeros((3, 3, 3)), "1-D"),
    ("not audio", "neither a file path nor a numeric waveform"),
    (np.ones(100, dtype=complex), "complex"),
])
def test_check_waveform_rejects(bad, match):
    with pytest.raises(AudioError, match=match):
        check_waveform(bad)


def test_check_waveform_downmixes_channels():
    assert check_waveform(np.ones((100, 2))).shape == (100,)
    assert check_waveform(np.ones((2, 100))).shape == (100,)


def test_integer_pcm_is_scaled_whatever_its_byte_order_or_container():
    # '>i2' (AIFF/RIFX readers), array.array('h') and int16 tensors reached the models unscaled, 90 dB too loud
    import array

    from skvoice._audio import pcm_to_float

    y = (np.sin(np.arange(4000) / 7.0) * 16000).astype("<i2")
    expected = y.astype(np.float32) / 32768.0
    for obj in (y.astype(">i2"), array.array("h", y.tobytes()), (y.astype(">i4") * 65536).astype(">i4"),
                (y // 256).astype("i1")):
        out = check_waveform(obj)
        assert np.abs(out).max() < 1.0 and np.corrcoef(out, expected)[0, 1] > 0.999
    np.testing.assert_array_equal(check_waveform(y.astype(">i2")), check_waveform(y))
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(check_waveform(torch.from_numpy(y.copy())), check_waveform(y))
    assert pcm_to_float([1, 2, 3]) == [1, 2, 3]  # a list of ints is numbers, not PCM


def test_a_multichannel_array_passed_as_x_is_named_in_the_error():
    # (samples, 2) read as one recording per row: "audio is too short: 2 samples" said nothing of the cause
    from skvoice.features import MFCCExtractor, SpeakerEmbedding

    stereo = np.stack([_tone(16000)] * 2, axis=1)
    with pytest.raises(AudioError, match=r"2 samples.*one recording per row: pass a single multichannel"):
        MFCCExtractor().fit_transform(stereo)
    with pytest.raises(AudioError, match="one recording per row"):
        SpeakerEmbedding(vad=False).fit_transform(stereo[:20])
    with pytest.raises(AudioError) as info:  # a short real recording gets no such hint
        MFCCExtractor().fit_transform([np.ones(100, dtype=np.float32)])
    assert "one recording per row" not in str(info.value)


def test_unfinalised_wav_is_named(tmp_path):
    # a recorder that stopped before writing the sizes leaves RIFF and data sizes at 0 with the samples after
    # them: "contains no audio samples" hid that the audio is there
    import struct

    sf.write(tmp_path / "ok.wav", _tone(16000), 16000, subtype="PCM_16")
    raw = bytearray((tmp_path / "ok.wav").read_bytes())
    data = raw.find(b"data")
    raw[4:8] = raw[data + 4:data + 8] = struct.pack("<I", 0)
    (tmp_path / "open.wav").write_bytes(bytes(raw))
    with pytest.raises(AudioError, match="unfinalised WAV file: its header announces 0 bytes of audio but 16000"):
        load_audio(tmp_path / "open.wav")
    # an empty data chunk followed by another chunk is an empty file, as before
    empty = bytes(raw[:data]) + b"data" + struct.pack("<I", 0) + b"LIST" + struct.pack("<I", 4) + b"INFO"
    (tmp_path / "empty.wav").write_bytes(empty)
    with pytest.raises(AudioError) as info:
        load_audio(tmp_path / "empty.wav")
    assert "no audio samples" in str(info.value) and "unfinalised WAV" not in str(info.value)
