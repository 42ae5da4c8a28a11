"""Typed results of a reproduction run, and their ``results.json`` form.

Every result is a dataclass with a ``to_dict()`` giving the plain, JSON-ready layout of
``results.json`` (kept stable: scripts read it). The report renders from the typed objects,
never from the dict.

The layout, top down: :class:`StudyResults` holds the data description (:class:`DataInfo`), the
outlier counts (:class:`OutlierResult`), one :class:`TaskResult` per task (gender, speaker ID) with
a :class:`ModelResult` per model, whose :class:`ProtocolResult` per evaluation protocol holds a
:class:`MetricSummary` per level (``"per recording"``, ``"per frame"``) and metric; then the
unsupervised analyses (:class:`PCAResult`, :class:`KMeansResult`) per feature set.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .._files import atomic_open

if TYPE_CHECKING:  # pragma: no cover
    from .config import Budget, ReproduceConfig
    from .machine import MachineInfo

__all__ = ["OK", "SKIPPED", "FAILED", "MetricSummary", "ProtocolInfo", "ProtocolResult", "ModelResult",
           "TaskResult", "CorpusDescription", "DataInfo", "OutlierResult", "PCAResult", "KMeansLevel",
           "KMeansResult", "StudyResults", "to_jsonable", "write_json"]

OK, SKIPPED, FAILED = "ok", "skipped", "failed"
RECORDING, FRAME = "per recording", "per frame"


def _drop_none(d):
    return {k: v for k, v in d.items() if v is not None}


class _Outcome:
    """A result of a step that may not have run: ``status`` is OK, SKIPPED or FAILED, ``reason`` says why."""

    @property
    def ok(self):
        return self.status == OK

    def _not_run(self):
        """The ``results.json`` form of a step that did not run."""
        return {"status": self.status, "reason": self.reason}


# ------------------------------------------------------------------------------------------------ supervised
@dataclasses.dataclass
class MetricSummary:
    """One metric over the splits of a protocol."""

    mean: float
    std: float
    values: list[float]

    @classmethod
    def from_values(cls, values):
        vals = [float(v) for v in values]
        return cls(mean=float(np.mean(vals)), std=float(np.std(vals)), values=vals)

    def to_dict(self):
        return {"mean": self.mean, "std": self.std, "values": list(self.values)}


@dataclasses.dataclass
class ProtocolInfo:
    """How a protocol splits a task's recordings (what the report says about it)."""

    name: str
    n_splits: int
    n_train: int | None = None
    n_test: int | None = None
    speakers_in_train_and_test: int | None = None
    n_speakers: int | None = None
    speaker_disjoint: bool | None = None

    def to_dict(self):
        return _drop_none(dataclasses.asdict(self))


@dataclasses.dataclass
class ProtocolResult:
    """One model evaluated with one protocol: metrics per level, and what fitting cost."""

    n_splits: int
    metrics: dict[str, dict[str, MetricSummary]]  # level -> metric -> summary over splits
    fit_seconds: float = 0.0
    predict_seconds: float = 0.0
    train_frames_per_split: list[int] = dataclasses.field(default_factory=list)
    epochs_per_split: list[int] = dataclasses.field(default_factory=list)
    seconds: float | None = None
    unscored_per_split: list[int] = dataclasses.field(default_factory=list)  # test recordings without a prediction

    def metric(self, name, level=RECORDING):
        """The :class:`MetricSummary` of ``name`` at ``level``, or None when not measured."""
        return self.metrics.get(level, {}).get(name)

    def to_dict(self):
        out = {"n_splits": self.n_splits,
               "metrics": {lv: {m: s.to_dict() for m, s in ms.items()} for lv, ms in self.metrics.items()},
               "fit_seconds": self.fit_seconds, "predict_seconds": self.predict_seconds}
        if self.train_frames_per_split:
            out["train_frames_per_split"] = list(self.train_frames_per_split)
        if self.epochs_per_split:
            out["epochs_per_split"] = list(self.epochs_per_split)
        if self.seconds is not None:
            out["seconds"] = self.seconds
        if any(self.unscored_per_split):
            out["unscored_per_split"] = list(self.unscored_per_split)
        return out


