"""
==================================================
A pretrained gender model as a classifier
==================================================

The study's fourth gender model was a HuBERT network fine-tuned for speech gender
recognition on Persian speech (``m3hrdadfi/hubert-base-persian-speech-gender-recognition``),
applied to English recordings without any training. It scored 0.92 per audio file.

:class:`~skvoice.classifiers.HubertGender` wraps such a checkpoint as a *zero-shot*
scikit-learn classifier: ``fit`` loads the network and maps its class names (for
example ``female``/``male``) onto the labels of ``y`` (for example ``F``/``M``); no
weight is trained. It then works with ``cross_val_score``, metric functions and
pipelines like any classifier.

.. note::

   This documentation is built **offline**, so the real checkpoint cannot be
   downloaded here. The example builds a *tiny, randomly initialised* HuBERT
   classifier with ``transformers`` and saves it to a temporary folder, which
   :class:`~skvoice.classifiers.HubertGender` loads exactly as it would load the real
   model's folder. **Its predictions are meaningless** (random weights: expect chance
   accuracy); everything else -- loading, label mapping, chunking, batching,
   probabilities, evaluation -- is what happens with the real model. The end of the
   page shows how to use the real one.
"""

# %%
# Data
# ----
# Real LibriSpeech speech of 20 readers (10 female, 10 male), drawn from
# ``train-clean-100`` in ``SKVOICE_LIBRISPEECH`` when it is set, else from the sample
# bundled with skvoice (:func:`~skvoice.datasets.load_sample`). Real audio does not make
# a random network meaningful; it only makes the mechanics realistic (lengths, levels).
import os

import numpy as np

from skvoice.datasets import load_speech, select_speakers

data = load_speech("train-clean-100")
frame = select_speakers(data.frame, 10, 10, random_state=0)
X, gender, speaker = (frame[c].to_numpy(object) for c in ("path", "gender", "speaker"))
source = f"{data.source}, 20 speakers"
print(f"{source}: {len(X)} recordings")

# %%
# A tiny stand-in checkpoint
# --------------------------
# A HuBERT encoder with an audio-classification head whose two outputs are named
# ``female`` and ``male`` (``config.id2label``), plus the feature extractor settings a
# real checkpoint ships in ``preprocessor_config.json`` (16 kHz, normalised input).
import tempfile

import torch
from transformers import HubertConfig, HubertForSequenceClassification, Wav2Vec2FeatureExtractor
from transformers.utils import logging as transformers_logging

transformers_logging.disable_progress_bar()
torch.manual_seed(0)
config = HubertConfig(
    conv_dim=(32,) * 7, hidden_size=48, num_hidden_layers=2, num_attention_heads=4, intermediate_size=96,
    num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4,
    num_labels=2, id2label={0: "female", 1: "male"}, label2id={"female": 0, "male": 1},
)
model_dir = tempfile.mkdtemp(prefix="tiny-hubert-gender-")
HubertForSequenceClassification(config).save_pretrained(model_dir)
Wav2Vec2FeatureExtractor(sampling_rate=16000, do_normalize=True).save_pretrained(model_dir)
print(sorted(os.listdir(model_dir)))

# %%
# Fit = load and map labels
# -------------------------
# The model's ``female``/``male`` are matched to the labels of ``y`` by spelling or by
# gender word (pass ``label_map={"female": "F", "male": "M"}`` to be explicit).
# ``max_seconds`` keeps the first seconds of every recording (faster on long files);
# longer inputs are cut into chunks of at most ``chunk_seconds`` whose probabilities are
# averaged.
from skvoice.classifiers import HubertGender

clf = HubertGender(model_dir, max_seconds=6.0, chunk_seconds=3.0)
clf.fit(X, gender)
print("classes_:", clf.classes_, " label_map_:", clf.label_map_, " architecture_:", clf.architecture_)

# %%
# Predictions and evaluation
# --------------------------
# One row of class probabilities per recording, in the order of ``classes_``.
proba = clf.predict_proba(X[:5])
for p, truth in zip(proba, gender[:5]):
    print(f"P(F)={p[0]:.3f}  P(M)={p[1]:.3f}  true: {truth}")

# %%
# The study's table for a recording-level model; with random weights, expect numbers
# around chance.
from skvoice.analysis import classification_table

print(classification_table(gender, {"tiny random HuBERT (meaningless)": clf.predict(X)}).round(3).to_string())

# %%
# Because nothing is learned in ``fit``, evaluating on all recordings is fair here.
# ``cross_val_score`` works too; an explicit ``label_map`` keeps the mapping defined
# even when a training fold happens to hold a single sex.
from sklearn.model_selection import GroupKFold, cross_val_score

clf_explicit = HubertGender(model_dir, label_map={"female": "F", "male": "M"}, max_seconds=6.0,
                            chunk_seconds=3.0)
cv = GroupKFold(n_splits=2, shuffle=True, random_state=0)
scores = cross_val_score(clf_explicit, X, gender, groups=speaker, cv=cv)
print(f"accuracy per fold: {np.round(scores, 3)}")

# %%
# Pickling stores no weights
# --------------------------
# ``pickle`` / ``joblib.dump`` store the parameters (including the model folder or id)
# and the label mapping; the network is loaded again on the first prediction.
import pickle

print(f"pickled classifier: {len(pickle.dumps(clf))} bytes")

# %%
# With the real model
# -------------------
# Download the checkpoint once on a machine with network access, either into the
# Hugging Face cache or into a folder you control:
#
# .. code-block:: bash
#
#     huggingface-cli download m3hrdadfi/hubert-base-persian-speech-gender-recognition
#
# .. code-block:: python
#
#     from skvoice.classifiers import HubertGender
#
#     clf = HubertGender()   # the study's model, read from the local Hugging Face cache
#     # or: HubertGender("/models/hubert-base-persian-speech-gender-recognition")
#     clf.fit(paths, gender)                 # loads the model, maps female/male -> F/M
#     print(clf.score(paths, gender))        # per-recording accuracy
#
# The checkpoint's custom head (``HubertForSpeechClassification``) is rebuilt by
# skvoice, so neither the study's ``src.models`` code nor ``torchaudio`` is needed. Any
# ``*ForSequenceClassification`` audio checkpoint whose labels name the two sexes works
# the same way. Without network access and without a cached copy, ``fit`` fails at once
# with a message saying how to make the model available (see
# :doc:`/user_guide/offline`).

# %%
# Clean up the temporary model folder.
import shutil

shutil.rmtree(model_dir, ignore_errors=True)
