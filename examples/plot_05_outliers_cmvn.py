"""
=====================================================
Outlier frames and cepstral normalisation (CMVN)
=====================================================

The study's exploratory analysis counted outlier MFCC values with two rules -- the
z-score rule (``|x - mean| > 3 std``) and Tukey's interquartile range rule (outside
``[Q1 - 1.5 IQR, Q3 + 1.5 IQR]``) -- and normalised the coefficients with global
cepstral mean and variance normalisation (CMVN). This example reproduces both with
:mod:`skvoice.analysis` and :mod:`skvoice.features`, and shows with plots what global
and per-recording CMVN do to the frames.
"""

# %%
# Data and MFCC frames
# --------------------
# Real LibriSpeech speech of 40 readers (20 female, 20 male, one utterance each), drawn
# from ``train-clean-100`` in ``SKVOICE_LIBRISPEECH`` when it is set, else from the
# sample bundled with skvoice (:func:`~skvoice.datasets.load_sample`).

import numpy as np

from skvoice.datasets import load_speech, select_speakers
from skvoice.features import MFCCExtractor

data = load_speech("train-clean-100")
frame = select_speakers(data.frame, 20, 20, random_state=0)
X, gender, speaker = (frame[c].to_numpy(object) for c in ("path", "gender", "speaker"))
source = f"{data.source}, 40 speakers"
frames = MFCCExtractor(n_mfcc=13).fit_transform(X)
print(f"{source}: {len(frames)} recordings, {sum(len(f) for f in frames)} MFCC frames")

# %%
# Outlier counts: z-score vs IQR
# ------------------------------
# :func:`~skvoice.analysis.outlier_table` pools the frames of all recordings and counts,
# per coefficient, the values each rule flags -- the study's Task 1 table. ``any``
# counts frames flagged in at least one coefficient.
from skvoice.analysis import outlier_table, plot_feature_distributions, plot_outlier_counts

table = outlier_table(frames, ["zscore", "iqr"])
print(table.to_string())

# %%
# The IQR rule flags more values than the z-score rule, as in the study. Even for
# normally distributed values its fences sit at about ±2.7 standard deviations (0.7 % of
# values outside) against ±3 (0.27 %); skewed coefficients and heavy tails, which
# inflate the standard deviation, widen the gap further.
import matplotlib.pyplot as plt

fig = plot_outlier_counts(table, normalize=True)
fig.axes[0].set_title(f"Share of frames flagged per coefficient ({source})")

# %%
# Box plots of every coefficient (whiskers follow the IQR rule, so the drawn points are
# the IQR outliers). ``MFCC_0`` -- the log energy -- lives on a much larger scale than
# the others.
fig = plot_feature_distributions(frames, kind="box", max_frames=20_000)

# %%
# Dropping outlier frames in a pipeline
# -------------------------------------
# :class:`~skvoice.features.OutlierFilter` learns the bounds on the *training* frames
# and drops outlier frames inside each recording, never whole recordings, so ``y``
# stays aligned. The share of frames each rule removes:
from skvoice.features import OutlierFilter

for method in ("zscore", "iqr"):
    kept = OutlierFilter(method=method).fit_transform(frames)
    n_before, n_after = sum(len(f) for f in frames), sum(len(f) for f in kept)
    print(f"{method:6s}: kept {n_after} of {n_before} frames ({1 - n_after / n_before:.1%} dropped), "
          f"{len(kept)} recordings")

# %%
# What CMVN does
# --------------
# Every recording has its own channel -- microphone, room, distance, gain -- which adds
# a constant offset to its cepstral coefficients. Global CMVN
# (:class:`~skvoice.features.CMVN`, ``mode="global"``, the study's choice) subtracts the
# mean of *all training frames* and divides by their standard deviation: every
# coefficient then has zero mean and unit variance overall, but the differences between
# recordings remain. Per-recording CMVN (``mode="per_recording"``) normalises each
# recording with its own statistics, removing the channel -- and with it anything
# else that is constant over the recording.
from skvoice.features import CMVN

views = {
    "raw MFCC": frames,
    "global CMVN": CMVN(mode="global").fit_transform(frames),
    "per-recording CMVN": CMVN(mode="per_recording").fit_transform(frames),
}
coef = 1
shown = np.r_[np.flatnonzero(gender == "F")[:8], np.flatnonzero(gender == "M")[:8]]
fig, axes = plt.subplots(1, 3, figsize=(10, 3.8), sharey=False)
for ax, (title, recs) in zip(axes, views.items()):
    for pos, i in enumerate(shown):
        values = recs[i][:, coef]
        color = "tab:red" if gender[i] == "F" else "tab:blue"
        ax.errorbar(pos, values.mean(), yerr=values.std(), fmt="o", color=color, capsize=2)
    ax.axhline(0, color="k", linewidth=0.8)
    ax.set_title(title)
    ax.set_xlabel("recording (8 F, then 8 M)")
    ax.set_xticks([])
axes[0].set_ylabel(f"MFCC_{coef}: mean ± std per recording")
fig.suptitle(f"MFCC_{coef} of 16 recordings ({source})")
fig.tight_layout()

# %%
# Global statistics over all frames, before and after:
for title, recs in views.items():
    all_frames = np.vstack(list(recs))
    print(f"{title:20s} mean of MFCC_0..2: {np.round(all_frames.mean(0)[:3], 2)}, "
          f"std: {np.round(all_frames.std(0)[:3], 2)}")

# %%
# Which one to use? Global CMVN keeps between-recording differences, which for gender
# include genuine voice differences (but also channel effects a classifier may learn by
# mistake). Per-recording CMVN makes features robust to the recording conditions --
# the standard choice for speaker models such as
# :class:`~skvoice.classifiers.GMMSpeakerClassifier` -- but discards whatever is
# constant in a recording, so pooled means and standard deviations become useless
# afterwards. See :doc:`/user_guide/features`.

plt.show()
