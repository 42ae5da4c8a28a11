"""``skvoice train`` / ``skvoice predict`` end to end (in-process), and safe model files (skvoice.io)."""

import csv
import io
import json
import os
import shutil
import warnings

import numpy as np
import pytest
import soundfile as sf
from cli_run import run_cli
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning

import skvoice
from skvoice import IncompatibleVersionError
from skvoice.io import UntrustedModelError, load_model, read_model_metadata, save_model

pytest.importorskip("skops")
try:  # the recipes' GE2E speaker embedding needs the weights shipped in the resemblyzer wheel
    from skvoice.features._embedding import resemblyzer_weights_path

    resemblyzer_weights_path()
except (ImportError, OSError) as exc:
    pytest.skip(f"resemblyzer weights unavailable: {exc}", allow_module_level=True)

SR = 16000


def _buzz(f0, rng, seconds=1.2):
    """A harmonic buzz with vibrato, a syllable-like envelope and a little noise: voice-like enough for a VAD."""
    t = np.arange(int(seconds * SR)) / SR
    f = f0 * (1 + 0.03 * np.sin(2 * np.pi * (2 + rng.random()) * t))
    phase = 2 * np.pi * np.cumsum(f) / SR
    y = sum(np.sin(k * phase) / k for k in range(1, 15))
    env = 0.4 + 0.6 * np.abs(np.sin(2 * np.pi * 1.5 * t))
    return (0.15 * y * env + 0.005 * rng.standard_normal(len(t))).astype(np.float32)


def _make_tree(root, labels=(("low", 100), ("high", 240)), n=6, seed=0):
    rng = np.random.default_rng(seed)
    for label, f0 in labels:
        os.makedirs(root / label, exist_ok=True)
        for i in range(n):
            sf.write(root / label / f"{label}{i}.wav", _buzz(f0 + 8 * i, rng), SR)
    return root


@pytest.fixture(autouse=True)
def _no_speech_check(monkeypatch):
    """The harmonic buzz of these tests is not speech to Silero: predict here runs without the speech check.

    ``tests/test_cli_speech_check.py`` tests the check on real speech.
    """
    import skvoice._train_predict as train_predict

    monkeypatch.setattr(train_predict, "speech_checker", lambda mode, n_jobs=None: None)


_run = run_cli


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return _make_tree(tmp_path_factory.mktemp("voices") / "data")


@pytest.fixture(scope="module")
def trained(tree, tmp_path_factory):
    """``skvoice train gender TREE --out m.skops`` run once for the module: (model path, stdout, stderr)."""
    path = tmp_path_factory.mktemp("models") / "sub" / "m.skops"
    # module-scoped: set up before the function-scoped _no_speech_check, so the check is turned off here
    code, out, err = _run(["train", "gender", tree, "--out", path, "--cv", "3", "--random-state", "0",
                           "--speech-check", "off"])
    assert code == 0, out + err
    return path, out, err


@pytest.fixture()
def bad_files(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "corrupt.wav").write_bytes(np.random.default_rng(0).bytes(3000))
    sf.write(folder / "silent.wav", np.zeros(SR, dtype=np.float32), SR)
    (folder / "empty.wav").write_bytes(b"")
    return folder


def _good_files(tree):
    return sorted(str(p) for p in tree.rglob("*.wav"))


# ---------------------------------------------------------------------------------------------------------- train
def test_train_folder_tree_cross_validates_fits_and_saves(trained, tree):
    path, out, err = trained
    assert "cross-validated accuracy" in out and "3-fold StratifiedKFold" in out
    assert "NOT speaker-disjoint" in err  # a folder tree says nothing about speakers
    assert "saved gender model (skops" in out and str(path) in out
    meta = read_model_metadata(path)
    assert meta["task"] == "gender" and meta["classes"] == ["high", "low"]
    assert meta["skvoice_version"] == skvoice.__version__ and meta["format"] == "skops"
    assert meta["training_data"]["source"] == "folder" and meta["training_data"]["n_recordings"] == 12
    assert meta["training_data"]["label_counts"] == {"high": 6, "low": 6}
    assert meta["recipe"] == "skvoice.recipes.gender_pipeline"
    cv = meta["cross_validation"]
    assert len(cv["fold_accuracy"]) == 3
    # two clearly different voices: the recipe separates them on held-out files
    assert cv["accuracy_mean"] >= 0.75, cv


