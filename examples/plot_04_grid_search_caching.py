"""
====================================================
Grid search over a pipeline with cached features
====================================================

Tuning a speech pipeline with :class:`~sklearn.model_selection.GridSearchCV` refits the
whole pipeline for every parameter combination and fold. Without care, the expensive
step -- decoding audio and computing MFCCs -- would run ``n_candidates * n_folds``
times although its parameters never change.

``Pipeline(memory=...)`` caches the output of every transformer with
:class:`joblib.Memory`, keyed on the transformer's parameters *and its input data*:
MFCCs are then computed once per training fold and reused by every candidate. This
works because skvoice transformers hold only small parameters (no data or models), so
they are cheap to hash.
"""

# %%
# Data
# ----
# Real LibriSpeech speech from 60 readers, 30 female and 30 male, one utterance each:
# a gender-balanced selection of the ``train-clean-100`` readers of
# ``SKVOICE_LIBRISPEECH`` when it is set, else the sample bundled with skvoice
# (:func:`~skvoice.datasets.load_sample`, which holds exactly that).
import os

import numpy as np

from skvoice.datasets import load_speech, select_speakers

data = load_speech("train-clean-100")
frame = select_speakers(data.frame, 30, 30, random_state=0)  # the whole bundled sample: 30 + 30
paths, gender, speaker = (frame[c].to_numpy(object) for c in ("path", "gender", "speaker"))
source = f"{data.source}, 60 speakers"

# %%
# Scoring a candidate transforms its test fold, and only fitted transformers are cached,
# so every one of the search's fits extracts the MFCCs of its test recordings again. To
# keep this page quick, the search runs on the first 4 seconds of every recording,
# decoded once into memory (a recording set of waveforms, which joblib hashes to key
# its cache just as it hashes file paths).
from skvoice import load_audio

X = np.empty(len(paths), dtype=object)
for i, path in enumerate(paths):
    X[i] = load_audio(path, 16000, duration=4.0)[0]
print(f"{source}: {len(X)} recordings (first 4 s of each) of {len(np.unique(speaker))} speakers")

# %%
# A cached pipeline
# -----------------
# MFCCs, CMVN, pooling to one vector per recording, then a logistic regression.
import tempfile

from joblib import Memory
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skvoice.features import CMVN, MFCCExtractor, StatsPooling

cache_dir = tempfile.mkdtemp(prefix="skvoice-cache-")
memory = Memory(location=cache_dir, verbose=0)
pipe = Pipeline([
    ("mfcc", MFCCExtractor(n_mfcc=13)),
    ("cmvn", CMVN()),
    ("pool", StatsPooling()),
    ("scale", StandardScaler()),
    ("clf", LogisticRegression(max_iter=1000)),
], memory=memory)

# %%
# The search
# ----------
# Eight candidates, three speaker-disjoint folds: 24 fits plus the final refit.
import time

from sklearn.model_selection import GridSearchCV, GroupKFold

param_grid = {
    "cmvn__mode": ["global", "per_recording"],
    "pool__stats": [("mean",), ("mean", "std")],
    "clf__C": [0.1, 10.0],
}
cv = GroupKFold(n_splits=3, shuffle=True, random_state=0)
search = GridSearchCV(pipe, param_grid, cv=cv)
start = time.perf_counter()
search.fit(X, gender, groups=speaker)
cold = time.perf_counter() - start
n_fits = len(search.cv_results_["params"]) * cv.get_n_splits() + 1
print(f"{n_fits} pipeline fits in {cold:.1f} s; best: {search.best_params_}, "
      f"accuracy {search.best_score_:.3f}")

# %%
# What was computed
# -----------------
# Every cache entry is one transformer fitted on one input. Its ``metadata.json``
# records the arguments and how long the call took, so we can count the MFCC
# computations: one per training fold plus one for the refit on all data, instead of
# one per pipeline fit.
import json

import pandas as pd


def cache_entries(location):
    """One row per cached transformer call: its class and the call's duration."""
    rows = []
    for root, _, files in os.walk(location):
        if "metadata.json" in files:
            with open(os.path.join(root, "metadata.json")) as fh:
                meta = json.load(fh)
            transformer = meta["input_args"].get("transformer", "?")
            rows.append({"step": transformer.split("(")[0], "seconds": meta["duration"]})
    return pd.DataFrame(rows)


entries = cache_entries(cache_dir)
summary = entries.groupby("step")["seconds"].agg(["count", "sum"]).rename(
    columns={"count": "computed", "sum": "seconds"})
summary["fits needing it"] = n_fits
print(summary.round(2))
mfcc = entries[entries["step"] == "MFCCExtractor"]["seconds"]
print(f"MFCCs were computed {len(mfcc)} times ({mfcc.sum():.1f} s); without the cache, {n_fits} computations "
      f"of about {mfcc.mean():.1f} s each (roughly {n_fits * mfcc.mean():.0f} s)")

# %%
# The same search again reads every transformer output from the cache: only the
# logistic regressions are fitted. On these short clips the MFCCs are a small part of
# the work (see the table above), so the two searches take about as long here; the
# cache pays off when features are expensive (long recordings, wav2vec2 or GE2E
# embeddings) and the model fits are cheap.
start = time.perf_counter()
GridSearchCV(pipe, param_grid, cv=cv).fit(X, gender, groups=speaker)
warm = time.perf_counter() - start
print(f"first search {cold:.1f} s, repeated search {warm:.1f} s")

# %%
# The results
# -----------
# Per-recording CMVN sets every recording's mean to 0 and its standard deviation to 1,
# so the pooled means and standard deviations carry no information at all and accuracy
# falls to chance; the search finds this on its own. Per-recording normalisation suits
# models that look at the *frames* (GMMs, frame classifiers), not these statistics.
import matplotlib.pyplot as plt

results = pd.DataFrame(search.cv_results_)
table = results.pivot_table(index=["param_cmvn__mode", "param_pool__stats"], columns="param_clf__C",
                            values="mean_test_score")
print(table.round(3))

fig, ax = plt.subplots(figsize=(7, 3))
labels = [f"{mode}, {'+'.join(stats)}" for mode, stats in table.index]
for C in table.columns:
    ax.plot(table[C].to_numpy(), labels, marker="o", linestyle="none", label=f"C={C:g}")
ax.set_xlabel("mean accuracy on unseen speakers (3 folds)")
ax.set_title("CMVN mode and pooling statistics")
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
fig.tight_layout()

# %%
# Remove the cache when done (or keep ``cache_dir`` between sessions to reuse the
# features).
import shutil

memory.clear(warn=False)
shutil.rmtree(cache_dir, ignore_errors=True)

plt.show()
