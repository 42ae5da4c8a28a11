"""VoiceActivityDetector and speech_mask: detectors, post-processing, fallback, pipelines, estimator checks."""

import warnings

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skvoice import AudioError, SkippedRecordingsWarning
from skvoice.features import MFCCExtractor, VoiceActivityDetector, apply_speech_mask, speech_mask

SR = 16000


def _speech_like(seconds, seed=0):
    """Amplitude-modulated harmonic buzz: voiced-speech-like energy and periodicity."""
    rng = np.random.RandomState(seed)
    t = np.arange(int(seconds * SR)) / SR
    f0 = 120 + 20 * np.sin(2 * np.pi * 0.5 * t)
    phase = 2 * np.pi * np.cumsum(f0) / SR
    buzz = sum(np.sin(k * phase) / k for k in range(1, 15))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t) ** 2
    return (0.2 * buzz * envelope + 0.002 * rng.randn(len(t))).astype(np.float32)


@pytest.fixture(scope="module")
def padded():
    """2 s of silence, 1.5 s of speech-like sound, 2 s of silence."""
    s = _speech_like(1.5)
    z = np.zeros(2 * SR, dtype=np.float32)
    return np.concatenate([z, s, z]), s


@pytest.mark.parametrize("method", ["energy", "webrtc"])
def test_detectors_find_the_speech_and_drop_the_padding(padded, method):
    y, s = padded
    mask = speech_mask(y, SR, method)
    assert mask.shape == (1 + len(y) // 160,)
    assert mask[:180].mean() < 0.05 and mask[-180:].mean() < 0.05  # silence
    assert mask[220:330].mean() > 0.8  # inside the speech
    out = VoiceActivityDetector(method=method, padding=0.0, min_pause=0.0).fit_transform([y])[0]
    assert abs(len(out) - len(s)) < 0.35 * SR


def test_silero_on_real_speech(librispeech_root):
    """Silero finds speech in a real utterance and rejects the added silence (real-data check)."""
    pytest.importorskip("silero_vad")
    from skvoice.datasets import load_librispeech

    data = load_librispeech(librispeech_root, "test-other")
    from skvoice._audio import load_audio

    y, _ = load_audio(data.filenames[0])
    z = np.zeros(3 * SR, dtype=np.float32)
    padded = np.concatenate([z, y, z])
    mask = speech_mask(padded, SR, "silero")
    assert mask[:280].mean() < 0.02 and mask[-280:].mean() < 0.02
    assert mask[300:-300].mean() > 0.5
    out = VoiceActivityDetector(method="silero", output="trim").fit_transform([padded])[0]
    assert len(y) - 2 * SR < len(out) <= len(y) + 0.3 * SR


def test_trim_keeps_inner_pauses_speech_drops_them():
    s = _speech_like(0.8)
    gap = np.zeros(SR, dtype=np.float32)
    y = np.concatenate([gap, s, gap, s, gap])
    trim = VoiceActivityDetector(method="energy", output="trim", padding=0.0).fit_transform([y])[0]
    speech = VoiceActivityDetector(method="energy", output="speech", padding=0.0).fit_transform([y])[0]
    assert 2.6 * SR < len(trim) < 2.9 * SR  # s + gap + s
    assert 1.4 * SR < len(speech) < 1.8 * SR  # s + s
    # short pauses are bridged
    short = np.concatenate([gap, s, np.zeros(int(0.2 * SR), np.float32), s, gap])
    kept = VoiceActivityDetector(method="energy", padding=0.0, min_pause=0.3).fit_transform([short])[0]
    assert kept.shape[0] > 1.75 * SR


def test_frames_map_to_samples_by_time_at_any_rate():
    """Frame i covers samples round(i * 0.01 * sr) to round((i + 1) * 0.01 * sr): no drift where 10 ms is 220.5 samples.

    With the hop rounded to 220 samples, frame 30000 (300 s) used to land 15000 samples (0.68 s) early at 22.05 kHz.
    """
    sr = 22050
    y = np.arange(301 * sr, dtype=np.float32)  # each sample holds its own index
    mask = np.zeros(30101, dtype=bool)
    mask[30000:30100] = True  # 1 s of speech at 300 s
    kw = {"padding": 0.0, "min_pause": 0.0}
    speech, found = apply_speech_mask(y, sr, mask, output="speech", **kw)
    assert found
    np.testing.assert_array_equal(speech, y[6615000:6637050])  # round(30000 * 220.5), round(30100 * 220.5)
    trim, _ = apply_speech_mask(y, sr, mask, output="trim", **kw)
    np.testing.assert_array_equal(trim, y[6615000 - 110:6637050 + 110])  # plus half a hop of slack on either side
    # integer hops keep frame i at sample i * hop
    speech16, _ = apply_speech_mask(y[:301 * SR], SR, mask, output="speech", **kw)
    np.testing.assert_array_equal(speech16, y[30000 * 160:30100 * 160])
    # the detectors' decisions sit on that exact grid too: one frame per 10 ms of the recording, not per 220 samples
    assert speech_mask(np.ones(int(100.5 * sr), np.float32), sr, "energy").shape == (1 + 10050,)


def _assert_late_burst_kept(burst16, method, sr):
    """Put ``burst16`` (16 kHz) 140 s into a 145-s recording at ``sr``: both output modes must keep it all.

    The detectors decide on an exact 10 ms grid; mapping their frames back to samples with a hop rounded to whole
    samples (220 for 220.5 at 22.05 kHz) shifted the cut by 0.23 % of the elapsed time (0.32 s at 140 s, beyond the
    0.1 s padding), so a good part of the speech was lost and silence kept instead.
    """
    import soxr

    burst = soxr.resample(burst16, SR, sr).astype(np.float32)
    y = np.zeros(145 * sr, dtype=np.float32)
    y[140 * sr:140 * sr + len(burst)] = burst
    for output in ("trim", "speech"):
        out = VoiceActivityDetector(method=method, output=output, sample_rate=sr).fit_transform([y])[0]
        kept = np.sum(out.astype(np.float64) ** 2) / np.sum(burst.astype(np.float64) ** 2)
        assert kept > 0.99, (output, kept)
        assert len(out) < len(burst) + 0.5 * sr  # the burst and its padding, not a stretch of silence


@pytest.mark.parametrize("sr", [22050, 11025])
def test_webrtc_keeps_speech_late_in_a_long_recording_at_fractional_hop_rates(sr):
    """At 22.05 and 11.025 kHz 10 ms is 220.5 and 110.25 samples: speech at 140 s is still cut where it is."""
    _assert_late_burst_kept(_speech_like(1.0), "webrtc", sr)


def test_silero_keeps_speech_late_in_a_long_recording_at_fractional_hop_rates(librispeech_root):
    """The same with Silero, on a real utterance (Silero does not take the synthetic buzz for speech throughout)."""
    pytest.importorskip("silero_vad")
    from skvoice._audio import load_audio
    from skvoice.datasets import load_librispeech

    y, _ = load_audio(load_librispeech(librispeech_root, "test-other").filenames[0])
    _assert_late_burst_kept(y, "silero", 22050)


def test_no_speech_falls_back_to_the_whole_recording():
    noise = (1e-3 * np.random.RandomState(1).randn(SR)).astype(np.float32)
    tone = _speech_like(1.0)
    vad = VoiceActivityDetector(method="energy", min_speech=0.25)
    out = vad.fit_transform([tone, np.concatenate([tone[:1600], np.zeros(SR, np.float32)]), noise])
    assert vad.no_speech_ == [1]  # 0.1 s of sound is less than min_speech
    assert len(out[0]) == SR and len(out[1]) == SR + 1600
    # the energy detector has no notion of speech: pause-free stationary noise passes as "speech"
    assert len(out[2]) == SR
    assert vad.failures_ == []
    y, found = apply_speech_mask(noise, SR, np.zeros(101, dtype=bool))
    assert not found and y is noise


def test_silero_rejects_noise_without_speech():
    pytest.importorskip("silero_vad")
    noise = (0.05 * np.random.RandomState(1).randn(2 * SR)).astype(np.float32)
    vad = VoiceActivityDetector(method="silero")
    out = vad.fit_transform([noise])
    assert vad.no_speech_ == [0]
    np.testing.assert_array_equal(out[0], noise)


@pytest.fixture(scope="module")
def sample_speech():
    """Five real utterances of the bundled LibriSpeech sample (five readers)."""
    from skvoice._audio import load_audio
    from skvoice.datasets import load_sample

    files = load_sample(subset="test-other").filenames
    return [load_audio(f, SR)[0] for f in files[::12][:5]]


def test_silero_finds_quiet_speech_as_it_finds_loud_speech(sample_speech):
    """Silero's probabilities fall with the level; by default it detects on the recording scaled to -25 dBFS."""
    pytest.importorskip("silero_vad")
    for y in sample_speech:
        reference = speech_mask(y, SR, "silero")
        assert reference.mean() > 0.4
        for gain_db in (-60, -40, 20):
            quiet = y * np.float32(10 ** (gain_db / 20))
            assert np.mean(speech_mask(quiet, SR, "silero") == reference) > 0.98
        # as recorded, 60 dB down it finds (almost) nothing: that is what "keep" and skvoice <= 0.2.6 do
        assert speech_mask(y * np.float32(1e-3), SR, "silero", level="keep").mean() < 0.5 * reference.mean()
    vad = VoiceActivityDetector(method="silero")
    out = vad.fit_transform([y * np.float32(1e-3) for y in sample_speech])
    assert vad.no_speech_ == []
    assert all(len(o) < len(y) for o, y in zip(out, sample_speech))
    assert np.max(np.abs(out[0])) < 1e-3  # the detector sees a scaled copy; the output keeps the level


def test_silero_normalised_still_rejects_noise_at_any_level():
    pytest.importorskip("silero_vad")
    from skvoice.augment import colored_noise

    for kind in ("white", "pink", "brown"):
        noise = colored_noise(3 * SR, kind, random_state=0).astype(np.float32)
        for dbfs in (-75, -40, -20):
            assert speech_mask(noise * np.float32(10 ** (dbfs / 20)), SR, "silero").mean() < 0.02


def test_level_option_of_the_other_detectors(sample_speech):
    y = sample_speech[0]
    quiet = y * np.float32(1e-2)
    # energy is relative to the recording's own floor: the gain changes nothing
    for level in ("keep", "normalize"):
        np.testing.assert_array_equal(speech_mask(quiet, SR, "energy", level=level),
                                      speech_mask(y, SR, "energy", level=level))
    with pytest.raises(ValueError, match="level"):
        speech_mask(y, SR, "energy", level="loud")
    with pytest.raises(ValueError, match="level"):
        VoiceActivityDetector(level="loud").fit()
    # WebRTC keeps the level by default (it is closer to a level gate); normalised, it finds the quiet speech.
    # The detector binds webrtcvad's C extension (its Python wrapper imports the removed pkg_resources)
    pytest.importorskip("_webrtcvad")
    assert speech_mask(quiet * np.float32(1e-2), SR, "webrtc").mean() < 0.05
    assert speech_mask(quiet * np.float32(1e-2), SR, "webrtc", level="normalize").mean() > 0.4


def test_models_saved_before_the_level_option_keep_the_level():
    state = VoiceActivityDetector(method="silero").__getstate__()
    del state["level"]  # as pickled by skvoice 0.2.6
    old = VoiceActivityDetector.__new__(VoiceActivityDetector)
    old.__setstate__(state)
    assert old.level == "keep"
    assert old.get_params()["level"] == "keep"


def test_silero_is_thread_safe():
    """Threads (joblib's threading backend, dask's threaded workers) get the probabilities a single thread gets."""
    pytest.importorskip("silero_vad")
    from concurrent.futures import ThreadPoolExecutor

    from skvoice.features._vad import silero_probabilities

    waves = [_speech_like(3.0, seed=k) * (0.5 + 0.25 * k) for k in range(8)]
    alone = [silero_probabilities(w) for w in waves]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(silero_probabilities, waves * 3))
    for k, probs in enumerate(threaded):
        np.testing.assert_array_equal(probs, alone[k % len(waves)])
    from joblib import parallel_config

    sequential = VoiceActivityDetector(output="trim").fit_transform(waves)
    with parallel_config(backend="threading"):
        parallel = VoiceActivityDetector(output="trim", n_jobs=2).fit_transform(waves)
    for a, b in zip(sequential, parallel):
        np.testing.assert_array_equal(a, b)


