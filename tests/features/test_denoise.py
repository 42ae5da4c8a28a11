"""Denoise: SNR gains measured against the clean signal, shapes, bad inputs and on_error, pickling, estimator checks."""

import pickle
import sys
import warnings

import numpy as np
import pytest
import soundfile as sf
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from skvoice import AudioError, SkippedRecordingsWarning
from skvoice.augment import add_noise, measure_snr
from skvoice.datasets import make_voices
from skvoice.features import Denoise

pytest.importorskip("noisereduce")

SR = 16000


@pytest.fixture(scope="module")
def clean():
    """Four synthetic utterances of 2 s (two speakers, with the pauses of running speech)."""
    return list(make_voices(n_speakers=2, n_utterances=2, duration=2.0, random_state=0).waveforms)


def _noisy(clean, snr_db=5.0, noise="white"):
    return [add_noise(y, SR, snr_db=snr_db, noise=noise, reference="whole", random_state=i)
            for i, y in enumerate(clean)]


def _gains(clean, noisy, out):
    """SNR after minus SNR before, in dB, against the clean signal (whole-signal powers)."""
    return np.array([measure_snr(c, o, reference="whole") - measure_snr(c, n, reference="whole")
                     for c, n, o in zip(clean, noisy, out)])


def test_white_noise_at_5_db_snr_improves_by_more_than_3_db(clean):
    noisy = _noisy(clean)
    gains = _gains(clean, noisy, Denoise().fit_transform(noisy))
    assert (gains > 3.0).all(), gains  # about 4.3-4.6 dB on these voices
    # pink noise too, a little less
    pink = _noisy(clean, noise="pink")
    assert _gains(clean, pink, Denoise().fit_transform(pink)).mean() > 2.5


def test_hum_is_removed():
    t = np.arange(2 * SR) / SR
    hum = sum(np.sin(2 * np.pi * 50 * k * t) / k for k in range(1, 6))
    y = make_voices(n_speakers=1, n_utterances=1, duration=2.0, random_state=1).waveforms[0]
    hum = hum * np.sqrt(np.mean(y.astype(np.float64) ** 2) / np.mean(hum ** 2) / 10 ** 0.5)  # 5 dB SNR
    noisy = (y + hum).astype(np.float32)
    assert _gains([y], [noisy], Denoise().fit_transform([noisy]))[0] > 6.0


def test_noise_sample_from_the_pauses_not_the_whole_recording(clean):
    """noise_quantile=1.0 (noisereduce's default noise clip: the whole recording) gates speech and gains nothing."""
    noisy = _noisy(clean)
    whole = _gains(clean, noisy, Denoise(noise_quantile=1.0).fit_transform(noisy))
    pauses = _gains(clean, noisy, Denoise(noise_quantile=0.1).fit_transform(noisy))
    assert whole.mean() < 1.0 and (pauses > whole + 2.0).all()
    # the non-stationary gate (no noise sample) helps too, less
    assert _gains(clean, noisy, Denoise(stationary=False).fit_transform(noisy)).mean() > 1.5


def test_a_clean_signal_stays_close(clean):
    out = Denoise().fit_transform(clean)
    for y, o in zip(clean, out):
        assert np.corrcoef(y, o)[0, 1] > 0.9
        assert measure_snr(y, o, reference="whole") > 15.0  # little distortion where there is little noise


