"""``skvoice reproduce``: run the study's experiments and collect typed results.

:func:`run_reproduce` loads the data (a registered data source), extracts features once per
recording, and evaluates every model of the study with two protocols for gender (the study's
random 80/20 split and a speaker-disjoint grouped k-fold) and a closed-set stratified k-fold for
speaker identification; then the unsupervised analyses. Everything that *learns* (CMVN
statistics, classifiers) is fitted on the training part of each split only. It returns a
:class:`~skvoice.study.results.StudyResults`; :mod:`skvoice.study.report` renders it.

Later work adds experiments with :func:`register_step`: a step runs after the built-in ones and
its result lands in ``StudyResults.extras`` under the step's name (a report section registered
with :func:`skvoice.study.report.register_section` renders it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import os
import time
import traceback
from collections.abc import Callable

from .._hub import ModelNotAvailableError
from .config import Budget
from .data import Corpus, load_corpora
from .errors import Skipped, short_error
from .evaluation import cross_validate_model, gender_protocols, score_fixed_predictions, speaker_protocols
from .feature_sets import FEATURE_LABELS, get_features
from .figures import FigureWriter, use_agg_backend
from .machine import load_average, machine_info
from .models import ZERO_SHOT, gender_specs, speaker_specs
from .progress import Progress
from .reference import STUDY
from .results import (
    FAILED,
    REPORT_FILES,
    SKIPPED,
    KMeansResult,
    ModelResult,
    PCAResult,
    StudyResults,
    TaskResult,
)

__all__ = ["StudyContext", "EXTRA_STEPS", "register_step", "run_reproduce"]


@dataclasses.dataclass
class StudyContext:
    """What a run's steps share: options, budget, progress, figures and the loaded corpora."""

    config: object
    budget: Budget
    progress: Progress
    figures: FigureWriter
    gender_corpus: Corpus | None = None
    speaker_corpus: Corpus | None = None

    @property
    def out_dir(self):
        return self.figures.out_dir

    def features(self, corpus, name, task):
        """Feature set ``name`` of ``corpus`` (extracted once; :class:`Skipped` when unavailable)."""
        return get_features(corpus, name, self.config, self.progress, task)


#: name -> (step(context, results) -> result with to_dict(), number of progress steps it takes)
EXTRA_STEPS: dict[str, tuple[Callable, int]] = {}


def register_step(name, step=None, *, n_steps=1):
    """Register ``step(context, results)`` to run after the built-in experiments.

    Its return value is stored in ``results.extras[name]`` (and in ``results.json`` under ``name``).
    ``n_steps`` is the number of :meth:`Progress.step` calls it makes (for the ``n/total`` counter).
    Usable as a decorator.
    """
    def add(func):
        EXTRA_STEPS[name] = (func, n_steps)
        return func

    return add if step is None else add(step)


# ------------------------------------------------------------------------------------------------ one model
def _spec_steps(spec, n_protocols):
    return n_protocols + (1 if spec.kind == ZERO_SHOT else 0)


def _plan_size(config, g_specs, s_specs, shared_corpus):
    """Number of progress steps when everything runs (what is skipped takes its steps off as it goes)."""
    g_feats = {s.features for s in g_specs} - {"mfcc", "audio"}
    s_feats = {s.features for s in s_specs} - {"mfcc", "audio"}
    if shared_corpus:  # one corpus for both tasks: features are extracted once
        s_feats -= g_feats
    n = 3 + (0 if shared_corpus else 1)  # load data, gender MFCC, outliers, speaker MFCC
    n += len(g_feats) + len(s_feats | {"wav2vec"})  # wav2vec is always tried (for PCA / k-means)
    n += sum(_spec_steps(s, 2) for s in g_specs) + sum(_spec_steps(s, 1) for s in s_specs)
    n += sum(n_steps for name, (_, n_steps) in EXTRA_STEPS.items() if config.runs_step(name))
    return n + 2 * (1 + (1 if config.wav2vec else 0))  # PCA and k-means per feature set


def _zero_shot_predictions(spec, corpus, task, progress, entry):
    model = spec.build(len(corpus.X))
    with progress.step(f"{task}/{spec.key}/predict", f"{task}: {spec.label} - zero-shot predictions"):
        model.fit(corpus.X, corpus.gender)
        predictions = model.predict(corpus.X)
    entry.predict_all_seconds = progress.timings[f"{task}/{spec.key}/predict"]
    entry.model = str(getattr(model, "model", ""))
    return predictions