def test_train_usage_errors_exit_2(tmp_path, tree):
    code, _, err = _run(["train", "gender", tree, "--out", tmp_path / "m.txt"])
    assert code == 2 and ".skops" in err
    code, _, err = _run(["train", "gender", tmp_path / "nowhere", "--out", tmp_path / "m.skops"])
    assert code == 2 and "is not a folder" in err
    one = tmp_path / "one"
    shutil.copytree(tree / "low", one / "low")
    code, _, err = _run(["train", "gender", one, "--out", tmp_path / "m.skops"])
    assert code == 2 and "at least 2 labels" in err
    code, _, err = _run(["train", "gender", tree, "--out", tmp_path / "m.skops", "--cv", "1"])
    assert code == 2 and "--cv" in err
    code, _, err = _run(["train", "gender", tree, "--out", tmp_path / "m.skops", "--clean-audio"])
    assert code == 2 and "--clean-audio is for the speaker task only" in err
    code, _, err = _run(["train", "age", tree, "--out", tmp_path / "m.skops"])
    assert code == 2 and "invalid choice" in err
    assert not list(tmp_path.glob("*.skops"))


@pytest.mark.parametrize("clean_audio", [False, True])
def test_train_speaker_skips_cv_for_tiny_class_and_leaves_out_bad_files(tmp_path, bad_files, clean_audio):
    root = _make_tree(tmp_path / "people", labels=(("ann", 110), ("bob", 230)), n=3, seed=1)
    _make_tree(root, labels=(("cid", 160),), n=1, seed=2)
    shutil.copy(bad_files / "silent.wav", root / "ann" / "silent.wav")
    shutil.copy(bad_files / "corrupt.wav", root / "bob" / "corrupt.wav")
    out_path = tmp_path / "team.joblib"
    argv = ["train", "speaker", root, "--out", out_path, "--quiet"] + ["--clean-audio"] * clean_audio
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, out, err = _run(argv)
    assert code == 0, out + err
    # the recipe stops its background GMM's EM at max_iter=50 on purpose: scikit-learn's advice to raise it was
    # printed to a command-line user, once per fit
    assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert "cross-validation: skipped: class 'cid' has only 1 recording" in out
    assert "2 file(s) cannot be used" in err and "silent.wav" in err and "corrupt.wav" in err
    model, meta = load_model(out_path, allow_pickle=True, return_metadata=True)
    assert meta["format"] == "joblib" and meta["cross_validation"] is None
    assert meta["recipe"] == "skvoice.recipes.speaker_id_pipeline" + "(robust=False)" * clean_audio
    assert model.n_copies == (0 if clean_audio else 4)
    assert meta["training_data"]["n_recordings"] == 7 and meta["training_data"]["files_left_out"] == 2
    assert list(model.classes_) == ["ann", "bob", "cid"]
    assert model.predict([str(root / "ann" / "ann0.wav")])[0] == "ann"


def test_train_librispeech_layout_is_speaker_disjoint(tmp_path):
    root = tmp_path / "LibriSpeech"
    rng = np.random.default_rng(3)
    lines = ["; ID | SEX | SUBSET | MINUTES | NAME"]
    for k, (spk, sex, f0) in enumerate([("11", "F", 230), ("12", "F", 250), ("13", "F", 215),
                                        ("21", "M", 100), ("22", "M", 120), ("23", "M", 90)]):
        folder = root / "dev-clean" / spk / "100"
        folder.mkdir(parents=True)
        for u in range(2):
            sf.write(folder / f"{spk}-100-{u:04d}.flac", _buzz(f0 + 5 * u, rng), SR)
        lines.append(f"{spk} | {sex} | dev-clean | 1.0 | Reader {k}")
    (root / "SPEAKERS.TXT").write_text("\n".join(lines) + "\n")
    code, out, err = _run(["train", "gender", root, "--out", tmp_path / "g.skops", "--cv", "5", "-q"])
    assert code == 0, out + err
    assert "12 recordings of 6 speakers" in out and "labels F: 6, M: 6" in out
    assert "3-fold speaker-disjoint StratifiedGroupKFold" in out  # 5 asked, 3 speakers per class
    assert "using 3 folds instead of 5" in err
    meta = read_model_metadata(tmp_path / "g.skops")
    assert meta["training_data"]["source"] == "librispeech" and meta["training_data"]["n_speakers"] == 6
    assert meta["training_data"]["folder"] == "LibriSpeech"  # the folder name only, not the full local path


