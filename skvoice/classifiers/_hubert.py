"""Pretrained speech classifiers (HuBERT / wav2vec 2.0 gender models) as zero-shot scikit-learn classifiers."""

from __future__ import annotations

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from .._base import AudioClassifier
from .._hf import CHUNKED_MODEL_CONSTRAINTS, ChunkedModelMixin, audio_model, cached_audio_model
from .._hub import load_pretrained
from .._sklearn_compat import StrOptions
from ._docs import fill_doc

try:
    import torch
    from torch import nn
    from transformers import HubertModel, Wav2Vec2Model
    from transformers.modeling_outputs import SequenceClassifierOutput
    from transformers.models.hubert.modeling_hubert import HubertPreTrainedModel
    from transformers.models.wav2vec2.modeling_wav2vec2 import Wav2Vec2PreTrainedModel
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "skvoice.classifiers.HubertGender needs torch and transformers: pip install 'skvoice[torch]'"
    ) from exc

__all__ = ["HubertGender", "HubertForSpeechClassification", "Wav2Vec2ForSpeechClassification"]

DEFAULT_MODEL = "m3hrdadfi/hubert-base-persian-speech-gender-recognition"

# common spellings of the two classes of voice-gender models (compared lower-cased, stripped)
_FEMALE = {"female", "f", "woman", "women", "fem", "feminine"}
_MALE = {"male", "m", "man", "men", "masculine"}


# --------------------------------------------------------------------------------------------------------------
# The "speech classification" head of m3hrdadfi's checkpoints (soxan): encoder -> pooled hidden states ->
# dense -> tanh -> dropout -> out_proj. Attribute names match the checkpoints' state-dict keys
# (``hubert.*`` / ``wav2vec2.*``, ``classifier.dense.*``, ``classifier.out_proj.*``).
# --------------------------------------------------------------------------------------------------------------
class SpeechClassificationHead(nn.Module):
    """Dense -> tanh -> dropout -> out_proj over pooled encoder states."""

    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(getattr(config, "final_dropout", 0.0))
        self.out_proj = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, features):
        x = self.dropout(features)
        x = torch.tanh(self.dense(x))
        x = self.dropout(x)
        return self.out_proj(x)


def _pool(hidden, mask, mode):
    """Pool ``(batch, time, hidden)`` states over valid time steps (``mask`` True) with mean, sum or max."""
    if mask is None:
        if mode == "mean":
            return hidden.mean(dim=1)
        if mode == "sum":
            return hidden.sum(dim=1)
        return hidden.max(dim=1).values
    m = mask.unsqueeze(-1).to(hidden.dtype)
    if mode == "mean":
        return (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)
    if mode == "sum":
        return (hidden * m).sum(dim=1)
    return hidden.masked_fill(~mask.unsqueeze(-1), float("-inf")).max(dim=1).values


class _SpeechClassificationMixin:
    """Shared forward of the HuBERT / wav2vec 2.0 speech classification models."""

    def _init_head(self, config, encoder):
        mode = getattr(config, "pooling_mode", "mean")
        if mode not in ("mean", "sum", "max"):
            raise ValueError(f"config.pooling_mode must be 'mean', 'sum' or 'max', got {mode!r}.")
        self.pooling_mode = mode
        setattr(self, self.base_model_prefix, encoder)
        self.classifier = SpeechClassificationHead(config)
        self.post_init()

    def forward(self, input_values, attention_mask=None, labels=None, **kwargs):
        encoder = getattr(self, self.base_model_prefix)
        hidden = encoder(input_values, attention_mask=attention_mask).last_hidden_state
        mask = None
        if attention_mask is not None:
            mask = self._get_feature_vector_attention_mask(hidden.shape[1], attention_mask)
        logits = self.classifier(_pool(hidden, mask, self.pooling_mode))
        loss = None
        if labels is not None:
            loss = nn.functional.cross_entropy(logits.view(-1, self.config.num_labels), labels.view(-1))
        return SequenceClassifierOutput(loss=loss, logits=logits)