def test_bad_inputs_follow_on_error(tmp_path):
    tone = _speech_like(1.0)
    bad = [tone, np.zeros(SR, np.float32), str(tmp_path / "missing.wav"), tone]
    with pytest.raises(AudioError, match="silent"):
        VoiceActivityDetector(method="energy").fit_transform(bad)
    vad = VoiceActivityDetector(method="energy", on_error="warn")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = vad.fit_transform(bad)
    warned = [w for w in caught if issubclass(w.category, SkippedRecordingsWarning)]
    assert len(warned) == 1 and [f["index"] for f in warned[0].message.failures] == [1, 2]
    assert [f["index"] for f in vad.failures_] == [1, 2]
    assert len(out) == 4 and len(out[1]) == len(out[2]) == 0
    np.testing.assert_array_equal(out[0], out[3])
    vad.fit([tone])  # a refit keeps nothing of earlier calls (the audio base's fit check resets the diagnostics)
    assert vad.failures_ == []
    with pytest.raises(AttributeError, match="no audio yet"):
        vad.no_speech_  # noqa: B018


def test_transform_changes_no_state():
    import joblib

    vad = VoiceActivityDetector(method="energy").fit()
    before = joblib.hash(vad)
    vad.transform([_speech_like(0.5)])
    assert joblib.hash(vad) == before


