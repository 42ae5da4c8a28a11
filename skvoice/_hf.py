"""Running pretrained transformers audio models (wav2vec 2.0 / HuBERT / WavLM families) on recordings.

Shared by the estimators that wrap a Hugging Face checkpoint with a head
(:class:`~skvoice.classifiers.HubertGender`,
:class:`~skvoice.features.XVectorEmbedding`): loading with the checkpoint's own
feature extractor (which normalises, pads and masks batches), a small cache of
loaded networks, and chunked, batched inference whose per-chunk outputs are
averaged per recording, weighted by chunk length. Imports torch lazily.
"""

from __future__ import annotations

import functools
import math
import numbers
import os
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._base import AUDIO_CONSTRAINTS, TORCH_CONSTRAINTS, TorchModelMixin
from ._hub import ModelNotAvailableError, load_pretrained, model_source_kind
from ._sklearn_compat import Interval

__all__ = ["AudioModel", "receptive_field", "chunk_bounds", "cached_audio_model", "pooled_chunk_outputs",
           "check_chunk_seconds", "ChunkedModelMixin", "CHUNKED_MODEL_CONSTRAINTS"]

# the parameters of ChunkedModelMixin (with the torch and audio ones); subclasses add theirs
CHUNKED_MODEL_CONSTRAINTS = {
    "model": [str, os.PathLike],
    "max_seconds": [Interval(numbers.Real, 0, None, closed="neither"), None],
    "chunk_seconds": [Interval(numbers.Real, 0, None, closed="neither"), None],
    **TORCH_CONSTRAINTS,
    **AUDIO_CONSTRAINTS,
}


def receptive_field(kernels, strides):
    """Samples a stack of strided convolutions needs for one output frame."""
    n = 1
    for kernel, stride in zip(reversed(list(kernels)), reversed(list(strides))):
        n = (n - 1) * int(stride) + int(kernel)
    return int(n)


@dataclass
class AudioModel:
    """A loaded network and the preprocessing it expects (never pickled)."""

    network: object
    feature_extractor: object  # normalises, pads and masks batches
    architecture: str
    sampling_rate: int
    do_normalize: bool
    use_mask: bool  # pass an attention mask (the feature extractor asks for one)
    pad_batches: bool  # chunks of different lengths may share a padded batch (_MASKED_EXACTLY layer-norm encoders)
    min_samples: int
    device: str
    labels: list = field(default_factory=list)


def _load_feature_extractor(model, owner):
    """The checkpoint's feature extractor, or None when it has no preprocessor_config.json."""
    from transformers import AutoFeatureExtractor

    if model_source_kind(model) == "folder":
        path = os.path.expanduser(os.fspath(model))
        if not os.path.isfile(os.path.join(path, "preprocessor_config.json")):
            return None
        return load_pretrained(AutoFeatureExtractor.from_pretrained, path)
    try:
        return load_pretrained(AutoFeatureExtractor.from_pretrained, model)
    except (ModelNotAvailableError, OSError, ValueError) as exc:
        warnings.warn(f"{owner}: no feature extractor (preprocessor_config.json) found for {model!r} "
                      f"({exc}); feeding raw, un-normalised waveforms.", UserWarning, stacklevel=5)
        return None


# encoders whose every layer honours the attention mask, so that a zero-padded chunk gives what it gives alone
# (checked against unpadded runs in the tests); a conformer's time convolution reads the padding
_MASKED_EXACTLY = frozenset({"wav2vec2", "hubert", "wavlm"})


def audio_model(network, config, model, device, *, owner, labels=()):
    """Wrap a loaded network with its checkpoint's feature extractor (or transformers' defaults)."""
    fe = _load_feature_extractor(model, owner)
    feat_norm_layer = getattr(config, "feat_extract_norm", "group") == "layer"
    pad_exactly = feat_norm_layer and getattr(config, "model_type", None) in _MASKED_EXACTLY
    if fe is None:
        from transformers import Wav2Vec2FeatureExtractor

        # no preprocessor config: raw waveforms, zero padding, a mask only for layer-norm conv encoders
        fe = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=False,
                                      return_attention_mask=feat_norm_layer)
    network.eval().to(device)
    return AudioModel(network=network, feature_extractor=fe, architecture=type(network).__name__,
                      sampling_rate=int(getattr(fe, "sampling_rate", 16000) or 16000),
                      do_normalize=bool(getattr(fe, "do_normalize", False)),
                      use_mask=bool(getattr(fe, "return_attention_mask", feat_norm_layer)),
                      pad_batches=pad_exactly and bool(getattr(fe, "return_attention_mask", feat_norm_layer)),
                      min_samples=receptive_field(config.conv_kernel, config.conv_stride), device=device,
                      labels=list(labels))


