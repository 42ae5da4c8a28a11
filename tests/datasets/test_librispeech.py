import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from skvoice.datasets import load_librispeech, make_voices, read_speakers, select_speakers

SPEAKERS = """; comment line
;ID  |SEX| SUBSET           |MINUTES| NAME
11   | F | dev-clean        | 8.02 | Alice | with a pipe
22   | M | dev-clean        | 8.10 | Bob
33   | M | test-other       | 5.0  | Carl
"""


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "SPEAKERS.TXT").write_text(SPEAKERS)
    y = (0.1 * np.sin(np.arange(8000) / 5)).astype(np.float32)
    for sub, spk, chap, n in [("dev-clean", "11", "100", 3), ("dev-clean", "22", "200", 2),
                              ("test-other", "33", "5", 1), ("dev-clean", "44", "7", 1)]:
        d = tmp_path / sub / spk / chap
        d.mkdir(parents=True)
        for u in range(n):
            sf.write(d / f"{spk}-{chap}-{u:04d}.flac", y[: 4000 * (u + 1)], 16000)
        if spk == "11":
            (d / f"{spk}-{chap}.trans.txt").write_text(f"{spk}-{chap}-0000 HELLO WORLD\n")
    return tmp_path


def test_load_tree(tree):
    with pytest.warns(UserWarning, match="not in SPEAKERS.TXT"):
        data = load_librispeech(tree, "dev-clean")
    f = data.frame
    assert f.columns.tolist() == ["path", "subset", "speaker", "gender", "chapter", "utterance_id", "transcript",
                                  "duration"]
    assert f.speaker.tolist() == ["11", "11", "11", "22", "22", "44"]
    assert f.gender.tolist()[:5] == ["F", "F", "F", "M", "M"] and pd.isna(f.gender.iloc[5])
    assert f.transcript.iloc[0] == "HELLO WORLD" and pd.isna(f.transcript.iloc[1])
    assert f.duration.tolist()[:3] == pytest.approx([0.25, 0.5, 0.5])
    assert data.target.tolist()[:5] == data.gender.tolist()[:5] and data.filenames[0].endswith("11-100-0000.flac")


def test_options(tree, monkeypatch):
    data = load_librispeech(tree, ["dev-clean", "test-other"], speakers=["11", 33], max_per_speaker=2,
                            target="speaker", with_duration=False)
    assert data.frame.speaker.tolist() == ["11", "11", "33"] and data.target.tolist() == ["11", "11", "33"]
    X, y = load_librispeech(tree, "test-other", return_X_y=True)
    assert len(X) == 1 and y.tolist() == ["M"]
    Xf, yf = load_librispeech(tree, "test-other", return_X_y=True, as_frame=True)
    assert isinstance(Xf, pd.DataFrame) and yf.name == "gender"
    monkeypatch.setenv("SKVOICE_LIBRISPEECH", str(tree))
    assert len(load_librispeech(subset="test-other").frame) == 1
    sampled = load_librispeech(tree, "dev-clean", speakers=["11"], max_per_speaker=2, random_state=0).frame
    assert len(sampled) == 2


def test_errors(tree, tmp_path, monkeypatch):
    monkeypatch.delenv("SKVOICE_LIBRISPEECH", raising=False)
    with pytest.raises(FileNotFoundError, match="SKVOICE_LIBRISPEECH"):
        load_librispeech()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_librispeech(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="available:.*dev-clean"):
        load_librispeech(tree, "train-clean-100")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="SPEAKERS.TXT"):
        load_librispeech(empty)
    with pytest.raises(ValueError, match="No .flac"):
        load_librispeech(tree, "dev-clean", speakers=["999"])
    with pytest.raises(ValueError, match="target"):
        load_librispeech(tree, target="age")


def test_read_speakers_keeps_pipes_in_names(tree):
    table = read_speakers(tree / "SPEAKERS.TXT")
    assert table.loc["11", "name"] == "Alice | with a pipe" and table.loc["22", "minutes"] == pytest.approx(8.1)