def _log_splits(progress, spec, task, protocol, accuracies):
    if len(accuracies) > 1:
        for i, acc in enumerate(accuracies):
            progress.log(f"    {task} | {spec.label} [{spec.features}] | {protocol.key} split {i + 1}/"
                         f"{len(accuracies)}: recording accuracy {acc:.3f}")


def run_model(spec, corpus, protocols, ctx, *, task, labels, pos_label):
    """Evaluate one model with every protocol: a :class:`ModelResult` (``skipped``/``failed`` with the reason)."""
    progress = ctx.progress
    feature_label = FEATURE_LABELS[spec.features]
    entry = ModelResult(key=spec.key, label=spec.label, features=spec.features, feature_label=feature_label,
                        description=spec.description, study_key=spec.study_key)
    t_start = time.perf_counter()
    y = corpus.target(task)
    try:
        X = ctx.features(corpus, spec.features, task)
        fixed = None
        if spec.kind == ZERO_SHOT:
            fixed = _zero_shot_predictions(spec, corpus, task, progress, entry)
        else:
            spec.build(1)  # fail fast (Skipped) before the loop when an extra is missing
        for protocol in protocols.values():
            n = len(protocol.splits)
            message = f"{task}: {spec.label} [{feature_label}] - {protocol.key} ({n} split{'s' if n > 1 else ''})"
            with progress.step(f"{task}/{spec.key}/{protocol.key}", message):
                if fixed is not None:
                    ev = score_fixed_predictions(fixed, y, protocol, labels=labels, pos_label=pos_label)
                else:
                    ev = cross_validate_model(spec, X, y, protocol, labels=labels, pos_label=pos_label,
                                              predictions=protocol.confusion)
                _log_splits(progress, spec, task, protocol, ev.split_accuracy)
            ev.result.seconds = progress.timings[f"{task}/{spec.key}/{protocol.key}"]
            entry.protocols[protocol.key] = ev.result
            if protocol.confusion:  # confusion matrix of the out-of-fold predictions
                entry.confusion_figure = ctx.figures.confusion(
                    ev.y_true, ev.y_pred, f"{spec.label} [{feature_label}]\n{protocol.key}, out-of-fold predictions",
                    f"confusion_{task}_{spec.key.replace('@', '_')}.png", labels=labels)
    except (Skipped, ModelNotAvailableError) as exc:
        progress.total -= _spec_steps(spec, len(protocols)) - len(entry.protocols)
        if isinstance(exc, Skipped):
            entry.status, entry.reason = SKIPPED, str(exc)
            progress.log(f"{task}: {spec.label} [{spec.features}] skipped: {exc}")
        else:
            entry.status, entry.reason = SKIPPED, f"model not available locally: {short_error(exc)}"
            progress.log(f"{task}: {spec.label} skipped: {exc}")
    except Exception as exc:  # noqa: BLE001 - one failing model must not lose the whole report
        entry.status, entry.reason, entry.traceback = FAILED, short_error(exc), traceback.format_exc()
        progress.log(f"{task}: {spec.label} [{spec.features}] FAILED: {short_error(exc)}")
    entry.seconds = time.perf_counter() - t_start
    return entry


# ------------------------------------------------------------------------------------------------ the tasks
def _count_frames(ctx, corpus, task):
    # the corpus's first extraction, before its protocols are drawn: a file that cannot be decoded is left out
    # (with a note in the report) instead of ending the whole run
    mfcc = get_features(corpus, "mfcc", ctx.config, ctx.progress, task, leave_out_unreadable=True)
    corpus.description.n_frames = int(sum(len(r) for r in mfcc))
    return mfcc


def run_gender(ctx, specs, results):
    """Task 1: outlier counts on MFCC frames, then every gender model with both protocols."""
    from .analyses import outlier_counts

    corpus = ctx.gender_corpus
    mfcc = _count_frames(ctx, corpus, "gender")
    with ctx.progress.step("outliers", "gender: outlier counts (z-score, IQR)"):
        results.outliers = outlier_counts(mfcc, ctx.figures)
    protocols = gender_protocols(corpus, ctx.budget, ctx.config.seed)
    labels = sorted(set(corpus.gender))
    pos = "M" if "M" in set(corpus.gender) else None
    task = TaskResult("gender", {k: p.info for k, p in protocols.items()}, labels, positive_class=pos)
    results.gender = task
    for spec in specs:
        task.models[spec.key] = run_model(spec, corpus, protocols, ctx, task="gender", labels=labels, pos_label=pos)