def _cache_key(model):
    """A folder is identified by its files' names, sizes and times, so a changed folder is reloaded."""
    if model_source_kind(model) == "folder":
        path = os.path.realpath(os.path.expanduser(os.fspath(model)))
        return path, tuple(sorted((e.name, e.stat().st_mtime_ns, e.stat().st_size)
                                  for e in os.scandir(path) if e.is_file()))
    return os.fspath(model), None


def cached_audio_model(loader, model, device="cpu"):
    """``loader(model, device) -> AudioModel`` through a small in-memory cache (the four most recently used).

    Cloned estimators (cross-validation, grid search) then share one network
    instead of reloading it for every fit; a folder whose files change is
    reloaded. ``loader`` must be a module-level function (it is part of the
    cache key).
    """
    key, stamp = _cache_key(model)
    return _cached(loader, key, stamp, device)


@functools.lru_cache(maxsize=4)
def _cached(loader, key, stamp, device):
    return loader(key, device)


def chunk_bounds(n_samples, chunk_samples):
    """Split ``n_samples`` into equal-length chunks of at most ``chunk_samples``.

    Returns ``(starts, length)``: ``k = ceil(n / chunk)`` chunks of length
    ``n // k`` spread evenly from the start to the end of the recording (so
    there is no short leftover chunk; at most ``k - 1`` samples overlap).
    """
    if chunk_samples is None or n_samples <= chunk_samples:
        return np.array([0]), n_samples
    k = math.ceil(n_samples / chunk_samples)
    length = n_samples // k
    starts = np.round(np.linspace(0, n_samples - length, k)).astype(np.int64)
    return starts, length


def check_chunk_seconds(chunk_seconds, loaded):
    """Samples per chunk for ``chunk_seconds`` (None: whole recordings); at least two encoder frames."""
    if chunk_seconds is None:
        return None
    n = int(round(chunk_seconds * loaded.sampling_rate))
    if n < 2 * loaded.min_samples:
        raise ValueError(f"chunk_seconds={chunk_seconds} gives {n} samples per chunk; the model needs at least "
                         f"{2 * loaded.min_samples} ({2 * loaded.min_samples / loaded.sampling_rate:.3f} s) for two "
                         "output frames.")
    return n


def pooled_chunk_outputs(loaded, ready, chunk, batch_size, forward):
    """Run ``forward`` on the chunks of each recording; average its rows per recording, weighted by chunk length.

    Parameters
    ----------
    loaded : AudioModel
    ready : list of (index, waveform)
        Waveforms at ``loaded.sampling_rate``.
    chunk : int or None
        Longest chunk in samples (:func:`chunk_bounds`); None: whole recordings.
    batch_size : int
        Chunks per forward pass. Chunks of different lengths share a (padded,
        masked) batch only for wav2vec2/HuBERT/WavLM encoders whose
        convolutions use layer normalisation; with group normalisation
        (wav2vec2/HuBERT *base*) or a conformer's time convolution padding
        would change the result, so only equal lengths are batched and results
        never depend on ``batch_size``.
    forward : callable
        ``forward(inputs) -> ndarray (batch, dim)``, ``inputs`` being the
        ``input_values`` (and ``attention_mask``) torch tensors.

    Returns
    -------
    list of (index, ndarray of shape (dim,))
    """
    import torch

    pieces = []  # (recording, start, length)
    for r, (_, w) in enumerate(ready):
        starts, length = chunk_bounds(w.shape[0], chunk)
        pieces.extend((r, int(s), int(length)) for s in starts)
    if not pieces:
        return []
    order = sorted(range(len(pieces)), key=lambda j: (pieces[j][2], j))
    batches, current = [], []
    for j in order:
        if current and (len(current) == batch_size
                        or (not loaded.pad_batches and pieces[j][2] != pieces[current[0]][2])):
            batches.append(current)
            current = []
        current.append(j)
    batches.append(current)

    weight = np.zeros(len(ready))
    acc = None
    for batch in batches:
        segments = [ready[pieces[j][0]][1][pieces[j][1]:pieces[j][1] + pieces[j][2]] for j in batch]
        features = loaded.feature_extractor(segments, sampling_rate=loaded.sampling_rate, padding=True,
                                            return_attention_mask=True, return_tensors="np")
        inputs = {"input_values": torch.from_numpy(np.asarray(features["input_values"], dtype=np.float32))
                  .to(loaded.device)}
        if loaded.use_mask:
            inputs["attention_mask"] = torch.from_numpy(np.asarray(features["attention_mask"], dtype=np.int64)
                                                        ).to(loaded.device)
        out = np.asarray(forward(inputs), dtype=np.float64)
        if acc is None:
            acc = np.zeros((len(ready), out.shape[1]))
        for b, j in enumerate(batch):
            r, _, length = pieces[j]
            weight[r] += length
            acc[r] += length * out[b]
    means = acc / weight[:, None]
    return [(index, row) for (index, _), row in zip(ready, means)]


