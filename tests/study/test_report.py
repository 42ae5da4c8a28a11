"""Typed study results -> report.md, results.json and the console summary, on fabricated numbers."""

import json

import pytest

from skvoice.study import report as report_mod
from skvoice.study.config import Budget, ReproduceConfig
from skvoice.study.machine import MachineInfo
from skvoice.study.reference import STUDY
from skvoice.study.report import register_section, render_markdown, write_report
from skvoice.study.results import (
    CorpusDescription,
    DataInfo,
    KMeansLevel,
    KMeansResult,
    MetricSummary,
    ModelResult,
    OutlierResult,
    PCAResult,
    ProtocolInfo,
    ProtocolResult,
    StudyResults,
    TaskResult,
)
from skvoice.study.summary import format_summary, summary_rows


def _metrics(*levels):
    """``{level: {metric: summary}}`` from ``(level, {metric: [values per split]})`` pairs."""
    return {level: {m: MetricSummary.from_values(v) for m, v in values.items()} for level, values in levels}


def _model(key, label, features="mfcc", study_key=None, **kw):
    return ModelResult(key=key, label=label, features=features, feature_label=f"<{features}>",
                       description=f"{label} pipeline", study_key=study_key, **kw)


def _description(n_speakers, n_recordings, **kw):
    return CorpusDescription(source="librispeech", root="/data/LS", subset=kw.pop("subset", "dev-clean"),
                             selection="all speakers", notes=kw.pop("notes", []), n_speakers=n_speakers, n_female=2,
                             n_male=2, n_recordings=n_recordings, hours=0.5, mean_duration_s=10.0,
                             recordings_per_speaker={"min": 1, "max": 3}, **kw)


