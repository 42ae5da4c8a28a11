"""Training time: skvoice frame classifiers vs the study's recipes, at measured accuracy.

Gender task (train-clean-100, one utterance per speaker): MFCC 13 + global CMVN
(fitted on the training fold), speaker-disjoint split = ``GroupKFold(5)`` fold 0
by speaker. Per-recording accuracy is the majority vote over frames, as the
study evaluated "per audio".

- skvoice: ``FrameVoteClassifier(HistGradientBoostingClassifier(random_state=0))``
  on all frames (the headline), plus a ``max_frames`` sweep;
- study: ``GradientBoostingClassifier(random_state=0)`` on all frames, with the
  same majority vote. ``--quick`` (or ``--study-frames N``) fits it on N random
  frames per recording only and extrapolates the time linearly to all frames;
  the full run measures it on all frames *and* reports the extrapolation from a
  subsample, so the extrapolation can be checked.

All fits run with BLAS/OpenMP capped at ``--threads`` threads (default 1): the
study's GradientBoostingClassifier is single-threaded, so this is a per-core
comparison, and it keeps the numbers stable on a shared machine. The skvoice
headline is also timed with the libraries' default thread pools (informative).

Speaker task: ``GMMSpeakerClassifier`` (16 diagonal components, 3 inits: the
study's recipe) fit time on the 10 real test-other speakers (4 utterances each
for training, 2 for testing) and on 40 synthetic ``make_voices`` speakers, vs
the study's loop of one ``GaussianMixture`` per speaker.

Targets: skvoice (all frames) >= 20x faster than the study's GB, at equal or
better per-recording accuracy.
"""

from __future__ import annotations

import functools
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402 (importable only after the sys.path entry above)

NAME = "training"


def threads(n):
    """Context manager capping BLAS + OpenMP at ``n`` threads (``None``/0: library defaults)."""
    import contextlib

    from threadpoolctl import threadpool_limits

    return threadpool_limits(n) if n else contextlib.nullcontext()


def _fit_timed(model, X, y, n_threads):
    """Fit under the thread cap: (wall seconds, CPU seconds of this process and its workers)."""
    with threads(n_threads):
        _, wall, cpu = C.timed(model.fit, X, y)
    return wall, cpu


def gender_features(corpus):
    from sklearn.model_selection import GroupKFold

    from skvoice.features import CMVN, MFCCExtractor

    X = MFCCExtractor(n_mfcc=13, n_jobs=-1).fit_transform(corpus.filenames)
    y, groups = corpus.gender, corpus.speaker
    train, test = next(GroupKFold(n_splits=5).split(X, y, groups))
    cmvn = CMVN().fit(X[train])
    return cmvn.transform(X[train]), y[train], cmvn.transform(X[test]), y[test]


