"""Accuracy of the recommended recipes under degraded recording conditions (a ``reproduce`` step).

The recipes are trained on the clean recordings of a training part only; copies of the *test*
recordings are degraded (:func:`skvoice.augment.make_condition`) and classified. Gender: a
speaker-disjoint split (a third of the speakers of each sex held out). Speaker ID: held-out
utterances (every other utterance of each speaker). ``benchmarks/bench_robustness.py`` runs the
larger matrix (noise types x SNR 20/10/5/0 dB, codecs) with more pipelines.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from . import verification  # noqa: F401  (its report section comes before this one)
from .errors import short_error
from .report import markdown_table, register_section, step_section
from .run import register_step

__all__ = ["RobustnessResult"]

CONDITIONS = ("clean", "telephone", "white_10dB", "pink_10dB", "babble_10dB", "mp3_32k", "reverb_0.6s",
              "silence_5s", "level_-40dB")
QUICK_CONDITIONS = ("clean", "telephone", "white_10dB", "babble_10dB", "silence_5s")


@dataclasses.dataclass
class RobustnessResult:
    conditions: list
    gender: dict = dataclasses.field(default_factory=dict)  # condition -> accuracy
    speaker: dict = dataclasses.field(default_factory=dict)
    gender_split: str = ""
    speaker_split: str = ""
    seconds: float = 0.0
    skipped: str | None = None
    failed: bool = False

    def to_dict(self):
        return dataclasses.asdict(self)

    def failures(self):
        return ["robustness"] if self.failed else []


def _gender_split(corpus, seed):
    from sklearn.model_selection import train_test_split

    speakers, first = np.unique(corpus.speaker, return_index=True)
    sexes = np.asarray(corpus.gender)[first]
    train_spk, _ = train_test_split(speakers, test_size=1 / 3, stratify=sexes, random_state=seed)
    train = np.isin(corpus.speaker, train_spk)
    return np.flatnonzero(train), np.flatnonzero(~train)


def _speaker_split(corpus):
    rank = np.zeros(len(corpus.speaker), dtype=int)
    seen = {}
    for i, s in enumerate(corpus.speaker):
        rank[i] = seen.get(s, 0)
        seen[s] = rank[i] + 1
    return np.flatnonzero(rank % 2 == 0), np.flatnonzero(rank % 2 == 1)


def _accuracy_per_condition(model, X, y, conditions, babble, seed):
    from ..augment import make_condition

    out = {}
    for name in conditions:
        Xd = X if name == "clean" else make_condition(name, sources=babble, random_state=seed).fit_transform(X)
        out[name] = float(np.mean(model.predict(Xd) == y))
    return out


@register_step("robustness", n_steps=2)
def _robustness(context, results):
    from .._optional import install_hint, missing_extras
    from ..recipes import _extras, gender_pipeline, speaker_id_pipeline

    progress, config = context.progress, context.config
    conditions = QUICK_CONDITIONS if config.quick else CONDITIONS
    res = RobustnessResult(list(conditions))
    g, s = context.gender_corpus, context.speaker_corpus
    if g is None or s is None or not isinstance(g.X[0], str):
        progress.log("robustness: skipped (needs recordings read from files)")
        progress.drop(2)
        res.skipped = "needs recordings read from files (synthetic run)"
        return res
    missing = missing_extras(dict.fromkeys(_extras("gender") + _extras("speaker")))
    if missing:
        progress.log(f"robustness: skipped (needs {install_hint(missing)})")
        progress.drop(2)
        res.skipped = f"needs {install_hint(missing)}"
        return res
    t0 = time.perf_counter()
    X_g, X_s = np.asarray(g.X, dtype=object), np.asarray(s.X, dtype=object)
    try:
        with progress.step("robustness/gender",
                           f"robustness: gender recipe under {len(conditions)} conditions (unseen speakers)"):
            tr, te = _gender_split(g, config.seed)
            model = gender_pipeline(n_jobs=config.n_jobs, random_state=config.seed).fit(X_g[tr], g.gender[tr])
            res.gender = _accuracy_per_condition(model, X_g[te], np.asarray(g.gender)[te], conditions,
                                                 list(X_s[:12]), config.seed)
        res.gender_split = (f"trained on {len(np.unique(g.speaker[tr]))} speakers, tested on "
                            f"{len(np.unique(g.speaker[te]))} unseen speakers ({len(te)} recordings)")
        with progress.step("robustness/speaker",
                           f"robustness: speaker recipe under {len(conditions)} conditions (held-out utterances)"):
            tr, te = _speaker_split(s)
            model = speaker_id_pipeline(n_jobs=config.n_jobs, random_state=config.seed).fit(X_s[tr], s.speaker[tr])
            res.speaker = _accuracy_per_condition(model, X_s[te], np.asarray(s.speaker)[te], conditions,
                                                  list(X_g[:12]), config.seed)
        res.speaker_split = (f"{len(np.unique(s.speaker))} speakers, {len(tr)} enrolment / {len(te)} test "
                             "utterances (every other utterance held out)")
    except Exception as exc:
        progress.log(f"robustness step failed: {short_error(exc)}")
        res.skipped, res.failed = f"failed: {short_error(exc)}", True
    res.seconds = round(time.perf_counter() - t0, 1)
    return res


@register_section("robustness", after="speaker_verification")
def _render(results):
    res, out = step_section(results, "robustness",
                            "## Robustness: the recommended recipes under degraded recording conditions\n",
                            skipped=lambda r: r.skipped and not r.gender)  # a failed speaker part is a note
    if res is None:
        return out
    rows = []
    for task, acc in (("gender (`gender_pipeline`)", res.gender), ("speaker ID (`speaker_id_pipeline`)",
                                                                   res.speaker)):
        if acc:
            clean = acc.get("clean", np.nan)
            rows.append([task] + [f"{acc[c]:.3f}" + ("" if c == "clean" else f" ({acc[c] - clean:+.3f})")
                                  for c in res.conditions])
    out += ["Trained on clean recordings only; test copies degraded (accuracy, change from clean in brackets). "
            f"Gender: {res.gender_split}. Speaker ID: {res.speaker_split}. Noise SNR is measured over active "
            "speech; babble mixes 6 talkers of the other corpus.\n",
            markdown_table(["Task"] + list(res.conditions), rows), ""]
    if res.skipped:
        out.append(f"Note: {res.skipped}.\n")
    return out