def make_results():
    """A complete StudyResults with hand-picked numbers (no computation)."""
    gb = _model("gb", "Gradient Boosting", study_key="gb", seconds=12.0, confusion_figure="confusion_gender_gb.png")
    gb.protocols["study_split"] = ProtocolResult(
        1, _metrics(("per recording", {"accuracy": [0.75], "precision": [0.8], "recall": [0.7], "f1": [0.74]}),
                    ("per frame", {"accuracy": [0.6], "precision": [0.61], "recall": [0.62], "f1": [0.6]})),
        fit_seconds=1.0)
    gb.protocols["speaker_disjoint"] = ProtocolResult(
        3, _metrics(("per recording", {"accuracy": [0.9, 1.0, 0.8], "precision": [1.0, 1.0, 1.0],
                                       "recall": [0.5, 0.5, 0.5], "f1": [0.6, 0.6, 0.6]}),
                    ("per frame", {"accuracy": [0.7, 0.7, 0.7], "precision": [0.7, 0.7, 0.7],
                                   "recall": [0.7, 0.7, 0.7], "f1": [0.7, 0.7, 0.7]})),
        fit_seconds=2.5, train_frames_per_split=[100, 200, 300])
    hubert = _model("hubert", "Hugging Face Model", features="audio", study_key="hubert", status="skipped",
                    reason="no local model")
    gender = TaskResult("gender", {
        "study_split": ProtocolInfo("random 80/20", 1, n_train=16, n_test=4, speakers_in_train_and_test=3,
                                    n_speakers=4, speaker_disjoint=False),
        "speaker_disjoint": ProtocolInfo("StratifiedGroupKFold(3) by speaker", 3, speaker_disjoint=True),
    }, labels=["F", "M"], positive_class="M", models={"gb": gb, "hubert": hubert})

    gmm = _model("gmm", "Gaussian Mixture Model", study_key="gmm", seconds=3.0)
    gmm.protocols["closed_set"] = ProtocolResult(2, _metrics(
        ("per recording", {"accuracy": [0.5, 1.0], "precision": [1, 1], "recall": [1, 1], "f1": [0.4, 0.8]})))
    failed = _model("gmm-ubm", "GMM-UBM (MAP)", status="failed", reason="RuntimeError: boom", traceback="Traceback")
    speaker = TaskResult("speaker", {"closed_set": ProtocolInfo("closed-set StratifiedKFold(2)", 2)},
                         labels=["1", "2"], models={"gmm": gmm, "gmm-ubm": failed})

    counts = {"Z-score": {**{f"MFCC_{i}": i for i in range(13)}, "any": 50},
              "IQR": {**{f"MFCC_{i}": 10 * i for i in range(13)}, "any": 100}}
    kmeans_levels = {"frames": KMeansLevel(1000, 13, 4, 0.9, {"adjusted_rand": 0.1, "nmi": 0.2, "purity": 0.3}),
                     "recordings": KMeansLevel(20, 13, 4, 0.95, {"adjusted_rand": 0.9, "nmi": 0.8, "purity": 0.95},
                                               pooling="mean+std")}
    return StudyResults(
        skvoice_version="9.9", command="skvoice reproduce --quick", created_utc="2026-01-01T00:00:00+00:00",
        config=ReproduceConfig(quick=True, seed=7), budget=Budget.make(quick=True),
        machine=MachineInfo(platform="Linux-x", machine="x86_64", python="3.11.7", cpu_count=2, usable_cores=2,
                            memory_gib=8.0, load_average_start=[1.0, 0.5, 0.25], keras_backend="torch",
                            versions={"numpy": "2"}),
        study=STUDY,
        data=DataInfo("librispeech", "/data/LS", "--data", ["a data note"], _description(4, 20, n_frames=5000),
                      _description(2, 6, subset="test-other", notes=["a speaker note"], n_frames=800)),
        outliers=OutlierResult(5000, "MFCC (13)", counts, "outliers.png"),
        gender=gender, speaker=speaker,
        pca={"mfcc": PCAResult("ok", n_features=13, n_recordings=6, n_without_variance=0, threshold=0.85, mean=7.5,
                               median=7.0, min=6, max=9, histogram={"7": 3}, figure="pca_components_mfcc.png"),
             "wav2vec": PCAResult("skipped", "no wav2vec2 encoder given")},
        kmeans={"mfcc": KMeansResult("ok", levels=kmeans_levels, figure="kmeans_mfcc.png"),
                "wav2vec": KMeansResult("skipped", "no wav2vec2 encoder given")},
        timings={"load data": 1.25, "gender/gb/study_split": 2.0}, total_seconds=90.0,
        figures=["outliers.png", "confusion_gender_gb.png"], out_dir="/tmp/x")


@pytest.fixture
def results():
    return make_results()


def test_gender_tables(results):
    md = render_markdown(results)
    # study protocol: our single split beside the study's reported numbers
    assert "| **Gradient Boosting** | Per audio | 0.750 | 0.800 | 0.700 | 0.901845 | 0.909161 | 0.888638 |" in md
    assert "|  | Per frame | 0.600 | 0.610 | 0.620 | 0.752792 | 0.758723 | 0.736892 |" in md
    # speaker-disjoint: mean ± std over the three folds (std of 0.9, 1.0, 0.8 is 0.082)
    assert "| **Gradient Boosting** | Per audio | 0.900 ± 0.082 | 1.000 ± 0.000 | 0.500 ± 0.000 | 0.901845 |" in md
    # a skipped model keeps its row with the study's numbers, and is listed under "Not run"
    assert "| **Hugging Face Model** | — | *skipped* | — | — | 0.918081 | 0.902545 | 0.933785 |" in md
    assert "- **Hugging Face Model** [<audio>] — skipped: no local model" in md
    assert "| **Gradient Boosting** | Per audio | 0.901845 | 0.750 | 0.900 ± 0.082 |" in md  # side by side
    assert "| Gradient Boosting | <mfcc> | Gradient Boosting pipeline | 12.0 | 3.5 | 200 | — |" in md  # models
    assert "3 of 4 speakers have recordings in both the training and the test part" in md
    assert "![Gradient Boosting](confusion_gender_gb.png)" in md


