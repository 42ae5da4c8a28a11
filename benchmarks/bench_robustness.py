"""Robustness: accuracy under degraded recording conditions, with and without fit-time augmentation.

Every model is trained on clean LibriSpeech and tested on degraded copies of held-out
recordings (``skvoice.augment.make_condition``): clean, telephone (G.711 mu-law),
white / pink / babble noise at 20, 10, 5 and 0 dB SNR (over the active speech), MP3 at
32 kbit/s, reverberation (RT60 0.6 s, image-source rooms), 5 s of digital silence before
and after, and an active speech level of -40 dBFS. Test degradations are seeded
(``random_state=0``), so every model sees the very same degraded recordings.

Tasks
-----
- **gender on unseen speakers**: train-clean-100 (151 speakers x 1 utterance), one fixed
  speaker-disjoint split stratified by sex (``--gender-train`` speakers for training, the
  others for testing). Babble talkers come from test-other (other speakers).
- **10-speaker identification**: test-other (10 speakers x 6 utterances), held-out
  utterances: two folds (utterances 1, 3, 5 of each speaker for training and 2, 4, 6 for
  testing, then the reverse); accuracy over the 60 test predictions. Babble talkers come
  from train-clean-100.

Pipelines
---------
- gender: ``SpeakerEmbedding() -> LogisticRegression`` and
  ``MFCCExtractor(deltas=True, pitch=True) -> CMVN -> FrameVoteClassifier(HGB, voting="soft",
  max_frames=300)``;
- speaker ID: ``MFCCExtractor(deltas=True) -> CMVN -> GMMSpeakerClassifier(ubm=True)``
  (GMM-UBM, MAP adaptation) and ``SpeakerEmbedding() -> LogisticRegression``;
- the recommended recipes, ``skvoice.recipes.gender_pipeline()`` and ``speaker_id_pipeline()``
  (training ``"recipe"``): fitted once on the clean training recordings (their multi-condition
  training is inside them) and asked to predict from the degraded audio itself.

Each pipeline is trained twice: on the clean recordings, and inside
``AugmentedTrainer(pipeline, TRAIN_AUGMENTER, n_copies)`` (clean + degraded copies). The
training degradations are deliberately *different* from the test conditions: brown or violet
noise (never white, pink or babble), statistical-model reverberation (exponential-decay
noise responses, not the image-source rooms of the test), Opus at 8-16 kbit/s (not MP3, not
G.711), 0-2 s padding over a -60 dBFS noise floor (not 5 s of digital silence) and a random
gain of -30..0 dB. Gains measure generalisation, not tuning to the test noise.

Cost: the feature extractors are stateless, so each degraded test set is decoded, degraded
and passed through each extractor once, and every fitted model predicts from those cached
features with the rest of its pipeline (``pipeline[1:]``). That this equals
``model.predict(audio)`` is checked on one condition (a target in the report).
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402

NAME = "robustness"
SR = 16000
CONDITIONS = (["clean", "telephone"]
              + [f"{noise}_{snr}dB" for noise in ("white", "pink", "babble") for snr in (20, 10, 5, 0)]
              + ["mp3_32k", "reverb_0.6s", "silence_5s", "level_-40dB"])
QUICK_CONDITIONS = ["clean", "telephone", "white_10dB", "babble_10dB", "mp3_32k", "silence_5s"]


def train_augmenter():
    """Multi-condition training degradations, disjoint from the test conditions: the recipes' own
    (:func:`skvoice.recipes.training_augmenter`)."""
    from skvoice.recipes import training_augmenter

    return training_augmenter()


# ------------------------------------------------------------------------------------------------ pipelines
def gender_pipelines():
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from skvoice.classifiers import FrameVoteClassifier
    from skvoice.features import CMVN, MFCCExtractor, SpeakerEmbedding

    return {
        "ge2e_lr": make_pipeline(SpeakerEmbedding(), LogisticRegression(max_iter=2000)),
        "mfcc_pitch_cmvn_hgb": make_pipeline(
            MFCCExtractor(deltas=True, pitch=True), CMVN(),
            FrameVoteClassifier(HistGradientBoostingClassifier(random_state=0), voting="soft", max_frames=300,
                                random_state=0)),
    }


def speaker_pipelines():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from skvoice.classifiers import GMMSpeakerClassifier
    from skvoice.features import CMVN, MFCCExtractor, SpeakerEmbedding

    return {
        "gmm_ubm": make_pipeline(MFCCExtractor(deltas=True), CMVN(),
                                 GMMSpeakerClassifier(ubm=True, random_state=0)),
        "ge2e_lr": make_pipeline(SpeakerEmbedding(), LogisticRegression(max_iter=2000)),
    }


def _extractor_key(pipe):
    """Pipelines whose first steps are equal share cached test features."""
    return repr(pipe.steps[0][1])


# ------------------------------------------------------------------------------------------------ data
def load_data(quick):
    from sklearn.model_selection import train_test_split

    from skvoice.datasets import load_librispeech

    root = C.librispeech_root()
    if root is None:
        return None
    train = load_librispeech(root, "train-clean-100")
    other = load_librispeech(root, "test-other")
    n_train = 40 if quick else 100
    idx = np.arange(len(train.filenames))
    g_tr, g_te = train_test_split(idx, train_size=n_train, stratify=train.gender, random_state=0)
    if quick:
        g_te = g_te[:20]
    gender = {"X_train": train.filenames[g_tr], "y_train": train.gender[g_tr],
              "X_test": train.filenames[g_te], "y_test": train.gender[g_te],
              "babble": list(other.filenames), "speakers_train": len(g_tr), "speakers_test": len(g_te)}
    # speaker ID: per speaker, utterances in file order; fold A trains on the odd-numbered ones
    frame = other.frame.reset_index(drop=True)
    rank = frame.groupby("speaker").cumcount().to_numpy()
    folds = [(np.flatnonzero(rank % 2 == 0), np.flatnonzero(rank % 2 == 1)),
             (np.flatnonzero(rank % 2 == 1), np.flatnonzero(rank % 2 == 0))]
    if quick:
        folds = folds[:1]
    speaker = {"X": other.filenames, "y": other.speaker, "folds": folds,
               "babble": list(train.filenames[:40])}
    durations = {"gender_test_minutes": float(train.frame["duration"].to_numpy()[g_te].sum() / 60),
                 "speaker_minutes": float(other.frame["duration"].sum() / 60)}
    return gender, speaker, durations, root


# ------------------------------------------------------------------------------------------------ evaluation
def degrade(name, X, babble):
    from skvoice.augment import make_condition

    return make_condition(name, sources=babble, random_state=0).fit_transform(X)


def evaluate(models, X_test, y_test, conditions, babble, log, label, check_condition=None, recipes=None):
    """Accuracy of every fitted model on every degraded copy of ``X_test``.

    ``models``: {(pipeline_name, training): fitted pipeline}. Features of each degraded set are
    computed once per distinct first step and fed to ``pipeline[1:]``. ``recipes``: {(name, training):
    fitted model} that predict from the degraded audio itself (the recommended recipes).
    """
    recipes = recipes or {}
    extractors = {}
    for (_, _), pipe in models.items():
        extractors.setdefault(_extractor_key(pipe), pipe.steps[0][1])
    acc = {key: {} for key in [*models, *recipes]}
    check = None
    for cond in conditions:
        t0 = time.perf_counter()
        Xd = degrade(cond, X_test, babble)
        t_degrade = time.perf_counter() - t0
        feats = {}
        t0 = time.perf_counter()
        for key, ext in extractors.items():
            feats[key] = ext.transform(Xd)
        t_feat = time.perf_counter() - t0
        for key, pipe in models.items():
            pred = pipe[1:].predict(feats[_extractor_key(pipe)])
            acc[key][cond] = float(np.mean(pred == np.asarray(y_test)))
        t0 = time.perf_counter()
        for key, model in recipes.items():
            acc[key][cond] = float(np.mean(model.predict(Xd) == np.asarray(y_test)))
        t_feat += time.perf_counter() - t0
        if cond == check_condition:  # the shortcut must equal the public path on audio
            key = next(iter(models))
            full = models[key].predict(Xd)
            cached = models[key][1:].predict(feats[_extractor_key(models[key])])
            check = bool(np.array_equal(full, cached))
        log(f"[{label}] {cond:<13} degrade {t_degrade:5.1f}s  features {t_feat:5.1f}s  " + "  ".join(
            f"{k[0]}/{k[1]}={acc[k][cond]:.3f}" for k in acc))
    return acc, check


def fit_models(pipelines, X, y, n_copies, log, label):
    from sklearn.base import clone

    from skvoice.augment import AugmentedTrainer

    models, times = {}, {}
    for name, pipe in pipelines.items():
        t0 = time.perf_counter()
        models[(name, "clean")] = clone(pipe).fit(X, y)
        times[f"{name}/clean"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        aug = AugmentedTrainer(clone(pipe), train_augmenter(), n_copies=n_copies, random_state=0).fit(X, y)
        models[(name, "augmented")] = aug.estimator_
        times[f"{name}/augmented"] = round(time.perf_counter() - t0, 1)
        log(f"[{label}] fitted {name}: clean {times[f'{name}/clean']}s, augmented {times[f'{name}/augmented']}s")
    return models, times


def fit_recipe(name, make, X, y, log, label):
    """A recommended recipe (already multi-condition inside), trained on the clean recordings given."""
    t0 = time.perf_counter()
    model = make(random_state=0).fit(X, y)
    seconds = round(time.perf_counter() - t0, 1)
    log(f"[{label}] fitted recipe {name}: {seconds}s")
    return {(name, "recipe"): model}, {f"{name}/recipe": seconds}


def _merge_folds(per_fold, n_test):
    """Accuracy over all test predictions of all folds (folds weighted by their size)."""
    out = {}
    for key in per_fold[0]:
        out[key] = {c: float(sum(f[key][c] * n for f, n in zip(per_fold, n_test)) / sum(n_test))
                    for c in per_fold[0][key]}
    return out


def table(acc, conditions):
    rows = []
    for (pipe, training), per in acc.items():
        row = {"pipeline": pipe, "training": training}
        for c in conditions:
            row[c] = round(per[c], 3)
        rows.append(row)
    return rows


def summarise(acc, conditions):
    """Per model: accuracy per condition, drop from its own clean accuracy, mean over degraded conditions."""
    out = {}
    for (pipe, training), per in acc.items():
        degraded = [c for c in conditions if c != "clean"]
        out[f"{pipe}/{training}"] = {
            "accuracy": {c: round(per[c], 4) for c in conditions},
            "drop_from_clean": {c: round(per["clean"] - per[c], 4) for c in degraded},
            "mean_degraded_accuracy": round(float(np.mean([per[c] for c in degraded])), 4),
        }
    return out


def run(quick=False, log=print, recipes_only=False):
    started = C.now_iso()
    t_start = time.perf_counter()
    warnings.filterwarnings("ignore", category=UserWarning, module="sklearn")
    conditions = QUICK_CONDITIONS if quick else CONDITIONS
    data = load_data(quick)
    if data is None:
        reason = ("needs real data: SKVOICE_LIBRISPEECH must point at a LibriSpeech root with train-clean-100 and "
                  "test-other (synthetic voices would say nothing about robustness to recording conditions)")
        log(f"[{NAME}] skipped: {reason}")
        report = C.make_report(NAME, quick=quick, data={"source": None, "skipped": reason}, results={},
                               checks=[], notes=[reason], started=started)
        report["tables"] = {}
        return report
    gender, speaker, durations, root = data

    # ---- gender on unseen speakers
    from skvoice.recipes import gender_pipeline, speaker_id_pipeline

    g_models, g_fit = ({}, {}) if recipes_only else fit_models(gender_pipelines(), gender["X_train"],
                                                                gender["y_train"], 1, log, "gender")
    g_recipe, t = fit_recipe("gender_pipeline", gender_pipeline, gender["X_train"], gender["y_train"], log, "gender")
    g_fit.update(t)
    g_acc, g_check = evaluate(g_models, gender["X_test"], gender["y_test"], conditions, gender["babble"], log,
                              "gender", check_condition=None, recipes=g_recipe)

    # ---- 10-speaker identification, held-out utterances, two folds
    per_fold, n_test, s_fit, s_check = [], [], {}, None
    for k, (tr, te) in enumerate(speaker["folds"]):
        models, times = ({}, {}) if recipes_only else fit_models(speaker_pipelines(), speaker["X"][tr],
                                                                  speaker["y"][tr], 2, log, f"speaker{k}")
        recipe, t = fit_recipe("speaker_id_pipeline", speaker_id_pipeline, speaker["X"][tr], speaker["y"][tr], log,
                               f"speaker{k}")
        times.update(t)
        s_fit.update({f"fold{k}/{n}": t for n, t in times.items()})
        acc, chk = evaluate(models, speaker["X"][te], speaker["y"][te], conditions, speaker["babble"], log,
                            f"speaker{k}", check_condition="white_10dB" if k == 0 and models else None,
                            recipes=recipe)
        s_check = chk if chk is not None else s_check
        per_fold.append(acc)
        n_test.append(len(te))
    s_acc = _merge_folds(per_fold, n_test)

    checks = [] if recipes_only else [C.check("cached-feature predictions == model.predict(audio) (speaker, "
                                              "white_10dB)", float(bool(s_check)), ">=", 1.0)]
    for task, acc in (("gender", g_acc), ("speaker", s_acc)):
        for pipe in {p for p, training in acc if training != "recipe"}:
            degraded = [c for c in conditions if c != "clean"]
            aug = float(np.mean([acc[(pipe, "augmented")][c] for c in degraded]))
            cln = float(np.mean([acc[(pipe, "clean")][c] for c in degraded]))
            # informative, not a target: whether augmentation helps is what this benchmark measures
            checks.append({"name": f"{task}/{pipe}: mean degraded accuracy, augmented - clean-trained",
                           "value": round(aug - cln, 4), "target": "(none)", "passed": None})
    results = {
        "recipes_only": recipes_only,
        "conditions": list(conditions),
        "train_augmenter": repr(train_augmenter()),
        "gender": {"split": {"train_speakers": gender["speakers_train"], "test_speakers": gender["speakers_test"],
                             "how": "train_test_split stratified by sex, random_state=0 (1 utterance per speaker)",
                             "n_copies": 1},
                   "fit_seconds": g_fit, "models": summarise(g_acc, conditions)},
        "speaker_id": {"split": {"folds": len(speaker["folds"]), "test_predictions": int(sum(n_test)),
                                 "how": "per speaker, alternate utterances for training / testing, then swapped",
                                 "n_copies": 2},
                       "fit_seconds": s_fit, "models": summarise(s_acc, conditions)},
        "total_seconds": round(time.perf_counter() - t_start, 1),
    }
    data = {"source": f"LibriSpeech train-clean-100 + test-other ({root})", "synthetic": False, **durations}
    notes = [
        "Accuracy per recording; gender: 51 unseen speakers (1 utterance each), so one error is ~2 points; "
        "speaker ID: 60 test utterances over two folds.",
        "Babble: 6 talkers of other speakers (test-other talkers for gender, train-clean-100 talkers for speaker ID).",
        "Training augmentation avoids the test conditions: " + train_augmenter.__doc__,
    ]
    report = C.make_report(NAME, quick=quick, data=data, results=results, checks=checks, notes=notes,
                           started=started)
    report["tables"] = {"gender": table(g_acc, conditions), "speaker_id": table(s_acc, conditions)}
    return report


def print_report(report):
    if not report["results"]:
        return
    conds = report["results"]["conditions"]
    for task in ("gender", "speaker_id"):
        rows = report["tables"][task]
        # transpose: one row per condition, one column per model
        cols = [f"{r['pipeline']}/{r['training']}" for r in rows]
        trows = [{"condition": c, **{col: r[c] for col, r in zip(cols, rows)}} for c in conds]
        C.print_table(trows, ["condition"] + cols, title=f"{task}: accuracy")
    C.print_checks(report["checks"])


def main(argv=None):
    p = C.arg_parser(NAME, __doc__.splitlines()[0])
    p.add_argument("--recipes-only", action="store_true",
                   help="only the recommended recipes (skvoice.recipes), not the single pipelines")
    args = p.parse_args(argv)
    report = run(quick=args.quick, recipes_only=args.recipes_only)
    print_report(report)
    C.save_report(report, args, NAME + ("_recipes" if args.recipes_only else ""))
    return report


if __name__ == "__main__":
    main()
