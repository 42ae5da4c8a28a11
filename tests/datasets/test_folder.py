import os

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skvoice import AudioError, SkippedRecordingsWarning
from skvoice.datasets import load_folder
from skvoice.features import MFCCExtractor, StatsPooling

SR = 16000


def _tone(seconds, freq=220.0):
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.fixture
def tree(tmp_path):
    """cat/: 2 WAV (+ a transcript, .DS_Store, a hidden ._ file); dog/: 1 FLAC + 1 OGG nested + an upper-case .WAV."""
    root = tmp_path / "pets"
    (root / "cat").mkdir(parents=True)
    (root / "dog" / "session2").mkdir(parents=True)
    sf.write(root / "cat" / "c1.wav", _tone(0.5), SR)
    sf.write(root / "cat" / "c2.wav", _tone(0.25), SR)
    (root / "cat" / "c1.txt").write_text("meow")
    (root / "cat" / ".DS_Store").write_bytes(b"\x00\x01junk")
    (root / "cat" / "._c1.wav").write_bytes(b"\x00\x05\x16\x07 not audio")
    sf.write(root / "dog" / "d1.flac", _tone(1.0), SR)
    sf.write(root / "dog" / "D2.WAV", _tone(0.125), 8000)
    sf.write(root / "dog" / "session2" / "d3.ogg", _tone(0.75), SR, format="OGG", subtype="VORBIS")
    return root


def test_labels_targets_durations(tree):
    data = load_folder(tree)
    rel = [os.path.relpath(p, tree).replace(os.sep, "/") for p in data.filenames]
    assert rel == ["cat/c1.wav", "cat/c2.wav", "dog/D2.WAV", "dog/d1.flac", "dog/session2/d3.ogg"]
    assert data.target_names.tolist() == ["cat", "dog"]
    assert data.target.tolist() == [0, 0, 1, 1, 1] and data.target.dtype.kind == "i"
    assert data.label.tolist() == ["cat", "cat", "dog", "dog", "dog"]
    assert data.duration == pytest.approx([0.5, 0.25, 0.25, 1.0, 0.75], abs=1e-3)
    assert list(data.frame.columns) == ["path", "label", "target", "duration"] and len(data.frame) == 5
    assert all(os.path.isabs(p) for p in data.filenames) and data.skipped == []
    assert "5 recording(s) in 2 label folder(s)" in data.DESCR and data.root == str(tree)


def test_options(tree):
    flat = load_folder(tree, recursive=False)
    assert not any(p.endswith("d3.ogg") for p in flat.filenames) and len(flat.filenames) == 4
    wav_only = load_folder(tree, extensions=("WAV",))
    assert [os.path.basename(p) for p in wav_only.filenames] == ["c1.wav", "c2.wav", "D2.WAV"]
    nodur = load_folder(tree, durations=False)
    assert np.isnan(nodur.duration).all() and len(nodur.filenames) == 5
    X, y = load_folder(tree, return_X_y=True)
    assert X.dtype == object and y.tolist() == [0, 0, 1, 1, 1]
    Xf, yf = load_folder(tree, return_X_y=True, as_frame=True)
    assert isinstance(Xf, pd.DataFrame) and list(Xf.columns) == ["path", "duration"] and yf.name == "target"


def test_warnings_for_empty_label_loose_files_and_librispeech_root(tree):
    (tree / "bird").mkdir()
    (tree / "bird" / "notes.txt").write_text("no audio here")
    sf.write(tree / "loose.wav", _tone(0.1), SR)
    with pytest.warns(UserWarning) as record:
        data = load_folder(tree)
    messages = " | ".join(str(w.message) for w in record)
    assert "['bird']" in messages and "loose.wav" in messages
    assert data.target_names.tolist() == ["cat", "dog"]
    (tree / "SPEAKERS.TXT").write_text("; not really\n")
    with pytest.warns(UserWarning) as record:
        load_folder(tree)
    assert any("looks like a LibriSpeech root" in str(w.message) for w in record)


def test_empty_and_missing_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_folder(tmp_path / "missing")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "readme.md").write_text("x")
    sf.write(tmp_path / "top.wav", _tone(0.1), SR)  # not in a label folder
    with pytest.raises(ValueError, match="No audio files"), pytest.warns(UserWarning):
        load_folder(tmp_path)
    with pytest.raises(ValueError, match="extensions"):
        load_folder(tmp_path, extensions=())
    with pytest.raises(ValueError, match="on_error"):
        load_folder(tmp_path, on_error="ignore")


