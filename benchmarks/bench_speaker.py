"""Speaker identification and verification at scale: which back end and which features.

Data (``$SKVOICE_LIBRISPEECH``): every utterance is cut into 2-s chunks
(``_speaker_features.py``). Protocols:

- ``later`` (train-clean-100, 151 speakers x 1 utterance): per utterance the
  first 60 % of its chunks (``round(0.6 n)``, at least one, at most ``n - 1``)
  enrol the speaker, the rest are test trials; one-chunk utterances only enrol.
- ``random`` (train-clean-100): the study's random split, 20 % of each
  speaker's chunks (at least one when it has two or more) for testing.
- ``test-other`` (10 speakers x 6 utterances): enrol on the chunks of 4
  utterances per speaker, test on the chunks of the other 2 (held-out
  utterances); systems that take a background get all 151 train-clean-100
  speakers (disjoint from test-other, and from the GE2E encoder's training
  data, LibriSpeech train-other-500 + VoxCeleb).
- ``half-A`` / ``half-B``: the 151 speakers split at random (seed 0) into two
  halves. Every choice of recipe (scoring, normalisation, top-k, pooling,
  GMM size) is made on half A (``later`` split, no background) and then
  reported unchanged on half B, whose background is half A.
- ``open-set``: half B enrolled, test chunks of half B (known) and of half A
  (speakers never enrolled nor seen). EER over target vs unknown-speaker
  trials, and open-set identification at the calibrated threshold.

Every test chunk is scored against every enrolled speaker: accuracy is the
closed-set argmax; EER and minDCF (p_target = 0.01, C_miss = C_fa = 1,
normalised) pool all target/non-target trials with ONE threshold.

Run: ``python benchmarks/bench_speaker.py [--quick] [--cache DIR]`` (``--quick``: no random split, one GMM
size and one fusion recipe; about half the time).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402
import _speaker_features as F  # noqa: E402

NAME = "speaker"
P_TARGET = 0.01


# --------------------------------------------------------------------------------------------- metrics
def eer_mindcf(target, nontarget, p_target=P_TARGET):
    """(EER, normalised minDCF) of pooled trial scores (roc_curve over every threshold)."""
    from sklearn.metrics import roc_curve

    y = np.concatenate([np.ones(len(target)), np.zeros(len(nontarget))])
    s = np.concatenate([target, nontarget])
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    fnr = 1 - tpr
    i = np.nanargmin(np.abs(fnr - fpr))
    eer = float((fnr[i] + fpr[i]) / 2)
    dcf = (p_target * fnr + (1 - p_target) * fpr) / min(p_target, 1 - p_target)
    return eer, float(dcf.min())


def evaluate(scores, classes, y_test):
    """Accuracy, EER, minDCF of a (n_test, n_speakers) score matrix over all trials."""
    classes = np.asarray(classes)
    target = classes[None, :] == np.asarray(y_test)[:, None]
    acc = float((classes[np.argmax(scores, axis=1)] == y_test).mean())
    eer, dcf = eer_mindcf(scores[target], scores[~target])
    return {"accuracy": round(acc, 4), "eer_pct": round(100 * eer, 3), "min_dcf": round(dcf, 4),
            "n_target": int(target.sum()), "n_nontarget": int((~target).sum())}


# --------------------------------------------------------------------------------------------- protocols
def later_split(meta, mask):
    """Enrol/test masks: first 60 % of each utterance's chunks enrol."""
    n = meta["n_chunks"]
    n_enrol = np.where(n >= 2, np.clip(np.round(0.6 * n), 1, n - 1), 1)
    enrol = mask & (meta["position"] < n_enrol)
    return enrol, mask & ~enrol


def random_split(meta, mask, seed=0):
    rng = np.random.RandomState(seed)
    test = np.zeros(len(mask), dtype=bool)
    for spk in np.unique(meta["speaker"][mask]):
        idx = np.flatnonzero(mask & (meta["speaker"] == spk))
        if len(idx) >= 2:
            test[rng.choice(idx, max(1, int(round(0.2 * len(idx)))), replace=False)] = True
    return mask & ~test, test