# ---------------------------------------------------------------------------------------------------------- predict
def test_predict_csv_reports_bad_files_per_row(trained, tree, bad_files, tmp_path):
    path, _, _ = trained
    good = _good_files(tree)
    missing = str(tmp_path / "missing.wav")
    code, out, err = _run(["predict", "--model", path, good[0], bad_files, tree / "low", missing,
                           "--batch-size", "4"])
    assert code == 1, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["path", "label", "score", "error"]
    by_path = {r["path"]: r for r in rows}
    expected = [good[0]] + sorted(str(p) for p in bad_files.iterdir()) + _good_files(tree / "low") + [missing]
    assert [r["path"] for r in rows] == expected  # input order, folders expanded in sorted order
    for p in expected:
        r = by_path[p]
        if "bad" in p or p == missing:
            assert r["label"] == "" and r["score"] == "" and r["error"], r
        else:
            assert r["label"] == os.path.basename(os.path.dirname(p)) and r["error"] == "", r
            assert 0.5 <= float(r["score"]) <= 1.0
    assert "silent" in by_path[str(bad_files / "silent.wav")]["error"]
    assert "empty" in by_path[str(bad_files / "empty.wav")]["error"]
    assert "does not exist" in by_path[missing]["error"]
    assert by_path[str(bad_files / "corrupt.wav")]["error"]
    assert "4 failed" in err


def test_predict_json_to_file_all_good_exit_0(trained, tree, tmp_path):
    path, _, _ = trained
    target = tmp_path / "labels.json"
    code, out, err = _run(["predict", "--model", path, tree, "--format", "json", "--output", target, "--progress",
                           "--n-jobs", "1"])
    assert code == 0, err
    assert out == "" and "12/12" in err  # the progress bar, forced although stderr is not a terminal
    rows = json.loads(target.read_text())
    assert len(rows) == 12 and set(rows[0]) == {"path", "label", "score", "error"}
    assert all(r["error"] is None for r in rows)
    assert [r["label"] for r in rows] == [os.path.basename(os.path.dirname(r["path"])) for r in rows]
    assert "12 of 12 file(s) predicted" in err


def test_predict_table_and_quiet(trained, tree, bad_files):
    path, _, _ = trained
    code, out, err = _run(["predict", "--model", path, tree / "high", bad_files / "silent.wav", "--format", "table",
                           "-q"])
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["path", "label", "score", "error"] and set(lines[1].replace(" ", "")) == {"-"}
    assert len(lines) == 2 + 7
    assert lines[-1].startswith(str(bad_files / "silent.wav")) and "silent" in lines[-1]
    assert all(" high " in line for line in lines[2:-1])


def test_predict_shipped_gender_model(trained, tree, tmp_path, monkeypatch):
    import skvoice.pretrained as pretrained

    monkeypatch.setattr(pretrained, "_MODELS_DIR", str(tmp_path))
    code, _, err = _run(["predict", "gender", tree / "low"])
    assert code == 2 and "shipped gender model" in err and "missing" in err
    shutil.copy(trained[0], tmp_path / "gender.skops")
    assert list(pretrained.gender_classifier().classes_) == ["high", "low"]
    code, out, err = _run(["predict", "gender", tree / "low"])
    assert code == 0, err
    assert [r["label"] for r in csv.DictReader(io.StringIO(out))] == ["low"] * 6
    assert "the shipped gender model" in err