def test_speaker_outlier_pca_kmeans_tables(results):
    md = render_markdown(results)
    assert ("| **Gaussian Mixture Model** | <mfcc> | Speaker prediction | 0.750 ± 0.250 | 0.600 ± 0.200 | 0.803544 |"
            in md)
    assert "| **GMM-UBM (MAP)** | <mfcc> | — | *failed* | — | — |" in md
    assert "- **GMM-UBM (MAP)** [<mfcc>] — failed: RuntimeError: boom" in md
    assert "Closed-set identification of the 2 speakers of test-other: closed-set StratifiedKFold(2)" in md
    assert "| Z-score (ours) | 0 | 1 | 2 |" in md and "| 50 (1.0 %) |" in md and "| IQR (study) | 4607 | 7940 |" in md
    assert "| MFCC (13) | 13 | 6 | 7.5 | 7 | 6–9 | 47 (wav2vec2) |" in md
    assert "| wav2vec2 frames (2-s chunks) | — | *skipped* | — | — | — | — |" in md
    assert "- wav2vec2 frames (2-s chunks): skipped: no wav2vec2 encoder given" in md
    assert "| MFCC (13) | frames | 1000 | 13 | 4 | 0.100 | 0.200 | 0.300 |" in md
    assert "| MFCC (13) | recordings | 20 | 13 | 4 | 0.900 | 0.800 | 0.950 |" in md


def test_header_data_findings_and_section_order(results):
    md = render_markdown(results)
    assert md.startswith("# skvoice reproduction of *Gender and Speaker Classification from Audio Files*\n")
    assert "Generated by `skvoice reproduce --quick` with skvoice 9.9 on 2026-01-01T00:00:00+00:00 in **1.5 min** " \
           "(quick mode; seed 7)" in md
    assert "load average at start 1.00, 0.50, 0.25" in md
    assert "| gender | librispeech | dev-clean | 4 (2 F / 2 M) | 20 | 1–3 | 0.50 | 5000 | all speakers |" in md
    assert "- a data note\n- a speaker note" in md
    assert ("- Gender, speaker-disjoint: best is **Gradient Boosting** (<mfcc>) with per-recording accuracy "
            "0.900 ± 0.082 on 4 speakers.") in md
    assert "Gradient Boosting 0.902 → 0.900" in md
    assert "the largest accuracy drop when speakers are disjoint is -0.150 (Gradient Boosting)" in md
    assert "adjusted Rand index 0.100 on single frames vs 0.900 on per-recording mean+std vectors — single" in md
    assert "| **total** | **90.0** |" in md
    titles = ["## Key findings", "## Data", "## Task 1: Count of outliers", "## Task 1: Classifier Performance",
              "## Task 2: Speaker Prediction", "## Task 2: PCA", "## Task 2: K-means", "## Timings",
              "## Differences from the study"]
    positions = [md.index(t) for t in titles]
    assert positions == sorted(positions)


def test_register_section(results, monkeypatch):
    monkeypatch.setattr(report_mod, "SECTIONS", list(report_mod.SECTIONS))
    register_section("verification", lambda r: ["## Verification\n", f"EER {r.extras['verification']['eer']:.3f}"],
                     after="speaker")
    results.extras["verification"] = {"eer": 0.125}
    md = render_markdown(results)
    assert md.index("## Task 2: Speaker Prediction") < md.index("## Verification") < md.index("## Task 2: PCA")
    assert "EER 0.125" in md
    # an existing name is replaced in place; an empty list leaves the section out
    register_section("verification", lambda r: [])
    assert "## Verification" not in render_markdown(results)
    register_section("first", lambda r: ["FIRST"], before="header")
    assert render_markdown(results).startswith("FIRST\n# skvoice")
    with pytest.raises(ValueError, match="no report section 'nope'"):
        register_section("x", lambda r: [], after="nope")
    assert json.loads(json.dumps(results.to_dict()))["verification"] == {"eer": 0.125}