def run_speaker(ctx, specs, results):
    """Task 2: closed-set speaker identification with every speaker model."""
    corpus = ctx.speaker_corpus
    _count_frames(ctx, corpus, "speaker")
    protocols = speaker_protocols(corpus, ctx.budget, ctx.config.seed)
    labels = sorted(set(corpus.speaker))
    task = TaskResult("speaker", {k: p.info for k, p in protocols.items()}, labels)
    results.speaker = task
    for spec in specs:
        task.models[spec.key] = run_model(spec, corpus, protocols, ctx, task="speaker", labels=labels, pos_label=None)


def run_unsupervised(ctx, results):
    """Task 2: per-recording PCA and PCA + k-means on MFCC and (when given) wav2vec2 features."""
    from .analyses import pca_components, pca_kmeans_clusters

    corpus = ctx.speaker_corpus
    for name in ("mfcc", "wav2vec"):
        try:
            feats = ctx.features(corpus, name, "speaker")
        except Skipped as exc:
            results.pca[name] = PCAResult(SKIPPED, str(exc))
            results.kmeans[name] = KMeansResult(SKIPPED, str(exc))
            continue
        except Exception as exc:  # noqa: BLE001
            results.pca[name] = PCAResult(FAILED, short_error(exc))
            results.kmeans[name] = KMeansResult(FAILED, short_error(exc))
            ctx.progress.log(f"speaker: {FEATURE_LABELS[name]} FAILED: {short_error(exc)}")
            continue
        results.pca[name] = pca_components(feats, name, ctx.progress, ctx.figures)
        results.kmeans[name] = pca_kmeans_clusters(feats, corpus.speaker, name, ctx.budget, ctx.config.seed,
                                                   ctx.progress, ctx.figures)


def _log_data(progress, g, s):
    progress.log(f"gender: {g.n_recordings} recordings of {g.n_speakers} speakers ({g.hours:.2f} h); speaker ID: "
                 f"{s.n_recordings} recordings of {s.n_speakers} speakers ({s.hours:.2f} h)")


def run_reproduce(config, progress=None):
    """Run the study's experiments; write figures into ``config.out`` and return the :class:`StudyResults`.

    Raises :class:`~skvoice.study.errors.DataError` when no data is usable.
    """
    from .. import __version__

    use_agg_backend()
    os.environ.setdefault("KERAS_BACKEND", "torch")
    progress = progress or Progress()
    out_dir = os.path.abspath(config.out)
    os.makedirs(out_dir, exist_ok=True)
    # an earlier run's report would sit beside this run's figures if this run stops before its own report
    for name in REPORT_FILES:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(out_dir, name))
    budget = Budget.make(quick=config.quick, synthetic=config.synthetic)
    g_specs, s_specs = gender_specs(config, budget), speaker_specs(config, budget)
    progress.total = _plan_size(config, g_specs, s_specs, shared_corpus=config.synthetic)
    started = datetime.datetime.now(datetime.UTC)
    t_start = time.perf_counter()
    ctx = StudyContext(config, budget, progress, FigureWriter(out_dir))
    results = StudyResults(skvoice_version=__version__, command=config.command,
                           created_utc=started.isoformat(timespec="seconds"), config=config, budget=budget,
                           machine=machine_info(), study=STUDY, figures=ctx.figures.names, out_dir=out_dir)

    with progress.step("load data", "loading data"):
        corpora = load_corpora(config, budget, progress)
    ctx.gender_corpus, ctx.speaker_corpus = corpora.gender, corpora.speaker
    progress.total = _plan_size(config, g_specs, s_specs, shared_corpus=corpora.gender is corpora.speaker)
    results.data = corpora.info()
    _log_data(progress, results.data.gender, results.data.speaker)

    run_gender(ctx, g_specs, results)
    run_speaker(ctx, s_specs, results)
    run_unsupervised(ctx, results)
    for name, (step, _) in EXTRA_STEPS.items():
        if config.runs_step(name):
            results.extras[name] = step(ctx, results)

    results.timings = {k: round(v, 3) for k, v in progress.timings.items()}
    results.total_seconds = time.perf_counter() - t_start
    results.machine.load_average_end = load_average()
    return results


# experiments that plug in through register_step / register_section (imported last: they use both)
from . import robustness, verification  # noqa: E402,F401