def test_shapes_and_dtypes(clean, tmp_path):
    waves = [clean[0], clean[1][:5000], clean[2][:SR], np.asarray(clean[3], dtype=np.float64)]
    out = Denoise().fit_transform(waves)
    assert isinstance(out, np.ndarray) and out.dtype == object and out.shape == (4,)
    for o, w in zip(out, waves):
        assert o.dtype == np.float32 and o.shape == w.shape and np.isfinite(o).all()
    # a 2-D array is one waveform per row; the output is a recording set all the same
    X = np.vstack([clean[0][:SR], clean[1][:SR]])
    out2 = Denoise().fit_transform(X)
    assert out2.dtype == object and [o.shape for o in out2] == [(SR,), (SR,)]
    np.testing.assert_array_equal(out2[0], Denoise().fit_transform([X[0]])[0])
    # files are decoded at sample_rate: the same result as the waveform
    path = tmp_path / "noisy.wav"
    sf.write(path, clean[0], SR, subtype="FLOAT")
    np.testing.assert_allclose(Denoise().fit_transform([str(path)])[0], out[0], atol=1e-6)
    path8 = tmp_path / "noisy8k.wav"
    sf.write(path8, clean[0][::2], SR // 2, subtype="FLOAT")
    assert Denoise().fit_transform([str(path8)])[0].shape == (len(clean[0]),)


def test_parallel_equals_sequential_and_no_state_change(clean):
    import joblib

    est = Denoise().fit()
    before = joblib.hash(est)
    a = est.transform(clean)
    assert joblib.hash(est) == before
    b = clone(est).set_params(n_jobs=2).transform(clean)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    # a recording's result does not depend on the rest of the batch
    np.testing.assert_array_equal(est.transform(clean[2:3])[0], a[2])


def test_pickle_round_trip(clean):
    est = Denoise(stationary=False, prop_decrease=0.6, n_fft=1024).fit()
    copy = pickle.loads(pickle.dumps(est))
    assert copy.get_params() == est.get_params()
    np.testing.assert_array_equal(copy.transform(clean[:1])[0], est.transform(clean[:1])[0])


@pytest.mark.parametrize("item, match", [
    (np.zeros(0, np.float32), "empty"),
    (np.full(SR, np.nan, np.float32), "NaN"),
    (np.ones(300, np.float32), "too short: 300 samples at 16000 Hz, fewer than 512"),
    (np.zeros(SR, np.float32), "silent"),
])
def test_bad_input_raises_a_clear_audio_error(item, match):
    with pytest.raises(AudioError, match=match):
        Denoise().fit_transform([item])


def test_too_short_follows_n_fft():
    y = (0.1 * np.random.default_rng(0).standard_normal(400)).astype(np.float32)
    with pytest.raises(AudioError, match="fewer than 512"):
        Denoise().fit_transform([y])
    assert Denoise(n_fft=256).fit_transform([y])[0].shape == (400,)


def test_on_error_skip_and_warn_keep_alignment(clean, tmp_path):
    noisy = _noisy(clean[:2])
    bad = [noisy[0], np.zeros(SR, np.float32), str(tmp_path / "missing.wav"), np.ones(100, np.float32), noisy[1]]
    with pytest.raises(AudioError, match="silent"):
        Denoise().fit_transform(bad)
    reference = Denoise().fit_transform(noisy)
    est = Denoise(on_error="skip")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # skip reports through failures_, silently
        out = est.fit_transform(bad)
    assert len(out) == 5 and [len(o) for o in out[1:4]] == [0, 0, 0]
    assert all(o.dtype == np.float32 for o in out)
    assert [f["index"] for f in est.failures_] == [1, 2, 3]
    np.testing.assert_array_equal(out[0], reference[0])
    np.testing.assert_array_equal(out[4], reference[1])
    est = Denoise(on_error="warn")
    with pytest.warns(SkippedRecordingsWarning, match="3 of 5 recording") as record:
        est.fit_transform(bad)
    assert [f["index"] for f in record[0].message.failures] == [1, 2, 3] == [f["index"] for f in est.failures_]


@pytest.mark.parametrize("params, name", [
    ({"prop_decrease": 1.5}, "prop_decrease"),
    ({"n_fft": 8}, "n_fft"),
    ({"noise_quantile": 0.0}, "noise_quantile"),
    ({"stationary": "yes"}, "stationary"),
    ({"on_error": "ignore"}, "on_error"),
    ({"sample_rate": 100}, "sample_rate"),
])
def test_parameter_validation(params, name):
    with pytest.raises(ValueError, match=f"'{name}' parameter"):
        Denoise(**params).fit()


def test_missing_extra_names_it(monkeypatch, clean):
    monkeypatch.setitem(sys.modules, "noisereduce", None)  # makes `import noisereduce` fail
    with pytest.raises(ImportError, match=r"pip install 'skvoice\[denoise\]'"):
        Denoise().fit_transform(clean[:1])


_TOO_SHORT = ("the check feeds rows of 2-20 numbers as waveforms; audio shorter than one STFT window (n_fft=512 "
              "samples) is rejected with AudioError by design")
_TOO_SHORT_AND_RAGGED = (_TOO_SHORT + "; beyond that, the output is a ragged recording set of waveforms (1-D object "
                         "array), which the check compares as 2-D numeric arrays")
DENOISE_EXPECTED_FAILURES = {name: _TOO_SHORT for name in [
    "check_fit_score_takes_y", "check_dtype_object", "check_f_contiguous_array_estimator",
    "check_transformers_unfitted_stateless", "check_dict_unchanged", "check_estimators_dtypes"]}
DENOISE_EXPECTED_FAILURES.update({name: _TOO_SHORT_AND_RAGGED for name in [
    "check_pipeline_consistency", "check_estimators_pickle", "check_transformer_data_not_an_array",
    "check_transformer_general", "check_transformer_preserve_dtypes", "check_methods_sample_order_invariance",
    "check_methods_subset_invariance", "check_fit_idempotent"]})
DENOISE_EXPECTED_FAILURES.update({
    "check_n_features_in": "input is audio (waveforms of any length): there is no input feature dimension",
    "check_n_features_in_after_fitting": "input is audio (waveforms of any length): there is no input feature "
                                         "dimension",
})


@parametrize_with_checks([Denoise()], expected_failed_checks=lambda est: DENOISE_EXPECTED_FAILURES)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("stationary", [True, False])
def test_prop_decrease_zero_leaves_the_recording_unchanged(clean, stationary):
    # as documented; noisereduce's smoothed all-ones mask still filtered the edges (max error 0.03 on a 0.48 peak)
    noisy = _noisy(clean)
    out = Denoise(prop_decrease=0.0, stationary=stationary).fit_transform(noisy)
    for y, o in zip(noisy, out):
        np.testing.assert_array_equal(o, y)