def test_step_section():
    """The shared start of the sections of registered steps: left out, skipped, or heading + body."""
    import types

    from skvoice.study.report import step_section

    results = types.SimpleNamespace(extras={"a": types.SimpleNamespace(skipped="no files", n=0),
                                            "b": types.SimpleNamespace(skipped=None, n=3)})
    assert step_section(results, "missing", "## M\n") == (None, [])
    assert step_section(results, "a", "## A\n") == (None, ["## A\n", "Skipped: no files.", ""])
    res, out = step_section(results, "b", "## B\n")
    assert res is results.extras["b"] and out == ["## B\n"]
    res, out = step_section(results, "a", "## A\n", skipped=lambda r: r.skipped and not r.n)
    assert res is None and out == ["## A\n", "Skipped: no files.", ""]
    res, out = step_section(results, "a", "## A\n", skipped=lambda r: False)
    assert res is results.extras["a"] and out == ["## A\n"]


def test_robustness_and_verification_sections():
    import types

    from skvoice.study.report import SECTIONS
    from skvoice.study.robustness import RobustnessResult
    from skvoice.study.verification import VerificationResult, VerificationRow

    render = {s.name: s.render for s in SECTIONS}
    empty = types.SimpleNamespace(extras={})
    assert render["robustness"](empty) == [] and render["speaker_verification"](empty) == []
    skipped = types.SimpleNamespace(extras={
        "robustness": RobustnessResult(["clean"], skipped="needs recordings read from files (synthetic run)"),
        "speaker_verification": VerificationResult("sys", 0, 0, [], skipped="needs recordings")})
    assert render["robustness"](skipped)[1:] == ["Skipped: needs recordings read from files (synthetic run).", ""]
    assert render["speaker_verification"](skipped)[1:] == ["Skipped: needs recordings.", ""]
    # a robustness run whose speaker part failed keeps the gender row and notes the failure
    partial = types.SimpleNamespace(extras={
        "robustness": RobustnessResult(["clean", "telephone"], gender={"clean": 0.9, "telephone": 0.8},
                                       gender_split="g", skipped="failed: X"),
        "speaker_verification": VerificationResult("sys", 10, 2, ["dev-clean"], rows=[
            VerificationRow("random", "d", 2, 5, 5, 0.8, 0.1, 0.2, 5, 5, 1.0, 2.0)])})
    out = render["robustness"](partial)
    assert out[0].startswith("## Robustness") and out[-1] == "Note: failed: X.\n"
    assert "| gender (`gender_pipeline`) | 0.900 | 0.800 (-0.100) |" in out[2]
    out = render["speaker_verification"](partial)
    assert out[0].startswith("## Task 2b")
    assert "| d | 2 | 5 / 5 | 0.800 | 10.00 % | 0.200 | 5 / 5 | 1 s / 2 s |" in out[2]


