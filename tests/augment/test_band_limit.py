"""band_limit and BandLimit: pass band and stop band measured on sines, per-recording draws, validation."""

import numpy as np
import pytest
from sklearn.base import clone

from skvoice.augment import BandLimit, band_limit
from skvoice.datasets import make_voices

SR = 16000
T = np.arange(2 * SR) / SR
MIDDLE = slice(SR // 2, -SR // 2)  # away from the edges of the forward-backward filter


def _sine(freq):
    return (0.5 * np.sin(2 * np.pi * freq * T)).astype(np.float32)


def _gain_db(out, y):
    out, y = np.asarray(out, np.float64)[MIDDLE], np.asarray(y, np.float64)[MIDDLE]
    return 10.0 * np.log10(np.mean(out ** 2) / np.mean(y ** 2))


@pytest.mark.parametrize("low, high, inside, outside", [
    (300.0, 3400.0, [600, 1000, 2000, 2800], [60, 120, 4500, 6000, 7500]),
    (100.0, 5500.0, [300, 1000, 3000, 4500], [20, 7000, 7900]),
    (None, 3000.0, [50, 500, 1500, 2500], [4000, 5000, 7000]),
    (0.0, 4000.0, [20, 1000, 3300], [5500, 7000]),
])
def test_stop_band_drops_by_30_db_and_pass_band_stays_within_1_db(low, high, inside, outside):
    for freq in inside:
        y = _sine(freq)
        assert abs(_gain_db(band_limit(y, SR, low, high), y)) < 1.0, freq
    for freq in outside:
        y = _sine(freq)
        assert _gain_db(band_limit(y, SR, low, high), y) < -30.0, freq


def test_edges_are_at_minus_6_db_and_output_is_aligned():
    # forward-backward: the magnitude response is the Butterworth's squared, -3 dB becomes -6 dB
    for freq in (300.0, 3400.0):
        y = _sine(freq)
        assert abs(_gain_db(band_limit(y, SR, 300.0, 3400.0), y) + 6.02) < 0.1
    y = _sine(1000)
    out = band_limit(y, SR, 300.0, 3400.0)
    assert out.dtype == np.float32 and out.shape == y.shape
    np.testing.assert_allclose(out[MIDDLE], y[MIDDLE], atol=1e-3)  # zero phase: no delay in the pass band


@pytest.mark.parametrize("low", [0.05, 0.5, 2.0])
def test_an_edge_below_20_hz_is_a_low_pass(low):
    # sosfiltfilt cannot settle a high-pass that low within an utterance: at 0.05 Hz the output drifted and was
    # 60 % louder than the filter's own response
    x = 0.1 * np.random.default_rng(0).standard_normal(3 * SR)
    np.testing.assert_array_equal(band_limit(x, SR, low, 4000.0), band_limit(x, SR, None, 4000.0))
    assert abs(band_limit(x, SR, low, 4000.0).mean()) < 1e-3


def test_order_sets_the_steepness():
    y = _sine(4200)
    assert _gain_db(band_limit(y, SR, None, 3400.0, order=2), y) > _gain_db(band_limit(y, SR, None, 3400.0), y) + 10


def test_short_and_empty_inputs_keep_their_length():
    for n in (1, 2, 5, 20, 100):
        assert band_limit(np.ones(n), SR, 300.0, 3400.0).shape == (n,)
    assert band_limit(np.zeros(0), SR, 300.0, 3400.0).shape == (0,)


@pytest.mark.parametrize("low, high, sample_rate, match", [
    (3400.0, 300.0, SR, "low must be below high"),
    (300.0, 300.0, SR, "low must be below high"),
    (300.0, 8000.0, SR, "below the Nyquist frequency"),
    (300.0, 5000.0, 8000, "sample_rate / 2 = 4000 Hz"),
    (-10.0, 3000.0, SR, "low must be >= 0"),
    (300.0, np.inf, SR, "finite"),
])
def test_band_limit_rejects_bad_edges(low, high, sample_rate, match):
    with pytest.raises(ValueError, match=match):
        band_limit(np.ones(100), sample_rate, low, high)
    with pytest.raises(ValueError, match="order"):
        band_limit(np.ones(100), SR, 300.0, 3400.0, order=0)


# ------------------------------------------------------------------------------------------------ the transformer
@pytest.fixture(scope="module")
def waves():
    return list(make_voices(n_speakers=3, n_utterances=2, duration=1.0, random_state=0).waveforms)


def test_fixed_edges_equal_the_function(waves):
    out = BandLimit(low=200.0, high=4000.0, order=4).fit_transform(waves)
    assert out.dtype == object and len(out) == len(waves)
    for o, w in zip(out, waves):
        assert o.dtype == np.float32 and o.shape == w.shape
        np.testing.assert_array_equal(o, band_limit(w, SR, 200.0, 4000.0, order=4))


def test_ranges_draw_per_recording_reproducibly(waves):
    same = [waves[0]] * 4  # one recording four times: its draw depends on it and random_state only
    est = BandLimit(random_state=0)
    a = est.fit_transform(waves)
    b = clone(est).fit_transform(waves)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    rev = est.transform(waves[::-1])[::-1]
    for x, y in zip(a, rev):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(est.transform(waves[2:3])[0], a[2])
    for x in est.transform(same):
        np.testing.assert_array_equal(x, a[0])
    # another seed, another band
    assert not np.array_equal(a[0], BandLimit(random_state=1).fit_transform(waves)[0])
    outs = [BandLimit(random_state=seed).fit_transform([waves[0]])[0] for seed in range(5)]
    assert len({x.tobytes() for x in outs}) == 5


def test_drawn_edges_lie_in_the_ranges():
    """White noise through the default BandLimit: the -6 dB edges of each output lie in the ranges and vary."""
    from scipy.signal import welch

    rng = np.random.default_rng(0)
    noise = [rng.standard_normal(4 * SR).astype(np.float32) for _ in range(6)]
    out = BandLimit(random_state=0).fit_transform(noise)
    lows, highs = [], []
    for x, y in zip(out, noise):
        f, pxx = welch(x, SR, nperseg=2048)
        _, pyy = welch(y, SR, nperseg=2048)
        passed = f[10 * np.log10(pxx / pyy) > -6.0]
        lows.append(passed.min())
        highs.append(passed.max())
        assert (10 * np.log10(pxx / pyy)[(f > 800) & (f < 2500)] > -1.0).all()
    assert all(90 < lo < 510 for lo in lows) and all(2790 < hi < 5510 for hi in highs)
    assert np.ptp(lows) > 50 and np.ptp(highs) > 300  # a new band for every recording


def test_low_none_or_zero_is_a_low_pass(waves):
    a = BandLimit(low=None, high=3000.0).fit_transform(waves[:2])
    b = BandLimit(low=0, high=3000.0).fit_transform(waves[:2])
    for x, y, w in zip(a, b, waves):
        np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(x, band_limit(w, SR, None, 3000.0))
    # a range reaching down to 0 draws low-passes too
    BandLimit(low=(0, 200), high=3000.0, random_state=0).fit_transform(waves)


def test_two_d_input_gives_a_two_d_array(waves):
    X = np.vstack(waves)
    out = BandLimit(random_state=0).fit_transform(X)
    assert isinstance(out, np.ndarray) and out.shape == X.shape and out.dtype == np.float32
    ragged = BandLimit(random_state=0).fit_transform(list(X))
    for row, r in zip(out, ragged):
        np.testing.assert_array_equal(row, r)


def test_parallel_equals_sequential(waves):
    a = BandLimit(random_state=0).fit_transform(waves)
    b = BandLimit(random_state=0, n_jobs=2).fit_transform(waves)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("params, match", [
    ({"low": 3000.0, "high": 2000.0}, "low must be below high"),
    ({"low": (100.0, 3000.0), "high": (2800.0, 5000.0)}, "low must be below high for every draw"),
    ({"high": 8000.0}, "Nyquist frequency sample_rate / 2 = 8000 Hz"),
    ({"high": (3000.0, 4500.0), "sample_rate": 8000}, "sample_rate / 2 = 4000 Hz"),
    ({"low": -1.0}, "low must lie in"),
    ({"high": (5000.0, 3000.0)}, "low <= high"),
    ({"low": "100"}, "'low' parameter"),
    ({"high": None}, "'high' parameter"),
    ({"order": 0}, "'order' parameter"),
    ({"sample_rate": 100}, "'sample_rate' parameter"),
])
def test_parameter_validation(waves, params, match):
    with pytest.raises(ValueError, match=match):
        BandLimit(**params).fit(waves)
    with pytest.raises(ValueError, match=match):
        BandLimit(**params).transform(waves)
