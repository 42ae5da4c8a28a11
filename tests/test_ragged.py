import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skvoice._ragged import (
    as_recording_set,
    check_audio_input,
    check_recordings,
    frame_owner,
    segment_mean,
    split_frames,
    stack_frames,
)

lengths_st = st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(lengths=lengths_st, n_features=st.integers(1, 5))
def test_stack_split_is_identity(lengths, n_features):
    rng = np.random.RandomState(sum(lengths))
    recs = as_recording_set(rng.normal(size=(n, n_features)) for n in lengths)
    frames, lens = stack_frames(recs)
    assert frames.shape == (sum(lengths), n_features) and lens.tolist() == lengths
    back = split_frames(frames, lens)
    assert len(back) == len(recs) and all(np.array_equal(a, b) for a, b in zip(back, recs))
    assert np.array_equal(np.bincount(frame_owner(lens), minlength=len(lengths)), lens)


@settings(max_examples=60, deadline=None)
@given(lengths=lengths_st)
def test_segment_mean_matches_loop(lengths):
    rng = np.random.RandomState(len(lengths))
    recs = [rng.normal(size=(n, 3)) for n in lengths]
    frames, lens = stack_frames(as_recording_set(recs))
    got = segment_mean(frames, lens)
    for g, r in zip(got, recs):
        if len(r):
            assert np.allclose(g, r.mean(axis=0))
        else:
            assert np.isnan(g).all()


def test_as_recording_set_never_broadcasts():
    same = as_recording_set([np.zeros((2, 3)), np.ones((2, 3))])
    assert same.shape == (2,) and same.dtype == object and same[1].shape == (2, 3)


def test_check_recordings_2d_and_ragged():
    recs, is_2d = check_recordings(np.arange(6.0).reshape(3, 2))
    assert is_2d and len(recs) == 3 and recs[2].shape == (1, 2)
    recs, is_2d = check_recordings([np.zeros((4, 2)), np.ones((1, 2))])
    assert not is_2d and recs[0].dtype == np.float32


@pytest.mark.parametrize("bad,match", [
    ([np.zeros((3, 2)), np.zeros((3, 4))], "features"),
    ([np.zeros((3, 2)), np.zeros((0, 2))], "0 frame"),
    ([np.zeros((3, 2, 2))], "2-D"),
    ([np.array([[np.nan, 1.0]])], "NaN"),
    (["a.wav"], "file path"),
    ([], "empty recording set"),
])
def test_check_recordings_errors(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        check_recordings(bad)


def test_check_audio_input():
    assert check_audio_input(["a.wav", "b.flac"]) == ["a.wav", "b.flac"]
    assert len(check_audio_input(np.zeros((3, 800)))) == 3
    import pandas as pd

    assert check_audio_input(pd.Series(["a.wav"])) == ["a.wav"]
    with pytest.raises(TypeError, match="wrap it in a list"):
        check_audio_input("a.wav")
    with pytest.raises(ValueError, match="Reshape your data"):
        check_audio_input(np.zeros(1000))
    with pytest.raises(ValueError, match="empty"):
        check_audio_input([])
    with pytest.raises(ValueError, match="NaN"):
        check_audio_input(np.full((2, 500), np.nan))


def test_failed_recordings_become_missing_slots():
    from skvoice._ragged import as_recording_set, rows_or_nan, unit_vector

    a, empty = np.ones((2, 3), np.float32), np.empty((0, 3), np.float32)
    out = as_recording_set([a, None, a], missing=empty)
    assert out.dtype == object and out.shape == (3,) and out[1] is empty and out[0] is a
    assert as_recording_set([a, None])[1] is None
    rows = rows_or_nan([np.array([3.0, 4.0]), None], 2, dtype=np.float32, row=unit_vector)
    assert rows.dtype == np.float32
    np.testing.assert_array_equal(rows, np.array([[0.6, 0.8], [np.nan, np.nan]], dtype=np.float32))
    np.testing.assert_array_equal(rows_or_nan([None, [1, 2]], 2), [[np.nan, np.nan], [1.0, 2.0]])
    np.testing.assert_array_equal(unit_vector(np.zeros(3)), np.zeros(3))