def test_in_a_pipeline_silence_padding_no_longer_changes_mfcc_statistics():
    s = _speech_like(1.0)
    z = np.zeros(3 * SR, dtype=np.float32)
    vad = VoiceActivityDetector(method="energy", padding=0.0)
    plain = MFCCExtractor().fit_transform(vad.fit_transform([s]))[0]
    pad = MFCCExtractor().fit_transform(vad.fit_transform(
        [np.concatenate([z, s, z])]))[0]
    assert abs(len(pad) - len(plain)) <= 25
    np.testing.assert_allclose(pad.mean(axis=0), plain.mean(axis=0), atol=8.0)  # c0 moves a little at the edges
    raw = MFCCExtractor().fit_transform([np.concatenate([z, s, z])])[0]
    assert np.abs(raw.mean(axis=0) - plain.mean(axis=0)).max() > 5 * np.abs(pad.mean(axis=0)
                                                                             - plain.mean(axis=0)).max()


def test_parameter_validation():
    with pytest.raises(ValueError, match="method"):
        VoiceActivityDetector(method="nope").fit()
    with pytest.raises(ValueError, match="aggressiveness"):
        speech_mask(_speech_like(0.2), SR, "webrtc", threshold=7)


_RAGGED = ("output is a ragged recording set of waveforms (1-D object array); the check compares outputs as "
           "2-D numeric arrays")
