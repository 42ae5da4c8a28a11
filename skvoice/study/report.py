"""``report.md`` from typed :class:`~skvoice.study.results.StudyResults`, one function per section.

The report is the concatenation of the registered sections, in order (:data:`SECTIONS`). A section
is a function ``render(results) -> list[str]`` returning Markdown blocks (joined by newlines; an
empty list leaves the section out). Later work adds a section with :func:`register_section`, e.g.
``register_section("verification", render_verification, after="speaker")``, reading its numbers
from ``results.extras`` (see :func:`skvoice.study.run.register_step`).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable

import numpy as np

from .._files import atomic_open
from .feature_sets import FEATURE_LABELS
from .reference import reported
from .results import FRAME, RECORDING, REPORT_FILES, write_json

__all__ = ["Section", "SECTIONS", "register_section", "render_markdown", "key_findings", "write_report",
           "markdown_table"]

LEVEL_NAMES = {RECORDING: "Per audio", FRAME: "Per frame"}
GENDER_METRICS = ("accuracy", "precision", "recall")


@dataclasses.dataclass(frozen=True)
class Section:
    name: str
    render: Callable


SECTIONS: list[Section] = []


def register_section(name, render=None, *, after=None, before=None):
    """Add the report section ``name`` (or replace the one of that name in place).

    ``render(results)`` returns a list of Markdown blocks. A new section goes at the end, or right
    ``after``/``before`` the named section. Usable as a decorator.
    """
    def add(func):
        section = Section(name, func)
        names = [s.name for s in SECTIONS]
        if name in names:
            SECTIONS[names.index(name)] = section
            return func
        anchor = after or before
        if anchor is not None and anchor not in names:
            raise ValueError(f"no report section {anchor!r}; sections: {', '.join(names)}")
        index = len(SECTIONS) if anchor is None else names.index(anchor) + (1 if after else 0)
        SECTIONS.insert(index, section)
        return func

    return add if render is None else add(render)


def step_section(results, name, heading, *, skipped=None):
    """Start the report section of the registered step ``name``: ``(result, blocks)``.

    ``result`` is ``results.extras[name]``; ``blocks`` begins the section with ``heading``. When the
    step did not run (no result) the section is left out: ``(None, [])``. When it was skipped
    (``skipped(result)``, by default ``result.skipped``) the section only says why:
    ``(None, [heading, "Skipped: <result.skipped>.", ""])``. A section returns ``blocks`` as they are
    when ``result`` is None, else adds its body to them.
    """
    res = results.extras.get(name)
    if res is None:
        return None, []
    out = [heading]
    if (res.skipped if skipped is None else skipped(res)):
        return None, out + [f"Skipped: {res.skipped}.", ""]
    return res, out


def render_markdown(results):
    """The report as Markdown text."""
    blocks = []
    for section in SECTIONS:
        blocks.extend(section.render(results) or [])
    return "\n".join(blocks)


def write_report(results, out_dir):
    """Write ``report.md`` and ``results.json`` into ``out_dir``; return their paths."""
    md, js = (os.path.join(out_dir, name) for name in REPORT_FILES)
    text = render_markdown(results)
    write_json(results, js)
    with atomic_open(md, "w", encoding="utf-8") as fh:
        fh.write(text)
    return md, js


# ------------------------------------------------------------------------------------------------ helpers
def _f(x, digits=3):
    return "—" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.{digits}f}"


def _cell(summary, n_splits):
    """``mean ± std`` of a :class:`MetricSummary` (just the mean for a single split)."""
    if summary is None:
        return "—"
    if n_splits > 1:
        return f"{summary.mean:.3f} ± {summary.std:.3f}"
    return f"{summary.mean:.3f}"


def markdown_table(header, rows):
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _load(load):
    return "—" if not load else ", ".join(f"{x:.2f}" for x in load)


def _not_run(models):
    """One line per distinct (status, reason), naming every model it concerns."""
    groups = {}
    for m in models.values():
        if not m.ok:
            groups.setdefault((m.status, m.reason), []).append(f"**{m.label}** [{m.feature_label}]")
    lines = [f"- {', '.join(names)} — {status}: {reason}" for (status, reason), names in groups.items()]
    return ["\nNot run:\n", "\n".join(lines)] if lines else []


def _figures(intro, figures):
    return [intro, " ".join(f"![{label}]({fig})" for label, fig in figures)] if figures else []


# ------------------------------------------------------------------------------------------------ header
@register_section("header")
def _header(results):
    cfg, mach = results.config, results.machine
    return [
        "# skvoice reproduction of *Gender and Speaker Classification from Audio Files*\n",
        f"Generated by `{results.command}` with skvoice {results.skvoice_version} on {results.created_utc} in "
        f"**{results.total_seconds / 60:.1f} min** ({'quick mode' if cfg.quick else 'full mode'}; seed {cfg.seed}). "
        f"Machine: {mach.platform}, Python {mach.python}, {mach.usable_cores} usable core(s), {mach.memory_gib} GiB "
        f"RAM, load average at start {_load(mach.load_average_start)}. Every number below was measured by this "
        "run; the *Study* columns copy the study's reported results (LibriSpeech dev-clean) for comparison. "
        "Machine-readable results: `results.json`.\n",
    ]


# ------------------------------------------------------------------------------------------------ key findings
def _finding_best_gender(results):
    models = results.gender.ok_models()
    ranked = sorted(((m.accuracy("speaker_disjoint").mean, k) for k, m in models.items()
                     if m.accuracy("speaker_disjoint")), reverse=True)
    if not ranked:
        return None
    best_acc, best = ranked[0]
    m = models[best]
    return (f"Gender, speaker-disjoint: best is **{m.label}** ({m.feature_label}) with per-recording accuracy "
            f"{best_acc:.3f} ± {m.accuracy('speaker_disjoint').std:.3f} on {results.data.gender.n_speakers} "
            "speakers.")


def _finding_study_vs_ours(results):
    compared = []
    for m in results.gender.ok_models().values():
        study = reported(results.study, "gender", m.study_key).get("accuracy")
        ours = m.accuracy("speaker_disjoint")
        if study is not None and ours:
            compared.append(f"{m.label} {study:.3f} → {ours.mean:.3f}")
    return ("Study's per-audio accuracy → ours on unseen speakers: " + "; ".join(compared) + ".") if compared else None


def _finding_split_effect(results):
    p = results.gender.protocols["study_split"]
    if p.speaker_disjoint:
        return ("The study's 80/20 split shares no speaker between training and test on this data (one recording "
                "per speaker), so both protocols measure generalisation to new voices; their difference is "
                "split-to-split noise.")
    both = [m for m in results.gender.ok_models().values()
            if m.accuracy("study_split") and m.accuracy("speaker_disjoint")]
    gaps = [(m.accuracy("study_split").mean - m.accuracy("speaker_disjoint").mean, m.label) for m in both]
    if not gaps:
        return None
    gap, label = max(gaps)
    return (f"With the study's split {p.speakers_in_train_and_test} of {p.n_speakers} speakers are on both sides; "
            f"the largest accuracy drop when speakers are disjoint is {gap:+.3f} ({label}).")


def _finding_best_speaker(results):
    scored = [(m, m.accuracy("closed_set")) for m in results.speaker.models.values() if m.accuracy("closed_set")]
    if not scored:
        return None
    m, acc = max(scored, key=lambda t: t[1].mean)
    study = reported(results.study, "speaker", "gmm")["accuracy"]
    return (f"Speaker ID ({results.data.speaker.n_speakers} speakers, closed set): best is **{m.label}** "
            f"({m.feature_label}) with accuracy {acc.mean:.3f} ± {acc.std:.3f} (study: {study:.3f} with a GMM on "
            "wav2vec2 features of 40 speakers).")


def _finding_pca(results):
    pca = results.pca.get("mfcc")
    if pca is None or not pca.ok:
        return None
    return (f"Per-recording PCA: {pca.mean:.1f} of {pca.n_features} MFCC dimensions explain 85 % of the variance "
            f"(study: ~{results.study['pca']['mean_components']} of 768 wav2vec2 dimensions).")


def _finding_kmeans(results):
    km = results.kmeans.get("mfcc")
    if km is None or not km.ok:
        return None
    fr, rec = km.levels["frames"].scores["adjusted_rand"], km.levels["recordings"].scores["adjusted_rand"]
    verdict = " — single frames do not separate speakers, whole recordings do" if rec - fr > 0.3 else ""
    return (f"k-means with one cluster per speaker on MFCC: adjusted Rand index {fr:.3f} on single frames vs "
            f"{rec:.3f} on per-recording mean+std vectors{verdict}.")


FINDINGS = [_finding_best_gender, _finding_study_vs_ours, _finding_split_effect, _finding_best_speaker, _finding_pca,
            _finding_kmeans]


def key_findings(results):
    """A few sentences computed from the results (no hand-written numbers)."""
    return [text for text in (finding(results) for finding in FINDINGS) if text]


@register_section("key findings")
def _key_findings(results):
    findings = key_findings(results)
    return ["## Key findings\n", "\n".join(f"- {f}" for f in findings), ""] if findings else []


# ------------------------------------------------------------------------------------------------ data
@register_section("data")
def _data(results):
    data = results.data
    rows = []
    for task, d in (("gender", data.gender), ("speaker", data.speaker)):
        rps = d.recordings_per_speaker
        rows.append([task, d.source, d.subset, f"{d.n_speakers} ({d.n_female} F / {d.n_male} M)", d.n_recordings,
                     f"{rps['min']}–{rps['max']}", f"{d.hours:.2f}", "—" if d.n_frames is None else d.n_frames,
                     d.selection])
    out = ["## Data\n",
           markdown_table(["Task", "Source", "Subset", "Speakers", "Recordings", "Rec./speaker", "Hours",
                           "MFCC frames", "Selection"], rows),
           f"\nStudy: {results.study['data']}."]
    if data.root:
        out.append(f"LibriSpeech root: `{data.root}` (from {data.origin}).")
    notes = list(data.notes) + data.gender.notes + (data.speaker.notes if data.speaker is not data.gender else [])
    out += [f"- {n}" for n in dict.fromkeys(notes)]
    for task, d in (("gender", data.gender), ("speaker", data.speaker)):
        if d.files:
            out += [f"\n<details><summary>Bundled files used for the {task} task ({len(d.files)})</summary>\n",
                    ", ".join(f"`{f}`" for f in d.files), "\n</details>"]
    return out + [""]


# ------------------------------------------------------------------------------------------------ Task 1
@register_section("outliers")
def _outliers(results):
    o = results.outliers
    cols = [c for c in next(iter(o.counts.values())) if c != "any"]
    rows = []
    for method, counts in o.counts.items():
        share = 100 * counts["any"] / max(o.n_frames, 1)
        rows.append([f"{method} (ours)"] + [counts[c] for c in cols] + [f"{counts['any']} ({share:.1f} %)"])
        study = results.study["outliers"].get(method)
        if study is not None:
            rows.append([f"{method} (study)"] + list(study) + ["—"])
    return [
        "## Task 1: Count of outliers\n",
        f"Frames of all gender recordings pooled ({o.n_frames} frames of {o.features}, before CMVN); z-score rule "
        "|z| > 3, IQR rule outside [Q1 − 1.5 IQR, Q3 + 1.5 IQR]. The study's frame count is not reported, so compare "
        "the *profile* across coefficients (and the share of frames), not absolute counts.\n",
        markdown_table(["Method"] + cols + ["frames with any outlier"], rows),
        f"\n![Outlier counts per coefficient]({o.figure})\n",
    ]


def _gender_rows(results, protocol):
    """Per model and level: our metrics with ``protocol`` beside the study's."""
    rows = []
    for m in results.gender.models.values():
        name = f"**{m.label}**"
        if not m.ok:
            study = reported(results.study, "gender", m.study_key)
            cells = [f"*{m.status}*"] + ["—"] * (len(GENDER_METRICS) - 1)
            rows.append([name, "—", *cells] + [_f(study.get(x), 6) for x in GENDER_METRICS])
            continue
        res = m.protocols.get(protocol)
        if res is None:
            continue
        for i, (level, values) in enumerate(res.metrics.items()):
            study = reported(results.study, "gender", m.study_key, level)
            rows.append([name if i == 0 else "", LEVEL_NAMES.get(level, level),
                         *[_cell(values.get(x), res.n_splits) for x in GENDER_METRICS]]
                        + [_f(study.get(x), 6) for x in GENDER_METRICS])
    return rows