class HubertForSpeechClassification(_SpeechClassificationMixin, HubertPreTrainedModel):
    """HuBERT encoder with a pooled dense/tanh/out_proj head (``m3hrdadfi/hubert-*-speech-*`` checkpoints).

    ``config.pooling_mode`` ("mean", "sum" or "max") pools the last hidden
    states over time (only over real frames when an ``attention_mask`` is
    given); ``config.id2label`` names the outputs.
    """

    def __init__(self, config):
        super().__init__(config)
        self._init_head(config, HubertModel(config))


class Wav2Vec2ForSpeechClassification(_SpeechClassificationMixin, Wav2Vec2PreTrainedModel):
    """wav2vec 2.0 encoder with the same pooled head (``m3hrdadfi/wav2vec2-*-speech-*`` checkpoints)."""

    def __init__(self, config):
        super().__init__(config)
        self._init_head(config, Wav2Vec2Model(config))


_CUSTOM_HEADS = {
    "HubertForSpeechClassification": HubertForSpeechClassification,
    "Wav2Vec2ForSpeechClassification": Wav2Vec2ForSpeechClassification,
}


# --------------------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------------------
def cached_speech_classifier(model, device="cpu"):
    """:func:`load_speech_classifier` through the small in-memory cache of loaded networks."""
    return cached_audio_model(load_speech_classifier, model, device)


def load_speech_classifier(model, device="cpu"):
    """Load a pretrained audio classification checkpoint, choosing the head from ``config.architectures``.

    ``HubertForSpeechClassification`` / ``Wav2Vec2ForSpeechClassification``
    (m3hrdadfi's soxan head) load into the classes of this module; any other
    ``*ForSequenceClassification`` / ``*ForAudioClassification`` architecture
    through :class:`transformers.AutoModelForAudioClassification`.

    Raises
    ------
    ModelNotAvailableError
        Missing folder/config, or a hub id that is neither cached nor downloadable.
    ValueError
        A checkpoint that is not an audio classifier, or whose classification
        head weights are missing (they would be silently random).
    """
    from transformers import AutoConfig, AutoModelForAudioClassification

    config = load_pretrained(AutoConfig.from_pretrained, model)
    archs = list(getattr(config, "architectures", None) or [])
    arch = archs[0] if archs else None
    if arch in _CUSTOM_HEADS:
        loader = _CUSTOM_HEADS[arch].from_pretrained
    elif arch is not None and arch.endswith(("ForSequenceClassification", "ForAudioClassification")):
        loader = AutoModelForAudioClassification.from_pretrained
    else:
        raise ValueError(
            f"Model {model!r} is not an audio classification checkpoint (config.architectures={archs or None}); "
            f"HubertGender needs one of {sorted(_CUSTOM_HEADS)} or a *ForSequenceClassification model "
            "(transformers' AutoModelForAudioClassification).")
    network, info = load_pretrained(loader, model, config=config, output_loading_info=True)
    missing = sorted(k for k in info.get("missing_keys", ()) if not k.startswith(network.base_model_prefix + "."))
    if missing:
        raise ValueError(
            f"Model {model!r}: the checkpoint lacks the classification head weights {missing[:6]}; they would be "
            "randomly initialised and the predictions meaningless. Is this a fine-tuned classifier checkpoint?")
    id2label = getattr(config, "id2label", None) or {}
    labels = [str(id2label.get(i, id2label.get(str(i), f"LABEL_{i}"))) for i in range(config.num_labels)]
    return audio_model(network, config, model, device, owner="HubertGender", labels=labels)


# --------------------------------------------------------------------------------------------------------------
# Label mapping
# --------------------------------------------------------------------------------------------------------------
def _canonical(label):
    s = str(label).strip().lower()
    if s in _FEMALE:
        return "female"
    if s in _MALE:
        return "male"
    return None


