"""
==============================================
PCA per recording and k-means over speakers
==============================================

The study's qualitative analysis of speaker features had two parts:

1. a PCA of every recording separately, counting the components needed to explain 85 %
   of its variance (about 47 of wav2vec 2.0's 768 dimensions on average, between 40
   and 55 for most files), shown as a histogram;
2. one global PCA of all frames followed by k-means with one cluster per speaker,
   plotted on the first two components.

:mod:`skvoice.analysis` provides both as functions of a recording set:
:func:`~skvoice.analysis.components_for_variance` /
:func:`~skvoice.analysis.plot_components_histogram`, and
:func:`~skvoice.analysis.pca_kmeans` / :func:`~skvoice.analysis.plot_clusters`, which
also *score* the clusters against the true speakers. Here they run on MFCCs with
deltas (39 dimensions); the same calls accept wav2vec 2.0 frames from
:class:`~skvoice.features.Wav2VecChunker` or any other frame features.
"""

# %%
# Data and features
# -----------------
# Real LibriSpeech ``test-other`` (10 readers, 6 utterances each): from
# ``SKVOICE_LIBRISPEECH`` when it is set, else the same utterances from the sample
# bundled with skvoice (:func:`~skvoice.datasets.load_sample`).

import numpy as np

from skvoice.datasets import load_speech
from skvoice.features import MFCCExtractor

data = load_speech("test-other", target="speaker")
X, speaker, source = data.filenames, data.speaker, data.source
frames = MFCCExtractor(n_mfcc=13, deltas=True).fit_transform(X)
print(f"{source}: {len(frames)} recordings of {len(np.unique(speaker))} speakers, "
      f"{frames[0].shape[1]} features per frame")

# %%
# Components for 85 % of the variance, per recording
# --------------------------------------------------
# Each recording's frames are standardised and decomposed on their own (as in the
# study); the count is the smallest number of components whose explained variance
# reaches the threshold.
import matplotlib.pyplot as plt

from skvoice.analysis import components_for_variance, plot_components_histogram

counts = components_for_variance(frames, threshold=0.85)
print(f"components for 85 % of the variance: mean {np.nanmean(counts):.1f}, "
      f"range {np.nanmin(counts):.0f}-{np.nanmax(counts):.0f} of {frames[0].shape[1]}")
fig = plot_components_histogram(counts, threshold=0.85)
fig.axes[0].set_title(f"PCA per recording ({source})")

# %%
# MFCCs with deltas are far less redundant than wav2vec 2.0 frames: a large share of
# their 39 dimensions is needed, where the study needed about 47 of 768 (6 %). How the
# count grows with the threshold:
for threshold in (0.5, 0.7, 0.85, 0.95):
    print(f"{threshold:.0%} of the variance: {np.nanmean(components_for_variance(frames, threshold)):.1f} "
          "components on average")

# %%
# Global PCA and k-means over frames
# ----------------------------------
# All frames are standardised together, projected on their principal components (the
# study kept 47; here the components that explain 85 %) and clustered with one cluster
# per speaker. The adjusted Rand index (0 = chance, 1 = perfect), normalised mutual
# information and purity say how well clusters match speakers. The plot shows a sample
# of the frames on the first two components, coloured by cluster (left) and by speaker
# (right).
from skvoice.analysis import pca_kmeans, plot_clusters

frame_result = pca_kmeans(frames, speaker, n_components=0.85, level="frames", max_frames=20_000,
                          random_state=0)
print(frame_result)
fig = plot_clusters(frame_result, max_points=3000)

# %%
# Single 10 ms frames hardly cluster by speaker: what varies most from frame to frame is
# *what* is being said, not *who* says it. This is the study's observation that two
# components cannot separate the speakers.
#
# Recordings instead of frames
# ----------------------------
# Pooling each recording to the mean and standard deviation of its frames removes the
# phonetic variation; the same analysis on one vector per recording (one point per
# recording, coloured by cluster and by speaker):
rec_result = pca_kmeans(frames, speaker, n_components=0.85, level="recordings", pooling=("mean", "std"),
                        n_init=10, random_state=0)
print(rec_result)
fig = plot_clusters(rec_result)

# %%
# Clustering scores of both levels side by side:
import pandas as pd

print(pd.DataFrame({"frames": frame_result.scores, "recordings": rec_result.scores}).round(3).to_string())

plt.show()