_GENDER_HEADER = ["Classifier", "Evaluation Type", "Accuracy", "Precision", "Recall", "Study Accuracy",
                  "Study Precision", "Study Recall"]


def _gender_study_protocol(results):
    p = results.gender.protocols["study_split"]
    if p.speaker_disjoint:
        note = (f"Here every speaker has one recording, so this split is also speaker-disjoint "
                f"({p.speakers_in_train_and_test} of {p.n_speakers} speakers in both parts).")
    else:
        note = (f"{p.speakers_in_train_and_test} of {p.n_speakers} speakers have recordings in both the training and "
                "the test part, so the classifier may recognise the *speaker* rather than the sex.")
    return [f"### Study protocol: {p.name}\n", f"{p.n_train} training / {p.n_test} test recordings. {note}\n",
            markdown_table(_GENDER_HEADER, _gender_rows(results, "study_split"))]


def _gender_disjoint_protocol(results):
    p = results.gender.protocols["speaker_disjoint"]
    return [f"\n### Speaker-disjoint protocol: {p.name}, mean ± std over folds\n",
            "No speaker of a test fold is seen in training: this measures generalisation to new voices.\n",
            markdown_table(_GENDER_HEADER, _gender_rows(results, "speaker_disjoint"))]


def _gender_side_by_side(results):
    rows = []
    for m in results.gender.models.values():
        if not m.ok:
            study = reported(results.study, "gender", m.study_key).get("accuracy")
            rows.append([f"**{m.label}**", "—", _f(study, 6), f"*{m.status}*", f"*{m.status}*"])
            continue
        disjoint, split = m.protocols["speaker_disjoint"], m.protocols["study_split"]
        for i, level in enumerate(disjoint.metrics):
            study = reported(results.study, "gender", m.study_key, level).get("accuracy")
            rows.append([f"**{m.label}**" if i == 0 else "", LEVEL_NAMES.get(level, level), _f(study, 6),
                         _cell(split.metric("accuracy", level), 1),
                         _cell(disjoint.metric("accuracy", level), disjoint.n_splits)])
    return ["\n### Both protocols side by side (accuracy)\n",
            markdown_table(["Classifier", "Evaluation Type", "Study (reported)", "Ours: study protocol",
                            "Ours: speaker-disjoint"], rows)]


