"""The plain-text summary ``skvoice reproduce`` prints on stdout: one row per measured result."""

from __future__ import annotations

from .reference import reported

__all__ = ["PROTOCOL_SHORT", "summary_rows", "format_summary"]

PROTOCOL_SHORT = {"study_split": "80/20 split", "speaker_disjoint": "speaker-disjoint", "closed_set": "closed-set"}


def _model_rows(task, m, study):
    if not m.ok:
        return [(task, m.label, m.features, "—", "—", m.status, "")]
    rows = []
    for protocol, res in m.protocols.items():
        for level, values in res.metrics.items():
            acc = values["accuracy"]
            text = f"{acc.mean:.3f}" + (f" ± {acc.std:.3f}" if res.n_splits > 1 else "")
            s = reported(study, task, m.study_key, level).get("accuracy")
            rows.append((task, m.label, m.features, PROTOCOL_SHORT.get(protocol, protocol), level, text,
                         "" if s is None else f"{s:.3f}"))
    return rows


def summary_rows(results):
    """``(task, model, features, protocol, evaluation, accuracy, study)`` rows of every result."""
    rows = []
    for task, result in results.tasks().items():
        for m in result.models.values():
            rows += _model_rows(task, m, results.study)
    for name, k in results.kmeans.items():
        if k.ok:
            rows += [("speaker", "PCA + k-means (ARI)", name, "unsupervised", level,
                      f"{v.scores['adjusted_rand']:.3f}", "") for level, v in k.levels.items()]
    return rows


def format_summary(results, report_path=None):
    """The summary as an aligned text table, with the total time and the report's path."""
    header = ("task", "model", "features", "protocol", "evaluation", "accuracy", "study")
    rows = [header] + summary_rows(results)
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(header))]
    lines = []
    for j, r in enumerate(rows):
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    total = results.total_seconds
    lines.append("")
    where = f"; report: {report_path}" if report_path else ""
    lines.append(f"total time {total / 60:.1f} min ({total:.0f} s){where}")
    return "\n".join(lines)
