"""Train the models shipped in skvoice/pretrained/ (deterministic; needs the real LibriSpeech subset).

Usage::

    SKVOICE_LIBRISPEECH=../shared/data/LibriSpeech python tools/train_pretrained.py

The gender model is :func:`skvoice.recipes.gender_pipeline` (random_state=0) fitted on every recording
of train-clean-100 (151 readers, 1 utterance each) and test-other (10 readers, 6 utterances each) found
under ``$SKVOICE_LIBRISPEECH``: 161 readers, 80 F / 81 M. Its measured accuracy on unseen speakers comes
from the same recipe in ``benchmarks/bench_robustness.py`` and the cross-validation printed here.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "skvoice", "pretrained",
                                                 "gender.skops"))
    p.add_argument("--cv", type=int, default=5, help="speaker-disjoint folds for the printed estimate (0: none)")
    p.add_argument("--n-jobs", type=int, default=2)
    args = p.parse_args(argv)

    import pandas as pd
    from sklearn.model_selection import StratifiedGroupKFold, cross_val_score

    from skvoice._train_predict import set_n_jobs
    from skvoice.datasets import load_librispeech
    from skvoice.io import save_model
    from skvoice.recipes import gender_pipeline

    root = os.environ.get("SKVOICE_LIBRISPEECH")
    if not root:
        sys.exit("set SKVOICE_LIBRISPEECH to a LibriSpeech root holding train-clean-100 and test-other")
    frame = pd.concat([load_librispeech(root, s, as_frame=True).frame for s in ("train-clean-100", "test-other")],
                      ignore_index=True)
    X, y, groups = frame["path"].to_numpy(object), frame["gender"].to_numpy(object), frame["speaker"].to_numpy()
    n_f = frame.drop_duplicates("speaker")["gender"].eq("F").sum()
    print(f"{len(X)} recordings, {frame['speaker'].nunique()} readers ({n_f} F), "
          f"{frame['duration'].sum() / 60:.1f} min")
    cv_text = None
    if args.cv:
        t0 = time.perf_counter()
        scores = cross_val_score(gender_pipeline(n_jobs=args.n_jobs, random_state=0), X, y, groups=groups,
                                 cv=StratifiedGroupKFold(args.cv, shuffle=True, random_state=0))
        cv_text = f"{scores.mean():.3f} +- {scores.std():.3f} ({args.cv}-fold StratifiedGroupKFold by reader)"
        print(f"speaker-disjoint accuracy: {cv_text} in {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    model = gender_pipeline(n_jobs=args.n_jobs, random_state=0).fit(X, y)
    print(f"fitted in {time.perf_counter() - t0:.0f} s; classes {list(model.classes_)}")
    # parameters that only matter on the training machine are reset for users, in the fitted estimators too
    # (set_params reached only AugmentedTrainer's unfitted template: the shipped model predicted with 2 processes)
    set_n_jobs(model, None)
    meta = {"task": "gender", "recipe": "skvoice.recipes.gender_pipeline(random_state=0)",
            "training_data": f"LibriSpeech train-clean-100 + test-other subset shipped for skvoice tests: "
                             f"{len(X)} recordings of {frame['speaker'].nunique()} readers ({n_f} F), CC BY 4.0",
            "speaker_disjoint_accuracy": cv_text,
            "recordings": int(len(X)), "readers": int(frame["speaker"].nunique()),
            "classes": [str(c) for c in np.asarray(model.classes_)]}
    path = save_model(model, os.path.abspath(args.out), metadata=meta)
    print(f"saved {path} ({os.path.getsize(path) / 1024:.1f} KiB)")


if __name__ == "__main__":
    main()