def _gender_models(results):
    rows = []
    for m in results.gender.models.values():
        if not m.ok:
            rows.append([m.label, m.feature_label, m.description, "—", "—", "—", "—"])
            continue
        fit = sum(p.fit_seconds for p in m.protocols.values())
        disjoint = m.protocols["speaker_disjoint"]
        frames, epochs = disjoint.train_frames_per_split, disjoint.epochs_per_split
        rows.append([m.label, m.feature_label, m.description, f"{m.seconds:.1f}", f"{fit:.1f}",
                     "—" if not frames else f"{int(np.mean(frames))}",
                     "—" if not epochs else f"{min(epochs)}–{max(epochs)}"])
    figures = [(m.label, m.confusion_figure) for m in results.gender.models.values() if m.confusion_figure]
    unscored = [f"\n- **{m.label}** could not predict {sum(p.unscored_per_split)} of the test recordings of the "
                f"{key} protocol ({', '.join(map(str, p.unscored_per_split))} per split): its scores leave them out."
                for m in results.gender.models.values() if m.ok
                for key, p in m.protocols.items() if any(p.unscored_per_split)]
    return (["\n#### Models\n",
             markdown_table(["Classifier", "Features", "Pipeline", "Time (s)", "Fit time (s)",
                             "Training frames / fold", "Epochs run"], rows)] + unscored
            + _figures("\nConfusion matrices (speaker-disjoint protocol, out-of-fold predictions per recording):\n",
                       figures))


