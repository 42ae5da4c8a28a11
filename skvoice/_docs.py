"""Reusable numpydoc paragraphs, written once and filled into docstrings.

A docstring line holding only ``%(name)s`` is replaced by the paragraph
``name``, indented like the placeholder (so the same paragraph serves a class
docstring and a method docstring). :func:`fill_doc` does it for a function or a
class (its docstring and the docstrings of the methods it defines);
:class:`skvoice._base.AudioEstimatorMixin` does it for every audio estimator,
with the shared audio parameters of :data:`skvoice._base._DOCS` on top.

Paragraphs describe things that several public objects really share: the
recording-set ``X``/``y`` of frame-level estimators, the ``Returns`` of the
classifiers' ``decision_function``, ``predict_proba`` and
``predict_log_proba``, the trial arguments of
the verification metrics, the waveform, common parameters and output of the
degradations and the options of the LibriSpeech loaders.
"""

from __future__ import annotations

__all__ = ["PARAGRAPHS", "fill_doc", "fill_text", "doc_targets"]

PARAGRAPHS = {
    # ---------------------------------------------------------------------------------- recording sets
    "X_frames": """X : recording set or array-like of shape (n_recordings, n_features)
    Frame features: one ``(n_frames_i, n_features)`` array per
    recording, or a plain 2-D array (one frame per recording).""",
    "y_recordings": """y : array-like of shape (n_recordings,)
    One label per recording.""",
    # ---------------------------------------------------------------------------------- classifier outputs
    # (a method adds what is particular to it on further indented lines)
    "returns_proba": """Returns
-------
proba : ndarray of shape (n_recordings, n_classes)
    Columns follow ``classes_``.""",
    "returns_decision_function": """Returns
-------
scores : ndarray of shape (n_recordings, n_classes), or (n_recordings,) for two classes
    Columns follow ``classes_``; for two classes, the score of
    ``classes_[1]`` minus that of ``classes_[0]``.""",
    "returns_log_proba": """Returns
-------
log_proba : ndarray of shape (n_recordings, n_classes)
    Columns follow ``classes_``.""",
    "frame_features_in_": """n_features_in_ : int
    Features per frame seen in ``fit``.
feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Defined only when ``X`` was a DataFrame with string column names.""",
    # ---------------------------------------------------------------------------------- verification trials
    "y_true_trials": """y_true : array-like of shape (n_trials,)
    Trial labels: 1 / ``True`` for a target trial (the claimed speaker is
    the true one), 0 / ``False`` (or -1) for a non-target trial; other
    label values need ``pos_label``.""",
    "y_score_trials": """y_score : array-like of shape (n_trials,)
    Trial scores, larger for "more likely target" (cosine similarities,
    log-likelihood ratios, ...). NaN is an error; ``±inf`` is allowed.""",
    "pos_label_sample_weight": """pos_label : int, str or bool, default=None
    The label of target trials. Needed unless the labels are in {0, 1},
    {-1, 1} or booleans.
sample_weight : array-like of shape (n_trials,), default=None
    Non-negative trial weights (zero-weight trials are left out).""",
    "cost_model": """p_target : float, default=0.01
    Prior probability of a target trial, in (0, 1). Common settings:
    0.01 (the usual minDCF of papers on VoxCeleb; NIST SRE 2008 used it
    with ``c_miss=10``), 0.05 (VoxSRC since 2020), 0.001 (NIST SRE 2010).
c_miss, c_fa : float, default=1
    Costs of a miss and of a false alarm (positive).""",
    # ---------------------------------------------------------------------------------- degradations
    "y_sample_rate": """y : ndarray of shape (n_samples,)
    Mono waveform.
sample_rate : int, default=16000
    Its sample rate.""",
    "returns_y_degraded": """Returns
-------
y : ndarray of float32, shape (n_samples,)
    The degraded waveform, as long as the input and time-aligned with it.""",
    "degradation_params": """sample_rate : int, default=16000
random_state : int, RandomState or None, default=None
n_jobs : int or None, default=None""",
    # ---------------------------------------------------------------------------------- transformers checkpoints
    # the parameters and attributes of skvoice._hf.ChunkedModelMixin (HubertGender, XVectorEmbedding)
    "chunked_model_input": """sample_rate : int, default=16000
    Sample rate of waveform input. Waveforms (and files) are resampled to
    the model's rate (its feature extractor's ``sampling_rate``, 16 kHz
    for the HuBERT/wav2vec 2.0/WavLM checkpoints).
max_seconds : float or None, default=None
    Use only the first ``max_seconds`` of each recording (faster on long
    files). ``None`` uses everything.
chunk_seconds : float or None, default=10.0
    Longest piece fed to the model at once; longer recordings are split
    into equal chunks. ``None`` feeds whole recordings (memory grows with
    the square of the length in the attention layers).""",
    "chunked_model_attributes_": """architecture_ : str
    The loaded model class (e.g. ``"HubertForSpeechClassification"`` or
    ``"WavLMForXVector"``).
model_sample_rate_ : int
    Rate the model consumes.""",
    # ---------------------------------------------------------------------------------- LibriSpeech loaders
    "librispeech_target": """target : {"gender", "speaker"}, default="gender"
    Which column ``target`` holds.
return_X_y : bool, default=False
    Return ``(filenames, target)`` instead of the Bunch.
as_frame : bool, default=False
    With ``return_X_y``, return a DataFrame of the other columns and a
    Series target instead of arrays.""",
}

