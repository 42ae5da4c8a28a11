"""The ``skvoice`` command line: reproduce (synthetic and real data), demo, info, errors and exit codes."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from skvoice.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _fake_root(tmp_path, subsets=("dev-clean",)):
    root = tmp_path / "LibriSpeech"
    root.mkdir()
    (root / "SPEAKERS.TXT").write_text("; ID | SEX | SUBSET | MINUTES | NAME\n1 | F | dev-clean | 1.0 | A\n")
    for sub in subsets:
        (root / sub / "1" / "10").mkdir(parents=True)
    return root


def _check_png(path):
    import matplotlib.image as mpimg

    with open(path, "rb") as fh:
        assert fh.read(8) == PNG_MAGIC, path
    img = mpimg.imread(path)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100, (path, img.shape)
    assert float(np.ptp(img[..., :3])) > 0.1, f"{path} is blank"


# ---------------------------------------------------------------------------------------------------- usage
def test_help(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "reproduce" in out and "demo" in out and "info" in out
    assert main(["reproduce", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--data", "--gender-subset", "--speaker-subset", "--quick", "--models", "--wav2vec", "--hubert",
                   "--synthetic", "--n-jobs", "--seed", "--out"):
        assert option in out


def test_no_command_and_bad_arguments(capsys, tmp_path):
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err
    assert main(["reproduce", "--synthetic", "--models", "gb,nope", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "unknown model(s) nope" in err and "gmm-ubm" in err
    assert main(["reproduce", "--n-jobs", "0"]) == 2
    assert "--n-jobs" in capsys.readouterr().err
    assert main(["reproduce", "--synthetic", "--steps", "robustness,nope", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "unknown step(s) nope" in err and "speaker_verification" in err
    assert not any(tmp_path.iterdir())


def test_steps_option_selects_the_added_steps(monkeypatch):
    # the recipe steps ran whatever --models said: most of a --quick run's time
    from skvoice.cli import build_parser
    from skvoice.study import run
    from skvoice.study.config import ReproduceConfig

    parse = build_parser().parse_args
    assert parse(["reproduce"]).steps is None
    assert parse(["reproduce", "--steps", "none"]).steps == ()
    assert parse(["reproduce", "--steps", "robustness"]).steps == ("robustness",)
    calls = []
    monkeypatch.setattr(run, "EXTRA_STEPS", {"a": (lambda ctx, res: calls.append("a"), 1),
                                             "b": (lambda ctx, res: calls.append("b"), 2)})
    config = ReproduceConfig(steps=("b",))
    assert [name for name in run.EXTRA_STEPS if config.runs_step(name)] == ["b"]
    assert config.to_dict()["steps"] == ["b"] and "steps" not in ReproduceConfig().to_dict()
    assert run._plan_size(config, [], [], True) == run._plan_size(ReproduceConfig(steps=()), [], [], True) + 2


def test_shared_options_of_every_command(capsys):
    """--n-jobs, the seed and -q/--quiet are built by one helper each: same type checks and defaults."""
    from skvoice.cli import build_parser

    parser = build_parser()
    commands = {"reproduce": [], "demo": [], "train": ["gender", "DATA", "--out", "m.skops"], "predict": ["x.wav"]}
    defaults = {"reproduce": -1, "demo": None, "train": None, "predict": None}
    for command, required in commands.items():
        args = parser.parse_args([command, *required])
        assert args.n_jobs == defaults[command] and args.quiet is False
        assert parser.parse_args([command, *required, "-q", "--n-jobs", "-1"]).quiet is True
        for bad, message in (("0", "--n-jobs must not be 0"), ("x", "--n-jobs must be an integer, got 'x'")):
            with pytest.raises(SystemExit):
                parser.parse_args([command, *required, "--n-jobs", bad])
            assert message in capsys.readouterr().err
    assert parser.parse_args(["demo"]).seed == parser.parse_args(["train", *commands["train"]]).random_state == 0


@pytest.mark.parametrize("argv, message", [
    (["train", "gender", "D", "--out", "m.skops", "--cv", "y"], "--cv must be an integer, got 'y'"),
    (["train", "gender", "D", "--out", "m.skops", "--cv", "1"], "--cv must be 0 (no cross-validation) or at least 2"),
    (["predict", "--batch-size", "z", "x.wav"], "--batch-size must be an integer, got 'z'"),
    (["predict", "--batch-size", "0", "x.wav"], "--batch-size must be at least 1, got 0"),
    (["demo", "--n-jobs", "x"], "--n-jobs must be an integer, got 'x'"),
    (["demo", "--seed", "x"], "invalid int value: 'x'"),
])
def test_integer_options_say_what_is_wrong(capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_python_dash_m_skvoice():
    proc = subprocess.run([sys.executable, "-m", "skvoice", "--version"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    import skvoice

    assert proc.stdout.strip() == f"skvoice {skvoice.__version__}"


def test_info(capsys, monkeypatch, tmp_path):
    root = _fake_root(tmp_path, subsets=("dev-clean", "test-other"))
    monkeypatch.setenv("SKVOICE_LIBRISPEECH", str(root))
    monkeypatch.setenv("SKVOICE_DATA", str(tmp_path / "home"))
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("skvoice ")
    assert "dev-clean (1 speakers)" in out and "test-other (1 speakers)" in out
    assert "keras" in out and "HuBERT" in out
    assert all(f"  {extra} (" in out for extra in ("vad", "io", "augment", "denoise"))  # every extra of pyproject


# ---------------------------------------------------------------------------------------------------- missing data
def test_missing_data_root_exits_2_with_instructions(capsys, tmp_path):
    missing = tmp_path / "nowhere"
    assert main(["reproduce", "--data", str(missing), "--out", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "does not exist" in err
    assert "SKVOICE_LIBRISPEECH" in err and "--synthetic" in err and "dev-clean.tar.gz" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("option", ["--hubert", "--wav2vec"])
def test_a_named_model_path_that_does_not_exist_exits_2(capsys, tmp_path, option):
    # a typo used to turn the model's rows into "skipped" and the run exited 0
    missing = tmp_path / "hubertt"
    assert main(["reproduce", "--synthetic", option, str(missing), "--out", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err
    assert option in err and "does not exist" in err and not (tmp_path / "out").exists()


def test_root_without_speakers_txt(capsys, tmp_path):
    (tmp_path / "dev-clean").mkdir()
    assert main(["reproduce", "--data", str(tmp_path), "--out", str(tmp_path / "out"), "-q"]) == 2
    assert "SPEAKERS.TXT" in capsys.readouterr().err


def test_offline_download_without_data_exits_2(capsys, monkeypatch, tmp_path):
    """--download with no --data, no $SKVOICE_LIBRISPEECH, nothing downloaded and offline: instructions, exit 2."""
    monkeypatch.delenv("SKVOICE_LIBRISPEECH", raising=False)
    monkeypatch.setenv("SKVOICE_DATA", str(tmp_path / "home"))
    monkeypatch.setenv("SKVOICE_OFFLINE", "1")
    assert main(["reproduce", "--download", "--out", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "could not be fetched" in err and "--data /path/to/LibriSpeech" in err and "--synthetic" in err
    assert "Traceback" not in err


def test_without_data_the_bundled_real_sample_is_used(monkeypatch):
    """No --data and no $SKVOICE_LIBRISPEECH: the real LibriSpeech sample inside the package, no network."""
    from skvoice.study.data import BUNDLED_ORIGIN, resolve_root

    monkeypatch.delenv("SKVOICE_LIBRISPEECH", raising=False)
    monkeypatch.setenv("SKVOICE_OFFLINE", "1")
    root, origin = resolve_root(None)
    assert origin == BUNDLED_ORIGIN and os.path.isfile(os.path.join(root, "SPEAKERS.TXT"))
    assert os.path.isdir(os.path.join(root, "train-clean-100")) and os.path.isdir(os.path.join(root, "test-other"))


def test_missing_subset_lists_available(capsys, tmp_path):
    root = _fake_root(tmp_path, subsets=("dev-clean", "test-other"))
    code = main(["reproduce", "--data", str(root), "--gender-subset", "train-clean-100", "--out",
                 str(tmp_path / "out"), "-q"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--gender-subset 'train-clean-100' not found" in err and "dev-clean, test-other" in err


def test_choose_subset_defaults(tmp_path):
    from skvoice.study.data import GENDER_SUBSETS, SPEAKER_SUBSETS, choose_subset

    root = str(_fake_root(tmp_path, subsets=("test-other", "train-clean-100")))
    sub, note = choose_subset(root, None, GENDER_SUBSETS, "--gender-subset")
    assert sub == "train-clean-100" and "dev-clean" in note and "test-other" in note
    sub, note = choose_subset(root, None, SPEAKER_SUBSETS, "--speaker-subset")
    assert sub == "test-other"
    assert choose_subset(root, "test-other", GENDER_SUBSETS, "--gender-subset") == ("test-other", None)


# ---------------------------------------------------------------------------------------------------- synthetic runs
RESULT_KEYS = {"skvoice_version", "command", "created_utc", "config", "budget", "machine", "study", "data",
               "outliers", "gender", "speaker", "pca", "kmeans", "timings", "total_seconds", "figures"}


def test_reproduce_synthetic_quick(capsys, tmp_path):
    out = tmp_path / "report"
    code = main(["reproduce", "--synthetic", "--quick", "--out", str(out), "--models", "gb,best,gmm,gmm-ubm",
                 "--n-jobs", "1", "--seed", "1"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    # progress on stderr, summary on stdout
    assert "loading data" in captured.err and "gender: Gradient Boosting" in captured.err
    assert "Gradient Boosting" in captured.out and "speaker-disjoint" in captured.out and "report.md" in captured.out

    results = json.loads((out / "results.json").read_text())
    assert RESULT_KEYS <= set(results)
    assert results["config"]["synthetic"] and results["config"]["seed"] == 1
    data = results["data"]
    assert data["source"] == "synthetic"
    assert data["gender"]["n_speakers"] == 6 and data["gender"]["n_recordings"] == 18
    assert data["gender"]["n_frames"] == results["outliers"]["n_frames"] > 0
    assert results["machine"]["usable_cores"] >= 1 and results["machine"]["versions"]["scikit-learn"]
    assert set(results["outliers"]["counts"]) == {"Z-score", "IQR"}
    assert len(results["outliers"]["counts"]["IQR"]) == 14  # 13 coefficients + any

    gender = results["gender"]
    assert set(gender["models"]) == {"gb", "best"}
    assert gender["protocols"]["speaker_disjoint"]["n_splits"] == 3
    assert gender["protocols"]["study_split"]["n_test"] == 4
    for key in ("gb", "best"):
        model = gender["models"][key]
        assert model["status"] == "ok", model
        assert set(model["protocols"]) == {"study_split", "speaker_disjoint"}
        for protocol in model["protocols"].values():
            assert set(protocol["metrics"]) == {"per recording", "per frame"}
            for metric in ("accuracy", "precision", "recall", "f1"):
                value = protocol["metrics"]["per recording"][metric]
                assert 0 <= value["mean"] <= 1 and len(value["values"]) == protocol["n_splits"]
    # the pitch + deltas pipeline separates synthetic sexes on unseen speakers
    best = gender["models"]["best"]["protocols"]["speaker_disjoint"]["metrics"]["per recording"]["accuracy"]
    assert best["mean"] >= 0.8
    speaker = results["speaker"]
    assert set(speaker["models"]) == {"gmm", "gmm-ubm", "gmm@wav2vec", "gmm-ubm@wav2vec"}
    assert speaker["models"]["gmm"]["status"] == "ok"
    assert speaker["models"]["gmm@wav2vec"]["status"] == "skipped"
    assert "--wav2vec" in speaker["models"]["gmm@wav2vec"]["reason"]
    acc = speaker["models"]["gmm-ubm"]["protocols"]["closed_set"]["metrics"]["per recording"]["accuracy"]["mean"]
    assert acc > 1 / 6  # better than chance over 6 speakers
    assert results["pca"]["mfcc"]["status"] == "ok" and 1 <= results["pca"]["mfcc"]["mean"] <= 13
    assert results["pca"]["wav2vec"]["status"] == "skipped"
    km = results["kmeans"]["mfcc"]["levels"]
    assert set(km) == {"frames", "recordings"} and -1 <= km["frames"]["adjusted_rand"] <= 1
    assert "gender/gb/speaker_disjoint" in results["timings"] and results["total_seconds"] > 0

    report = (out / "report.md").read_text()
    for text in ("## Task 1: Count of outliers", "## Task 1: Classifier Performance Results",
                 "| Classifier | Evaluation Type | Accuracy | Precision | Recall | Study Accuracy",
                 "## Task 2: Speaker Prediction task Performance Results", "## Task 2: PCA",
                 "## Task 2: K-means clustering", "Both protocols side by side",
                 "0.901845", "0.803544", "| Z-score (study) | 80 | 2332", "Per audio", "Per frame"):
        assert text in report, text
    assert "4 of 6 speakers have recordings in both" in report or "speakers have recordings in both" in report
    for fig in results["figures"]:
        assert f"]({fig})" in report
        _check_png(out / fig)
    assert {"outliers.png", "pca_components_mfcc.png", "kmeans_mfcc.png", "confusion_gender_gb.png",
            "confusion_speaker_gmm.png"} <= set(results["figures"])


def test_failing_model_is_reported_and_exit_code_1(capsys, monkeypatch, tmp_path):
    """One model raising does not lose the report: it is marked failed (with the error) and the exit code is 1."""
    import skvoice.study.models as models

    def boom(*args, **kwargs):
        raise RuntimeError("boom in the frame classifier")

    monkeypatch.setattr(models, "frame_vote_pipeline", boom)
    out = tmp_path / "report"
    code = main(["reproduce", "--synthetic", "--quick", "--out", str(out), "--models", "gb,gmm", "--n-jobs", "1",
                 "-q"])
    captured = capsys.readouterr()
    assert code == 1
    assert "1 part(s) failed: gender/gb" in captured.err
    results = json.loads((out / "results.json").read_text())
    gb = results["gender"]["models"]["gb"]
    assert gb["status"] == "failed" and "boom in the frame classifier" in gb["reason"]
    assert "RuntimeError" in gb["traceback"]
    assert results["speaker"]["models"]["gmm"]["status"] == "ok"
    assert "failed: RuntimeError: boom in the frame classifier" in (out / "report.md").read_text()


def test_demo_runs_with_metadata_routing_on(capsys, monkeypatch):
    # cross_val_score(groups=...) is refused once routing is on: the demo ended in a ValueError
    import sklearn

    monkeypatch.delenv("SKVOICE_LIBRISPEECH", raising=False)
    with sklearn.config_context(enable_metadata_routing=True):
        assert main(["demo", "--n-jobs", "1"]) == 0
    assert "data: synthetic voices" in capsys.readouterr().out


def test_demo_synthetic(capsys, monkeypatch):
    monkeypatch.delenv("SKVOICE_LIBRISPEECH", raising=False)
    assert main(["demo", "--n-jobs", "1"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "data: synthetic voices" in out
    lines = {line.split(":")[0].strip(): line for line in out.splitlines()}
    for task in ("gender", "speaker ID"):
        acc = float(lines[task].split("accuracy ")[1].split()[0])
        assert 0.5 <= acc <= 1.0, lines[task]
    assert "speaker-disjoint" in lines["gender"]


@pytest.mark.slow
def test_reproduce_synthetic_all_models_with_local_pretrained(capsys, tmp_path):
    """Every model, including the Keras nets and tiny local HuBERT / wav2vec2 models (no download)."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("keras")
    from skvoice.classifiers._hubert import HubertForSpeechClassification

    torch.manual_seed(0)
    tiny = dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32, conv_dim=(8, 8),
                conv_kernel=(10, 3), conv_stride=(5, 2), num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=2)
    hub = tmp_path / "hubert"
    HubertForSpeechClassification(transformers.HubertConfig(
        **tiny, pooling_mode="mean", id2label={0: "female", 1: "male"},
        architectures=["HubertForSpeechClassification"])).save_pretrained(hub)
    w2v = tmp_path / "w2v"
    transformers.Wav2Vec2Model(transformers.Wav2Vec2Config(**tiny)).save_pretrained(w2v)
    out = tmp_path / "report"
    code = main(["reproduce", "--synthetic", "--quick", "--out", str(out), "--n-jobs", "1", "-q",
                 "--models", "dense,cnn,hubert,speaker-net,embedding", "--hubert", str(hub), "--wav2vec", str(w2v)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    results = json.loads((out / "results.json").read_text())
    g, s = results["gender"]["models"], results["speaker"]["models"]
    assert set(g) == {"dense", "cnn", "hubert", "embedding"} and set(s) == {"speaker-net", "speaker-net@wav2vec",
                                                                             "embedding"}
    for key in ("dense", "cnn", "hubert"):
        assert g[key]["status"] == "ok", (key, g[key])
    epochs = g["dense"]["protocols"]["speaker_disjoint"]["epochs_per_split"]
    assert len(epochs) == 3 and 1 <= min(epochs) and max(epochs) <= 2  # the tiny --quick --synthetic budget
    assert set(g["hubert"]["protocols"]["study_split"]["metrics"]) == {"per recording"}
    assert g["hubert"]["model"] == str(hub)
    for key in ("speaker-net", "speaker-net@wav2vec"):
        assert s[key]["status"] == "ok", (key, s[key])
    # SpeakerEmbedding needs the resemblyzer extra; without it the rows say so instead of failing
    assert g["embedding"]["status"] in ("ok", "skipped") and s["embedding"]["status"] == g["embedding"]["status"]
    assert results["pca"]["wav2vec"]["status"] == "ok" and results["pca"]["wav2vec"]["n_features"] == 16
    assert results["kmeans"]["wav2vec"]["status"] == "ok"
    for fig in results["figures"]:
        _check_png(out / fig)
    assert "kmeans_wav2vec.png" in results["figures"]


@pytest.mark.slow
def test_hub_hubert_not_available_offline_is_skipped_not_failed(capsys, tmp_path, monkeypatch):
    # a hub id that is not in the local cache, offline: skipped (a local path that does not exist is a usage
    # error, see test_a_named_model_path_that_does_not_exist_exits_2)
    pytest.importorskip("transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = tmp_path / "report"
    code = main(["reproduce", "--synthetic", "--quick", "--out", str(out), "--models", "hubert", "--hubert",
                 "nobody/no-such-hubert-model", "--n-jobs", "1", "-q"])
    assert code == 0, capsys.readouterr().err
    results = json.loads((out / "results.json").read_text())
    hub = results["gender"]["models"]["hubert"]
    assert hub["status"] == "skipped" and "nobody/no-such-hubert-model" in hub["reason"]
    assert "Hugging Face Model" in (out / "report.md").read_text()


# ---------------------------------------------------------------------------------------------------- real data
@pytest.mark.realdata
@pytest.mark.slow
def test_reproduce_quick_on_shared_librispeech(capsys, tmp_path, librispeech_root):
    subsets = os.listdir(librispeech_root)
    if not {"train-clean-100", "test-other"} <= set(subsets):
        pytest.skip(f"needs train-clean-100 and test-other under {librispeech_root}")
    out = tmp_path / "report"
    code = main(["reproduce", "--data", librispeech_root, "--gender-subset", "train-clean-100", "--speaker-subset",
                 "test-other", "--quick", "--out", str(out), "--models", "gb,best,gmm", "-q"])
    assert code == 0, capsys.readouterr().err
    results = json.loads((out / "results.json").read_text())
    g_data, s_data = results["data"]["gender"], results["data"]["speaker"]
    assert g_data["subset"] == "train-clean-100" and g_data["n_female"] == g_data["n_male"] == 30
    assert g_data["recordings_per_speaker"] == {"min": 1, "max": 1}
    assert s_data["subset"] == "test-other" and s_data["n_speakers"] == 10 and s_data["n_recordings"] == 60
    # one utterance per speaker: the study's random split is speaker-disjoint here, and the report says so
    assert results["gender"]["protocols"]["study_split"]["speakers_in_train_and_test"] == 0
    assert "so this split is also speaker-disjoint" in (out / "report.md").read_text()
    assert results["outliers"]["n_frames"] > 20_000
    counts = results["outliers"]["counts"]
    assert all(counts["IQR"][c] >= counts["Z-score"][c] for c in ("MFCC_1", "MFCC_4", "MFCC_12"))

    def acc(task, key, protocol):
        return results[task]["models"][key]["protocols"][protocol]["metrics"]["per recording"]["accuracy"]["mean"]

    assert 0.6 <= acc("gender", "best", "speaker_disjoint") <= 1.0
    assert 0.4 <= acc("gender", "gb", "speaker_disjoint") <= 1.0
    assert acc("speaker", "gmm", "closed_set") >= 0.7  # 10 speakers: chance is 0.1
    pca = results["pca"]["mfcc"]
    assert 2 <= pca["mean"] <= 13 and pca["n_recordings"] == 60
    assert results["kmeans"]["mfcc"]["levels"]["recordings"]["adjusted_rand"] > 0.2