@register_section("gender")
def _gender(results):
    g = results.gender
    intro = [
        "## Task 1: Classifier Performance Results\n",
        f"Precision and recall are those of class **{g.positive_class}** (the study's label 1 after label encoding "
        "F/M). *Per audio* = one label per recording by voting over its frames; *per frame* = every frame scored "
        "against its recording's label. CMVN statistics are learned on the training part of each split only (the "
        "study normalised all data before splitting).\n",
    ]
    return (intro + _gender_study_protocol(results) + _gender_disjoint_protocol(results)
            + _gender_side_by_side(results) + _not_run(g.models) + _gender_models(results) + [""])


# ------------------------------------------------------------------------------------------------ Task 2
def _speaker_rows(results):
    rows = []
    for m in results.speaker.models.values():
        study = _f(reported(results.study, "speaker", m.study_key).get("accuracy"), 6)
        if not m.ok:
            rows.append([f"**{m.label}**", m.feature_label, "—", f"*{m.status}*", "—", study])
            continue
        res = m.protocols["closed_set"]
        for i, (level, values) in enumerate(res.metrics.items()):
            first = i == 0
            rows.append([f"**{m.label}**" if first else "", m.feature_label if first else "",
                         "Speaker prediction" if level == RECORDING else "Per frame",
                         _cell(values["accuracy"], res.n_splits), _cell(values["f1"], res.n_splits),
                         study if first else ""])
    return rows