def test_results_json_layout(results, tmp_path):
    results.gender.models["gb"].protocols["study_split"].metrics["per recording"]["f1"] = MetricSummary(
        float("nan"), 0.0, [float("nan")])
    md, js = write_report(results, tmp_path)
    data = json.loads((tmp_path / "results.json").read_text())
    assert list(data) == ["skvoice_version", "command", "created_utc", "config", "budget", "machine", "study", "data",
                          "outliers", "gender", "speaker", "pca", "kmeans", "timings", "total_seconds", "figures",
                          "out_dir"]
    assert "data_source" not in data["config"] and data["config"]["models"][0] == "gb"
    gb = data["gender"]["models"]["gb"]
    assert gb["status"] == "ok" and gb["confusion_figure"] == "confusion_gender_gb.png" and "traceback" not in gb
    assert gb["protocols"]["speaker_disjoint"]["metrics"]["per recording"]["accuracy"] == {
        "mean": pytest.approx(0.9), "std": pytest.approx(0.0816, abs=1e-4), "values": [0.9, 1.0, 0.8]}
    assert gb["protocols"]["speaker_disjoint"]["train_frames_per_split"] == [100, 200, 300]
    assert "epochs_per_split" not in gb["protocols"]["speaker_disjoint"]
    assert gb["protocols"]["study_split"]["metrics"]["per recording"]["f1"]["mean"] is None  # NaN -> null
    assert data["gender"]["models"]["hubert"] == {
        "label": "Hugging Face Model", "features": "audio", "feature_label": "<audio>",
        "description": "Hugging Face Model pipeline", "study_key": "hubert", "protocols": {}, "status": "skipped",
        "reason": "no local model", "seconds": 0.0}
    assert data["speaker"]["models"]["gmm-ubm"]["traceback"] == "Traceback"
    assert data["gender"]["protocols"]["speaker_disjoint"] == {
        "name": "StratifiedGroupKFold(3) by speaker", "n_splits": 3, "speaker_disjoint": True}
    assert data["speaker"]["protocol"] == {"name": "closed-set StratifiedKFold(2)", "n_splits": 2}
    assert data["pca"]["wav2vec"] == {"status": "skipped", "reason": "no wav2vec2 encoder given"}
    assert data["kmeans"]["mfcc"]["levels"]["recordings"] == {
        "n_samples": 20, "n_components": 13, "n_clusters": 4, "explained_variance": 0.95, "adjusted_rand": 0.9,
        "nmi": 0.8, "purity": 0.95, "pooling": "mean+std"}
    assert data["data"]["speaker"]["n_frames"] == 800 and data["data"]["notes"] == ["a data note"]
    assert (tmp_path / "report.md").read_text() == render_markdown(results)


def test_unscored_recordings_and_failed_step_parts_are_reported(results):
    # a zero-shot model's unpredicted recordings were silently left out of its scores; a failed verification
    # protocol left an empty table and exit status 0
    from skvoice.study.report import SECTIONS
    from skvoice.study.robustness import RobustnessResult
    from skvoice.study.verification import VerificationResult

    results.gender.models["gb"].protocols["speaker_disjoint"].unscored_per_split = [0, 2, 1]
    assert "**Gradient Boosting** could not predict 3 of the test recordings of the speaker_disjoint protocol " \
           "(0, 2, 1 per split)" in render_markdown(results)
    results.extras["speaker_verification"] = VerificationResult("sys", 10, 2, ["dev-clean"],
                                                                failed={"later": "ValueError: boom"})
    results.extras["robustness"] = RobustnessResult(["clean"], skipped="failed: X", failed=True)
    render = {s.name: s.render for s in SECTIONS}
    assert "- Protocol `later` failed: ValueError: boom" in render["speaker_verification"](results)
    assert results.failed_models() == ["speaker/gmm-ubm", "speaker_verification/later", "robustness"]


def test_summary_and_failed_models(results):
    rows = summary_rows(results)
    assert ("gender", "Gradient Boosting", "mfcc", "speaker-disjoint", "per recording", "0.900 ± 0.082",
            "0.902") in rows
    assert ("gender", "Gradient Boosting", "mfcc", "80/20 split", "per frame", "0.600", "0.753") in rows
    assert ("speaker", "GMM-UBM (MAP)", "mfcc", "—", "—", "failed", "") in rows
    assert ("speaker", "PCA + k-means (ARI)", "mfcc", "unsupervised", "recordings", "0.900", "") in rows
    text = format_summary(results, report_path="/tmp/x/report.md")
    assert text.splitlines()[0].split() == ["task", "model", "features", "protocol", "evaluation", "accuracy",
                                            "study"]
    assert text.endswith("total time 1.5 min (90 s); report: /tmp/x/report.md")
    assert results.failed_models() == ["speaker/gmm-ubm"]