def test_unreadable_files(tree):
    (tree / "cat" / "broken.wav").write_bytes(b"RIFF\x00\x00not a wave file at all" * 3)
    (tree / "dog" / "empty.flac").write_bytes(b"")
    sf.write(tree / "dog" / "zero.wav", np.zeros(0, np.float32), SR)
    with pytest.warns(SkippedRecordingsWarning, match="3 of 8") as record:
        data = load_folder(tree)
    message = str(record[0].message)
    assert "broken.wav" in message and "empty.flac" in message and "zero.wav" in message
    assert len(data.filenames) == 5 and len(data.skipped) == 3
    assert {os.path.basename(p) for p, _ in data.skipped} == {"broken.wav", "empty.flac", "zero.wav"}
    with pytest.raises(AudioError, match="broken.wav"):
        load_folder(tree, on_error="raise")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(load_folder(tree, on_error="skip").skipped) == 3
    assert len(load_folder(tree, durations=False).filenames) == 8  # nothing opened, nothing dropped


def test_all_files_of_a_label_unreadable(tmp_path):
    (tmp_path / "good").mkdir()
    (tmp_path / "bad").mkdir()
    sf.write(tmp_path / "good" / "g.wav", _tone(0.2), SR)
    (tmp_path / "bad" / "b.wav").write_bytes(b"garbage" * 10)
    with pytest.warns(UserWarning) as record:
        data = load_folder(tmp_path)
    assert data.target_names.tolist() == ["good"]
    assert any(isinstance(w.message, SkippedRecordingsWarning) for w in record)
    assert any("['bad']" in str(w.message) for w in record)
    (tmp_path / "good" / "g.wav").write_bytes(b"garbage" * 10)
    with pytest.raises(ValueError, match="could be read"), pytest.warns(SkippedRecordingsWarning):
        load_folder(tmp_path)


def test_end_to_end_cross_val_score(tmp_path):
    """Folder labels line up with the files through a real pipeline: low- vs high-pitched buzzes are told apart."""
    rng = np.random.RandomState(0)
    t = np.arange(int(0.5 * SR)) / SR
    for label, (lo, hi) in {"high": (260.0, 340.0), "low": (90.0, 130.0)}.items():
        (tmp_path / label).mkdir()
        for k in range(8):
            f0 = rng.uniform(lo, hi)
            wave = sum(rng.uniform(0.2, 1.0) / h * np.sin(2 * np.pi * h * f0 * t) for h in range(1, 9))
            wave = 0.2 * wave / np.abs(wave).max() + 0.01 * rng.normal(size=t.size)
            sf.write(tmp_path / label / f"{label}{k}.wav", wave.astype(np.float32), SR)
    data = load_folder(tmp_path)
    assert data.target_names.tolist() == ["high", "low"] and np.bincount(data.target).tolist() == [8, 8]
    model = make_pipeline(MFCCExtractor(), StatsPooling(), StandardScaler(), LogisticRegression())
    scores = cross_val_score(model, data.filenames, data.target, cv=4)
    assert scores.shape == (4,) and scores.mean() >= 0.9, scores
    shuffled = cross_val_score(model, data.filenames, rng.permutation(data.target), cv=4)
    assert shuffled.mean() < scores.mean()  # the score comes from the labels, not from the pipeline alone


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="needs POSIX symbolic links")
def test_linked_sub_folders_are_searched_once(tree, tmp_path):
    # speaker folders linked in from elsewhere were silently left out (os.walk does not follow links by default)
    from skvoice._train_predict import collect_audio_files

    elsewhere = tmp_path / "elsewhere" / "speaker_b"
    elsewhere.mkdir(parents=True)
    sf.write(elsewhere / "b1.wav", _tone(0.5), SR)
    os.symlink(elsewhere, tree / "dog" / "speaker_b")
    os.symlink(tree / "dog", tree / "dog" / "session2" / "loop")  # a link back up: not searched again
    data = load_folder(tree, durations=False)
    names = sorted(os.path.basename(p) for p in data.filenames)
    assert names == ["D2.WAV", "b1.wav", "c1.wav", "c2.wav", "d1.flac", "d3.ogg"]
    paths, notes = collect_audio_files([tree / "dog"])
    assert sorted(os.path.basename(p) for p in paths) == ["D2.WAV", "b1.wav", "d1.flac", "d3.ogg"] and not notes


@pytest.mark.parametrize("recursive", [True, False])
def test_undecodable_phone_audio_is_named_when_left_out(tree, recursive):
    # .m4a/.aac (what phones record) were skipped without a word: a user saw fewer recordings and no reason
    for name in ("memo.m4a", "call.AAC"):
        (tree / "cat" / name).write_bytes(b"\x00" * 64)
    with pytest.warns(UserWarning, match=r"2 \.aac/\.m4a file\(s\) left out: libsndfile cannot decode.*ffmpeg"):
        data = load_folder(tree, recursive=recursive)
    assert not any(str(p).lower().endswith((".m4a", ".aac")) for p in data.filenames)
    from skvoice._train_predict import collect_audio_files

    paths, notes = collect_audio_files([tree / "cat"])
    assert paths and any("2 .aac/.m4a file(s) left out" in n for n in notes)
