"""Speaker identification and verification on 2-s chunks of every speaker available (a ``reproduce`` step).

The study identified 40 speakers from 2-s wav2vec2 chunks split at random. This step cuts every
recording of both corpora (all their speakers) into 2-s chunks and evaluates
:func:`skvoice.recipes.speaker_id_pipeline` with two protocols: the study's random 80/20 split of
chunks, and "later chunks" (the first 60 % of each recording's chunks enrol, the rest test: held-out
time, never the same chunk twice). It reports identification accuracy and, from the recipe's
``decision_function``, verification over all target/non-target trials: EER and minDCF (p_target
0.01), with a DET plot.
"""

from __future__ import annotations

import dataclasses
import time
import warnings

import numpy as np

from .errors import short_error
from .report import markdown_table, register_section, step_section
from .run import register_step

__all__ = ["VerificationRow", "VerificationResult"]

PROTOCOLS = (("random", "study split: random 80/20 of chunks", {"test_size": 0.2}),
             ("later", "later chunks: first 60 % enrol, the rest test", {"train_size": 0.6}))


@dataclasses.dataclass
class VerificationRow:
    protocol: str
    description: str
    n_speakers: int
    n_enrol: int
    n_test: int
    accuracy: float
    eer: float
    min_dcf: float
    n_target: int
    n_nontarget: int
    fit_s: float
    predict_s: float


@dataclasses.dataclass
class VerificationResult:
    system: str
    n_chunks: int
    n_speakers: int
    subsets: list
    rows: list = dataclasses.field(default_factory=list)
    skipped: str | None = None
    failed: dict = dataclasses.field(default_factory=dict)  # protocol -> why it failed

    def to_dict(self):
        return dataclasses.asdict(self)

    def failures(self):
        return [f"speaker_verification/{protocol}" for protocol in self.failed]


def _corpus_table(context):
    """One table of all distinct recordings (paths) of the run's corpora, with speaker and sex."""
    import pandas as pd

    frames = []
    for corpus in (context.gender_corpus, context.speaker_corpus):
        if corpus is None or len(corpus.X) == 0 or not isinstance(corpus.X[0], str):
            continue
        frames.append(pd.DataFrame({"path": list(corpus.X), "speaker": list(corpus.speaker),
                                    "gender": list(corpus.gender)}))
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True).drop_duplicates("path").reset_index(drop=True)


@register_step("speaker_verification", n_steps=2)
def _speaker_verification(context, results):
    from .._optional import install_hint, missing_extras
    from ..datasets import chunk_recordings, chunk_split, load_chunks
    from ..metrics import equal_error_rate, min_dcf, plot_det, trial_scores
    from ..recipes import _extras, speaker_id_pipeline

    progress, config = context.progress, context.config
    system = "skvoice.recipes.speaker_id_pipeline(robust=False)"
    table = _corpus_table(context)
    if table is None:
        progress.log("speaker verification: skipped (needs audio files, not synthetic waveforms)")
        progress.drop(2)
        return VerificationResult(system, 0, 0, [], skipped="needs recordings read from files (synthetic run)")
    missing = missing_extras(_extras("speaker", robust=False))
    if missing:  # an optional part, as the Keras and HuBERT models are: skipped with what to install
        progress.log(f"speaker verification: skipped (needs {install_hint(missing)})")
        progress.drop(2)
        return VerificationResult(system, 0, 0, [], skipped=f"needs {install_hint(missing)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # recordings shorter than one chunk are counted below
        chunks = chunk_recordings(table, chunk_seconds=2.0)
    result = VerificationResult(system, len(chunks), int(chunks["speaker"].nunique()),
                                sorted({p.split("/")[-4] for p in table["path"]}))
    waves = load_chunks(chunks, n_jobs=config.n_jobs)
    speakers = chunks["speaker"].to_numpy(object)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 5))
    for protocol, description, sizes in PROTOCOLS:
        message = f"speaker verification: {description} ({result.n_speakers} speakers, {len(chunks)} chunks)"
        try:
            with progress.step(f"speaker_verification/{protocol}", message):
                train, test = chunk_split(chunks, protocol=protocol, random_state=config.seed, **sizes)
                # clean enrolment, clean tests: the matched-condition recipe (raw audio, full band, no fit-time
                # copies); the robustness step measures the default, robust recipe
                model = speaker_id_pipeline(n_jobs=config.n_jobs, random_state=config.seed, robust=False)
                t0 = time.perf_counter()
                model.fit(waves[train], speakers[train])
                t1 = time.perf_counter()
                scores = model.decision_function(waves[test])
                t2 = time.perf_counter()
        except Exception as exc:  # a failing step is reported, the rest of the report still renders
            progress.log(f"speaker verification ({protocol}) failed: {short_error(exc)}")
            result.failed[protocol] = short_error(exc)
            continue
        classes = np.asarray(model.classes_)
        y_test = speakers[test]
        y_trial, s_trial = trial_scores(scores, y_test, classes)
        n_target = int(np.sum(y_trial))
        result.rows.append(VerificationRow(
            protocol, description, int(len(np.unique(speakers[train]))), int(len(train)), int(len(test)),
            float(np.mean(classes[np.argmax(scores, axis=1)] == y_test)), float(equal_error_rate(y_trial, s_trial)),
            float(min_dcf(y_trial, s_trial, p_target=0.01)), n_target, int(np.size(y_trial)) - n_target,
            round(t1 - t0, 1), round(t2 - t1, 1)))
        plot_det(y_trial, s_trial, ax=ax, label=description)
    ax.set_title(f"Speaker verification, {result.n_speakers} speakers, 2-s chunks")
    ax.legend(loc="upper right", fontsize=8)
    context.figures.save(fig, "speaker_verification_det.png")
    return result


@register_section("speaker_verification", after="speaker")
def _render(results):
    res, out = step_section(
        results, "speaker_verification",
        "## Task 2b: speaker identification and verification on 2-s chunks (every speaker available)\n")
    if res is None:
        return out
    rows = [[r.description, r.n_speakers, f"{r.n_enrol} / {r.n_test}", f"{r.accuracy:.3f}",
             f"{100 * r.eer:.2f} %", f"{r.min_dcf:.3f}", f"{r.n_target} / {r.n_nontarget}",
             f"{r.fit_s:.0f} s / {r.predict_s:.0f} s"] for r in res.rows]
    out += [f"System: `{res.system}`; {res.n_chunks} chunks of {res.n_speakers} speakers "
            f"({', '.join(res.subsets)}). Verification: every test chunk against every enrolled speaker, one "
            "threshold for all; minDCF at p_target = 0.01.\n",
            markdown_table(["Protocol", "Speakers", "Enrol / test chunks", "Identification", "EER", "minDCF",
                            "Target / non-target trials", "Fit / score"], rows),
            "\nThe study: 40 dev-clean speakers, random split of 2-s wav2vec2 chunks: GMM 0.804, dense net 0.747 "
            "identification; no verification figures.",
            "\n![DET curves](speaker_verification_det.png)\n"]
    out += [f"- Protocol `{protocol}` failed: {reason}" for protocol, reason in res.failed.items()]
    return out