def held_out_utterances(meta, mask, n_enrol_utts=4):
    enrol = np.zeros(len(mask), dtype=bool)
    for spk in np.unique(meta["speaker"][mask]):
        utts = sorted(set(meta["utterance"][mask & (meta["speaker"] == spk)]))
        enrol |= mask & (meta["speaker"] == spk) & np.isin(meta["utterance"], utts[:n_enrol_utts])
    return enrol, mask & ~enrol


# --------------------------------------------------------------------------------------------- features
def pool_windows(windows, fallback):
    """Recording embedding: L2-normalised mean of the GE2E windows (fallback windows when VAD left none)."""
    out = np.empty((len(windows), 256))
    for i, w in enumerate(windows):
        w = w if len(w) else fallback[i]
        m = w.astype(np.float64).mean(axis=0)
        out[i] = m / max(np.linalg.norm(m), 1e-12)
    return out


_TABLES = {}  # name -> features, looked up by chunk index (lets ScoreFusion feed each system its own features)


class Lookup(TransformerMixin, BaseEstimator):
    """Transformer: a column of chunk indices -> the rows of a registered feature table."""

    def __init__(self, table="ge2e"):
        self.table = table

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return _TABLES[self.table][np.asarray(X).ravel().astype(int)]


def verifier(**kw):
    from skvoice.classifiers import SpeakerVerifier

    return SpeakerVerifier(random_state=0, **kw)


def gmm_ubm(n_components=64, **kw):
    from skvoice.classifiers import GMMSpeakerClassifier

    return GMMSpeakerClassifier(n_components=n_components, ubm=True, n_init=1, max_iter=50, random_state=0, **kw)


def run_system(system, X_enrol, y_enrol, X_test, background=None):
    """Fit and score: (score matrix, classes, fit seconds, predict seconds)."""
    t0 = time.perf_counter()
    if background is not None:
        system.fit(X_enrol, y_enrol, background=background)
    else:
        system.fit(X_enrol, y_enrol)
    t1 = time.perf_counter()
    if hasattr(system, "speaker_scores"):
        scores = system.speaker_scores(X_test)
    else:
        scores = system.decision_function(X_test)
    t2 = time.perf_counter()
    return scores, system.classes_, t1 - t0, t2 - t1


# --------------------------------------------------------------------------------------------- experiments
VERIFIER_GRID = [  # (label, SpeakerVerifier params): the choice is made on half A
    ("cosine raw", dict(normalization=None, calibration=None, center=False)),
    ("cosine centred", dict(normalization=None, calibration=None)),
    ("cosine + S-norm", dict(normalization="snorm", calibration=None)),
    *[(f"cosine + AS-norm k={k}", dict(normalization="asnorm", top_k=k, calibration=None)) for k in (10, 25, 50, 100)],
    ("cosine + LDA", dict(normalization=None, calibration=None, projection="lda", n_components=64)),
    ("cosine + WCCN", dict(normalization=None, calibration=None, projection="wccn")),
    ("cosine + WCCN + AS-norm k=100", dict(normalization="asnorm", calibration=None, projection="wccn")),
    *[(f"PLDA pca={d}", dict(scoring="plda", normalization=None, calibration=None, pca_components=d))
      for d in (None, 16, 64, 128)],
    ("PLDA reg=1", dict(scoring="plda", normalization=None, calibration=None, reg=1.0)),
    ("PLDA + S-norm", dict(scoring="plda", normalization="snorm", calibration=None)),
    ("PLDA + AS-norm k=100", dict(scoring="plda", normalization="asnorm", calibration=None)),
]
PLDA_DEFAULT = "PLDA pca=None"


def _pipe(table, estimator):
    from sklearn.pipeline import make_pipeline

    return make_pipeline(Lookup(table), estimator)


