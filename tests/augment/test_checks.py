"""scikit-learn's estimator checks for the degradation transformers and AugmentedTrainer."""

from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from skvoice.augment import (
    AddNoise,
    AugmentedTrainer,
    BandLimit,
    Clip,
    Codec,
    Degrade,
    Gain,
    PadSilence,
    RandomChoice,
    Reverb,
    SetLevel,
    Telephone,
)

_AUDIO_IN = "input is audio (paths or waveforms of any length): there is no input feature dimension"
_RAGGED_OUT = ("for a list of rows the output is a recording set (object array of waveforms), which the check's "
               "assert_allclose cannot compare; 2-D array input gives a 2-D array and passes the same comparison")
_SILENT_ROWS = ("the check casts its data to integers, which makes some rows all zeros (digital silence): an SNR "
                "relative to silence is undefined and AddNoise raises AudioError on it by design")

DEGRADATION_FAILURES = {
    "check_n_features_in": _AUDIO_IN,
    "check_n_features_in_after_fitting": _AUDIO_IN,
    "check_transformer_data_not_an_array": _RAGGED_OUT,
}

ESTIMATORS = [
    AddNoise("white", snr_db=20, random_state=0),
    AddNoise("pink", snr_db=(10, 30), reference="whole", random_state=0),
    Telephone(),
    Telephone(law="a"),
    BandLimit(random_state=0),
    BandLimit(low=None, high=(3000, 4000), order=4, random_state=0),
    Codec("mp3", bitrate=32),
    Codec("opus", bitrate=(12, 24), random_state=0),
    Reverb(0.3, method="statistical", random_state=0),
    Gain(gain_db=(-6, 6), random_state=0),
    SetLevel(-30, reference="rms"),
    Clip(0.1),
    PadSilence(0.001, 0.002),
    Degrade(["white_20dB", "gain_-6dB"], random_state=0),
    RandomChoice([None, "gain_-6dB", Clip(0.05)], random_state=0),
    AugmentedTrainer(LogisticRegression(), Gain(gain_db=(-6, 6)), random_state=0),
    AugmentedTrainer(LogisticRegression(), Degrade([Gain(gain_db=(-3, 3)), Clip(0.01)]), n_copies=2,
                     keep_clean=False, random_state=0),
    AugmentedTrainer(LogisticRegression(), AddNoise("white", snr_db=30, reference="whole"), random_state=0),
]


def _has_noise(est):
    if isinstance(est, AddNoise):
        return True
    if isinstance(est, Degrade):
        return any(isinstance(s, str) and s.split("_")[0] in ("white", "pink", "brown") or isinstance(s, AddNoise)
                   for s in est.steps)
    if isinstance(est, AugmentedTrainer):
        return _has_noise(est.augmenter)
    return False


_FLOAT32_COPIES = ("with keep_clean=False the training rows are only degraded copies, float32 as every degradation "
                   "returns: LogisticRegression fits float32 data to float32 precision, and the weighted and the "
                   "repeated fits differ by ~1e-5 (the same rows cast to float64 agree to 1e-12)")


def _expected_failures(est):
    failures = {} if isinstance(est, AugmentedTrainer) else dict(DEGRADATION_FAILURES)
    if _has_noise(est):
        failures["check_estimators_dtypes"] = _SILENT_ROWS
    if isinstance(est, AugmentedTrainer) and not est.keep_clean:
        failures["check_sample_weight_equivalence_on_dense_data"] = _FLOAT32_COPIES
    return failures


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)