@register_section("speaker")
def _speaker(results):
    s, d = results.speaker, results.data.speaker
    models = s.models.values()
    figures = [(m.label + " " + m.feature_label, m.confusion_figure) for m in models if m.confusion_figure]
    return (
        ["## Task 2: Speaker Prediction task Performance Results\n",
         f"Closed-set identification of the {d.n_speakers} speakers of {d.subset}: {s.protocols['closed_set'].name}, "
         "mean ± std over folds (every speaker is in every training part; utterances are disjoint). The study "
         "trained its speaker models on wav2vec2 features; the *Study* column is that number.\n",
         markdown_table(["Classifier", "Features", "Evaluation Type", "Accuracy", "Macro F1",
                         "Study Accuracy (wav2vec2)"], _speaker_rows(results))]
        + _not_run(s.models)
        + ["\n#### Models\n",
           markdown_table(["Classifier", "Features", "Pipeline", "Time (s)"],
                          [[m.label, m.feature_label, m.description, f"{m.seconds:.1f}" if m.ok else "—"]
                           for m in models])]
        + _figures("\nConfusion matrices (out-of-fold predictions):\n", figures)
        + [""])


def _per_feature_set(outcomes, header, status_column, ok_rows, figure_title):
    """Table and notes of an analysis run on each feature set (``{name: PCAResult or KMeansResult}``).

    A feature set that ran gives the rows ``ok_rows(name, label, result)`` and a note showing its
    figure; one that did not gives a row with its status in ``status_column`` (— elsewhere) and a
    note saying why.
    """
    rows, notes = [], []
    for name, res in outcomes.items():
        label = FEATURE_LABELS[name]
        if not res.ok:
            rows.append([label] + [f"*{res.status}*" if h == status_column else "—" for h in header[1:]])
            notes.append(f"\n- {label}: {res.status}: {res.reason}")
            continue
        rows.extend(ok_rows(name, label, res))
        notes.append(f"\n![{figure_title}, {label}]({res.figure})")
    return [markdown_table(header, rows)] + notes