def fusion_candidates(pool, ver_kw, gmm_n):
    """Fusion recipes compared on half A: (label, list of (name, system on chunk indices))."""
    cos = dict(ver_kw, calibration=None)
    plda = dict(scoring="plda", normalization=None, calibration=None)
    return [
        ("fusion: GE2E chosen + GMM-UBM", [("ge2e", _pipe(pool, verifier(**cos))),
                                           ("gmm", _pipe("mfcc", gmm_ubm(gmm_n)))]),
        ("fusion: GE2E chosen + GE2E PLDA + GMM-UBM", [("ge2e", _pipe(pool, verifier(**cos))),
                                                       ("plda", _pipe(pool, verifier(**plda))),
                                                       ("gmm", _pipe("mfcc", gmm_ubm(gmm_n)))]),
        ("fusion: GE2E chosen + GE2E PLDA + GMM-UBM, AS-norm k=25", [("ge2e", _pipe(pool, verifier(**cos))),
                                                                     ("plda", _pipe(pool, verifier(**plda))),
                                                                     ("gmm", _pipe("mfcc", gmm_ubm(gmm_n)))]),
    ]


FUSION_PARAMS = {"fusion: GE2E chosen + GE2E PLDA + GMM-UBM, AS-norm k=25": dict(normalization="asnorm", top_k=25)}


def make_fusion(label, members):
    from skvoice.classifiers import ScoreFusion

    return ScoreFusion(members, cv=2, random_state=0, **FUSION_PARAMS.get(label, {}))


