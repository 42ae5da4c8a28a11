"""Chunk tables, chunk loading, the "later" / "random" chunk splits and verification trials."""

import warnings

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from joblib import parallel_config
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_validate

from skvoice import AudioError
from skvoice.datasets import chunk_recordings, chunk_split, load_chunks, load_librispeech, verification_trials

SR = 16000


def _waves(seconds, sr=SR, seed=0):
    rng = np.random.RandomState(seed)
    return [rng.uniform(-0.5, 0.5, int(round(s * sr))).astype(np.float32) for s in seconds]


def _no_warnings(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return func(*args, **kwargs)


# ---------------------------------------------------------------------------------------------------------------
# chunk_recordings / load_chunks


def test_chunk_table_from_waveforms():
    waves = _waves([5.0, 2.0, 6.5])
    chunks = _no_warnings(chunk_recordings, waves, labels={"speaker": ["a", "b", "a"], "gender": list("FMF")})
    assert chunks["recording"].tolist() == [0, 0, 1, 2, 2, 2]
    assert chunks["chunk"].tolist() == [0, 1, 0, 0, 1, 2]
    assert chunks["n_chunks"].tolist() == [2, 2, 1, 3, 3, 3]
    assert chunks["relative_position"].tolist() == [0.0, 1.0, 0.0, 0.0, 0.5, 1.0]
    assert chunks["start"].tolist() == [0.0, 2.0, 0.0, 0.0, 2.0, 4.0]
    assert (chunks["stop"] - chunks["start"]).tolist() == [2.0] * 6
    assert chunks["speaker"].tolist() == list("aabaaa") and chunks["gender"].tolist() == list("FFMFFF")
    assert chunks["path"].isna().all()
    assert chunks.attrs["n_recordings"] == 3 and chunks.attrs["unchunked"] == []
    X = load_chunks(chunks, waves)
    assert X.dtype == object and len(X) == 6
    for x, (r, a) in zip(X, zip(chunks["recording"], chunks["start"])):
        assert x.dtype == np.float32 and len(x) == 2 * SR
        np.testing.assert_array_equal(x, waves[r][int(a * SR):int(a * SR) + 2 * SR])
    with pytest.raises(ValueError, match="pass the same recordings"):
        load_chunks(chunks)


def test_remainder_min_seconds_and_short_recordings_warn():
    waves = _waves([5.0, 1.0, 0.4])
    with pytest.warns(UserWarning, match="2 of 3 recording.*shorter than 2 s"):
        chunks = chunk_recordings(waves)
    assert chunks["recording"].tolist() == [0, 0] and chunks.attrs["unchunked"] == [1, 2]
    with pytest.warns(UserWarning, match="1 of 3 recording.*shorter than 0.5 s"):
        chunks = chunk_recordings(waves, min_seconds=0.5)
    # 5 s -> 2 + 2 + a 1-s remainder; 1 s -> one short chunk; 0.4 s -> nothing
    assert chunks["recording"].tolist() == [0, 0, 0, 1]
    assert chunks["stop"].tolist() == [2.0, 4.0, 5.0, 1.0]
    assert [len(x) for x in load_chunks(chunks, waves)] == [32000, 32000, 16000, 16000]
    with pytest.raises(ValueError, match="min_seconds"):
        chunk_recordings(waves, min_seconds=3.0)
    with pytest.raises(ValueError, match="chunk_seconds"):
        chunk_recordings(waves, chunk_seconds=0)


def test_chunk_table_from_files_reads_headers_and_loads_on_demand(tmp_path):
    waves = _waves([4.5, 3.0], seed=1)
    paths = []
    for i, (w, sr) in enumerate(zip(waves, (SR, 8000))):
        p = tmp_path / f"r{i}.{'flac' if i == 0 else 'wav'}"
        sf.write(p, w if sr == SR else w[::2], sr)  # the second file is 8 kHz, 3 s long
        paths.append(str(p))
    frame = pd.DataFrame({"path": paths, "speaker": ["s1", "s2"], "gender": ["F", "M"], "other": [1, 2]})
    chunks = _no_warnings(chunk_recordings, frame, chunk_seconds=1.5)
    assert chunks["recording"].tolist() == [0, 0, 0, 1, 1]
    assert chunks["path"].tolist() == [paths[0]] * 3 + [paths[1]] * 2
    assert chunks["start"].tolist() == [0.0, 1.5, 3.0, 0.0, 1.5]
    assert list(chunks.columns[-2:]) == ["speaker", "gender"] and "other" not in chunks
    assert "other" in chunk_recordings(frame, labels=["other"]).columns
    X = load_chunks(chunks, sample_rate=SR)
    assert [len(x) for x in X] == [24000] * 5  # the 8 kHz file is resampled
    full0 = sf.read(paths[0], dtype="float32")[0]
    for k in range(3):
        np.testing.assert_allclose(X[k], full0[k * 24000:(k + 1) * 24000], atol=1e-4)  # FLAC is 16-bit
    # a subset decodes only the span it needs, rows in the table's order, also in parallel
    sub = chunks.iloc[[4, 1]]
    with parallel_config(backend="threading"):  # the joblib path without paying for process start-up
        Xs = load_chunks(sub, n_jobs=2)
    np.testing.assert_array_equal(Xs[1], X[1])  # native 16 kHz: the very same samples
    # resampled per decoded span: the resampler's start-up transient differs from decoding the whole file
    np.testing.assert_allclose(Xs[0][200:], X[4][200:], atol=1e-5)
    # recordings given as the table itself
    np.testing.assert_array_equal(load_chunks(sub, frame)[1], X[1])
    # a path as-is (no DataFrame), labels as a dict
    c2 = chunk_recordings(paths, chunk_seconds=1.5, labels={"speaker": ["s1", "s2"]})
    pd.testing.assert_frame_equal(c2.drop(columns="speaker"), chunks.drop(columns=["speaker", "gender"]))


def test_chunk_recordings_bad_input(tmp_path):
    with pytest.raises(TypeError, match="single path"):
        chunk_recordings("a.wav")
    with pytest.raises(ValueError, match="No recordings"):
        chunk_recordings([])
    with pytest.raises(ValueError, match="'path' column"):
        chunk_recordings(pd.DataFrame({"file": ["a.wav"]}))
    with pytest.raises(ValueError, match="speaker.*2 values but there are 1"):
        chunk_recordings(_waves([3.0]), labels={"speaker": ["a", "b"]})
    with pytest.raises(ValueError, match="clashes"):
        chunk_recordings(_waves([3.0]), labels={"start": [0]})
    with pytest.raises(TypeError, match="dict"):
        chunk_recordings(_waves([3.0]), labels=["speaker"])
    with pytest.raises(AudioError, match="does not exist"):
        chunk_recordings([str(tmp_path / "missing.wav")])
    with pytest.raises(AudioError, match="NaN"):
        chunk_recordings([np.full(40000, np.nan)])


# ---------------------------------------------------------------------------------------------------------------
# chunk_split


def _speaker_chunks(n_per_recording, seed=0):
    seconds = [2.0 * n for n in n_per_recording]
    speakers = [f"s{i // 2}" for i in range(len(seconds))]  # two recordings per speaker
    waves = _waves(seconds, sr=100, seed=seed)  # a low rate keeps the arrays tiny
    return chunk_recordings(waves, sample_rate=100, labels={"speaker": speakers}), waves


def _check_partition(chunks, train, test):
    assert len(np.intersect1d(train, test)) == 0
    np.testing.assert_array_equal(np.sort(np.r_[train, test]), np.arange(len(chunks)))
    assert (np.diff(train) > 0).all() and (np.diff(test) > 0).all()


def test_later_split_holds_out_the_end_of_each_recording():
    chunks, _ = _speaker_chunks([10, 5, 2, 7, 3, 4])
    train, test = _no_warnings(chunk_split, chunks, protocol="later")
    _check_partition(chunks, train, test)
    tr, te = chunks.iloc[train], chunks.iloc[test]
    # round(0.4 * n) test chunks, clipped to [1, n - 1]: 10 -> 4, 5 -> 2, 2 -> 1, 7 -> 3, 3 -> 1, 4 -> 2
    assert te.groupby("recording").size().tolist() == [4, 2, 1, 3, 1, 2]
    assert (te.groupby("recording")["chunk"].min() > tr.groupby("recording")["chunk"].max()).all()
    assert set(te["speaker"]) <= set(tr["speaker"])
    # deterministic, random_state irrelevant
    t2 = chunk_split(chunks, protocol="later", random_state=5)
    np.testing.assert_array_equal(t2[1], test)
    train8, test8 = chunk_split(chunks, protocol="later", train_size=0.8)
    assert chunks.iloc[test8].groupby("recording").size().tolist() == [2, 1, 1, 1, 1, 1]
    np.testing.assert_array_equal(chunk_split(chunks, protocol="later", test_size=0.2)[1], test8)


def test_single_chunk_recordings_go_to_train_and_are_counted():
    chunks, _ = _speaker_chunks([1, 4, 1, 1])
    with pytest.warns(UserWarning, match="3 recording.*single chunk.*train only"):
        train, test = chunk_split(chunks, protocol="later")
    _check_partition(chunks, train, test)
    assert chunks.iloc[test]["recording"].tolist() == [1, 1]
    # in the random protocol the unit is the speaker: s1 has 2 chunks (split), s0 has 1 + 4
    train, test = _no_warnings(chunk_split, chunks, protocol="random", random_state=0)
    assert set(chunks.iloc[test]["speaker"]) == {"s0", "s1"}


def test_random_split_is_stratified_seeded_and_disjoint():
    chunks, _ = _speaker_chunks([10, 10, 6, 4, 5, 5, 1, 1])
    train, test = _no_warnings(chunk_split, chunks, protocol="random", random_state=0)
    _check_partition(chunks, train, test)
    # per speaker round(0.2 * n) clipped to [1, n - 1]: 20 -> 4, 10 -> 2, 10 -> 2, 2 -> 1
    assert chunks.iloc[test].groupby("speaker").size().to_dict() == {"s0": 4, "s1": 2, "s2": 2, "s3": 1}
    again = chunk_split(chunks, protocol="random", random_state=0)
    np.testing.assert_array_equal(again[1], test)
    others = [chunk_split(chunks, protocol="random", random_state=s)[1] for s in range(1, 6)]
    assert any(not np.array_equal(o, test) for o in others)
    # chunks of a recording are mixed across the split (unlike "later"): somewhere a test chunk precedes a train one
    mixed = []
    for seed in range(6):
        tr, te = chunk_split(chunks, protocol="random", random_state=seed)
        first_test = chunks.iloc[te].groupby("recording")["chunk"].min()
        last_train = chunks.iloc[tr].groupby("recording")["chunk"].max().reindex(first_test.index)
        mixed.append(bool((first_test < last_train).any()))
    assert any(mixed)
    with pytest.warns(UserWarning, match="2 recording group.*single chunk"):
        _, test_r = chunk_split(chunks, protocol="random", stratify="recording", test_size=0.5, random_state=0)
    assert chunks.iloc[test_r].groupby("recording").size().tolist() == [5, 5, 3, 2, 3, 3]  # 2.5 rounds up


def test_chunk_split_bad_parameters():
    chunks, _ = _speaker_chunks([3, 3])
    with pytest.raises(ValueError, match="protocol"):
        chunk_split(chunks, protocol="kfold")
    with pytest.raises(ValueError, match="add up to 1"):
        chunk_split(chunks, train_size=0.6, test_size=0.6)
    with pytest.raises(ValueError, match="train_size"):
        chunk_split(chunks, train_size=1.5)
    with pytest.raises(ValueError, match="no 'gender' column"):
        chunk_split(chunks, protocol="random", stratify="gender")
    with pytest.raises(TypeError, match="DataFrame"):
        chunk_split(np.zeros(3))
    with pytest.raises(ValueError, match="missing 'speaker'"):
        chunk_split(chunks.assign(speaker=[None] * len(chunks)), protocol="random")


def test_chunk_split_as_cv_in_cross_validate():
    chunks, waves = _speaker_chunks([6, 6, 6, 6, 6, 6])
    X = np.vstack([np.r_[x.mean(), x.std(), int(s[1:])] for x, s in zip(load_chunks(chunks, waves, sample_rate=100),
                                                                     chunks["speaker"])])
    y = chunks["speaker"].to_numpy()
    res = cross_validate(LogisticRegression(max_iter=1000), X, y, cv=[chunk_split(chunks, protocol="later")])
    assert res["test_score"].shape == (1,) and res["test_score"][0] == 1.0  # the speaker number is a feature


# ---------------------------------------------------------------------------------------------------------------
# verification_trials


def test_verification_trials_all_and_subsampled():
    trials = verification_trials(["b", "a", "c", "a"], ["a", "c", "z"])
    assert trials.columns.tolist() == ["test_index", "claimed_speaker", "target"]
    assert trials["test_index"].tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert trials["claimed_speaker"].tolist() == list("abc") * 3
    assert trials["target"].tolist() == [True, False, False, False, False, True, False, False, False]
    enrolled = [f"s{i:02d}" for i in range(20)]
    y_test = np.repeat(enrolled[:10], 3).tolist() + ["unknown"] * 4
    sub = verification_trials(enrolled, y_test, n_nontarget=5, random_state=0)
    per_item = sub.groupby("test_index")
    assert per_item["target"].sum().tolist() == [1] * 30 + [0] * 4
    assert ((~sub["target"]).groupby(sub["test_index"]).sum() == 5).all()
    assert not sub.duplicated(["test_index", "claimed_speaker"]).any()
    assert (sub.loc[sub.target, "claimed_speaker"].to_numpy() == np.asarray(y_test)[
        sub.loc[sub.target, "test_index"]]).all()
    pd.testing.assert_frame_equal(sub, verification_trials(enrolled, y_test, n_nontarget=5, random_state=0))
    assert not sub.equals(verification_trials(enrolled, y_test, n_nontarget=5, random_state=1))
    # drawn uniformly: over many items every non-target claim appears
    many = verification_trials(enrolled, ["s00"] * 400, n_nontarget=1, random_state=0)
    assert set(many.loc[~many.target, "claimed_speaker"]) == set(enrolled[1:])
    assert len(verification_trials(enrolled, y_test, n_nontarget=50)) == 34 * 20
    assert len(verification_trials(enrolled, y_test, n_nontarget=0)) == 30
    with pytest.raises(ValueError, match="n_nontarget"):
        verification_trials(enrolled, y_test, n_nontarget=-1)
    with pytest.raises(ValueError, match="No enrolled"):
        verification_trials([], y_test)


def test_trials_feed_trial_scores():
    from skvoice.metrics import equal_error_rate, trial_scores

    rng = np.random.RandomState(0)
    classes = np.array(["a", "b", "c", "d"])
    y_test = rng.choice(classes, 50)
    scores = rng.normal(size=(50, 4)) + 2.0 * (y_test[:, None] == classes[None])
    trials = verification_trials(classes, y_test)
    t, s = trial_scores(scores, y_test, classes, trials=trials)
    t_all, s_all = trial_scores(scores, y_test, classes)
    np.testing.assert_array_equal(t, t_all)
    np.testing.assert_array_equal(s, s_all)
    np.testing.assert_array_equal(t, trials["target"])
    sub = verification_trials(classes, y_test, n_nontarget=1, random_state=0)
    t, s = trial_scores(scores, y_test, classes, trials=sub)
    assert t.sum() == 50 and len(t) == 100 and 0 <= equal_error_rate(t, s) < 0.5


# ---------------------------------------------------------------------------------------------------------------
# real data


@pytest.mark.realdata
def test_protocols_on_librispeech(librispeech_root):
    data = load_librispeech(librispeech_root, "train-clean-100")
    frame = data.frame
    expected = np.floor(frame["duration"].to_numpy() / 2.0 + 1e-9).astype(int)  # full 2-s chunks per utterance
    short = int((expected == 0).sum())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chunks = chunk_recordings(frame)
    assert len(chunks) == expected.sum()
    assert chunks.groupby("recording").size().reindex(range(len(frame)), fill_value=0).tolist() == expected.tolist()
    assert len(chunks.attrs["unchunked"]) == short and (short == 0) == (not caught)
    assert (chunks["stop"] <= frame["duration"].to_numpy()[chunks["recording"]] + 1e-9).all()
    assert set(chunks["gender"]) <= {"F", "M"}
    per_speaker = chunks.groupby("speaker").size()
    n_splittable = int((per_speaker >= 2).sum())

    for protocol, test_frac in (("later", 0.4), ("random", 0.2)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            train, test = chunk_split(chunks, protocol=protocol, random_state=0)
        _check_partition(chunks, train, test)
        tr, te = chunks.iloc[train], chunks.iloc[test]
        assert set(te["speaker"]) <= set(tr["speaker"])  # every tested speaker is enrolled
        assert te["speaker"].nunique() == n_splittable  # one utterance per speaker: units are the same
        assert abs(len(te) / len(chunks) - test_frac) < 0.06
        if protocol == "later":
            assert (te.groupby("recording")["chunk"].min() > tr.groupby("recording")["chunk"].max()
                    .reindex(te["recording"].unique())).all()
        trials = verification_trials(tr["speaker"], te["speaker"])
        assert len(trials) == len(te) * tr["speaker"].nunique() and trials["target"].sum() == len(te)


@pytest.mark.realdata
@pytest.mark.slow
def test_load_chunks_on_librispeech_matches_full_decoding(librispeech_root):
    data = load_librispeech(librispeech_root, "train-clean-100")
    frame = data.frame.iloc[:12]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # short utterances: no chunk / a single chunk
        chunks = chunk_recordings(frame)
        _, test = chunk_split(chunks, protocol="later")
    X = load_chunks(chunks.iloc[test], n_jobs=2)
    assert all(len(x) == 2 * SR and x.dtype == np.float32 for x in X)
    for x, (_, row) in zip(X, chunks.iloc[test].iterrows()):
        full = sf.read(row["path"], dtype="float32")[0]
        a = int(round(row["start"] * SR))
        np.testing.assert_array_equal(x, full[a:a + 2 * SR])


def test_load_chunks_refuses_waveforms_at_another_rate_than_they_were_chunked_at():
    # they were cut at the wrong places without a word: "2-s" chunks of 4 s, and empty last chunks
    sr = 8000
    wave = np.arange(sr * 7, dtype="float32") / sr
    chunks = chunk_recordings([wave], chunk_seconds=2.0, sample_rate=sr)
    assert chunks.attrs["sample_rate"] == sr
    with pytest.raises(ValueError, match="at 8000 Hz.*sample_rate=8000"):
        load_chunks(chunks, [wave])
    bare = chunks.copy()
    bare.attrs = {}  # a table that lost its attrs (e.g. read back from CSV): the lengths disagree
    with pytest.raises(ValueError, match="ends at 6 s"):
        load_chunks(bare, [wave])
    X = load_chunks(chunks, [wave], sample_rate=sr)
    assert [len(x) for x in X] == [2 * sr] * 3 and X[2][0] == pytest.approx(4.0)


@pytest.mark.parametrize("protocol", ["later", "random"])
def test_chunk_split_rounds_the_fraction_it_was_given(protocol):
    # train_size=0.5 of 3/5/7 chunks gave 1/2/3 training chunks (the test share was rounded), not round(0.5 n)
    waves = [np.zeros(16000 * 2 * n, dtype="float32") for n in (3, 5, 7)]
    chunks = chunk_recordings(waves, labels={"speaker": ["a", "b", "c"]})
    for train_size, expected in [(0.5, [2, 3, 4]), (0.7, [2, 4, 5])]:
        train, test = chunk_split(chunks, protocol=protocol, train_size=train_size, random_state=0)
        assert np.bincount(chunks.recording.iloc[train], minlength=3).tolist() == expected
        train, test = chunk_split(chunks, protocol=protocol, test_size=1 - train_size, random_state=0)
        assert np.bincount(chunks.recording.iloc[test], minlength=3).tolist() == [
            int(np.floor((1 - train_size) * n + 0.5)) for n in (3, 5, 7)]


def test_dataset_warnings_point_at_the_caller(tmp_path):
    # stacklevel=2 stopped in scikit-learn's validate_params wrapper, so module filters did not match
    chunks = chunk_recordings([np.zeros(16000 * 6, "float32"), np.zeros(16000 * 2, "float32")],
                              labels={"speaker": ["a", "b"]})
    with pytest.warns(UserWarning, match="single chunk") as record:
        chunk_split(chunks)
    assert record[0].filename == __file__
    with pytest.warns(UserWarning, match="shorter than") as record:
        chunk_recordings([np.zeros(100, "float32"), np.zeros(16000 * 2, "float32")])
    assert record[0].filename == __file__
    from skvoice.datasets import load_folder

    (tmp_path / "empty_label").mkdir()
    sf.write(tmp_path / "loose.wav", np.zeros(1600, "float32"), 16000)
    (tmp_path / "a").mkdir()
    sf.write(tmp_path / "a" / "x.wav", 0.1 * np.ones(1600, "float32"), 16000)
    with pytest.warns(UserWarning) as record:
        load_folder(tmp_path, durations=False)
    assert record and all(w.filename == __file__ for w in record)
