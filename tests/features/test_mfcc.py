import warnings

import librosa
import numpy as np
import pytest
import soundfile as sf

from skvoice import AudioError, SkippedRecordingsWarning
from skvoice.features import MFCCExtractor


def test_shapes_and_names(voices):
    ext = MFCCExtractor(deltas=True, pitch=True)
    X = ext.fit_transform(voices.waveforms[:3])
    assert X.dtype == object and len(X) == 3
    assert all(x.shape == (101, 41) and x.dtype == np.float32 for x in X)  # 1 s at 10 ms hop, centred
    names = ext.get_feature_names_out()
    assert len(names) == 41 and names[0] == "mfcc_0" and names[13] == "d_mfcc_0" and names[-1] == "periodicity"


def test_matches_librosa_mfcc(voices):
    y = voices.waveforms[0]
    ours = MFCCExtractor().fit_transform([y])[0]
    ref = librosa.feature.mfcc(y=y, sr=16000, n_mfcc=13, n_fft=512, win_length=400, hop_length=160, n_mels=40,
                               fmin=20.0).T
    assert np.allclose(ours, ref, atol=1e-3, rtol=1e-4)


def test_paths_equal_waveforms_and_parallel_equals_serial(tmp_path):
    from skvoice.datasets import make_voices

    v = make_voices(n_speakers=2, n_utterances=2, duration=0.5, random_state=1, out_dir=tmp_path)
    from_files = MFCCExtractor(n_jobs=2).fit_transform(v.filenames)
    from_waves = MFCCExtractor().fit_transform([sf.read(p, dtype="float32")[0] for p in v.filenames])
    assert all(np.allclose(a, b) for a, b in zip(from_files, from_waves))


def test_resamples_other_rates(tmp_path):
    t = np.arange(8000) / 8000
    sf.write(tmp_path / "a8k.wav", (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32), 8000)
    X = MFCCExtractor().fit_transform([tmp_path / "a8k.wav"])
    assert X[0].shape[0] == 101  # 1 s of 16 kHz frames


def test_pitch_tracks_known_f0():
    from skvoice.features._pitch import pitch_track

    sr = 16000
    t = np.arange(sr) / sr
    for f0 in (110.0, 220.0):
        y = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6)).astype(np.float32)
        log_f0, periodicity = pitch_track(y, sr, 160)
        assert np.median(100 * 2 ** log_f0) == pytest.approx(f0, rel=0.02)
        assert np.median(periodicity) > 0.9
    noise = np.random.RandomState(0).normal(size=sr).astype(np.float32)
    assert np.median(pitch_track(noise, sr, 160)[1]) < 0.45


@pytest.mark.parametrize("bad,match", [
    (np.zeros(16000, dtype=np.float32), "silent"),
    (np.ones(100, dtype=np.float32) * 0.1, "too short"),
    (np.full(1000, np.nan, dtype=np.float32), "NaN"),
])
def test_bad_waveforms_raise(voices, bad, match):
    with pytest.raises(AudioError, match=match):
        MFCCExtractor().fit_transform([voices.waveforms[0], bad])


def test_on_error_skip_and_warn_keep_alignment(voices, tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    items = [voices.waveforms[0], str(bad), voices.waveforms[1]]
    ext = MFCCExtractor(on_error="skip")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X = ext.fit_transform(items)
    assert [len(x) for x in X] == [101, 0, 101] and X[1].shape == (0, 13)
    assert ext.failures_ == [{"index": 1, "source": str(bad), "reason": ext.failures_[0]["reason"]}]
    with pytest.warns(SkippedRecordingsWarning, match="bad.wav"):
        X = MFCCExtractor(on_error="warn").fit_transform(items)
    assert [len(x) for x in X] == [101, 0, 101]
    with pytest.raises(AudioError, match="bad.wav"):
        MFCCExtractor().fit_transform(items)


@pytest.mark.parametrize("params,match", [
    ({"win_length": 1024}, "win_length"),
    ({"n_mfcc": 50}, "n_mfcc"),
    ({"fmax": 9000}, "fmax"),
    ({"on_error": "ignore"}, "on_error"),
    ({"n_mfcc": 0}, "n_mfcc"),
])
def test_bad_params(voices, params, match):
    with pytest.raises(ValueError, match=match):
        MFCCExtractor(**params).fit_transform(voices.waveforms[:1])


def test_input_validation():
    with pytest.raises(TypeError, match="wrap it in a list"):
        MFCCExtractor().fit_transform("file.wav")
    with pytest.raises(ValueError, match="Reshape"):
        MFCCExtractor().fit_transform(np.zeros(16000))


def test_verbose_progress_bar(voices, capsys):
    MFCCExtractor(verbose=1).fit_transform(voices.waveforms[:2])
    assert "MFCC" in capsys.readouterr().err


def test_blockwise_stft_equals_one_block(monkeypatch):
    from skvoice.features import _mfcc

    y = (0.1 * np.random.RandomState(0).randn(16000 * 25)).astype(np.float32)
    ext = MFCCExtractor(deltas=True, pitch=True)
    monkeypatch.setattr(_mfcc, "BLOCK_FRAMES", 700)  # several blocks, one partial
    blocked = ext.fit_transform([y])[0]
    monkeypatch.setattr(_mfcc, "BLOCK_FRAMES", 10**9)
    whole = ext.fit_transform([y])[0]
    assert blocked.shape == whole.shape == (2501, 41)
    assert np.allclose(blocked, whole, atol=1e-4)


@pytest.mark.slow
def test_one_hour_file_memory_is_bounded(tmp_path):
    """A 1-hour file is decoded once and analysed in blocks: peak memory stays near the size of the waveform."""
    import subprocess
    import sys
    import textwrap

    path = tmp_path / "hour.wav"
    sr, seconds = 16000, 3600
    with sf.SoundFile(path, "w", sr, 1, subtype="PCM_16") as fh:
        rng = np.random.RandomState(0)
        for _ in range(seconds // 60):
            fh.write((0.1 * rng.randn(sr * 60)).astype(np.float32))
    code = textwrap.dedent(f"""
        import resource
        from skvoice.features import MFCCExtractor
        X = MFCCExtractor(deltas=True, pitch=True).fit_transform([{str(path)!r}])
        print(X[0].shape[0], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    n_frames, peak_kib = int(out[0]), int(out[1])
    assert n_frames == seconds * 100 + 1
    # measured ~1150 MiB (the 220 MiB float32 waveform, a padded copy for pitch, features, libraries);
    # taking the STFT of the whole file at once would add ~1.1 GiB of complex spectrum on top
    assert peak_kib / 1024 < 1536, f"peak RSS {peak_kib / 1024:.0f} MiB"
