"""``skvoice predict`` looks for speech first: files without any get "no speech found" instead of a label."""

import csv
import io
import os
import shutil

import numpy as np
import pytest
import soundfile as sf
from cli_run import run_cli

from skvoice._train_predict import NO_SPEECH, predict_rows, speech_checker

SR = 16000


_run = run_cli


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Three real utterances (the bundled LibriSpeech sample), one of them 60 dB quieter, and four without speech."""
    from skvoice.augment import colored_noise
    from skvoice.datasets import load_sample

    root = tmp_path_factory.mktemp("check")
    files = load_sample(subset="test-other").filenames
    for i, f in enumerate(files[:3]):
        shutil.copy(f, root / f"speech{i}.flac")
    y, sr = sf.read(files[3], dtype="float32")
    sf.write(root / "speech_quiet.flac", y * np.float32(1e-3), sr, subtype="PCM_24")
    t = np.arange(3 * SR) / SR
    sf.write(root / "none_pink.wav", (0.1 * colored_noise(3 * SR, "pink", random_state=0)).astype("float32"), SR)
    sf.write(root / "none_hum.wav", (0.1 * np.sin(2 * np.pi * 50 * t)).astype("float32"), SR)
    sf.write(root / "none_hiss.wav", (3e-5 * np.random.default_rng(0).standard_normal(3 * SR)).astype("float32"),
             SR, subtype="PCM_24")
    chord = sum(np.sin(2 * np.pi * f * t) for f in (262, 330, 392))
    sf.write(root / "none_chord.wav", (0.1 * chord).astype("float32"), SR)
    return root


def _model():
    pytest.importorskip("skops")
    try:
        from skvoice.pretrained import gender_classifier

        return gender_classifier()
    except (ImportError, OSError) as exc:
        pytest.skip(f"the shipped gender model cannot run here: {exc}")


def test_files_without_speech_get_no_label(folder):
    pytest.importorskip("silero_vad")
    _model()
    code, out, err = _run(["predict", "gender", folder, "--batch-size", "3"])
    assert code == 1, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 8
    for row in rows:
        name = os.path.basename(row["path"])
        if name.startswith("none_"):
            assert row["error"] == NO_SPEECH and row["label"] == "" and row["score"] == "", row
        else:  # quiet speech is still speech
            assert row["error"] == "" and row["label"] in {"F", "M"} and float(row["score"]) > 0.5, row
    assert "4 of 8 file(s) predicted" in err and "4 without speech" in err


def test_speech_check_off_labels_every_file(folder):
    _model()
    code, out, err = _run(["predict", "gender", folder, "--speech-check", "off"])
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 8 and all(r["label"] in {"F", "M"} and r["error"] == "" for r in rows)
    assert "not checked for speech" not in err


def test_without_silero(folder, monkeypatch):
    import skvoice.features._vad as vad

    def missing():
        raise ImportError("no silero here")

    monkeypatch.setattr(vad, "_silero_model", missing)
    code, out, err = _run(["predict", "gender", folder, "--speech-check", "on"])
    assert code == 2 and out == ""
    assert "--speech-check on needs the Silero detector" in err and "skvoice[vad]" in err
    assert speech_checker("auto") is None and speech_checker("off") is None
    _model()
    code, out, err = _run(["predict", "gender", folder / "speech0.flac"])
    assert code == 0 and "files are not checked for speech" in err and "skvoice[vad]" in err
    code, out, err = _run(["predict", "gender", folder / "speech0.flac", "-q"])
    assert code == 0 and err == ""


def test_the_check_decides_as_the_voice_activity_detector_does(folder, tmp_path):
    """Speech late in a long file is found; the decisions are VoiceActivityDetector's ``no_speech_``."""
    pytest.importorskip("silero_vad")
    from skvoice.features import VoiceActivityDetector

    speech, sr = sf.read(folder / "speech0.flac", dtype="float32")
    hiss = (3e-5 * np.random.default_rng(1).standard_normal(14 * sr)).astype("float32")
    sf.write(tmp_path / "late.flac", np.concatenate([hiss, speech]), sr, subtype="PCM_24")
    sf.write(tmp_path / "long_hiss.flac", np.concatenate([hiss, hiss]), sr, subtype="PCM_24")
    files = sorted(str(p) for p in folder.iterdir()) + [str(tmp_path / "late.flac"), str(tmp_path / "long_hiss.flac")]
    vad = VoiceActivityDetector(method="silero")
    vad.transform(files)
    assert speech_checker("on")(files) == {files[i] for i in vad.no_speech_}
    assert {os.path.basename(files[i]) for i in vad.no_speech_} == {
        "none_chord.wav", "none_hiss.wav", "none_hum.wav", "none_pink.wav", "long_hiss.flac"}


