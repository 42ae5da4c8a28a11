"""What a newcomer sees on the bundled LibriSpeech sample (``skvoice.datasets.load_sample()``), no other data.

Tasks:

- gender, speaker-disjoint: all 120 recordings (70 readers, 35 F / 35 M), ``GroupKFold(5)`` by speaker,
  per-recording accuracy;
- speaker identification on held-out utterances: test-other's 10 readers x 6 utterances,
  ``StratifiedKFold(6)`` over the recordings sorted by speaker, so fold k holds out the k-th utterance of
  every reader (trained on the 5 others); and the harder one-enrolment variant: train on the k-th utterance
  of every reader, test on the 5 others.

Front ends, each computed once for all 120 recordings (neither learns anything from the data, so computing
them outside the cross-validation leaks nothing); the classifier is cross-validated on top:

- ``SpeakerEmbedding()`` (pretrained GE2E, 256-d) -> ``LogisticRegression``;
- ``MFCCExtractor(deltas=True, pitch=True)`` -> ``StatsPooling()`` (mean, std) -> ``StandardScaler`` ->
  ``LogisticRegression``.

The sample and this benchmark were written independently: the sample's selection rule never saw these numbers.
Everything runs single-threaded (``--threads``, default 1). Writes ``benchmarks/results/sample.json``.
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402 (importable only after the sys.path entry above)

COLUMNS = ["pipeline", "gender acc (GroupKFold 5)", "speaker ID acc (10 spk, 5 enrol)", "(1 enrol)", "features s",
           "CV s"]


def main(argv=None):
    parser = C.arg_parser("sample", __doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    started = C.now_iso()
    with threadpool_limits(args.threads):
        report = run(args, started)
    C.save_report(report, args)
    return 0


def run(args, started):
    import torch
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, StratifiedKFold, cross_val_predict, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skvoice.datasets import load_sample
    from skvoice.features import MFCCExtractor, SpeakerEmbedding, StatsPooling

    torch.set_num_threads(args.threads)
    data, load_wall, _ = C.timed(load_sample)
    frame = data.frame
    speech_s = float(frame["duration"].sum())
    paths = data.filenames
    other = np.flatnonzero((frame["subset"] == "test-other").to_numpy())
    order = other[np.argsort(frame["speaker"].to_numpy()[other], kind="stable")]

    front_ends = {
        "SpeakerEmbedding -> LR": (SpeakerEmbedding(n_threads=args.threads), LogisticRegression(max_iter=2000)),
        "MFCC(deltas, pitch) -> StatsPooling -> StandardScaler -> LR": (
            make_pipeline(MFCCExtractor(deltas=True, pitch=True), StatsPooling()),
            make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))),
    }
    results, rows = [], []
    for name, (front, clf) in front_ends.items():
        feats, feat_wall, feat_cpu = C.timed(front.fit_transform, paths)
        feats = np.asarray(feats)
        gender, g_wall, _ = C.timed(cross_val_score, clf, feats, data.gender, groups=data.speaker, cv=GroupKFold(5))
        Xs, ys = feats[order], data.speaker[order]
        spk, s_wall, _ = C.timed(cross_val_score, clf, Xs, ys, cv=StratifiedKFold(6))
        pred = cross_val_predict(clf, feats, data.gender, groups=data.speaker, cv=GroupKFold(5))
        right = pred == data.gender
        by_subset = {sub: float(right[(frame["subset"] == sub).to_numpy()].mean())
                     for sub in ("test-other", "train-clean-100")}
        one_shot = [float(np.mean(clone(clf).fit(Xs[te], ys[te]).predict(Xs[tr]) == ys[tr]))
                    for tr, te in StratifiedKFold(6).split(Xs, ys)]  # enrol on fold k, test on the rest
        entry = {
            "pipeline": name, "n_features": int(feats.shape[1]),
            "features_wall_s": feat_wall, "features_cpu_s": feat_cpu, "features_x_real_time": speech_s / feat_wall,
            "gender_accuracy_mean": float(gender.mean()), "gender_accuracy_std": float(gender.std()),
            "gender_accuracy_folds": gender.round(4).tolist(), "gender_cv_wall_s": g_wall,
            "speaker_id_accuracy_mean": float(spk.mean()), "speaker_id_accuracy_folds": spk.round(4).tolist(),
            "speaker_id_cv_wall_s": s_wall,
            "gender_accuracy_by_subset": by_subset,
            "speaker_id_one_enrolment_accuracy_mean": float(np.mean(one_shot)),
            "speaker_id_one_enrolment_accuracy_folds": np.round(one_shot, 4).tolist(),
        }
        results.append(entry)
        rows.append(dict(zip(COLUMNS, [name, f"{gender.mean():.3f} ± {gender.std():.3f}", f"{spk.mean():.3f}",
                                       f"{np.mean(one_shot):.3f}", f"{feat_wall:.1f}", f"{g_wall + s_wall:.1f}"])))
        print(entry, flush=True)
    C.print_table(rows, COLUMNS,
                  title=f"bundled sample: {len(frame)} recordings, {speech_s / 60:.1f} min, "
                        f"{frame['speaker'].nunique()} readers")
    return C.make_report(
        "sample", quick=args.quick, started=started,
        data={"source": "skvoice.datasets.load_sample() (bundled LibriSpeech sample)", "recordings": len(frame),
              "readers": int(frame["speaker"].nunique()), "speech_s": speech_s, "load_sample_wall_s": load_wall},
        results=results, checks=[],
        notes=["Features are computed once for all recordings (unsupervised, per recording); only the classifier "
               "is cross-validated.", f"Single-threaded (threads={args.threads}).",
               "Speaker ID: test-other readers, 6 utterances each from one chapter (same session), fold k holds out "
               "the k-th utterance of every reader."])


if __name__ == "__main__":
    sys.exit(main())