class ChunkedModelMixin(TorchModelMixin):
    """The parameters and the inference path of an audio estimator that wraps a transformers checkpoint.

    For estimators built on :class:`skvoice._base.AudioEstimatorMixin`: recordings
    are read at the model's rate in the workers and the model runs on chunk
    batches in this process. The shared parameters (``model``, ``sample_rate``,
    ``max_seconds``, ``chunk_seconds``, ``batch_size`` and the torch and audio
    ones) are set by ``super().__init__(...)`` from the subclass's ``__init__``
    (which keeps its own signature and defaults) and constrained by
    :data:`CHUNKED_MODEL_CONSTRAINTS`; class docstrings document them with the
    ``%(chunked_model_input)s`` and ``%(chunked_model_attributes_)s``
    paragraphs of :data:`skvoice._docs.PARAGRAPHS` (with ``batch_size`` and the
    shared ones of :mod:`skvoice._base`). Subclasses set ``_model_loader`` to
    ``staticmethod(loader)``, ``loader(model, device) -> AudioModel`` being a
    module-level function (see :func:`cached_audio_model`).
    """

    _model_loader = None
    _block_size = 64  # recordings decoded (and held in memory) per step

    def __init__(self, model, *, sample_rate, max_seconds, chunk_seconds, batch_size, device, n_threads, on_error,
                 n_jobs, verbose):
        self.model = model
        self.max_seconds = max_seconds
        self.chunk_seconds = chunk_seconds
        super().__init__(batch_size=batch_size, device=device, n_threads=n_threads, sample_rate=sample_rate,
                         on_error=on_error, n_jobs=n_jobs, verbose=verbose)

    def _get_model(self):
        # from the module's small cache, never stored on the estimator: predicting changes no state and pickles
        # never hold the network
        return cached_audio_model(self._model_loader, self.model, self._torch_device())

    def _inference_input(self, X, fitted):
        """The checks before inference (fitted: ``fitted`` is an attribute ``fit`` sets; valid parameters; audio
        input); returns ``(items, loaded model)``."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, fitted)
        self._validate_params()
        return self._check_audio(X), self._get_model()

    def _fit_model(self):
        """Load the model, check ``chunk_seconds`` against it, set ``architecture_`` and ``model_sample_rate_``."""
        loaded = self._get_model()
        check_chunk_seconds(self.chunk_seconds, loaded)
        self.architecture_ = loaded.architecture
        self.model_sample_rate_ = loaded.sampling_rate
        return loaded

    def _chunk_means(self, items, loaded, forward, desc="recordings"):
        """Per recording, the length-weighted mean over its chunks of ``forward``'s rows (None when it failed)."""
        import torch

        from ._audio import read_for_model

        chunk = check_chunk_seconds(self.chunk_seconds, loaded)
        read = functools.partial(read_for_model, input_rate=self.sample_rate, model_rate=loaded.sampling_rate,
                                 max_seconds=self.max_seconds, min_samples=loaded.min_samples)
        with torch.inference_mode(), self._torch_threads():
            return self._map_audio(items, read, desc=desc, encode=lambda ready, final: pooled_chunk_outputs(
                loaded, ready, chunk, self.batch_size, forward))
