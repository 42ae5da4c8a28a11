import numpy as np
import pandas as pd
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from skvoice._ragged import as_recording_set, stack_frames
from skvoice.features import CMVN, AllFramesOutlierWarning, OutlierFilter, StatsPooling, outlier_counts

rec_lengths = st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=6)


def _recs(lengths, n_features=3, seed=0):
    rng = np.random.RandomState(seed)
    return as_recording_set(rng.normal(rng.uniform(-5, 5), rng.uniform(0.5, 4), size=(n, n_features))
                            for n in lengths)


@settings(max_examples=40, deadline=None)
@given(lengths=rec_lengths)
def test_cmvn_global_properties(lengths):
    X = _recs(lengths)
    Xt = CMVN().fit_transform(X)
    assert [len(r) for r in Xt] == lengths
    frames, _ = stack_frames(Xt)
    if len(frames) > 1:
        assert np.allclose(frames.mean(0), 0, atol=1e-8)
        std = frames.std(0)
        assert np.allclose(std[std > 1e-6], 1, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(lengths=rec_lengths)
def test_cmvn_per_recording_properties(lengths):
    Xt = CMVN(mode="per_recording").fit_transform(_recs(lengths))
    for r in Xt:
        assert np.allclose(r.mean(0), 0, atol=1e-8)
        if len(r) > 1:
            assert np.allclose(r.std(0), 1, atol=1e-6)


def test_cmvn_matches_study_recipe():
    X = _recs([50, 20])
    frames, _ = stack_frames(X)
    df = pd.DataFrame(frames)
    study = (df - df.mean()) / (np.sqrt(df.var(ddof=0)) + 1e-10)  # the study's perform_cmvn (population std)
    ours, _ = stack_frames(CMVN().fit_transform(X))
    assert np.allclose(ours, study.to_numpy())


def test_cmvn_learned_on_train_only():
    train, test = _recs([40]), _recs([40], seed=1)
    cmvn = CMVN().fit(train)
    assert np.allclose(cmvn.transform(test)[0], (test[0] - cmvn.mean_) / cmvn.scale_)
    assert np.allclose(CMVN(variance=False).fit(train).transform(test)[0], test[0] - cmvn.mean_)


def test_cmvn_preserves_float32():
    X = as_recording_set([np.ones((3, 2), dtype=np.float32)])
    assert CMVN().fit_transform(X)[0].dtype == np.float32


@settings(max_examples=40, deadline=None)
@given(lengths=rec_lengths, method=st.sampled_from(["zscore", "iqr"]), action=st.sampled_from(["drop", "clip"]))
def test_outlier_filter_properties(lengths, method, action):
    X = _recs(lengths, seed=len(lengths))
    f = OutlierFilter(method=method, action=action).fit(X)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AllFramesOutlierWarning)
        Xt = f.transform(X)
    assert len(Xt) == len(X)
    for before, after in zip(X, Xt):
        assert 1 <= len(after) <= len(before)
        if action == "clip":
            assert len(after) == len(before)
            assert (after >= f.lower_ - 1e-12).all() and (after <= f.upper_ + 1e-12).all()
        else:
            kept_inliers = ((after >= f.lower_) & (after <= f.upper_)).all(axis=1)
            assert kept_inliers.all() or len(after) == 1


def test_outlier_filter_drops_wild_frames_and_warns_for_all_outlier_recording():
    rng = np.random.RandomState(0)
    X = as_recording_set([rng.normal(size=(200, 2)), rng.normal(size=(200, 2)), np.full((3, 2), 100.0)])
    f = OutlierFilter(method="iqr").fit(X[:2])
    with pytest.warns(AllFramesOutlierWarning, match="recording indices: 2"):
        Xt = f.transform(X)
    assert len(Xt[2]) == 1 and 180 < len(Xt[0]) < 200


def test_outlier_filter_bounds():
    frames = np.arange(1, 101, dtype=float).reshape(-1, 1)
    f = OutlierFilter(method="iqr").fit(frames)
    q1, q3 = np.percentile(frames, [25, 75])
    assert np.allclose(f.lower_, q1 - 1.5 * (q3 - q1)) and np.allclose(f.upper_, q3 + 1.5 * (q3 - q1))
    f = OutlierFilter(method="zscore", threshold=2.0).fit(frames)
    assert np.allclose(f.upper_, frames.mean() + 2 * frames.std(ddof=1))


def test_outlier_counts_match_study_code():
    rng = np.random.RandomState(0)
    frames = rng.standard_t(3, size=(5000, 13))
    df = pd.DataFrame(frames, columns=[f"MFCC_{i}" for i in range(13)])
    z = (df - df.mean()) / df.std()
    q1, q3 = df.quantile(0.25), df.quantile(0.75)
    iqr = q3 - q1
    iqr_flags = (df < q1 - 1.5 * iqr) | (df > q3 + 1.5 * iqr)
    table = outlier_counts(as_recording_set([frames[:2000], frames[2000:]]), ["zscore", "iqr"])
    assert table.loc["Z-score", df.columns].tolist() == (np.abs(z) > 3).sum().tolist()
    assert table.loc["IQR", df.columns].tolist() == iqr_flags.sum().tolist()
    assert table.loc["IQR", "any"] == iqr_flags.any(axis=1).sum()
    with pytest.raises(ValueError, match="method"):
        outlier_counts(frames, "mad")


@settings(max_examples=30, deadline=None)
@given(lengths=rec_lengths)
def test_pooling_matches_numpy(lengths):
    X = _recs(lengths, n_features=2)
    stats = ("mean", "std", "var", "min", "max", "median", "skew", "kurtosis", "iqr")
    out = StatsPooling(stats=stats).fit_transform(X)
    assert out.shape == (len(lengths), 2 * len(stats))
    for row, r in zip(out, X):
        ref = [r.mean(0), r.std(0), r.var(0), r.min(0), r.max(0), np.median(r, 0)]
        if len(r) > 1 and (r.std(0) > 1e-8).all():
            ref += [scipy.stats.skew(r, axis=0), scipy.stats.kurtosis(r, axis=0)]
        else:
            ref += [row[12:14], row[14:16]]
        ref.append(np.subtract(*np.percentile(r, [75, 25], axis=0)))
        assert np.allclose(row, np.concatenate(ref), atol=1e-6)


def test_pooling_empty_recording_gives_nan_row_and_names():
    X = as_recording_set([np.ones((3, 2)), np.empty((0, 2))])
    pool = StatsPooling().fit(X[:1])
    out = pool.transform(X)
    assert np.isnan(out[1]).all() and not np.isnan(out[0]).any()
    assert pool.get_feature_names_out().tolist() == ["mean_x0", "mean_x1", "std_x0", "std_x1"]
    with pytest.raises(ValueError, match="Unknown statistic"):
        StatsPooling(stats=("mean", "mode")).fit(X[:1])


def test_pipeline_feature_names_chain(voices):
    from sklearn.pipeline import make_pipeline

    from skvoice.features import MFCCExtractor

    pipe = make_pipeline(MFCCExtractor(n_mfcc=4), CMVN(), StatsPooling()).fit(voices.waveforms[:2])
    names = pipe[-1].get_feature_names_out(pipe[0].get_feature_names_out())
    assert names[:2].tolist() == ["mean_mfcc_0", "mean_mfcc_1"] and len(names) == 8