def map_model_labels(model_labels, y_labels, label_map=None):
    """Map each model label to one of the user's labels.

    Parameters
    ----------
    model_labels : list of str
        The model's ``id2label`` values in id order.
    y_labels : ndarray
        Unique labels of ``y``.
    label_map : dict or None
        Explicit ``{model label (or id): user label}``; every model label
        must be covered. ``None``: a model label maps to the ``y`` label with
        the same spelling, else to the ``y`` label of the same gender word
        (female/woman/f, male/man/m; case-insensitive).

    Returns
    -------
    mapping : dict
        ``{model label: user label}``.
    """
    y_list = [u.item() if isinstance(u, np.generic) else u for u in y_labels]
    if label_map is not None:
        mapping, unknown = {}, []
        keys = set(label_map)
        for i, lab in enumerate(model_labels):
            if lab in label_map:
                mapping[lab] = label_map[lab]
                keys.discard(lab)
            elif i in label_map:
                mapping[lab] = label_map[i]
                keys.discard(i)
        unknown = sorted(map(str, keys))
        if unknown:
            raise ValueError(f"label_map names {unknown}, which are not labels (or ids) of the model; "
                             f"its labels are {model_labels}.")
        unmapped = [lab for lab in model_labels if lab not in mapping]
        if unmapped:
            raise ValueError(f"label_map does not say which label the model class(es) {unmapped} stand for; "
                             f"map every model label {model_labels}.")
    else:
        mapping = {}
        for lab in model_labels:
            exact = [u for u in y_list if str(u) == lab]
            cands = exact or [u for u in y_list if _canonical(lab) is not None and _canonical(u) == _canonical(lab)]
            if len(cands) != 1:
                why = ("no label of y" if not cands else f"several labels of y ({[str(c) for c in cands]})")
                raise ValueError(
                    f"Cannot map the model's class {lab!r} (model labels: {model_labels}) automatically: {why} "
                    f"matches it (y labels: {[str(u) for u in y_list]}). Say which of your labels each model class "
                    f"stands for: label_map={{{', '.join(repr(m) + ': <your label>' for m in model_labels)}}}.")
            mapping[lab] = cands[0]
    targets = set(mapping.values())
    extra = [u for u in y_list if u not in targets]
    if extra:
        raise ValueError(f"y contains label(s) {[str(u) for u in extra]} that no model class maps to "
                         f"(mapping: {mapping}); a zero-shot model can only predict its own classes.")
    return mapping


