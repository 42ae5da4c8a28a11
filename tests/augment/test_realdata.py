"""The degradations on real LibriSpeech speech (skipped when SKVOICE_LIBRISPEECH is unset)."""

import numpy as np
import pytest
from scipy.signal import welch

from skvoice import load_audio
from skvoice.augment import active_mask, make_condition, measure_snr
from skvoice.datasets import load_librispeech

pytestmark = pytest.mark.realdata
SR = 16000


@pytest.fixture(scope="module")
def real(librispeech_root):
    train = load_librispeech(librispeech_root, "train-clean-100")
    other = load_librispeech(librispeech_root, "test-other")
    return list(train.filenames[:4]), list(other.filenames[:8])


@pytest.mark.parametrize("name", ["white_0dB", "pink_5dB", "brown_10dB", "babble_5dB", "babble_20dB"])
def test_snr_on_real_speech(real, name):
    paths, talkers = real
    clean = [load_audio(p)[0] for p in paths]
    noisy = make_condition(name, sources=talkers, random_state=0).fit_transform(paths)
    target = float(name.split("_")[1][:-2])
    for c, z in zip(clean, noisy):
        assert abs(measure_snr(c, z, SR) - target) < 0.5
        assert 0.5 < active_mask(c, SR).mean() <= 1.0


def test_telephone_and_mp3_on_real_speech(real):
    paths, _ = real
    clean = [load_audio(p)[0] for p in paths]
    for z in make_condition("telephone").fit_transform(paths):
        f, pxx = welch(z.astype(np.float64), fs=SR, nperseg=1024)
        assert 10 * np.log10(pxx[f >= 3600].sum() / pxx.sum()) < -50
    for c, z in zip(clean, make_condition("mp3_32k").fit_transform(paths)):
        assert z.shape == c.shape and np.corrcoef(c, z)[0, 1] > 0.97