@dataclasses.dataclass
class ModelResult(_Outcome):
    """One model of a task: its protocols' results, or why it did not run (``status`` skipped/failed)."""

    key: str
    label: str
    features: str
    feature_label: str
    description: str
    study_key: str | None = None
    protocols: dict[str, ProtocolResult] = dataclasses.field(default_factory=dict)
    status: str = OK
    reason: str | None = None
    seconds: float = 0.0
    confusion_figure: str | None = None
    predict_all_seconds: float | None = None  # zero-shot models predict every recording once
    model: str | None = None                  # zero-shot models: which pretrained model
    traceback: str | None = None

    def accuracy(self, protocol, level=RECORDING):
        """Accuracy summary for ``protocol`` at ``level`` (None when the model did not run it)."""
        res = self.protocols.get(protocol)
        return res.metric("accuracy", level) if self.ok and res is not None else None

    def to_dict(self):
        out = {"label": self.label, "features": self.features, "feature_label": self.feature_label,
               "description": self.description, "study_key": self.study_key,
               "protocols": {k: p.to_dict() for k, p in self.protocols.items()}}
        if self.predict_all_seconds is not None:
            out["predict_all_seconds"] = self.predict_all_seconds
            out["model"] = self.model
        if self.confusion_figure:
            out["confusion_figure"] = self.confusion_figure
        out.update(status=self.status, reason=self.reason)
        if self.traceback:
            out["traceback"] = self.traceback
        out["seconds"] = self.seconds
        return out


@dataclasses.dataclass
class TaskResult:
    """Every model of one task (``"gender"`` or ``"speaker"``) with the protocols they were evaluated by."""

    task: str
    protocols: dict[str, ProtocolInfo]
    labels: list
    positive_class: str | None = None
    models: dict[str, ModelResult] = dataclasses.field(default_factory=dict)

    def ok_models(self):
        return {k: m for k, m in self.models.items() if m.ok}

    def to_dict(self):
        models = {k: m.to_dict() for k, m in self.models.items()}
        if self.task == "speaker":  # results.json layout: speaker ID has a single protocol
            (info,) = self.protocols.values()
            return {"protocol": info.to_dict(), "labels": list(self.labels), "models": models}
        return {"protocols": {k: p.to_dict() for k, p in self.protocols.items()},
                "positive_class": self.positive_class, "labels": list(self.labels), "models": models}


# ------------------------------------------------------------------------------------------------ data
@dataclasses.dataclass
class CorpusDescription:
    """What one task's recordings are: where from, how chosen, how many."""

    source: str
    root: str | None
    subset: str
    selection: str
    notes: list[str]
    n_speakers: int
    n_female: int
    n_male: int
    n_recordings: int
    hours: float
    mean_duration_s: float
    recordings_per_speaker: dict  # {"min": int, "max": int}
    n_frames: int | None = None   # MFCC frames, once extracted
    files: list[str] | None = None  # the files used, listed for the bundled sample only

    def to_dict(self):
        out = dataclasses.asdict(self)
        for key in ("n_frames", "files"):
            if out[key] is None:
                out.pop(key)
        return out


@dataclasses.dataclass
class DataInfo:
    """The data of a run: its source and the description of each task's corpus."""

    source: str
    root: str | None
    origin: str
    notes: list[str]
    gender: CorpusDescription
    speaker: CorpusDescription

    def to_dict(self):
        return {"source": self.source, "root": self.root, "origin": self.origin, "notes": list(self.notes),
                "gender": self.gender.to_dict(), "speaker": self.speaker.to_dict()}


# ------------------------------------------------------------------------------------------------ unsupervised
@dataclasses.dataclass
class OutlierResult:
    """Outlier counts per coefficient and rule over all gender frames."""

    n_frames: int
    features: str
    counts: dict[str, dict[str, int]]  # method -> column (coefficients, then "any") -> count
    figure: str

    def to_dict(self):
        return dataclasses.asdict(self)


@dataclasses.dataclass
class PCAResult(_Outcome):
    """Components needed for a share of the variance, per recording, on one feature set."""

    status: str
    reason: str | None = None
    n_features: int | None = None
    n_recordings: int | None = None
    n_without_variance: int | None = None
    threshold: float | None = None
    mean: float | None = None
    median: float | None = None
    min: int | None = None
    max: int | None = None
    histogram: dict[str, int] | None = None
    figure: str | None = None

    def to_dict(self):
        out = dataclasses.asdict(self)
        return out if self.ok else self._not_run()


