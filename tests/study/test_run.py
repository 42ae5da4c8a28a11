"""The extension points of a run: data sources, extra steps and report sections, end to end on tiny voices."""

import io
import json

import pytest

from skvoice.study import data, report, run
from skvoice.study.config import Budget, ReproduceConfig
from skvoice.study.data import Corpora, load_corpora, register_data_source, synthetic_corpus
from skvoice.study.errors import DataError
from skvoice.study.progress import Progress
from skvoice.study.report import register_section, write_report
from skvoice.study.run import register_step, run_reproduce


@pytest.fixture
def registries(monkeypatch):
    """Registrations made by a test are undone after it."""
    monkeypatch.setattr(data, "DATA_SOURCES", dict(data.DATA_SOURCES))
    monkeypatch.setattr(run, "EXTRA_STEPS", {})
    monkeypatch.setattr(report, "SECTIONS", list(report.SECTIONS))


def test_config_selects_the_data_source(registries):
    assert ReproduceConfig().source == "librispeech" and ReproduceConfig(synthetic=True).source == "synthetic"
    assert "data_source" not in ReproduceConfig().to_dict()
    seen = []
    register_data_source("mine", lambda config, budget, progress: seen.append(config.seed) or "corpora")
    assert load_corpora(ReproduceConfig(data_source="mine", seed=3), Budget(), Progress(quiet=True)) == "corpora"
    assert seen == [3]
    with pytest.raises(DataError, match="unknown data source 'nope'; known: librispeech, synthetic, mine"):
        load_corpora(ReproduceConfig(data_source="nope"), Budget(), Progress(quiet=True))


@pytest.mark.slow
def test_custom_source_step_and_section(registries, tmp_path):
    """A whole (tiny) run: about 3 s on an idle machine."""
    @register_data_source("tiny")
    def tiny(config, budget, progress):
        g = synthetic_corpus(Budget(synthetic_speakers=4, synthetic_utterances=2, synthetic_duration=1.0), 0)
        s = synthetic_corpus(Budget(synthetic_speakers=3, synthetic_utterances=3, synthetic_duration=1.0), 1)
        return Corpora(gender=g, speaker=s, source="tiny", origin="a test")

    register_step("count", lambda ctx, results: {"n": len(ctx.speaker_corpus.X)}, n_steps=0)
    register_section("count", lambda r: ["## Count\n", f"{r.extras['count']['n']} speaker-ID recordings"],
                     after="speaker")
    stream = io.StringIO()
    progress = Progress(stream=stream)
    config = ReproduceConfig(data_source="tiny", quick=True, models=("gmm",), out=str(tmp_path), n_jobs=1)
    results = run_reproduce(config, progress)

    assert results.data.source == "tiny" and results.data.origin == "a test"
    assert results.data.gender.n_speakers == 4 and results.data.speaker.n_recordings == 9
    assert results.gender.models == {} and results.outliers.n_frames == results.data.gender.n_frames > 0
    gmm = results.speaker.models["gmm"]
    assert gmm.ok and gmm.protocols["closed_set"].n_splits == 3 and gmm.confusion_figure
    assert results.speaker.models["gmm@wav2vec"].status == "skipped"
    assert results.extras == {"count": {"n": 9}}
    assert progress.done == progress.total == 7, stream.getvalue()  # the n/total counter ends exact

    md, js = write_report(results, results.out_dir)
    text = open(md, encoding="utf-8").read()
    assert text.index("## Task 2: Speaker Prediction") < text.index("## Count") < text.index("## Task 2: PCA")
    assert "9 speaker-ID recordings" in text
    saved = json.loads(open(js, encoding="utf-8").read())
    assert saved["count"] == {"n": 9} and saved["config"]["data_source"] == "tiny"
    assert list(saved)[-5:] == ["count", "timings", "total_seconds", "figures", "out_dir"]
    assert set(saved["figures"]) == {"outliers.png", "confusion_speaker_gmm.png", "pca_components_mfcc.png",
                                     "kmeans_mfcc.png"}
    assert all((tmp_path / f).is_file() for f in saved["figures"])


@pytest.mark.parametrize("module, name", [("robustness", "_robustness"), ("verification", "_speaker_verification")])
def test_recipe_steps_skip_synthetic_runs_and_keep_the_counter_exact(module, name):
    """A synthetic run skips the recipe steps: they log why and take their planned steps off the total."""
    import importlib
    import types

    step = getattr(importlib.import_module(f"skvoice.study.{module}"), name)
    corpus = synthetic_corpus(Budget(synthetic_speakers=3, synthetic_utterances=2, synthetic_duration=1.0), 0)
    stream = io.StringIO()
    progress = Progress(stream=stream, total=5)
    progress.done = 3
    context = types.SimpleNamespace(progress=progress, config=ReproduceConfig(synthetic=True, quick=True),
                                    gender_corpus=corpus, speaker_corpus=corpus)
    result = step(context, None)
    assert result.skipped and "synthetic" in result.skipped
    assert progress.total == progress.done == 3
    assert "skipped" in stream.getvalue()


def test_a_recording_that_cannot_be_decoded_is_left_out_with_a_note(tmp_path):
    # one truncated file ended the whole run (before any report was written)
    from skvoice.study.feature_sets import get_features

    corpus = synthetic_corpus(Budget(synthetic_speakers=4, synthetic_utterances=2, synthetic_duration=1.0), 0)
    bad = tmp_path / "truncated.flac"
    bad.write_bytes(b"fLaC\x00\x00\x00\x22" + bytes(40))
    corpus.X = corpus.X.astype(object)
    corpus.X[3] = str(bad)
    n, speakers = len(corpus.X), list(corpus.speaker)
    info = Corpora(gender=corpus, speaker=corpus, source="tiny", origin="a test").info()  # taken before
    stream = io.StringIO()
    mfcc = get_features(corpus, "mfcc", ReproduceConfig(n_jobs=1), Progress(stream=stream), "gender",
                        leave_out_unreadable=True)
    assert len(corpus.X) == len(mfcc) == len(corpus.speaker) == len(corpus.gender) == n - 1
    assert list(corpus.speaker) == speakers[:3] + speakers[4:] and all(len(m) for m in mfcc)
    assert info.gender.n_recordings == n - 1 and "could not be decoded" in info.gender.notes[-1]
    assert str(bad) in info.gender.notes[-1] and "could not be decoded" in stream.getvalue()


def test_a_run_removes_an_earlier_report_before_it_writes_figures(registries, tmp_path):
    # a run stopped part-way into an earlier run's folder left its report.md / results.json beside the new
    # figures, with nothing to say they described another run
    for name in ("report.md", "results.json"):
        (tmp_path / name).write_text("from an earlier run")

    @register_data_source("stops")
    def stops(config, budget, progress):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_reproduce(ReproduceConfig(data_source="stops", out=str(tmp_path)), Progress(quiet=True))
    assert sorted(p.name for p in tmp_path.iterdir()) == []