_TOO_SHORT = ("the check feeds rows of 2-20 numbers as waveforms; audio shorter than one 25 ms analysis window is "
              "rejected with AudioError by design")
VAD_EXPECTED_FAILURES = {name: _TOO_SHORT for name in [
    "check_fit_score_takes_y", "check_dtype_object", "check_f_contiguous_array_estimator",
    "check_transformers_unfitted_stateless", "check_dict_unchanged"]}
VAD_EXPECTED_FAILURES.update({name: _RAGGED for name in [
    "check_pipeline_consistency", "check_estimators_pickle", "check_transformer_data_not_an_array",
    "check_transformer_general", "check_transformer_preserve_dtypes", "check_methods_sample_order_invariance",
    "check_methods_subset_invariance", "check_fit_idempotent"]})
VAD_EXPECTED_FAILURES.update({
    "check_estimators_dtypes": "the check feeds an all-zero row: digital silence is rejected with AudioError",
    "check_n_features_in": "input is audio (waveforms of any length): there is no input feature dimension",
    "check_n_features_in_after_fitting": "input is audio (waveforms of any length): there is no input feature "
                                         "dimension",
})


@parametrize_with_checks([VoiceActivityDetector(method="energy")],
                         expected_failed_checks=lambda est: VAD_EXPECTED_FAILURES)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_energy_threshold_is_db_above_the_floor_at_most_half_way_to_the_speech_level():
    # pauses at -60 dBFS, a murmur 15 dB above them, speech 40 dB above them (then 25 dB above them)
    sr = 16000
    rng = np.random.RandomState(0)

    def noise(db):
        return rng.standard_normal(sr) * 10 ** (db / 20)

    for speech_db, threshold, murmur_kept in [(-20, 20.0, False), (-20, 10.0, True), (-35, 20.0, True)]:
        y = np.concatenate([noise(-60), noise(-45), noise(speech_db)]).astype(np.float32)
        mask = speech_mask(y, sr, "energy", threshold=threshold)
        murmur = mask[110:190].mean()  # frames well inside the murmur second
        assert mask[210:290].all() and not mask[10:90].any()
        assert murmur == (1.0 if murmur_kept else 0.0), (speech_db, threshold, murmur)


def test_loud_non_speech_elsewhere_in_the_file_does_not_hide_the_speech(sample_speech):
    """The detector's copy is levelled per 10 s block and high-passed: loud music before the speech, or sub-bass
    rumble under it, no longer sets the level the speech is heard at (one level for the whole file hid both)."""
    pytest.importorskip("silero_vad")
    from skvoice.features._embedding import normalize_level

    y = sample_speech[1]
    reference = speech_mask(y, SR, "silero").mean()
    rms = np.sqrt(np.mean(y ** 2))
    t = np.arange(30 * SR) / SR
    chord = sum(np.sin(2 * np.pi * f * t) for f in (262.0, 330.0, 392.0))
    intro = (chord / np.sqrt(np.mean(chord ** 2)) * rms * 10 ** (40 / 20)).astype(np.float32)  # 40 dB louder
    with_intro = np.concatenate([intro, y])
    t = np.arange(len(y)) / SR
    rumble = (np.sin(2 * np.pi * 25.0 * t) * rms * np.sqrt(2) * 10 ** (45 / 20)).astype(np.float32)
    for mixed, speech_part in ((with_intro, slice(len(intro) // 160 + 1, None)), (y + rumble, slice(None))):
        whole_file = speech_mask(normalize_level(mixed), SR, "silero", level="keep")[speech_part].mean()
        assert whole_file < 0.5 * reference  # what one level for the whole file did
        assert speech_mask(mixed, SR, "silero")[speech_part].mean() > 0.8 * reference