def gender_benchmark(quick, n_threads, study_frames):
    from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier

    from skvoice.classifiers import FrameVoteClassifier

    corpus = C.load_corpus(("train-clean-100",), synthetic_speakers=40, synthetic_utterances=2,
                           synthetic_duration=8.0 if quick else 12.0)
    try:
        print(f"[training] gender: {corpus.source}: {len(corpus.filenames)} files, "
              f"{corpus.total_seconds / 60:.1f} min", flush=True)
        Xtr, ytr, Xte, yte = gender_features(corpus)
        n_train_frames = int(sum(len(a) for a in Xtr))
        data = {**corpus.describe(), "split": "GroupKFold(5) by speaker, fold 0",
                "train_recordings": int(len(Xtr)), "test_recordings": int(len(Xte)),
                "train_frames": n_train_frames, "test_frames": int(sum(len(a) for a in Xte)),
                "features": "MFCCExtractor(n_mfcc=13) + CMVN(global, fitted on the training fold)"}
    finally:
        corpus.cleanup()

    def evaluate(name, model, timing, *, extrapolated_from=None, thread_note=None):
        seconds, cpu = timing
        with threads(n_threads):  # scoring is not timed
            rec_acc, frame_acc = float(model.score(Xte, yte)), float(model.score_frames(Xte, yte))
        row = {"name": name, "fit_seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3),
               "train_frames": int(model.n_frames_fit_),
               "recording_accuracy": round(rec_acc, 4), "frame_accuracy": round(frame_acc, 4),
               "threads": thread_note or (n_threads or "default")}
        if extrapolated_from is not None:
            row["extrapolated_fit_seconds_all_frames"] = round(seconds * n_train_frames / model.n_frames_fit_, 2)
            row["note"] = (f"fitted on {model.n_frames_fit_} frames ({extrapolated_from}); the all-frames time is "
                           "extrapolated linearly")
        print(f"[training] {name:45s} {seconds:8.2f} s  frames={row['train_frames']:7d}  "
              f"acc/rec={row['recording_accuracy']:.3f}  acc/frame={row['frame_accuracy']:.3f}", flush=True)
        return row

    # warm-up (imports, OpenMP pool) on a tiny problem, outside the timed region
    with threads(n_threads):
        FrameVoteClassifier(HistGradientBoostingClassifier(max_iter=5), max_frames=20, random_state=0).fit(Xtr, ytr)

    rows = []
    hgb = FrameVoteClassifier(HistGradientBoostingClassifier(random_state=0))
    rows.append(evaluate("skvoice HGB, all frames", hgb, _fit_timed(hgb, Xtr, ytr, n_threads)))
    for mf in (500, 200, 100):
        m = FrameVoteClassifier(HistGradientBoostingClassifier(random_state=0), max_frames=mf, random_state=0)
        rows.append(evaluate(f"skvoice HGB, max_frames={mf}", m, _fit_timed(m, Xtr, ytr, n_threads)))
    if not quick:
        m = FrameVoteClassifier(HistGradientBoostingClassifier(random_state=0))
        rows.append(evaluate("skvoice HGB, all frames, default threads", m, _fit_timed(m, Xtr, ytr, None),
                             thread_note="default"))

    sub = FrameVoteClassifier(GradientBoostingClassifier(random_state=0), max_frames=study_frames, random_state=0)
    rows.append(evaluate(f"study GB, max_frames={study_frames}", sub, _fit_timed(sub, Xtr, ytr, n_threads),
                         extrapolated_from=f"max_frames={study_frames} random frames per recording"))
    gb_all = None
    if not quick:
        gb = FrameVoteClassifier(GradientBoostingClassifier(random_state=0))
        gb_all = evaluate("study GB, all frames", gb, _fit_timed(gb, Xtr, ytr, n_threads))
        rows.append(gb_all)

    head = rows[0]
    if gb_all is not None:
        study_s, study_acc, how = gb_all["fit_seconds"], gb_all["recording_accuracy"], "measured on all frames"
    else:
        study_row = rows[-1]
        study_s = study_row["extrapolated_fit_seconds_all_frames"]
        study_acc = study_row["recording_accuracy"]
        how = (f"EXTRAPOLATED linearly from a fit on {study_row['train_frames']} frames "
               f"(max_frames={study_frames}); accuracy is that subsample model's")
    for r in rows:
        r["speedup_vs_study_gb"] = round(study_s / r["fit_seconds"], 1)
    checks = [
        C.check("training speedup, skvoice HGB vs study GB (all frames)", study_s / head["fit_seconds"], ">=", 20,
                "x"),
        C.check("per-recording accuracy, skvoice minus study GB", head["recording_accuracy"] - study_acc, ">=", 0),
    ]
    notes = [f"Study GB time: {how}.",
             f"Per-recording accuracy is over {data['test_recordings']} test recordings "
             f"(one recording = {100 / data['test_recordings']:.1f} points)."]
    if gb_all is not None:
        est = rows[-2]["extrapolated_fit_seconds_all_frames"]
        notes.append(f"Linear extrapolation check: {est:.1f} s estimated from max_frames={study_frames} vs "
                     f"{gb_all['fit_seconds']:.1f} s measured on all frames.")
    return rows, checks, notes, data


def _speaker_split(speakers, n_train):
    """First ``n_train`` recordings of each speaker for training, the rest for testing."""
    train = np.zeros(len(speakers), dtype=bool)
    for s in np.unique(speakers):
        idx = np.flatnonzero(speakers == s)
        train[idx[:n_train]] = True
    return np.flatnonzero(train), np.flatnonzero(~train)


def study_gmm_loop(X, y, seed=0):
    """The study's speaker loop: one GaussianMixture(16, 'diag', n_init=3) per speaker."""
    from sklearn.mixture import GaussianMixture

    models = {}
    for spk in np.unique(y):
        feats = np.vstack(list(X[y == spk]))
        models[spk] = GaussianMixture(n_components=16, covariance_type="diag", n_init=3, random_state=seed).fit(feats)
    return models


def study_gmm_predict(models, X):
    names = list(models)
    return np.array([names[int(np.argmax([models[s].score(x) for s in names]))] for x in X], dtype=object)


def gmm_benchmark(quick, n_threads):
    from sklearn.exceptions import ConvergenceWarning

    from skvoice.datasets import make_voices
    from skvoice.features import MFCCExtractor

    sets = []
    root = C.librispeech_root()
    if root is not None and os.path.isdir(os.path.join(root, "test-other")):
        corpus = C.load_corpus(("test-other",))
        X = MFCCExtractor(n_jobs=-1).fit_transform(corpus.filenames)
        sets.append(("real test-other", corpus.source, X, corpus.speaker, 4))
    n_utt, dur = (3, 4.0) if quick else (4, 8.0)
    v = make_voices(n_speakers=40, n_utterances=n_utt, duration=dur, random_state=0)
    X = MFCCExtractor(n_jobs=-1).fit_transform(v.waveforms)
    sets.append(("synthetic 40 speakers", f"make_voices(40 speakers x {n_utt} utterances x {dur:g} s)", X,
                 v.speaker, n_utt - 1))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # same EM for skvoice and the study loop
        rows = _gmm_rows(sets, n_threads)
    for r in rows:
        study = next(x for x in rows if x["set"] == r["set"] and x["name"].startswith("study"))
        r["speedup_vs_study_loop"] = round(study["fit_seconds"] / r["fit_seconds"], 2)
    return rows