@register_section("pca")
def _pca(results):
    sp = results.study["pca"]

    def ok_rows(name, label, p):
        return [[label, f"{p.n_features}", p.n_recordings, f"{p.mean:.1f}", f"{p.median:.0f}", f"{p.min}–{p.max}",
                 sp["mean_components"] if name == "wav2vec" else f"{sp['mean_components']} (wav2vec2)"]]

    return (["## Task 2: PCA\n",
             f"Per recording: standardise its frames, fit a PCA, count the components needed for "
             f"{sp['threshold']:.0%} of the variance (the study's procedure). Study: about {sp['mean_components']} "
             f"components on {sp['features']}, most recordings between {sp['typical_range'][0]} and "
             f"{sp['typical_range'][1]}.\n"]
            + _per_feature_set(results.pca, ["Features", "Dimensions", "Recordings", "Mean components", "Median",
                                             "Range", "Study mean"], "Recordings", ok_rows,
                               "Components for 85 % variance")
            + [""])


@register_section("kmeans")
def _kmeans(results):
    sk = results.study["kmeans"]

    def ok_rows(name, label, k):
        return [[label, level, v.n_samples, v.n_components, v.n_clusters, _f(v.scores.get("adjusted_rand")),
                 _f(v.scores.get("nmi")), _f(v.scores.get("purity"))] for level, v in k.levels.items()]

    return (["## Task 2: K-means clustering\n",
             f"All features standardised, projected on at most {sk['n_components']} principal components (capped at "
             "the feature dimension), clustered with k-means using one cluster per speaker, and scored against the "
             "true speakers (adjusted Rand index: 0 = chance, 1 = perfect; NMI; purity). The study showed this "
             f"picture on {sk['features']} frames of {sk['n_clusters']} speakers without a score. *frames* clusters "
             "every frame (the study's setting); *recordings* clusters one mean+std vector per recording.\n"]
            + _per_feature_set(results.kmeans, ["Features", "Level", "Samples", "PCA components", "Clusters", "ARI",
                                                "NMI", "Purity"], "ARI", ok_rows, "PCA + k-means")
            + [""])


# ------------------------------------------------------------------------------------------------ closing
@register_section("timings")
def _timings(results):
    rows = [[k, f"{v:.1f}"] for k, v in results.timings.items()]
    return ["## Timings\n",
            markdown_table(["Step", "Seconds"], rows + [["**total**", f"**{results.total_seconds:.1f}**"]])]


DIFFERENCES = [
    "- **Gradient Boosting**: scikit-learn's `HistGradientBoostingClassifier` (histogram-based gradient boosting, "
    "default 100 iterations with early stopping) replaces `GradientBoostingClassifier`, which took the study ~8 min; "
    "same model family, orders of magnitude faster on hundreds of thousands of frames.",
    "- **Neural networks** are the study's architectures (skvoice.classifiers), trained on a random subsample of "
    "frames per training recording with early stopping and fewer epochs than the study's 200 (CPU budget; see "
    "*Models* above); the per-audio decision is the majority vote of the frames, as in the study.",
    "- **CMVN** is learned on the training frames of each split (the study normalised all data before splitting, "
    "which leaks test statistics).",
    "- **Speaker-disjoint evaluation** is added for gender: with the study's random split, recordings of the same "
    "speaker can be on both sides, which can inflate accuracy.",
    "- **Speaker ID** reports mean ± std over stratified folds instead of one split; GMM-UBM/MAP and the skvoice "
    "pipelines are additions.",
    "- The study's wav2vec2 features and HuBERT model need pretrained weights; skvoice never downloads during a run: "
    "pass `--wav2vec` / `--hubert` with local models, otherwise those rows are marked *skipped*.",
]


@register_section("differences")
def _differences(results):
    return ["\n## Differences from the study\n", "\n".join(DIFFERENCES), ""]