class _Recorder:
    """A model that labels every file "x" and records what it was asked."""

    classes_ = np.array(["x"])

    def __init__(self):
        self.seen = []

    def predict(self, X):
        self.seen.extend(X)
        return np.array(["x"] * len(X))


def test_files_without_speech_never_reach_the_model(tmp_path):
    paths = []
    for i in range(5):
        path = tmp_path / f"f{i}.wav"
        sf.write(path, np.zeros(10, dtype="float32"), SR)
        paths.append(str(path))
    paths.append(paths[1])  # a duplicate shares its row
    model = _Recorder()
    asked = []

    def no_speech(batch):
        asked.append(list(batch))
        return {p for p in batch if p.endswith(("f1.wav", "f3.wav"))}

    rows = list(predict_rows(model, paths, batch_size=4, no_speech=no_speech))
    assert [r["error"] for r in rows] == [None, NO_SPEECH, None, NO_SPEECH, None, NO_SPEECH]
    assert [r["label"] for r in rows] == ["x", None, "x", None, "x", None]
    assert model.seen == [paths[0], paths[2], paths[4]]
    assert asked == [paths[:4], [paths[4], paths[1]]]


def test_an_unreadable_file_gets_the_models_error_not_no_speech(folder, tmp_path):
    pytest.importorskip("silero_vad")
    _model()
    bad = tmp_path / "corrupt.wav"
    bad.write_bytes(np.random.default_rng(0).bytes(3000))
    code, out, err = _run(["predict", "gender", bad, folder / "speech0.flac"])
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 1
    assert rows[0]["error"] and rows[0]["error"] != NO_SPEECH and rows[1]["label"] in {"F", "M"}


@pytest.mark.realdata
@pytest.mark.slow
def test_real_speech_is_found_clean_and_degraded(librispeech_root, tmp_path):
    """No real utterance is called speechless: test-other as recorded and after noise, a phone line, 40 dB less."""
    pytest.importorskip("silero_vad")
    from skvoice.augment import make_condition
    from skvoice.datasets import load_librispeech

    files = list(load_librispeech(librispeech_root, "test-other").filenames)
    find = speech_checker("on")
    assert find(files) == set()
    for condition in ("white_0dB", "telephone", "level_-40dB"):
        degraded = []
        for i, y in enumerate(make_condition(condition, random_state=0).fit_transform(files)):
            degraded.append(str(tmp_path / f"{condition}_{i}.flac"))
            sf.write(degraded[-1], y, SR, subtype="PCM_24")
        assert find(degraded) == set(), condition


@pytest.mark.slow
def test_train_leaves_out_recordings_without_speech(folder, tmp_path):
    pytest.importorskip("silero_vad")
    _model()
    from skvoice.datasets import load_sample
    from skvoice.io import read_model_metadata

    data = tmp_path / "voices"
    sample = load_sample(subset="test-other")
    for i, (f, sex) in enumerate(zip(sample.filenames[::6][:6], sample.gender[::6][:6])):
        (data / sex).mkdir(parents=True, exist_ok=True)
        os.symlink(f, data / sex / f"{i}.flac")
    shutil.copy(folder / "none_hum.wav", data / "F" / "hum.wav")
    shutil.copy(folder / "none_pink.wav", data / "M" / "pink.wav")
    code, out, err = _run(["train", "gender", data, "--out", tmp_path / "m.skops", "--cv", "0"])
    assert code == 0, err
    assert "2 file(s) cannot be used" in err and err.count(NO_SPEECH) == 2
    assert read_model_metadata(tmp_path / "m.skops")["training_data"]["n_recordings"] == 6
    code, out, err = _run(["train", "gender", data, "--out", tmp_path / "m.skops", "--cv", "0",
                           "--speech-check", "off"])
    assert code == 0 and NO_SPEECH not in err
    assert read_model_metadata(tmp_path / "m.skops")["training_data"]["n_recordings"] == 8