@dataclasses.dataclass
class KMeansLevel:
    """PCA + k-means at one level (frames or recordings), scored against the true speakers."""

    n_samples: int
    n_components: int
    n_clusters: int
    explained_variance: float
    scores: dict[str, float]  # adjusted_rand, nmi, purity, ...
    pooling: str | None = None

    def to_dict(self):
        return {"n_samples": self.n_samples, "n_components": self.n_components, "n_clusters": self.n_clusters,
                "explained_variance": self.explained_variance, **self.scores, "pooling": self.pooling}


@dataclasses.dataclass
class KMeansResult(_Outcome):
    status: str
    reason: str | None = None
    levels: dict[str, KMeansLevel] = dataclasses.field(default_factory=dict)
    figure: str | None = None

    def to_dict(self):
        if not self.ok:
            return self._not_run()
        return {**self._not_run(),
                "levels": {k: v.to_dict() for k, v in self.levels.items()}, "figure": self.figure}


# ------------------------------------------------------------------------------------------------ the run
@dataclasses.dataclass
class StudyResults:
    """Everything one ``skvoice reproduce`` run measured.

    ``extras`` holds the results of steps added with :func:`skvoice.study.run.register_step`
    (objects with ``to_dict()``, or plain JSON values), keyed by step name; report sections
    added with :func:`skvoice.study.report.register_section` read them from there.
    """

    skvoice_version: str
    command: str
    created_utc: str
    config: ReproduceConfig
    budget: Budget
    machine: MachineInfo
    study: dict
    data: DataInfo | None = None
    outliers: OutlierResult | None = None
    gender: TaskResult | None = None
    speaker: TaskResult | None = None
    pca: dict[str, PCAResult] = dataclasses.field(default_factory=dict)
    kmeans: dict[str, KMeansResult] = dataclasses.field(default_factory=dict)
    extras: dict[str, Any] = dataclasses.field(default_factory=dict)
    timings: dict[str, float] = dataclasses.field(default_factory=dict)
    total_seconds: float = 0.0
    figures: list[str] = dataclasses.field(default_factory=list)
    out_dir: str | None = None

    def tasks(self):
        """``{"gender": TaskResult, "speaker": TaskResult}`` (the tasks that ran)."""
        return {t.task: t for t in (self.gender, self.speaker) if t is not None}

    def failed_models(self):
        """``"task/key"`` of every model whose evaluation raised, then the failed parts of the added steps
        (those whose result has a ``failures()`` method)."""
        failed = [f"{name}/{key}" for name, task in self.tasks().items() for key, m in task.models.items()
                  if m.status == FAILED]
        return failed + [part for res in self.extras.values() for part in getattr(res, "failures", list)()]

    def to_dict(self):
        """The ``results.json`` layout."""
        out = {"skvoice_version": self.skvoice_version, "command": self.command, "created_utc": self.created_utc,
               "config": self.config.to_dict(), "budget": self.budget.to_dict(), "machine": self.machine.to_dict(),
               "study": self.study}
        if self.data is not None:
            out["data"] = self.data.to_dict()
        if self.outliers is not None:
            out["outliers"] = self.outliers.to_dict()
        out.update({name: task.to_dict() for name, task in self.tasks().items()})
        out["pca"] = {k: v.to_dict() for k, v in self.pca.items()}
        out["kmeans"] = {k: v.to_dict() for k, v in self.kmeans.items()}
        for name, value in self.extras.items():
            out[name] = value.to_dict() if hasattr(value, "to_dict") else value
        out.update(timings=dict(self.timings), total_seconds=self.total_seconds, figures=list(self.figures),
                   out_dir=self.out_dir)
        return out


def to_jsonable(obj):
    """Convert numpy scalars/arrays, tuples and NaN to plain JSON values (NaN -> None)."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


# what write_report writes into a run's folder, last (a run removes an earlier run's at its start)
REPORT_FILES = ("report.md", "results.json")


def write_json(results, path):
    """Write ``results`` (an object with ``to_dict()`` or a plain dict) as indented JSON; return ``path``."""
    data = results.to_dict() if hasattr(results, "to_dict") else results
    text = json.dumps(to_jsonable(data), indent=2, sort_keys=False) + "\n"
    with atomic_open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path