def main(argv=None):
    p = C.arg_parser(NAME, __doc__.splitlines()[0])
    p.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "skvoice-speaker-cache"),
                   help="folder caching chunk features between runs")
    args = p.parse_args(argv)
    started = C.now_iso()
    root = C.real_librispeech_root(NAME)
    if root is None:
        return 2
    warnings.filterwarnings("ignore", category=UserWarning)
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    threadpool_limits(1)  # shared 2-core machine: one BLAS thread, timings per core
    t0 = time.perf_counter()
    waves, meta = F.load_chunks(root)
    decode_s = time.perf_counter() - t0
    variants = list(F.GE2E_VARIANTS) + [F.MFCC_VARIANT]
    feats, extract_s = F.cached_features(args.cache, waves, meta, variants)
    audio_s = sum(len(w) for w in waves) / F.RATE
    emb = {v: pool_windows(feats[v], feats["ge2e_novad_r1.3"]) for v in F.GE2E_VARIANTS}
    n_empty = {v: int(sum(len(w) == 0 for w in feats[v])) for v in F.GE2E_VARIANTS}
    mfcc = feats[F.MFCC_VARIANT]
    _TABLES.update(emb)
    _TABLES["mfcc"] = mfcc
    spk = meta["speaker"]
    tc = meta["subset"] == "train-clean-100"
    to = meta["subset"] == "test-other"
    rng = np.random.RandomState(0)
    tc_speakers = np.unique(spk[tc])
    half_a = set(rng.choice(tc_speakers, len(tc_speakers) // 2 + len(tc_speakers) % 2, replace=False))
    in_a = tc & np.isin(spk, list(half_a))
    in_b = tc & ~in_a
    results, notes = [], []

    def record(data, split, system, scores, classes, y_test, fit_s=None, pred_s=None, **extra):
        row = {"data": data, "split": split, "system": system, **evaluate(scores, classes, y_test)}
        if fit_s is not None:
            row["fit_s"] = round(fit_s, 2)
            row["predict_s"] = round(pred_s, 2)
        row.update(extra)
        results.append(row)
        print(f"  {data:15s} {split:8s} {system:48s} acc={row['accuracy']:.4f} EER={row['eer_pct']:.3f}% "
              f"minDCF={row['min_dcf']:.4f}" + (f" fit={fit_s:.1f}s" if fit_s is not None else ""), flush=True)
        return row

    def rank_key(row):
        return (row["eer_pct"], -row["accuracy"], row["min_dcf"])

    # ---------------------------------------------------------------- 1. every choice on half A (later split)
    print(f"\n[speaker] 1. choices on half A ({len(half_a)} speakers, later split, no background)", flush=True)
    ea, ta = later_split(meta, in_a)
    idx_e, idx_t = np.flatnonzero(ea)[:, None], np.flatnonzero(ta)[:, None]
    tuning = {}
    for v in emb:  # windowing / VAD of GE2E, mean pooling of the windows
        s, c, f, pr = run_system(verifier(normalization=None, calibration=None), emb[v][ea], spk[ea], emb[v][ta])
        tuning[("pool", v)] = record("half-A", "later", f"{v} cosine centred", s, c, spk[ta], f, pr)
    best_pool = min((k for k in tuning if k[0] == "pool"), key=lambda k: rank_key(tuning[k]))[1]
    X_emb = emb[best_pool]
    for label, kw in VERIFIER_GRID:
        s, c, f, pr = run_system(verifier(**kw), X_emb[ea], spk[ea], X_emb[ta])
        tuning[("ver", label)] = record("half-A", "later", f"GE2E {label}", s, c, spk[ta], f, pr)
    best_ver = min((k for k in tuning if k[0] == "ver"), key=lambda k: rank_key(tuning[k]))[1]
    ver_kw = dict(VERIFIER_GRID)[best_ver]
    for n in ((32,) if args.quick else (16, 32, 64)):
        s, c, f, pr = run_system(gmm_ubm(n), mfcc[ea], spk[ea], mfcc[ta])
        tuning[("gmm", n)] = record("half-A", "later", f"MFCC20+d GMM-UBM-{n}", s, c, spk[ta], f, pr)
    best_gmm = min((k for k in tuning if k[0] == "gmm"), key=lambda k: rank_key(tuning[k]))[1]
    for label, members in fusion_candidates(best_pool, ver_kw, best_gmm)[:1 if args.quick else None]:
        s, c, f, pr = run_system(make_fusion(label, members), idx_e, spk[ea], idx_t)
        tuning[("fusion", label)] = record("half-A", "later", label, s, c, spk[ta], f, pr)
    best_fusion = min((k for k in tuning if k[0] == "fusion"), key=lambda k: rank_key(tuning[k]))[1]
    chosen = {"ge2e_variant": best_pool, "verifier": best_ver, "verifier_params": ver_kw, "gmm_components": best_gmm,
              "fusion": best_fusion}
    print(f"[speaker] chosen on half A: {chosen}", flush=True)

    def systems():
        """(label, input kind, unfitted system, takes a background: True, False or "only") for every protocol."""
        from sklearn.linear_model import LogisticRegression

        plda = dict(VERIFIER_GRID)[PLDA_DEFAULT]
        fusion = dict(fusion_candidates(best_pool, ver_kw, best_gmm))[best_fusion]
        return [
            ("GE2E cosine raw", "ge2e", verifier(normalization=None, calibration=None, center=False), False),
            ("GE2E cosine centred", "ge2e", verifier(normalization=None, calibration=None), True),
            ("GE2E cosine + S-norm", "ge2e", verifier(normalization="snorm", calibration=None), True),
            (f"GE2E chosen: {best_ver}", "ge2e", verifier(**ver_kw), True),
            (f"GE2E chosen: {best_ver} + calibration", "ge2e", verifier(**dict(ver_kw, calibration="logistic")),
             True),
            ("GE2E PLDA", "ge2e", verifier(**plda), True),
            ("GE2E cosine + LDA-64", "ge2e", verifier(normalization=None, calibration=None, projection="lda",
                                                      n_components=64), "only"),
            ("GE2E cosine + WCCN", "ge2e", verifier(normalization=None, calibration=None, projection="wccn"), "only"),
            ("GE2E LogisticRegression", "ge2e", LogisticRegression(C=10.0, max_iter=2000), False),
            (f"MFCC20+d GMM-UBM-{best_gmm}", "mfcc", gmm_ubm(best_gmm), False),
            (best_fusion, "index", make_fusion(best_fusion, fusion), False),
        ]

    def run_protocol(data, split, enrol, test, background_mask=None):
        """Every system; with a background only those that use one (the others do not change)."""
        for label, kind, system, takes_bg in systems():
            if (background_mask is not None and not takes_bg) or (background_mask is None and takes_bg == "only"):
                continue
            background = (X_emb[background_mask], spk[background_mask]) if background_mask is not None else None
            if kind == "ge2e":
                Xe, Xt = X_emb[enrol], X_emb[test]
            elif kind == "mfcc":
                Xe, Xt = mfcc[enrol], mfcc[test]
            else:
                Xe, Xt = np.flatnonzero(enrol)[:, None], np.flatnonzero(test)[:, None]
            s, c, f, pr = run_system(system, Xe, spk[enrol], Xt, background)
            record(data, split, label + (" [background]" if background is not None else ""), s, c, spk[test],
                   f, pr)

    # ---------------------------------------------------------------- 2. reported protocols
    print("\n[speaker] 2. half B (later split), recipe fixed on half A; background = half A", flush=True)
    eb, tb = later_split(meta, in_b)
    run_protocol("half-B", "later", eb, tb)
    run_protocol("half-B", "later", eb, tb, background_mask=in_a)
    for label, members in fusion_candidates(best_pool, ver_kw, best_gmm):  # for information only
        if label != best_fusion and not args.quick:
            s, c, f, pr = run_system(make_fusion(label, members), np.flatnonzero(eb)[:, None], spk[eb],
                                     np.flatnonzero(tb)[:, None])
            record("half-B", "later", f"{label} (candidate not chosen on half A)", s, c, spk[tb], f, pr)
    print("\n[speaker] 3. all 151 train-clean-100 speakers", flush=True)
    e, t = later_split(meta, tc)
    run_protocol("train-clean-100", "later", e, t)
    if not args.quick:
        e, t = random_split(meta, tc)
        run_protocol("train-clean-100", "random", e, t)
    print("\n[speaker] 4. test-other (held-out utterances), background = train-clean-100", flush=True)
    e, t = held_out_utterances(meta, to)
    run_protocol("test-other", "held-out", e, t)
    run_protocol("test-other", "held-out", e, t, background_mask=tc)

    # ---------------------------------------------------------------- 3. open set: half B enrolled, half A unknown
    print("\n[speaker] 5. open set: half B enrolled, half A speakers never enrolled", flush=True)
    _, ta_unknown = later_split(meta, in_a)
    open_rows = []
    fusion_members = dict(fusion_candidates(best_pool, ver_kw, best_gmm))[best_fusion]
    for label, kind, ver in [
            (f"GE2E chosen: {best_ver} + calibration", "ge2e", verifier(**dict(ver_kw, calibration="logistic"))),
            ("GE2E cosine centred + calibration", "ge2e", verifier(normalization=None, calibration="logistic")),
            (best_fusion, "index", make_fusion(best_fusion, fusion_members))]:
        table = X_emb if kind == "ge2e" else np.arange(len(spk))[:, None]
        ver.fit(table[eb], spk[eb])
        known, unknown = ver.speaker_scores(table[tb]), ver.speaker_scores(table[ta_unknown])
        target = ver.classes_[None, :] == spk[tb][:, None]
        eer_k, dcf_k = eer_mindcf(known[target], known[~target])
        eer_u, dcf_u = eer_mindcf(known[target], unknown.ravel())
        row = {"data": "open-set", "split": "B enrolled / A unknown", "system": label,
               "eer_pct_enrolled_impostors": round(100 * eer_k, 3), "min_dcf_enrolled_impostors": round(dcf_k, 4),
               "eer_pct_unknown_impostors": round(100 * eer_u, 3), "min_dcf_unknown_impostors": round(dcf_u, 4)}
        for name, thr in (("llr0", 0.0), ("llr_log99", float(np.log(99)))):
            ver.set_params(threshold=thr)
            pk, pu = ver.predict(table[tb]), ver.predict(table[ta_unknown])
            row[f"{name}_known_correct"] = round(float((pk == spk[tb]).mean()), 4)
            row[f"{name}_known_rejected"] = round(float((pk == -1).mean()), 4)
            row[f"{name}_unknown_rejected"] = round(float((pu == -1).mean()), 4)
        open_rows.append(row)
        print(f"  {label}: {row}", flush=True)

    # ---------------------------------------------------------------- 4. timing of the chosen recipes
    print("\n[speaker] 6. timing on train-clean-100 later (fit + predict, incl. feature extraction)", flush=True)
    from skvoice.features import MFCCExtractor, SpeakerEmbedding

    e, t = later_split(meta, tc)
    timing = {"load_average_before": C.load_average()}
    tc_waves = [waves[i] for i in np.flatnonzero(tc)]
    t0 = time.perf_counter()
    SpeakerEmbedding(output="windows", n_jobs=1, on_error="warn", **F.GE2E_VARIANTS[best_pool]).fit_transform(tc_waves)
    timing["ge2e_extract_s"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    MFCCExtractor(n_mfcc=20, deltas=True, n_jobs=1).fit_transform(tc_waves)
    timing["mfcc_extract_s"] = round(time.perf_counter() - t0, 2)
    _, _, f, pr = run_system(verifier(**dict(ver_kw, calibration="logistic")), X_emb[e], spk[e], X_emb[t])
    timing["verifier_fit_s"], timing["verifier_predict_s"] = round(f, 3), round(pr, 3)
    timing["verifier_total_s"] = round(timing["ge2e_extract_s"] + f + pr, 2)
    fusion_row = [r for r in results if r["data"] == "train-clean-100" and r["split"] == "later"
                  and r["system"] == best_fusion][0]
    timing["fusion_fit_s"], timing["fusion_predict_s"] = fusion_row["fit_s"], fusion_row["predict_s"]
    timing["fusion_total_s"] = round(timing["ge2e_extract_s"] + timing["mfcc_extract_s"] + fusion_row["fit_s"]
                                     + fusion_row["predict_s"], 2)
    timing["audio_s"] = round(float(sum(len(w) for w in tc_waves) / F.RATE), 1)
    timing["load_average_after"] = C.load_average()
    print(f"  {timing}", flush=True)

    headline = {r["system"]: r for r in results if r["data"] == "train-clean-100" and r["split"] == "later"}
    fused = headline[best_fusion]
    checks = [
        C.check("151 speakers, later chunks: fusion identification accuracy", fused["accuracy"], ">=", 0.99),
        C.check("151 speakers, later chunks: fusion EER (%)", fused["eer_pct"], "<=", 0.5, "%"),
        C.check("fusion fit + predict incl. MFCC and GE2E extraction (s)", timing["fusion_total_s"], "<=", 600,
                " s"),
    ]
    notes += [
        f"chunks: {int(tc.sum())} train-clean-100 + {int(to.sum())} test-other 2-s chunks ({audio_s / 60:.1f} min)",
        f"GE2E chunks whose VAD found no speech (embedded without VAD instead): {n_empty}",
        f"every choice made on half A only ({len(half_a)} speakers): {chosen}",
        "half-B, test-other and open-set numbers influenced no choice; the 151-speaker rows include half A",
        "[background] rows: back end, cohort and calibration learned on other speakers (half A for half B, "
        "train-clean-100 for test-other); systems that take no background are not repeated",
        f"decoding all chunks took {decode_s:.1f} s; feature extraction in this run: "
        f"{ {k: round(v, 1) for k, v in extract_s.items()} } (empty when read from the cache)",
        "machine: 2 cores shared with other jobs; BLAS limited to 1 thread; see load averages in timing",
        "EER resolution: one missed target trial is 100/n_target % (n_target per row: "
        f"{ {r['data'] + ' ' + r['split']: r['n_target'] for r in results if 'n_target' in r} })",
        "GE2E encoder: Resemblyzer's weights; the wheel does not document the training speakers, so overlap with "
        "train-clean-100 cannot be ruled out here (LibriSpeech subsets are speaker-disjoint, so train-other-500 "
        "training would not overlap); MFCC GMM-UBM and all back ends are trained only on the enrolment/background "
        "data of each protocol",
        "fusion: ScoreFusion(cv=2) of the listed systems, weights by prior-balanced logistic regression on "
        "cross-fitted trials of the enrolment data; the fused score is an LLR",
    ]
    C.print_table([r for r in results if "accuracy" in r],
                  ["data", "split", "system", "accuracy", "eer_pct", "min_dcf", "fit_s", "predict_s"],
                  title="Speaker identification / verification")
    C.print_checks(checks)
    report = C.make_report(NAME, quick=args.quick, data={"root": root, "n_chunks": len(waves)},
                           results={"rows": results, "chosen": chosen, "timing": timing, "open_set": open_rows},
                           checks=checks, notes=notes, started=started)
    C.save_report(report, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