def _add_gmm_row(rows, label, source, n_spk, n_frames, name, timing, acc):
    seconds, cpu = timing
    rows.append({"set": label, "name": name, "speakers": n_spk, "train_frames": n_frames,
                 "fit_seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3),
                 "seconds_per_speaker": round(seconds / n_spk, 4),
                 "recording_accuracy": round(float(acc), 4), "source": source})
    print(f"[training] GMM {label:22s} {name:38s} {seconds:7.2f} s ({seconds / n_spk:.3f} s/speaker) "
          f"acc={acc:.3f}", flush=True)


def _gmm_rows(sets, n_threads):
    from skvoice.classifiers import GMMSpeakerClassifier
    from skvoice.features import CMVN

    rows = []
    for label, source, X, spk, n_train in sets:
        train, test = _speaker_split(spk, n_train)
        cmvn = CMVN().fit(X[train])
        Xtr, Xte = cmvn.transform(X[train]), cmvn.transform(X[test])
        ytr, yte = spk[train], spk[test]
        n_spk = len(np.unique(ytr))
        n_frames = int(sum(len(a) for a in Xtr))
        print(f"[training] GMM {label}: {n_spk} speakers, {len(Xtr)} train / {len(Xte)} test recordings, "
              f"{n_frames} train frames", flush=True)
        # warm-up: loky pool + imports
        GMMSpeakerClassifier(n_components=2, n_init=1, max_iter=2, n_jobs=-1, random_state=0).fit(Xtr[:4], ytr[:4])

        add = functools.partial(_add_gmm_row, rows, label, source, n_spk, n_frames)

        for name, kw in (("skvoice GMMSpeakerClassifier n_jobs=-1", dict(n_jobs=-1)),
                         ("skvoice GMMSpeakerClassifier n_jobs=1", dict(n_jobs=1)),
                         ("skvoice GMM-UBM (ubm=True) n_jobs=-1", dict(n_jobs=-1, ubm=True))):
            m = GMMSpeakerClassifier(random_state=0, **kw)
            s = _fit_timed(m, Xtr, ytr, n_threads)
            with threads(n_threads):
                add(name, s, m.score(Xte, yte))
        with threads(n_threads):
            models, wall, cpu = C.timed(study_gmm_loop, Xtr, ytr)
            s = (wall, cpu)
            add("study loop (GaussianMixture per speaker)", s, np.mean(study_gmm_predict(models, Xte) == yte))
    return rows


def run(quick=False, n_threads=1, study_frames=None):
    started = C.now_iso()
    study_frames = study_frames or 100
    rows, checks, notes, data = gender_benchmark(quick, n_threads, study_frames)
    gmm_rows = gmm_benchmark(quick, n_threads)
    if data.get("synthetic"):
        notes.insert(0, "SKVOICE_LIBRISPEECH is unset: the gender task used synthetic make_voices speakers.")
    notes.append(f"All fits ran with BLAS/OpenMP capped at {n_threads or 'default'} thread(s) unless the row says "
                 "'default threads'; GMM n_jobs=-1 runs one loky worker per core (each single-threaded).")
    if C.machine_is_busy():
        notes.append(f"Machine busy (load average {C.load_average()} on {C.available_cores()} cores): "
                     "absolute times are inflated; ratios are more stable.")
    report = C.make_report(NAME, quick=quick, data=data, results=rows, checks=checks, notes=notes, started=started)
    report["gmm"] = gmm_rows
    return report


def print_report(report):
    C.print_table(report["results"], ["name", "fit_seconds", "train_frames", "recording_accuracy",
                                      "frame_accuracy", "speedup_vs_study_gb", "threads",
                                      "extrapolated_fit_seconds_all_frames"],
                  title=f"Gender training ({report['data']['source']}, {report['data']['split']})")
    C.print_table(report["gmm"], ["set", "name", "speakers", "train_frames", "fit_seconds", "seconds_per_speaker",
                                  "recording_accuracy", "speedup_vs_study_loop"], title="GMM speaker models")
    C.print_checks(report["checks"])
    for n in report["notes"]:
        print(" -", n)


def main(argv=None):
    p = C.arg_parser(NAME, __doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1,
                   help="BLAS/OpenMP threads for the fits (0 = library defaults; default 1)")
    p.add_argument("--study-frames", type=int, default=None,
                   help="frames per recording for the study-GB subsample fit (default 100)")
    args = p.parse_args(argv)
    report = run(quick=args.quick, n_threads=args.threads, study_frames=args.study_frames)
    print_report(report)
    C.save_report(report, args)
    return report


if __name__ == "__main__":
    main()
