"""
==================================================
wav2vec 2.0 features over 2-second chunks
==================================================

The study's speaker experiments used wav2vec 2.0 (the fairseq ``wav2vec_small.pt``
base model): every recording was cut into 2-second chunks, each chunk went through the
encoder, and the 768-dimensional frames (one per 20 ms) fed a GMM per speaker, a
neural network, a per-recording PCA and k-means.

:class:`~skvoice.features.Wav2VecChunker` is that step as a scikit-learn transformer:
audio in, a recording set of encoder frames (or one vector per chunk) out.

.. note::

   This documentation is built **offline**, so this example cannot download
   ``facebook/wav2vec2-base``. It builds a *tiny, randomly initialised* wav2vec 2.0
   model with ``transformers`` and saves it to a temporary folder, which
   :class:`~skvoice.features.Wav2VecChunker` then loads exactly as it would load a real
   model folder. The shapes, chunking and pipeline mechanics below are real; the
   feature *values* come from random weights and say nothing about wav2vec 2.0. Point
   ``model=`` at a real model folder, hub id or fairseq checkpoint (see the end of this
   page) to get real features.
"""

# %%
# Data
# ----
# Real LibriSpeech ``test-other`` (10 readers, 6 utterances each): from
# ``SKVOICE_LIBRISPEECH`` when it is set, else the same utterances from the sample
# bundled with skvoice (:func:`~skvoice.datasets.load_sample`). Only the first 4
# seconds of every utterance are kept: with a random stand-in model the scores below
# mean nothing anyway, and shorter audio keeps this page quick.
import os

import numpy as np

from skvoice import load_audio
from skvoice.datasets import load_speech

data = load_speech("test-other", target="speaker")
paths, speaker, source = data.filenames, data.speaker, data.source
X = np.empty(len(paths), dtype=object)  # a recording set: one 16 kHz waveform per recording
for i, path in enumerate(paths):
    X[i] = load_audio(path, 16000, duration=4.0)[0]
print(f"{source}: {len(X)} recordings (first 4 s of each), {len(np.unique(speaker))} speakers")

# %%
# A tiny stand-in model
# ---------------------
# Same convolutional front end as wav2vec 2.0 base (7 layers, 20 ms frames, 400-sample
# receptive field) but 32 channels instead of 512, a 48-wide transformer of 2 layers
# instead of 768 and 12, and random weights. ``save_pretrained`` writes the same files
# (``config.json``, ``model.safetensors``) as a downloaded model.
import tempfile

import torch
from transformers import Wav2Vec2Config, Wav2Vec2Model
from transformers.utils import logging as transformers_logging

transformers_logging.disable_progress_bar()
torch.manual_seed(0)
config = Wav2Vec2Config(
    conv_dim=(32,) * 7, hidden_size=48, num_hidden_layers=2, num_attention_heads=4, intermediate_size=96,
    num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4,
)
model_dir = tempfile.mkdtemp(prefix="tiny-wav2vec2-")
Wav2Vec2Model(config).save_pretrained(model_dir)
print(sorted(os.listdir(model_dir)))

# %%
# Frames of 2-second chunks
# -------------------------
# ``fit`` loads the model (from the folder, offline); ``transform`` cuts each recording
# into 2 s chunks (the last one zero-padded), runs them through the encoder in batches
# under :func:`torch.inference_mode` and returns the last layer's frames, stacked in time
# order: one ``(n_frames, hidden_size)`` array per recording.
from skvoice.features import Wav2VecChunker

chunker = Wav2VecChunker(model_dir, chunk_seconds=2.0, output="frames", device="cpu").fit()
frames = chunker.transform(X)
print(f"{chunker.frames_per_chunk_} frames per 2 s chunk, {chunker.hidden_size_} features each "
      f"({chunker.model_type_} model from a {chunker.model_source_})")
for i in range(3):
    print(f"recording {i}: {frames[i].shape[0]} frames x {frames[i].shape[1]}")

# %%
# One vector per chunk, and other layers
# --------------------------------------
# ``output="mean"`` (or ``"mean+std"``) pools each chunk's frames: one row per chunk,
# which is what the study's 2 s chunking was for -- more samples per recording.
# ``layer`` picks the hidden state (``-1``: last layer, ``"average"``: mean of all);
# layers above the requested one are not computed at all.
chunks = Wav2VecChunker(model_dir, output="mean", layer=1, device="cpu").fit_transform(X)
print(f"output='mean', layer=1: recording 0 -> {chunks[0].shape[0]} chunks x {chunks[0].shape[1]}")

# %%
# In a pipeline
# -------------
# The chunker is an ordinary transformer, so the study's Task 2 -- frames, then one
# GMM per speaker -- is one estimator, cross-validated on held-out utterances.
# **With random weights the score below measures nothing about wav2vec 2.0** (a random
# network is still a feature map of the spectrum, so it is not necessarily at chance);
# it shows that the pieces fit together.
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from skvoice.classifiers import GMMSpeakerClassifier
from skvoice.features import CMVN

pipe = make_pipeline(
    Wav2VecChunker(model_dir, device="cpu"),
    CMVN(mode="per_recording"),
    GMMSpeakerClassifier(n_components=8, ubm=True, random_state=0),
)
scores = cross_val_score(pipe, X, speaker, cv=StratifiedKFold(3, shuffle=True, random_state=0))
print(f"held-out utterance accuracy with a random tiny model: {scores.mean():.3f}")

# %%
# The per-recording PCA of the study works on these frames unchanged (with the real
# base model it needed about 47 of 768 components for 85 % of the variance):
from skvoice.analysis import components_for_variance

counts = components_for_variance(frames, threshold=0.85)
print(f"components for 85 % of the variance: {np.nanmean(counts):.1f} of {chunker.hidden_size_} on average")

# %%
# Pickling stores no weights
# --------------------------
# A fitted chunker pickles to a few hundred bytes: its parameters (including the model
# folder or id) and fitted attributes. The model is loaded again from ``model`` on the
# first ``transform`` after unpickling, so the same folder (or cached hub model) must
# exist there.
import pickle

print(f"pickled chunker: {len(pickle.dumps(chunker))} bytes")

# %%
# With a real model
# -----------------
# A Hugging Face model, downloaded once on a connected machine (or already in the local
# Hugging Face cache; skvoice never downloads while offline):
#
# .. code-block:: python
#
#     # once, with network access:
#     #   huggingface-cli download facebook/wav2vec2-base
#     # or save a copy to a folder you control:
#     #   from transformers import Wav2Vec2Model
#     #   Wav2Vec2Model.from_pretrained("facebook/wav2vec2-base").save_pretrained("/models/wav2vec2-base")
#     chunker = Wav2VecChunker("facebook/wav2vec2-base")        # hub id, read from the cache
#     chunker = Wav2VecChunker("/models/wav2vec2-base")         # or the saved folder
#     frames = chunker.fit_transform(paths)                     # 99 frames x 768 per 2 s chunk
#
# The study's fairseq checkpoint, read directly (fairseq itself is not needed; only
# load checkpoint files you trust, since they are unpickled):
#
# .. code-block:: python
#
#     chunker = Wav2VecChunker("/models/wav2vec_small.pt", chunk_seconds=2.0)
#     frames = chunker.fit_transform(paths)
#
# Other wav2vec 2.0-style encoders (HuBERT, WavLM, data2vec-audio) load the same way.
# See :doc:`/user_guide/offline` for caches and ``HF_HUB_OFFLINE``.

# %%
# Clean up the temporary model folder.
import shutil

shutil.rmtree(model_dir, ignore_errors=True)