def test_select_speakers():
    frame = pd.DataFrame({"speaker": list("aabbccddee"), "gender": list("FFFFMMMMMM")})
    out = select_speakers(frame, 1, 2, random_state=0)
    assert out.drop_duplicates("speaker").gender.value_counts().to_dict() == {"M": 2, "F": 1}
    assert len(out) == 6
    with pytest.raises(ValueError, match="only 2 are available"):
        select_speakers(frame, 3, 1)
    with pytest.raises(ValueError, match="only 0"):
        select_speakers(frame, 1, 1, min_utterances=3)


def test_make_voices_deterministic_and_files(tmp_path):
    a = make_voices(3, 2, duration=0.3, random_state=5)
    b = make_voices(3, 2, duration=0.3, random_state=5, out_dir=tmp_path)
    assert all(np.array_equal(x, z) for x, z in zip(a.waveforms, b.waveforms))
    assert not np.array_equal(a.waveforms[0], make_voices(3, 2, duration=0.3, random_state=6).waveforms[0])
    # speaker i's voice does not depend on how many speakers/utterances are generated
    c = make_voices(5, 1, duration=0.3, random_state=5)
    assert np.array_equal(c.waveforms[1], a.waveforms[2])
    assert b.frame.path.tolist() == b.filenames.tolist() and len(b.filenames) == 6
    assert np.allclose(sf.read(b.filenames[0])[0], a.waveforms[0], atol=1e-4)
    assert a.gender.tolist() == ["F", "F", "M", "M", "F", "F"]
    with pytest.raises(ValueError, match="n_speakers"):
        make_voices(0)


def test_make_voices_sex_cues():
    from skvoice.features._pitch import pitch_track

    v = make_voices(6, 1, duration=1.0, random_state=0)
    f0 = [np.median(100 * 2 ** pitch_track(w, 16000, 160)[0]) for w in v.waveforms]
    female = [f for f, g in zip(f0, v.gender) if g == "F"]
    male = [f for f, g in zip(f0, v.gender) if g == "M"]
    assert min(female) > max(male)


# ---------------------------------------------------------------------------------------------------------------
# found by a bug hunt


def test_a_subset_named_twice_is_loaded_once(tree):
    # every file used to be listed twice: the same file on both sides of a cross-validation split
    once = load_librispeech(tree, "test-other", with_duration=False).frame
    twice = load_librispeech(tree, ["test-other", "test-other"], with_duration=False).frame
    pd.testing.assert_frame_equal(once, twice)


def test_hidden_files_and_folders_are_not_utterances(tree):
    # macOS leaves "._<name>.flac" AppleDouble companions (not audio) when copying to FAT / exFAT
    chapter = tree / "test-other" / "33" / "5"
    (chapter / "._33-5-0000.flac").write_bytes(b"\x00\x05\x16\x07 not audio")
    (tree / "test-other" / ".Trashes").mkdir()
    data = load_librispeech(tree, "test-other")  # with durations: read every file
    assert data.frame.utterance_id.tolist() == ["33-5-0000"]


def test_speakers_file_with_a_byte_order_mark(tree):
    path = tree / "SPEAKERS.TXT"
    plain = read_speakers(path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # as a Windows editor saves it
    pd.testing.assert_frame_equal(read_speakers(path), plain)


def test_target_names_leave_out_unknown_sex(tree):
    with pytest.warns(UserWarning, match="not in SPEAKERS.TXT") as record:
        data = load_librispeech(tree, "dev-clean", with_duration=False)  # speaker 44 has no sex
    assert data.target_names.tolist() == ["F", "M"]
    assert record[0].filename == __file__  # the warning points at the caller, not into validate_params


def test_select_speakers_without_random_state_takes_the_first_ids_whatever_the_row_order():
    frame = pd.DataFrame({"speaker": ["40", "7", "100", "26", "9", "300"], "gender": list("FFFMMM")})
    first = select_speakers(frame, 2, 2)
    assert sorted(first.speaker, key=int) == ["7", "9", "26", "40"]
    shuffled = frame.iloc[::-1].reset_index(drop=True)
    assert set(select_speakers(shuffled, 2, 2).speaker) == set(first.speaker)
    # with a seed, the choice does not depend on the row order either
    assert set(select_speakers(shuffled, 2, 2, random_state=0).speaker) == set(
        select_speakers(frame, 2, 2, random_state=0).speaker)