# --------------------------------------------------------------------------------------------------------------
# Audio preparation
# --------------------------------------------------------------------------------------------------------------
@fill_doc
class HubertGender(ChunkedModelMixin, AudioClassifier):
    """A pretrained audio classifier (HuBERT / wav2vec 2.0) as a zero-shot scikit-learn classifier.

    The default is the study's Hugging Face model
    ``m3hrdadfi/hubert-base-persian-speech-gender-recognition`` (a HuBERT
    encoder with a mean-pooled dense/tanh head trained on Persian speech).
    ``fit`` learns no weights: it loads the model and maps its class names
    (``config.id2label``, e.g. ``female``/``male``) onto the labels of ``y``,
    so the model drops into ``cross_val_score``, ``Pipeline`` and metric code
    like any classifier. Any transformers audio classification checkpoint
    (``*ForSequenceClassification``, e.g.
    ``alefiury/wav2vec2-large-xlsr-53-gender-recognition-librispeech``) works
    too; the head is chosen from ``config.architectures``.

    Long recordings are split into equal chunks of at most
    ``chunk_seconds``; chunk probabilities (softmax over the model's classes)
    are averaged, weighted by chunk length. Chunks are run in batches under
    :func:`torch.inference_mode`. The waveform is zero-mean/unit-variance
    normalised per chunk when the checkpoint's ``preprocessor_config.json``
    says ``do_normalize``. Models whose convolutional encoder uses group
    normalisation (HuBERT/wav2vec2 *base*) take no attention mask, so only
    chunks of identical length share a batch and results never depend on
    ``batch_size``; other models get padded batches with an attention mask.

    Parameters
    ----------
    model : str or os.PathLike, default="m3hrdadfi/hubert-base-persian-speech-gender-recognition"
        Hugging Face model id or local ``save_pretrained`` folder. Loaded
        offline-first: a folder, then the local Hugging Face cache; the hub
        is contacted only when reachable (see
        :class:`~skvoice._hub.ModelNotAvailableError`).
    label_map : dict or None, default=None
        ``{model label (or class id): your label}``, covering every model
        class. ``None`` maps automatically: a model label maps to the ``y``
        label spelled the same, else to the ``y`` label of the same gender
        word (female/woman/f and male/man/m, case-insensitive), so
        ``female``/``male`` models work with ``"F"``/``"M"`` targets.
    %(chunked_model_input)s
    aggregate : {"mean", "geometric"}, default="mean"
        How chunk probabilities combine into the recording's: length-weighted
        arithmetic mean, or length-weighted geometric mean (renormalised).
    batch_size : int, default=8
        Chunks per forward pass.
    %(device)s
    %(n_threads)s
        On a busy 2-core machine one thread ran a HuBERT-base model 2.3x
        faster than two (3.0x vs 1.3x real time); on an idle machine more
        threads help.
    %(on_error)s
    %(n_jobs)s
        The network runs in the calling process.
    %(verbose)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The user labels the model's classes map to, sorted.
    label_map_ : dict
        ``{model label: user label}`` actually used.
    model_labels_ : ndarray of str
        The model's class names in output order (``id2label``).
    %(chunked_model_attributes_)s
    normalize_ : bool
        Whether waveforms are zero-mean/unit-variance normalised.
    %(failures_)s

    See Also
    --------
    skvoice.classifiers.FrameVoteClassifier : train a classifier on frame features instead.
    skvoice.features.SpeakerEmbedding : pretrained speaker embeddings for any scikit-learn classifier.

    Notes
    -----
    The network is loaded in ``fit`` (and lazily again after unpickling) and
    is **not** part of the estimator's state: ``pickle``/``joblib.dump``
    store only the parameters (including the ``model`` id or folder path)
    and the fitted label mapping, a few kilobytes. Unpickling therefore
    needs the same model available (same folder path, or the id in the local
    Hugging Face cache). Loaded networks are shared between estimators with
    the same ``model`` and ``device`` (the two most recently used stay in
    memory), so cross-validation does not reload them for every fold.

    Examples
    --------
    A tiny randomly initialised model stands in for the real checkpoint
    (which is downloaded from the Hugging Face hub once):

    >>> import tempfile
    >>> import torch
    >>> from transformers import HubertConfig
    >>> from skvoice.classifiers import HubertGender
    >>> from skvoice.classifiers._hubert import HubertForSpeechClassification
    >>> from skvoice.datasets import make_voices
    >>> config = HubertConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
    ...                       intermediate_size=32, conv_dim=(8, 8), conv_kernel=(10, 3),
    ...                       conv_stride=(5, 2), num_conv_pos_embeddings=8,
    ...                       num_conv_pos_embedding_groups=2, pooling_mode="mean",
    ...                       id2label={0: "female", 1: "male"},
    ...                       architectures=["HubertForSpeechClassification"])
    >>> folder = tempfile.mkdtemp()
    >>> _ = torch.manual_seed(0)
    >>> HubertForSpeechClassification(config).save_pretrained(folder)
    >>> voices = make_voices(n_speakers=2, n_utterances=2, duration=0.5, random_state=0)
    >>> clf = HubertGender(folder).fit(voices.waveforms, voices.gender)
    >>> clf.classes_, clf.label_map_
    (array(['F', 'M'], dtype=object), {'female': 'F', 'male': 'M'})
    >>> proba = clf.predict_proba(voices.waveforms)
    >>> proba.shape, bool(abs(proba.sum(axis=1) - 1).max() < 1e-6)
    ((4, 2), True)
    """

    _parameter_constraints = {
        **CHUNKED_MODEL_CONSTRAINTS,
        "label_map": [dict, None],
        "aggregate": [StrOptions({"mean", "geometric"})],
    }
    _failed_slot = "a row of NaN in ``predict_proba`` and ``None`` from ``predict``"
    _model_loader = staticmethod(load_speech_classifier)

    def __init__(self, model=DEFAULT_MODEL, *, label_map=None, sample_rate=16000, max_seconds=None,
                 chunk_seconds=10.0, aggregate="mean", batch_size=8, device="auto", n_threads=None, on_error="raise",
                 n_jobs=None, verbose=0):
        super().__init__(model, sample_rate=sample_rate, max_seconds=max_seconds, chunk_seconds=chunk_seconds,
                         batch_size=batch_size, device=device, n_threads=n_threads, on_error=on_error,
                         n_jobs=n_jobs, verbose=verbose)
        self.label_map = label_map
        self.aggregate = aggregate

    # ------------------------------------------------------------------ sklearn API
    def fit(self, X, y):
        """Load the model and map its classes onto the labels of ``y`` (no training).

        Parameters
        ----------
        X : sequence of str, os.PathLike or 1-D arrays
            Audio file paths or waveforms (at ``sample_rate``). Nothing is
            learned from the audio: waveforms are only validated (with
            ``on_error="raise"``) and files are not read.
        y : array-like of shape (n_recordings,)
            Labels, used to choose the class names the model's outputs map to.

        Returns
        -------
        self : HubertGender
        """
        items = self._validate_fit_audio(X)
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None "
                             "(y gives the label names the model's classes map to).")
        y = column_or_1d(y, warn=True)
        if len(y) != len(items):
            raise ValueError(f"Found input variables with inconsistent numbers of samples: X has {len(items)} "
                             f"recordings, y has {len(y)} labels.")
        check_classification_targets(y)
        loaded = self._fit_model()
        y_labels = np.unique(y)
        mapping = map_model_labels(loaded.labels, y_labels, self.label_map)
        targets = np.asarray(list(dict.fromkeys(mapping.values())), dtype=object)
        try:  # in y's dtype when it holds the targets exactly (int8 labels stay int8; "female" is no <U1)
            as_y = targets.astype(y_labels.dtype)
            if y_labels.dtype != object and not np.array_equal(as_y.astype(object), targets):
                as_y = targets.tolist()
        except (TypeError, ValueError, OverflowError):
            as_y = targets.tolist()
        self.classes_ = np.unique(np.concatenate([y_labels, np.asarray(as_y)]))
        self.label_map_ = mapping
        self.model_labels_ = np.asarray(loaded.labels, dtype=object)
        self.normalize_ = loaded.do_normalize
        return self

    def _mapping_matrix(self):
        index = {c: j for j, c in enumerate(self.classes_.tolist())}
        M = np.zeros((len(self.model_labels_), len(self.classes_)))
        for i, lab in enumerate(self.model_labels_):
            M[i, index[self.label_map_[lab]]] = 1.0
        return M

    def predict_model_proba(self, X):
        """Probabilities over the model's own classes (``model_labels_``), one row per recording.

        %(parameters_X_audio)s

        Returns
        -------
        proba : ndarray of shape (n_recordings, n_model_labels)
            NaN rows for recordings that failed (``on_error`` "warn"/"skip").
        """
        items, loaded = self._inference_input(X, "classes_")
        geometric = self.aggregate == "geometric"

        def forward(inputs):
            logits = loaded.network(**inputs).logits.float()
            out = torch.log_softmax(logits, dim=-1) if geometric else torch.softmax(logits, dim=-1)
            return out.cpu().numpy()

        out = np.full((len(items), len(loaded.labels)), np.nan)
        for i, mean in enumerate(self._chunk_means(items, loaded, forward)):
            if mean is not None:
                proba = np.exp(mean - mean.max()) if geometric else mean  # length-weighted mean of log-probabilities
                out[i] = proba / proba.sum()
        return out

    def predict_proba(self, X):
        """Class probabilities per recording.

        %(parameters_X_audio)s

        %(returns_proba)s
            Rows sum to 1 (NaN rows for failed recordings with ``on_error``
            "warn"/"skip").
        """
        return self.predict_model_proba(X) @ self._mapping_matrix()

    def predict(self, X):
        """Predict one label per recording.

        %(parameters_X_audio)s

        Returns
        -------
        y : ndarray of shape (n_recordings,)
            Labels from ``classes_``; ``None`` (object array) for recordings
            that failed with ``on_error`` "warn"/"skip".
        """
        proba = self.predict_proba(X)
        bad = np.isnan(proba).any(axis=1)
        pred = self.classes_[np.argmax(np.nan_to_num(proba, nan=-1.0), axis=1)]
        if bad.any():
            pred = pred.astype(object)
            pred[bad] = None
        return pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True  # zero-shot: nothing is learned from X
        tags.non_deterministic = False
        return tags