# the whole ``Parameters`` section of a method of BandwidthRouter: one that measures the bandwidth, and one whose
# input then goes on to the models
_X_BANDWIDTH = """Parameters
----------
X : sequence of paths or waveforms, or 2-D array (one waveform per row)
    Audio: its bandwidth is measured"""
PARAGRAPHS["parameters_X_bandwidth"] = _X_BANDWIDTH + "."
PARAGRAPHS["parameters_X_routed"] = _X_BANDWIDTH + """, and each recording is passed on to
    the model of its channel."""
# the whole ``Parameters`` section of a method whose only argument is frame features (``predict_proba``...)
PARAGRAPHS["parameters_X_frames"] = "Parameters\n----------\n" + PARAGRAPHS["X_frames"]


def fill_text(doc, lookup):
    """Replace every line holding only ``%(name)s`` by ``lookup(name)``, indented like the placeholder.

    ``lookup`` returns the paragraph, or None to leave the line as it is.
    """
    if not doc or "%(" not in doc:
        return doc
    out = []
    for line in doc.splitlines():
        token = line.strip()
        text = lookup(token[2:-2]) if token.startswith("%(") and token.endswith(")s") else None
        if text is None:
            out.append(line)
            continue
        indent = line[:len(line) - len(line.lstrip())]
        out.extend(indent + part if part else "" for part in text.splitlines())
    return "\n".join(out)


def doc_targets(obj):
    """``obj``, and for a class the methods it defines: what the ``fill_doc`` decorators fill.

    A method behind a wrapper that is not itself callable (``available_if``)
    keeps its docstring on the wrapped function (``__wrapped__``), which is
    filled too.
    """
    if not isinstance(obj, type):
        return [obj]
    members = [target for member in vars(obj).values() for target in (member, getattr(member, "__wrapped__", None))]
    return [obj, *(member for member in members if callable(member) and getattr(member, "__doc__", None))]


def fill_doc(obj):
    """Decorator: fill the :data:`PARAGRAPHS` placeholders of a function, or of a class and its own methods.

    An unknown placeholder raises a ``KeyError`` at import time, so a typo
    cannot reach the rendered documentation.
    """
    def lookup(name):
        return PARAGRAPHS[name]

    for target in doc_targets(obj):
        target.__doc__ = fill_text(target.__doc__, lookup)
    return obj