def test_predict_runs_a_trained_model_once_per_batch_with_the_n_jobs_asked(trained, tree, monkeypatch):
    """A saved model is an AugmentedTrainer: its pipeline used to run twice per batch (predict, then
    predict_proba), and ``--n-jobs`` reached only the unfitted template inside it, not the fitted copy."""
    from skvoice.features import SpeakerEmbedding

    calls, jobs = [], []
    original = SpeakerEmbedding.transform

    def counting(self, X):
        calls.append(len(X))
        jobs.append(self.n_jobs)
        return original(self, X)

    monkeypatch.setattr(SpeakerEmbedding, "transform", counting)
    code, out, err = _run(["predict", "--model", trained[0], "--n-jobs", "1", "--batch-size", "16", tree / "low"])
    assert code == 0, err
    assert calls == [6] and jobs == [1]
    assert len(list(csv.DictReader(io.StringIO(out)))) == 6


def test_predict_file_name_that_is_not_utf8(trained, tree, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    src = sorted((tree / "low").iterdir())[0]
    try:
        shutil.copy(os.fsencode(src), os.fsencode(folder) + b"/caf\xe9" + os.fsencode(src.suffix))
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    out = tmp_path / "labels.csv"
    code, _, err = _run(["predict", "--model", trained[0], "--output", out, folder])
    assert code == 0, err
    raw = out.read_bytes()
    assert b"caf\xe9" in raw and b",low," in raw  # the name as its bytes on disk, and a label (not an error)
    # JSON must stay valid UTF-8: the byte is escaped, and json.load gives back the name os.fsencode reads
    out = tmp_path / "labels.json"
    code, _, err = _run(["predict", "--model", trained[0], "--format", "json", "--output", out, folder])
    assert code == 0, err
    (row,) = json.loads(out.read_bytes().decode("utf-8"))
    assert os.fsencode(row["path"]).endswith(b"/caf\xe9" + os.fsencode(src.suffix)) and row["label"] == "low"


def test_closed_output_pipe_ends_quietly(monkeypatch):
    # `skvoice predict ... | head` ended with a BrokenPipeError traceback and status 1
    from skvoice import cli

    def closed_pipe(args):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(cli, "_cmd_predict", closed_pipe)
    code, out, err = _run(["predict", "gender", "x.wav"])
    assert code == 141 and "Traceback" not in err


def test_predict_usage_errors(trained, tree, tmp_path):
    path, _, _ = trained
    code, _, err = _run(["predict", tree])
    assert code == 2 and "predict gender FILES" in err
    code, _, err = _run(["predict", "--model", path, "gender", tree])
    assert code == 2 and "not both" in err
    code, _, err = _run(["predict", "--model", tmp_path / "none.skops", tree])
    assert code == 2 and "does not exist" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = _run(["predict", "--model", path, empty])
    assert code == 2 and "no audio files" in err
    code, _, err = _run(["predict", "--model", path, tree, "--format", "xml"])
    assert code == 2
    code, _, err = _run(["predict", "--model", path, tree, "--no-such-option"])
    assert code == 2 and "unrecognized arguments: --no-such-option" in err


def test_predict_options_between_the_inputs(trained, tree):
    # argparse took the positional inputs only before the first option: "unrecognized arguments: FILE"
    path, _, _ = trained
    low, high = sorted((tree / "low").iterdir()), sorted((tree / "high").iterdir())
    code, out, err = _run(["predict", "--model", path, low[0], "--format", "json", low[1], "-q", high[0]])
    assert code == 0, err
    rows = json.loads(out)
    assert [r["path"] for r in rows] == [str(low[0]), str(low[1]), str(high[0])]


class _PathModel(ClassifierMixin, BaseEstimator):
    """A user's model on paths: label from the file name length; raises ValueError on any name with 'bad'."""

    def fit(self, X, y):
        self.classes_ = np.array(["long", "short"])
        return self

    def predict(self, X):
        self.calls_ = getattr(self, "calls_", 0) + 1
        if any("bad" in os.path.basename(x) for x in X):
            raise ValueError("cannot handle a bad file")
        return np.array(["long" if len(os.path.basename(x)) > 8 else "short" for x in X])


def test_batch_fallback_isolates_bad_files_for_any_model(tmp_path):
    from skvoice._train_predict import has_score, predict_rows

    paths = []
    for name in ["a.wav", "bad1.wav", "ccccccccc.wav", "d.wav", "e.wav", "bad2.wav", "f.wav"]:
        (tmp_path / name).write_bytes(b"x")
        paths.append(str(tmp_path / name))
    model = _PathModel().fit(paths, None)
    assert not has_score(model)
    seen = []
    rows = list(predict_rows(model, paths, batch_size=3, progress=seen.append))
    assert [r["path"] for r in rows] == paths
    assert [r["label"] for r in rows] == ["short", None, "long", "short", "short", None, "short"]
    assert rows[1]["error"] == "ValueError: cannot handle a bad file" and rows[5]["error"]
    assert all(r["error"] is None for i, r in enumerate(rows) if i not in (1, 5))
    assert seen == [3, 3, 1]
    # batches [a, bad1, c] and [d, e, bad2] failed and were redone file by file; [f] passed at once
    assert model.calls_ == (1 + 3) + (1 + 3) + 1


class _AudioErrorModel(_PathModel):
    """Like skvoice's estimators: the error names the first bad file."""

    def predict(self, X):
        from skvoice import AudioError

        self.calls_ = getattr(self, "calls_", 0) + 1
        for x in X:
            if "bad" in os.path.basename(x):
                raise AudioError(x, "audio is silent")
        return np.array(["short"] * len(X))


def test_batch_retried_without_the_file_an_audio_error_names(tmp_path):
    from skvoice._train_predict import predict_rows

    paths = []
    for name in ["a.wav", "bad1.wav", "c.wav", "bad2.wav", "d.wav"]:
        (tmp_path / name).write_bytes(b"x")
        paths.append(str(tmp_path / name))
    model = _AudioErrorModel().fit(paths, None)
    rows = list(predict_rows(model, paths, batch_size=5))
    assert [r["label"] for r in rows] == ["short", None, "short", None, "short"]
    assert rows[1]["error"] == rows[3]["error"] == "audio is silent"
    assert model.calls_ == 3  # [all 5] -> [without bad1] -> [without bad2]


# ---------------------------------------------------------------------------------------------------------- model files
class _Identity(TransformerMixin, BaseEstimator):
    """A custom (untrusted) type: passes its input through."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X


@pytest.mark.parametrize("allow_pickle", [False, True])
def test_predict_with_a_damaged_model_file(trained, tree, tmp_path, allow_pickle):
    cut = tmp_path / "cut.skops"
    cut.write_bytes(trained[0].read_bytes()[:2000])  # an interrupted download
    code, _, err = _run(["predict", "--model", cut, *(["--allow-pickle"] if allow_pickle else []), tree / "low"])
    assert code == 2 and "cannot load the model: " in err and "truncated or damaged .skops file" in err
    assert "usage" not in err and "Traceback" not in err and "allow_pickle" not in err


def test_load_model_refuses_untrusted_type(trained, tree, tmp_path):
    from sklearn.pipeline import Pipeline

    model = load_model(trained[0])
    wrapped = Pipeline([("mine", _Identity()), ("model", model)])
    path = save_model(wrapped, tmp_path / "wrapped.skops")
    name = f"{__name__}._Identity"
    with pytest.raises(UntrustedModelError, match="not trusted to load") as info:
        load_model(path)
    assert info.value.types == [name]
    assert f"trusted=[{name!r}]" in str(info.value) and f"--trust {name}" in str(info.value)
    code, _, err = _run(["predict", "--model", path, tree / "low"])
    assert code == 2 and name in err
    # trusting it explicitly, by name or by type
    assert isinstance(load_model(path, trusted=[_Identity])[0], _Identity)
    code, out, err = _run(["predict", "--model", path, tree / "low", "--trust", name, "-q"])
    assert code == 0, err
    assert [r["label"] for r in csv.DictReader(io.StringIO(out))] == ["low"] * 6
    with pytest.raises(TypeError, match="list the types"):
        load_model(path, trusted=True)


def test_joblib_round_trip_needs_allow_pickle(trained, tree, tmp_path):
    model = load_model(trained[0])
    files = _good_files(tree)
    path = save_model(model, tmp_path / "m.joblib", metadata={"task": "gender", "data": "buzzes"})
    with pytest.raises(UntrustedModelError, match="allow_pickle=True"):
        load_model(path)
    with pytest.raises(UntrustedModelError, match="pickle"):
        read_model_metadata(path)
    again, meta = load_model(path, allow_pickle=True, return_metadata=True)
    assert meta["data"] == "buzzes" and meta["format"] == "joblib" and meta["classes"] == ["high", "low"]
    np.testing.assert_allclose(again.predict_proba(files), model.predict_proba(files), rtol=1e-5)
    # a pickle named .skops is recognised by its content and refused all the same
    disguised = save_model(model, tmp_path / "looks-safe.skops", format="joblib")
    with pytest.raises(UntrustedModelError, match="is a pickle"):
        load_model(disguised)
    code, _, err = _run(["predict", "--model", path, tree / "high"])
    assert code == 2 and "--allow-pickle" in err
    code, out, _ = _run(["predict", "--model", path, tree / "high", "--allow-pickle", "-q"])
    assert code == 0 and out.count(",high,") == 6


def test_version_mismatch_is_refused_with_instructions(trained, tmp_path, monkeypatch):
    model = load_model(trained[0])
    joblib_path = save_model(model, tmp_path / "m.joblib")
    saved = skvoice.__version__
    monkeypatch.setattr(skvoice, "__version__", "0.99.0")
    with pytest.raises(IncompatibleVersionError, match=rf"skvoice {saved}.*Install skvoice=={saved}"):
        load_model(trained[0])
    with pytest.raises(IncompatibleVersionError, match=rf"Install skvoice=={saved}"):
        load_model(joblib_path, allow_pickle=True)
    code, _, err = _run(["predict", "--model", trained[0], tmp_path])
    assert code == 2 and f"Install skvoice=={saved}" in err


def test_save_model_rejects_bad_arguments(tmp_path):
    from sklearn.dummy import DummyClassifier

    model = DummyClassifier().fit([[0], [1]], [0, 1])
    with pytest.raises(ValueError, match="suffix"):
        save_model(model, tmp_path / "m.bin")
    with pytest.raises(ValueError, match="format must be"):
        save_model(model, tmp_path / "m.skops", format="onnx")
    with pytest.raises(TypeError, match="JSON serialisable"):
        save_model(model, tmp_path / "m.skops", metadata={"x": object()})
    with pytest.raises(ValueError, match="skvoice_version"):
        save_model(model, tmp_path / "m.skops", metadata={"skvoice_version": "9"})
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_model(model, tmp_path / "no" / "m.skops")
    assert not list(tmp_path.iterdir())  # nothing half-written
    path = save_model(model, tmp_path / "m.skops", metadata={"when": np.float32(0.5)})
    assert read_model_metadata(path)["when"] == 0.5
    assert sorted(os.listdir(tmp_path)) == ["m.skops"]


def test_wav2vec_checkpoint_file_reference_is_refused(tmp_path):
    from skvoice.features import Wav2VecChunker

    checkpoint = tmp_path / "wav2vec_small.pt"
    checkpoint.write_bytes(b"not really a checkpoint")
    path = save_model(Wav2VecChunker(model=str(checkpoint)), tmp_path / "w.skops")
    with pytest.raises(UntrustedModelError, match="unpickles that checkpoint file") as info:
        load_model(path)
    assert info.value.types == ["skvoice.features._wav2vec.Wav2VecChunker"]
    assert load_model(path, trusted=info.value.types).model == str(checkpoint)
    # a hub id or a model folder is not a pickle: trusted by default
    assert load_model(save_model(Wav2VecChunker(model="facebook/wav2vec2-base"), tmp_path / "h.skops")).model


# ------------------------------------------------------------------------------------------------ skops round trips
def _pipelines():
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from skvoice.augment import AugmentedTrainer, BandLimit
    from skvoice.classifiers import FrameVoteClassifier, GMMSpeakerClassifier, ScoreFusion, SpeakerVerifier
    from skvoice.features import (
        CMVN,
        Denoise,
        MFCCExtractor,
        OutlierFilter,
        SpeakerEmbedding,
        StatsPooling,
        VoiceActivityDetector,
    )

    return {
        "vad-embedding-logreg": make_pipeline(VoiceActivityDetector(method="energy"), SpeakerEmbedding(vad=False),
                                              LogisticRegression()),
        "mfcc-outliers-cmvn-framevote-hgb": make_pipeline(
            MFCCExtractor(deltas=True, pitch=True), OutlierFilter(), CMVN(),
            FrameVoteClassifier(HistGradientBoostingClassifier(max_iter=5), voting="soft", max_frames=40,
                                random_state=0)),
        "mfcc-pooling-logreg": make_pipeline(MFCCExtractor(), StatsPooling(), LogisticRegression()),
        "mfcc-gmm-ubm": make_pipeline(MFCCExtractor(), CMVN(mode="per_recording"),
                                      GMMSpeakerClassifier(n_components=2, ubm=True, random_state=0)),
        "mfcc-gmm": make_pipeline(MFCCExtractor(), CMVN(), GMMSpeakerClassifier(n_components=2, random_state=0)),
        # the speaker recipe's shape: denoising, augmentation at fit time, cosine + PLDA back ends, fusion
        "augmented-denoise-fusion": AugmentedTrainer(
            ScoreFusion([(name, make_pipeline(Denoise(), MFCCExtractor(), StatsPooling(),
                                              SpeakerVerifier(scoring=name, random_state=0)))
                         for name in ("cosine", "plda")], cv=2, random_state=0),
            BandLimit(), n_copies=1, random_state=0),
    }


@pytest.mark.parametrize("name", list(_pipelines()))
def test_skops_round_trip_of_skvoice_pipelines(name, tmp_path):
    rng = np.random.default_rng(4)
    X = np.empty(8, dtype=object)
    X[:] = [_buzz(f0, rng, seconds=0.8) for f0 in (100, 110, 120, 105, 230, 250, 240, 260)]
    y = np.array(["M"] * 4 + ["F"] * 4, dtype=object)
    model = _pipelines()[name].fit(X, y)
    path = save_model(model, tmp_path / "m.skops")
    if "hgb" in name:  # skops does not trust the trees of tree ensembles by default; skvoice keeps that choice
        tree = "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"
        with pytest.raises(UntrustedModelError) as info:
            load_model(path)
        assert info.value.types == [tree]
        again = load_model(path, trusted=[tree])
    else:
        again = load_model(path)  # default trust: skvoice's public estimators and what skops trusts
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    np.testing.assert_allclose(again.predict_proba(X), model.predict_proba(X), rtol=1e-6, atol=1e-9)
    assert read_model_metadata(path)["classes"] == ["F", "M"]


# ---------------------------------------------------------------------------------------------------------- real data
@pytest.mark.realdata
@pytest.mark.slow
def test_train_and_predict_on_the_bundled_librispeech_sample(tmp_path):
    from skvoice.datasets._sample import _sample_root

    root = _sample_root()
    path = tmp_path / "gender.skops"
    code, out, err = _run(["train", "gender", root, "--subset", "train-clean-100", "--out", path, "--cv", "3",
                           "-q"])
    assert code == 0, out + err
    meta = read_model_metadata(path)
    assert meta["training_data"]["n_speakers"] == 60
    # measured with the first recipe: 0.967 (3-fold, 60 readers), and 52 of the 60 test-other files right
    assert meta["cross_validation"]["accuracy_mean"] >= 0.8, meta["cross_validation"]
    code, out, err = _run(["predict", "--model", path, os.path.join(root, "test-other"), "-q"])
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    from skvoice.datasets import read_speakers

    sex = read_speakers(os.path.join(root, "SPEAKERS.TXT"))["gender"]
    truth = [sex[os.path.basename(r["path"]).split("-")[0]] for r in rows]
    accuracy = np.mean([r["label"] == t for r, t in zip(rows, truth)])
    assert len(rows) == 60 and accuracy >= 0.75  # 10 unseen readers of test-other


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_saved_model_files_get_the_permissions_open_gives(tmp_path):
    # they were private (0600, from tempfile.mkstemp): a model saved to a shared folder could not be read by others
    from sklearn.dummy import DummyClassifier

    model = DummyClassifier().fit([[0], [1]], [0, 1])
    old = os.umask(0o022)
    try:
        for name in ("m.skops", "m.joblib"):
            path = save_model(model, tmp_path / name)
            assert os.stat(path).st_mode & 0o777 == 0o644, name
        os.chmod(tmp_path / "m.skops", 0o640)  # overwriting keeps the file's own permissions
        save_model(model, tmp_path / "m.skops")
        assert os.stat(tmp_path / "m.skops").st_mode & 0o777 == 0o640
    finally:
        os.umask(old)
    assert sorted(os.listdir(tmp_path)) == ["m.joblib", "m.skops"]


def test_a_rejected_recording_scores_its_best_speaker():
    # the decision_function branch gave an open-set reject the score of classes_[0] (or a flipped binary margin);
    # since 0.2.7 a speaker scorer reports its best speaker's score, the one its threshold is held against
    from skvoice._train_predict import _predict_with_scores
    from skvoice.classifiers import SpeakerVerifier

    rng = np.random.RandomState(0)
    y = np.repeat(["alice", "bob", "carol", "dave"], 6)
    X = rng.normal(size=(4, 8))[np.repeat(np.arange(4), 6)] + 0.3 * rng.normal(size=(24, 8))
    for n in (24, 12):  # four speakers, two speakers (1-D decision_function)
        ver = SpeakerVerifier(calibration=None, threshold=50.0, random_state=0).fit(X[:n], y[:n])
        assert not hasattr(ver, "predict_proba")
        best = ver.speaker_scores(X[:2])
        labels, scores = _predict_with_scores(ver, X[:2])
        assert labels.tolist() == [-1, -1]
        np.testing.assert_allclose(scores, best.max(axis=1))
        assert (scores < 50.0).all()
        ver.set_params(threshold=None)
        labels, scores = _predict_with_scores(ver, X[:2])
        assert labels.tolist() == ["alice", "alice"]
        np.testing.assert_allclose(scores, best[:, 0])


def test_interrupted_predict_leaves_the_earlier_output_as_it_was(trained, tree, tmp_path, monkeypatch):
    # --output was emptied before predicting and filled as it went: Ctrl-C destroyed the earlier results or left a
    # CSV that parsed as complete
    from skvoice._train_predict import predict_rows

    path, _, _ = trained
    out = tmp_path / "labels.csv"
    out.write_text("earlier results\n")

    def interrupted(*args, **kwargs):
        rows = predict_rows(*args, **kwargs)
        yield next(rows)
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr("skvoice._train_predict.predict_rows", interrupted)
        code, _, err = _run(["predict", "--model", path, tree, "--output", out, "--batch-size", "1"])
    assert code == 130 and "interrupted" in err
    assert out.read_text() == "earlier results\n" and sorted(os.listdir(tmp_path)) == ["labels.csv"]
    code, _, _ = _run(["predict", "--model", path, tree, "--output", out])
    assert code == 0 and out.read_text().startswith("path,label") and sorted(os.listdir(tmp_path)) == ["labels.csv"]


def test_unwritable_outputs_are_refused_before_the_work(trained, tree, tmp_path, monkeypatch):
    # train found a --out under a file only after cross-validation and the final fit (the model was lost, the
    # message named an internal temporary file); reproduce printed a traceback (exit 1)
    import skvoice._train_predict as tp

    notes = tmp_path / "notes.txt"
    notes.write_text("")

    def no_training(*args, **kwargs):
        raise AssertionError("trained before checking --out")

    monkeypatch.setattr(tp, "load_training_data", no_training)
    code, _, err = _run(["train", "gender", tree, "--out", notes / "m.skops"])
    assert code == 2 and "is a file, not a folder" in err and ".skvoice" not in err
    code, _, err = _run(["reproduce", "--quick", "--synthetic", "--out", notes / "report"])
    assert code == 2 and "is a file, not a folder" in err and "Traceback" not in err
    path, _, _ = trained
    code, _, err = _run(["predict", "--model", path, tree, "--output", tmp_path])
    assert code == 2 and "is a folder" in err
    code, _, err = _run(["predict", "--model", path, tree, "--output", tmp_path / "missing" / "labels.csv"])
    assert code == 2 and "does not exist" in err and ".partial" not in err


def test_atomic_open_refuses_a_folder_or_a_missing_folder_before_creating_anything(tmp_path):
    from skvoice._files import atomic_open

    with pytest.raises(IsADirectoryError, match="is a folder, not a file name"):
        with atomic_open(tmp_path, "w"):
            pass
    with pytest.raises(FileNotFoundError, match="does not exist"):
        with atomic_open(tmp_path / "missing" / "x.txt", "w"):
            pass
    assert os.listdir(tmp_path) == []
