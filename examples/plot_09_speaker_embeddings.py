"""
==================================================
Pretrained speaker embeddings (GE2E)
==================================================

A speaker embedding network maps a recording to a fixed vector whose direction
identifies the voice. :class:`~skvoice.features.SpeakerEmbedding` uses Resemblyzer's
GE2E voice encoder (a 3-layer LSTM over mel spectrograms, trained for speaker
verification) and returns one L2-normalised 256-dimensional vector per recording, so
any scikit-learn classifier can follow.

Unlike the wav2vec 2.0 and HuBERT examples, this one needs no download and no stand-in:
the pretrained weights ship inside the ``resemblyzer`` wheel (``pip install
"skvoice[embeddings]"``), so **the results below are real**, even offline.

Embeddings are computed from the first 4 seconds of each recording, which keeps the
example fast and shows how little audio a voice needs.
"""

# %%
# Data
# ----
# Real LibriSpeech speech: speaker identification on ``test-other`` (10 readers, 6
# utterances each) and gender on 40 readers (20 female, 20 male) of
# ``train-clean-100``, from ``SKVOICE_LIBRISPEECH`` when it is set, else from the sample
# bundled with skvoice (:func:`~skvoice.datasets.load_sample`).

import numpy as np

from skvoice import load_audio
from skvoice.datasets import load_speech, select_speakers

SECONDS = 4.0


def first_seconds(paths, seconds=SECONDS):
    """Decode the first ``seconds`` of every file (16 kHz mono float32)."""
    out = np.empty(len(paths), dtype=object)
    for i, path in enumerate(paths):
        out[i] = load_audio(path, 16000, duration=seconds)[0]
    return out


def load_data():
    """Speaker-ID recordings and labels, gender recordings, labels and speakers, and the source."""
    spk, gen = load_speech("test-other"), load_speech("train-clean-100")
    source = f"{spk.source}; {gen.source}"
    gen = select_speakers(gen.frame, 20, 20, random_state=0)
    return (first_seconds(spk.filenames), spk.speaker, first_seconds(gen["path"]),
            gen["gender"].to_numpy(object), gen["speaker"].to_numpy(object), source)


X_spk, speaker, X_gen, gender, gen_speaker, source = load_data()
print(f"{source}: {len(X_spk)} recordings of {len(np.unique(speaker))} speakers for speaker ID, "
      f"{len(X_gen)} recordings of {len(np.unique(gen_speaker))} speakers for gender")

# %%
# Embeddings
# ----------
# ``fit`` loads the encoder (1.4 M parameters) from the wheel; ``transform`` returns a
# plain 2-D array, one row per recording. Long silences are trimmed first (``vad=True``,
# as Resemblyzer does).
import time

from skvoice.features import SpeakerEmbedding

embedder = SpeakerEmbedding().fit()
start = time.perf_counter()
E_spk = embedder.transform(X_spk)
elapsed = time.perf_counter() - start
print(f"{E_spk.shape[0]} x {E_spk.shape[1]} embeddings in {elapsed:.1f} s "
      f"({len(X_spk) * SECONDS / elapsed:.0f}x faster than real time), "
      f"norms {np.linalg.norm(E_spk, axis=1).min():.3f}-{np.linalg.norm(E_spk, axis=1).max():.3f}")

# %%
# Same voice, similar direction
# -----------------------------
# Cosine similarity between all pairs of recordings, sorted by speaker: recordings of
# the same speaker form bright blocks on the diagonal.
import matplotlib.pyplot as plt

order = np.argsort(speaker, kind="stable")
similarity = E_spk[order] @ E_spk[order].T
same = speaker[order][:, None] == speaker[order][None, :]
off_diagonal = ~np.eye(len(order), dtype=bool)
print(f"mean cosine similarity: same speaker {similarity[same & off_diagonal].mean():.3f}, "
      f"different speakers {similarity[~same].mean():.3f}")

fig, ax = plt.subplots(figsize=(5, 4.3))
im = ax.imshow(similarity, cmap="viridis")
ticks = np.flatnonzero(np.r_[True, speaker[order][1:] != speaker[order][:-1]])
ax.set_xticks(ticks, speaker[order][ticks], rotation=90, fontsize="small")
ax.set_yticks(ticks, speaker[order][ticks], fontsize="small")
ax.set_title(f"Cosine similarity of GE2E embeddings\n({source})")
fig.colorbar(im, ax=ax, shrink=0.8)
fig.tight_layout()

# %%
# Speaker identification
# ----------------------
# A logistic regression on the embeddings, evaluated on held-out utterances of the
# enrolled speakers, next to the GMM-UBM recipe on MFCCs from
# :ref:`sphx_glr_auto_examples_plot_02_speaker_gmm.py` (on the same 4-second
# recordings).
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from skvoice.classifiers import GMMSpeakerClassifier
from skvoice.features import CMVN, MFCCExtractor

cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
emb_scores = cross_val_score(LogisticRegression(C=10.0, max_iter=2000), E_spk, speaker, cv=cv)
mfcc_frames = make_pipeline(MFCCExtractor(deltas=True), CMVN(mode="per_recording")).fit_transform(X_spk)
gmm_scores = cross_val_score(GMMSpeakerClassifier(16, ubm=True, random_state=0), mfcc_frames, speaker, cv=cv)
print(f"GE2E embeddings + logistic regression: {emb_scores.mean():.3f}")
print(f"MFCC + GMM-UBM:                        {gmm_scores.mean():.3f}")

# %%
# Gender on unseen speakers
# -------------------------
# The embeddings were trained to tell speakers apart, not sexes, but sex is one of the
# most salient properties of a voice. Speaker-disjoint folds:
from sklearn.model_selection import GroupKFold

E_gen = embedder.transform(X_gen)
gender_scores = cross_val_score(LogisticRegression(max_iter=2000), E_gen, gender, groups=gen_speaker,
                                cv=GroupKFold(n_splits=5, shuffle=True, random_state=0))
print(f"gender accuracy on unseen speakers: {gender_scores.mean():.3f} (folds: {np.round(gender_scores, 3)})")

# %%
# A 2-D view
# ----------
# The first two principal components of the gender embeddings, coloured by sex.
from sklearn.decomposition import PCA

xy = PCA(n_components=2, random_state=0).fit_transform(E_gen)
fig, ax = plt.subplots(figsize=(5, 4))
for sex, color in (("F", "tab:red"), ("M", "tab:blue")):
    ax.scatter(*xy[gender == sex].T, color=color, label=sex, s=18)
ax.set_xlabel("PC 1")
ax.set_ylabel("PC 2")
ax.set_title("GE2E embeddings, one point per recording")
ax.legend()
fig.tight_layout()

# %%
# In a pipeline
# -------------
# ``SpeakerEmbedding`` takes file paths or waveforms, so the whole model is one
# estimator; pickling it stores the parameters and the classifier, not the encoder
# weights (they are read from the installed wheel again).
import pickle

model = make_pipeline(SpeakerEmbedding(), LogisticRegression(max_iter=2000)).fit(X_gen, gender)
print(model.predict(X_gen[:4]), gender[:4])
print(f"pickled pipeline: {len(pickle.dumps(model))} bytes")

plt.show()
