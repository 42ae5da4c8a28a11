"""Self-supervised speech features (wav2vec 2.0, HuBERT, WavLM) over fixed-length chunks."""

from __future__ import annotations

import contextlib
import numbers
import os
import threading
import warnings
import weakref
from functools import partial

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._audio import AudioError, check_not_silent, read_input, source_name
from .._base import AUDIO_CONSTRAINTS, TORCH_CONSTRAINTS, AudioTransformer, TorchModelMixin
from .._hf import receptive_field
from .._ragged import as_recording_set
from .._sklearn_compat import Interval, StrOptions

__all__ = ["Wav2VecChunker"]

# fitted chunker -> its loaded model, hooks and device buffers: beside the estimator, never pickled or hashed
_RUNTIMES = weakref.WeakKeyDictionary()


# ----------------------------------------------------------------------------------------------- decoding (workers)
def _conv_frames(n_samples, kernels, strides):
    n = int(n_samples)
    for k, s in zip(kernels, strides):
        n = (n - k) // s + 1 if n >= k else 0
    return n


def _normalize(chunks):
    """transformers' zero-mean unit-variance normalisation of each chunk (what its feature extractor does)."""
    from transformers.models.wav2vec2.feature_extraction_wav2vec2 import Wav2Vec2FeatureExtractor

    return Wav2Vec2FeatureExtractor.zero_mean_unit_var_norm(list(chunks), attention_mask=None)


def _load_chunks(item, index, *, sample_rate, chunk, last_chunk, min_samples, normalize):
    """Decode one recording and cut it into chunks (runs in joblib workers).

    Returns ``(full, tail)``: a ``(n_full, chunk)`` float32 array of full-length
    chunks (the zero-padded last chunk included with ``last_chunk="pad"``) and
    the unpadded last chunk (``last_chunk="keep"``) or ``None``.
    """
    # read_input rejects complex/NaN/empty input; map_recordings turns other decoding errors into AudioError
    src = source_name(item, index)
    y = read_input(item, sample_rate, index)
    check_not_silent(y, src)
    n = y.shape[0]
    n_full = n // chunk
    rest = n - n_full * chunk
    full = y[:n_full * chunk].reshape(n_full, chunk)
    if normalize and n_full:
        full = np.stack(_normalize(full))
    tail = None
    # a remainder shorter than the model's receptive field cannot yield a frame of real audio: always dropped
    if rest >= min_samples and last_chunk != "drop":
        tail = y[n_full * chunk:]
        if normalize:
            tail = _normalize([tail])[0]
        if last_chunk == "pad":
            padded = np.zeros((1, chunk), dtype=np.float32)
            padded[0, :rest] = tail
            full = np.concatenate([full, padded]) if n_full else padded
            tail = None
    if full.shape[0] == 0 and tail is None:
        secs = n / sample_rate
        if last_chunk == "drop":
            need = f"one chunk ({chunk} samples = {chunk / sample_rate:g} s) with last_chunk='drop'"
        else:
            need = f"the model's receptive field ({min_samples} samples)"
        raise AudioError(src, f"audio is too short: {n} samples ({secs:.3f} s), fewer than {need}")
    return np.ascontiguousarray(full, dtype=np.float32), tail


# ----------------------------------------------------------------------------------------------- model runtime
class _Capture:
    """Forward hooks that keep the hidden states a transform needs (nothing else is kept).

    The states are kept per thread (hooks run in the thread that calls the model), so one fitted chunker can
    transform from several threads at once, e.g. behind a threaded web server.
    """

    def __init__(self, model, indices, *, final_norm):
        self.indices = list(indices)
        self.final_norm = final_norm  # pre-LN models: the encoder's final LayerNorm belongs to the last state
        self._local = threading.local()
        self._handles = []
        layers = model.encoder.layers
        if 0 in self.indices:
            self._handles.append(layers[0].register_forward_pre_hook(self._pre_hook, with_kwargs=True))
        for i in self.indices:
            if i >= 1:
                self._handles.append(layers[i - 1].register_forward_hook(partial(self._hook, i)))

    @property
    def states(self):
        states = getattr(self._local, "states", None)
        if states is None:
            states = self._local.states = {}
        return states

    @states.setter
    def states(self, value):
        self._local.states = value

    def _pre_hook(self, module, args, kwargs):
        self.states[0] = args[0] if args else kwargs["hidden_states"]

    def _hook(self, i, module, args, output):
        self.states[i] = output[0] if isinstance(output, (tuple, list)) else output

    def pop(self):
        states, self.states = self.states, {}
        out = []
        for i in self.indices:
            h = states[i]
            if self.final_norm is not None and i == self.final_norm[0]:
                h = self.final_norm[1](h)
            out.append(h)
        return out


def _conv_stack(inner, sub_batch, autocast_dtype):
    """Wrap the convolutional feature encoder for CPU inference.

    The conv stack runs on slices of ``sub_batch`` chunks (its activations,
    512 channels x 6400 steps per 2 s chunk, stay cache-resident; a 16-chunk
    batch is slower per chunk), optionally under bf16 autocast, and always
    hands float32 to the rest of the model (so int8 Linear layers can follow).
    """
    import torch

    class ConvStack(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            ctx = (torch.autocast("cpu", dtype=autocast_dtype) if autocast_dtype is not None
                   else contextlib.nullcontext())
            with ctx:
                parts = [self.inner(part) for part in torch.split(x, sub_batch)] if sub_batch else [self.inner(x)]
            return (parts[0] if len(parts) == 1 else torch.cat(parts, dim=0)).float()

    return ConvStack()


def _bake_weight_norm(model):
    """Fold weight-norm parametrisations (the positional conv) into plain weights: not recomputed per batch."""
    import torch

    for module in model.modules():
        try:
            if torch.nn.utils.parametrize.is_parametrized(module, "weight"):
                torch.nn.utils.parametrize.remove_parametrizations(module, "weight", leave_parametrized=True)
            elif hasattr(module, "weight_g") and hasattr(module, "weight_v"):
                torch.nn.utils.remove_weight_norm(module)
        except (ValueError, RuntimeError):  # unusual layouts: keep the parametrisation, results are the same
            pass


@contextlib.contextmanager
def _quiet_transformers(verbose):
    """No "Loading weights" progress bar per fit unless verbose (restored afterwards)."""
    try:
        from transformers.utils import logging as hf_logging

        was_enabled = hf_logging.is_progress_bar_enabled()
    except (ImportError, AttributeError):
        yield
        return
    if was_enabled and not verbose:
        hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled and not verbose:
            hf_logging.enable_progress_bar()


def _cpu_bf16_supported():
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def _pooled(h, output):
    """(batch, frames, hidden) float32 -> list of per-chunk arrays."""
    if output == "frames":
        return list(h)
    mean = h.mean(axis=1)
    if output == "mean":
        return [row[None] for row in mean]
    std = h.std(axis=1)
    return [np.concatenate([m, s])[None] for m, s in zip(mean, std)]


class _ChunkBatcher:
    """The chunker's ``encode`` step: batches equal-length chunks across recordings and blocks.

    Called with the ``(recording, (full, tail))`` payloads of each block, it
    queues their chunks by length, encodes full batches, carries full-length
    chunks over to the next block (unpadded tails are flushed at once) and
    returns each recording as soon as all its chunks are encoded.
    """

    def __init__(self, chunker, runtime):
        self.chunker, self.runtime = chunker, runtime
        self.parts = {}  # recording -> per-chunk outputs
        self.remaining = {}  # recording -> chunks not encoded yet
        self.pending = {}  # chunk length -> [(recording, position, samples)]

    def __call__(self, ready, final):
        for rec, (full, tail) in ready:
            count = full.shape[0] + (tail is not None)
            self.parts[rec], self.remaining[rec] = [None] * count, count
            for pos in range(full.shape[0]):
                self.pending.setdefault(full.shape[1], []).append((rec, pos, full[pos]))
            if tail is not None:
                self.pending.setdefault(tail.shape[0], []).append((rec, count - 1, tail))
        done = []
        for length in list(self.pending):
            done.extend(self._run(length, force=final or length != self.chunker.chunk_samples_))
        return done

    def _run(self, length, force):
        size = self.chunker.batch_size
        queue, done = self.pending.get(length, []), []
        while len(queue) >= size or (force and queue):
            batch, queue = queue[:size], queue[size:]
            encoded = self.chunker._encode(self.runtime, np.stack([b[2] for b in batch]))
            for (rec, pos, _), out in zip(batch, encoded):
                self.parts[rec][pos] = out
                self.remaining[rec] -= 1
                if self.remaining[rec] == 0:
                    done.append((rec, np.ascontiguousarray(np.concatenate(self.parts.pop(rec)), dtype=np.float32)))
        self.pending[length] = queue
        return done


# ----------------------------------------------------------------------------------------------- estimator
class Wav2VecChunker(TorchModelMixin, AudioTransformer):
    """Encode fixed-length chunks of each recording with wav2vec 2.0, HuBERT or WavLM.

    Every recording is cut into consecutive chunks of ``chunk_seconds``
    (2 s by default, as in the study), each chunk goes through a pre-trained
    self-supervised speech encoder, and the hidden states of the chosen
    ``layer`` are returned as a *recording set*: one float32 array per
    recording, with one row per encoder frame (``output="frames"``, the
    encoder's 20 ms frames of all chunks stacked in time order) or one row per
    chunk (``"mean"``, ``"mean+std"``). CMVN, OutlierFilter, StatsPooling,
    FrameVoteClassifier and GMMSpeakerClassifier consume it.

    The model is loaded in :meth:`fit` from a Hugging Face hub id, a local
    ``save_pretrained`` folder (any wav2vec2-style ``transformers`` model:
    wav2vec2, HuBERT, WavLM, data2vec-audio...) or a **fairseq checkpoint
    file** such as the study's ``wav2vec_small.pt`` (read without fairseq, see
    :mod:`skvoice._fairseq`). Loading is offline-first: nothing is downloaded
    when the model is in the local cache, and an unavailable model fails fast
    with a clear message instead of hanging.

    Parameters
    ----------
    model : str or os.PathLike, default="facebook/wav2vec2-base"
        Hub id, ``save_pretrained`` folder, or fairseq ``.pt`` checkpoint file.
        A checkpoint file is unpickled with ``torch.load(weights_only=False)``,
        which can run code stored in it: only name files you trust.
    chunk_seconds : float, default=2.0
        Chunk length in seconds (``round(chunk_seconds * sample_rate)`` samples).
    last_chunk : {"pad", "drop", "keep"}, default="pad"
        The incomplete chunk at the end of a recording is zero-padded to full
        length (``"pad"``: a recording shorter than one chunk becomes one
        padded chunk), discarded (``"drop"``: a recording shorter than one
        chunk is an error, see ``on_error``) or kept unpadded as a shorter
        chunk (``"keep"``; it yields fewer frames). A remainder shorter than the
        encoder's receptive field (400 samples, 25 ms, for wav2vec2) is always
        discarded: it cannot produce a frame of real audio.

        Note: the study's loop (``waveform.unfold(1, 32000, 32000)``) zero-padded
        recordings shorter than 2 s but *dropped* the incomplete last chunk of
        longer recordings.
    output : {"frames", "mean", "mean+std"}, default="frames"
        ``"frames"``: all encoder frames (the study kept all frames; a 2 s chunk
        gives 99 frames with wav2vec2); ``"mean"``: one row per chunk, the mean
        over its frames; ``"mean+std"``: mean and standard deviation
        concatenated (``2 * hidden_size`` features).
    layer : int, "average" or list of int, default=-1
        Hidden state to return. ``0`` is the encoder input (after the
        positional convolution), ``i`` the output of transformer layer ``i``,
        ``-1`` the last layer (the model's ``last_hidden_state``, like fairseq's
        ``features_only`` output). ``"average"`` averages all
        ``num_hidden_layers + 1`` hidden states, a list averages the listed
        ones. Layers above the highest requested one are **not run**
        (``layer=6`` runs 6 of wav2vec2-base's 12 layers, about a third less
        work).
    normalize : bool or "auto", default="auto"
        Scale each chunk to zero mean and unit variance before the encoder.
        ``"auto"`` follows the model: ``do_normalize`` of its
        ``preprocessor_config.json`` (transformers) or the checkpoint's
        ``normalize`` task flag (fairseq); ``False`` when neither says (the
        study fed raw waveforms to ``wav2vec_small.pt``, trained without it).
    sample_rate : int, default=16000
        Rate files are decoded/resampled to and the rate of waveform input.
        Must match the model's rate when the model declares one.
    batch_size : int, default=16
        Chunks per forward pass; bounds the memory used. Only equal-length
        chunks are batched together (no padding is added for batching), so
        the features do not depend on ``batch_size``.
    %(device)s
    dtype : {"auto", "float32", "bfloat16", "float16"}, default="auto"
        Compute precision. ``"auto"``: float32 on CPU; on CUDA bfloat16 when
        supported, else float16 (the model is cast). ``"bfloat16"`` on CPU runs
        under autocast (LayerNorm and softmax stay float32), only when the CPU
        has native bf16 instructions (otherwise float32 is used, with a
        warning); ``"float16"`` needs CUDA. Features are always returned as
        float32.
    quantize : {"int8"} or None, default=None
        ``"int8"``: dynamic int8 quantisation of the encoder's Linear layers
        (CPU only). Combined with ``dtype="bfloat16"``, the convolutional
        feature encoder runs in bf16 and the transformer in int8 -- the fastest
        CPU setting. Both trade a little accuracy for speed: check the cosine
        similarity to float32 features reported by
        ``benchmarks/bench_wav2vec.py`` before relying on them.
    %(n_threads)s
    %(on_error)s
    %(n_jobs)s
        The encoder runs in this process, batched, with ``n_threads`` threads.
    %(verbose)s

    Attributes
    ----------
    n_features_out_ : int
        Features per row: ``hidden_size_`` (``2 * hidden_size_`` for
        ``"mean+std"``).
    hidden_size_ : int
        Width of the encoder's hidden states.
    n_layers_ : int
        Transformer layers of the model.
    layers_ : list of int
        Hidden-state indices that are averaged (one for an int ``layer``).
    n_layers_run_ : int
        Transformer layers actually executed (``max(layers_)``, at least 1).
    chunk_samples_ : int
        Samples per chunk.
    frames_per_chunk_ : int
        Encoder frames of a full chunk.
    min_samples_ : int
        Receptive field of the encoder's convolutions, in samples.
    normalize_ : bool
        Whether chunks are normalised (``normalize`` resolved).
    model_type_ : str
        ``"wav2vec2"``, ``"hubert"``, ``"wavlm"``...
    model_source_ : {"hub", "folder", "fairseq"}
        Where the model came from.
    device_ : str
        Device the encoder runs on.
    dtype_ : str
        Floating-point precision actually used (``quantize`` says whether
        Linear layers are int8).
    %(failures_)s

    See Also
    --------
    MFCCExtractor : Classic MFCC frames, no model needed.
    StatsPooling : Per-recording statistics of the frames.
    skvoice.classifiers.GMMSpeakerClassifier : One GMM per speaker on frames.

    Notes
    -----
    **Pickling.** ``pickle`` / ``joblib.dump`` store the parameters (including
    the ``model`` reference: hub id, folder or file path) and the fitted
    attributes, never the weights: a fitted chunker pickles to a few kB. After
    unpickling the model is loaded again from ``model`` on the first
    ``transform`` (the same files must be available there; a model whose
    hidden size or depth changed is an error). This also keeps
    ``Pipeline(memory=...)`` hashing cheap.

    **Speed.** Work is removed rather than merely batched: layers above the
    requested one are not run, full-length chunks of several recordings are
    batched, and ``quantize="int8"`` / ``dtype="bfloat16"`` trade a little
    accuracy for speed on CPU (see ``benchmarks/bench_wav2vec.py``).

    Examples
    --------
    >>> import tempfile
    >>> from transformers import Wav2Vec2Config, Wav2Vec2Model
    >>> from skvoice.datasets import make_voices
    >>> from skvoice.features import Wav2VecChunker
    >>> folder = tempfile.mkdtemp()
    >>> config = Wav2Vec2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
    ...                         intermediate_size=37, conv_dim=(32, 32), conv_stride=(5, 4),
    ...                         conv_kernel=(10, 4), num_conv_pos_embeddings=16,
    ...                         num_conv_pos_embedding_groups=2)
    >>> Wav2Vec2Model(config).save_pretrained(folder)  # a tiny random model, for the example
    >>> voices = make_voices(n_speakers=2, n_utterances=1, duration=3.0, random_state=0)
    >>> chunker = Wav2VecChunker(folder, output="mean", device="cpu").fit()
    >>> X = chunker.transform(voices.waveforms)  # 3 s -> one full chunk + one padded chunk
    >>> len(X), X[0].shape, X[0].dtype
    (2, (2, 32), dtype('float32'))
    >>> chunker.set_params(output="frames").fit().transform(voices.waveforms)[0].shape  # 2 x 1599 frames
    (3198, 32)
    """

    _parameter_constraints = {
        "model": [str, os.PathLike],
        "chunk_seconds": [Interval(numbers.Real, 0, None, closed="neither")],
        "last_chunk": [StrOptions({"pad", "drop", "keep"})],
        "output": [StrOptions({"frames", "mean", "mean+std"})],
        "layer": [Interval(numbers.Integral, None, None, closed="neither"), StrOptions({"average"}), list, tuple],
        "normalize": ["boolean", StrOptions({"auto"})],
        "dtype": [StrOptions({"auto", "float32", "bfloat16", "float16"})],
        "quantize": [StrOptions({"int8"}), None],
        **TORCH_CONSTRAINTS,
        **AUDIO_CONSTRAINTS,
    }
    _failed_slot = "a 0-row array"

    def __init__(self, model="facebook/wav2vec2-base", *, chunk_seconds=2.0, last_chunk="pad", output="frames",
                 layer=-1, normalize="auto", sample_rate=16000, batch_size=16, device="auto", dtype="auto",
                 quantize=None, n_threads=None, on_error="raise", n_jobs=None, verbose=0):
        self.model = model
        self.chunk_seconds = chunk_seconds
        self.last_chunk = last_chunk
        self.output = output
        self.layer = layer
        self.normalize = normalize
        self.dtype = dtype
        self.quantize = quantize
        super().__init__(batch_size=batch_size, device=device, n_threads=n_threads, sample_rate=sample_rate,
                         on_error=on_error, n_jobs=n_jobs, verbose=verbose)

    # ------------------------------------------------------------------ parameters
    def _check_params(self):
        self._validate_params()
        layer = self.layer
        if isinstance(layer, bool):
            raise ValueError(f"layer must be an int, 'average' or a list of ints, got {layer!r}.")
        if isinstance(layer, (list, tuple)):
            if not layer or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in layer):
                raise ValueError(f"layer as a list must be a non-empty list of ints, got {layer!r}.")
        chunk = int(round(self.chunk_seconds * self.sample_rate))
        if chunk < 1:
            raise ValueError(f"chunk_seconds={self.chunk_seconds} is shorter than one sample at "
                             f"sample_rate={self.sample_rate}.")
        return chunk

    def _resolve_layers(self, n_layers):
        def resolve(v):
            i = int(v) if v >= 0 else n_layers + 1 + int(v)
            if not 0 <= i <= n_layers:
                raise ValueError(
                    f"layer={v} is out of range: the model has {n_layers} transformer layers, so hidden states "
                    f"0..{n_layers} (or -1..-{n_layers + 1}).")
            return i

        if isinstance(self.layer, str):  # "average"
            return list(range(n_layers + 1))
        if isinstance(self.layer, (list, tuple)):
            return sorted({resolve(v) for v in self.layer})
        return [resolve(self.layer)]

    def _resolve_device_dtype(self):
        device = self._torch_device()  # first: without torch, its error names the extra
        import torch

        dtype = self.dtype
        if self.quantize == "int8":
            if device != "cpu":
                raise ValueError("quantize='int8' (dynamic quantisation) runs on CPU only; use device='cpu'.")
        if dtype == "auto":
            if device == "cuda":
                return device, "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
            return device, "float32"
        if device == "cpu" and dtype == "float16":
            raise ValueError("dtype='float16' needs CUDA; on CPU use 'bfloat16' (CPUs with bf16 instructions) "
                             "or 'float32'.")
        if device == "cpu" and dtype == "bfloat16" and not _cpu_bf16_supported():
            warnings.warn("dtype='bfloat16': this CPU has no native bf16 instructions (bf16 would be slower than "
                          "float32); using float32.", UserWarning, stacklevel=3)
            return device, "float32"
        return device, dtype

    # ------------------------------------------------------------------ model loading
    def _load_model(self):
        """Load the encoder (float32, CPU, eval) and what is known of its input convention."""
        from .._hub import load_pretrained, model_source_kind

        kind = model_source_kind(self.model)
        meta = {"normalize": None, "sample_rate": None}
        if kind == "file":
            from .._fairseq import load_fairseq_wav2vec2

            model, info = load_fairseq_wav2vec2(self.model)
            meta.update(normalize=info["normalize"], sample_rate=info["sample_rate"], source="fairseq")
        else:
            import transformers

            with warnings.catch_warnings(), _quiet_transformers(self.verbose):
                warnings.filterwarnings("ignore", message=".*were not used when initializing.*")
                model = load_pretrained(transformers.AutoModel.from_pretrained, self.model)
            model = model.float().eval()
            meta["source"] = kind
            meta.update(self._preprocessor_settings(kind))
        encoder = getattr(model, "encoder", None)
        layers = getattr(encoder, "layers", None)
        config = getattr(model, "config", None)
        if (not hasattr(model, "feature_extractor") or layers is None or not hasattr(layers, "__getitem__")
                or not hasattr(config, "conv_kernel")):
            raise ValueError(
                f"{self.model!r} is a {type(model).__name__} ({getattr(config, 'model_type', '?')}), not a "
                "wav2vec2-style speech encoder (wav2vec2, HuBERT, WavLM, data2vec-audio...).")
        return model, meta

    def _preprocessor_settings(self, kind):
        """``do_normalize`` and ``sampling_rate`` from the model's preprocessor_config.json, when present."""
        import json

        settings = {}
        try:
            if kind == "folder":
                path = os.path.join(os.path.expanduser(os.fspath(self.model)), "preprocessor_config.json")
                if not os.path.isfile(path):
                    return settings
                with open(path) as f:
                    cfg = json.load(f)
            else:
                import transformers

                from .._hub import load_pretrained

                cfg = load_pretrained(transformers.AutoFeatureExtractor.from_pretrained, self.model).to_dict()
        except Exception:  # no preprocessor config: the defaults apply
            return settings
        if "do_normalize" in cfg:
            settings["normalize"] = bool(cfg["do_normalize"])
        if cfg.get("sampling_rate"):
            settings["sample_rate"] = int(cfg["sampling_rate"])
        return settings

    def _build_runtime(self, model):
        """Truncate, quantise, cast and hook the loaded model for the fitted settings."""
        import torch

        n_run = max(max(self.layers_), 1)
        if n_run < len(model.encoder.layers):
            model.encoder.layers = model.encoder.layers[:n_run]
        final_norm = None
        if getattr(model.config, "do_stable_layer_norm", False) and self.n_layers_ in self.layers_:
            # pre-LN encoders apply their last LayerNorm after the last layer: part of `last_hidden_state`
            final_norm = (self.n_layers_, model.encoder.layer_norm)
        _bake_weight_norm(model)
        autocast = None
        if self.quantize == "int8":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch.ao deprecation notices
                model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8,
                                                               inplace=True)
        if self.device_ == "cpu":
            if self.dtype_ == "bfloat16" and self.quantize is None:
                autocast = torch.bfloat16  # whole model under autocast (LayerNorm/softmax stay float32)
            conv_dtype = torch.bfloat16 if self.dtype_ == "bfloat16" else None
            model.feature_extractor = _conv_stack(model.feature_extractor, _CPU_CONV_BATCH, conv_dtype)
        elif self.dtype_ in ("float16", "bfloat16"):
            model = model.to(getattr(torch, self.dtype_))
        model = model.to(self.device_)
        capture = _Capture(model, self.layers_, final_norm=final_norm)
        return {"model": model, "capture": capture, "autocast": autocast}

    def fit(self, X=None, y=None):
        """Load the encoder and fix the output layout (nothing is learned from ``X``).

        Parameters
        ----------
        X : sequence of paths or waveforms, optional
            Nothing is learned from it; when given, its layout is checked
            (a sequence of paths or real 1-D waveforms; files are not read).
        y : None
            Ignored.

        Returns
        -------
        self : Wav2VecChunker
            The fitted chunker, holding the loaded encoder.
        """
        chunk = self._check_params()
        self._reset_last_call()
        if X is not None:
            self._check_audio(X)
        device, dtype = self._resolve_device_dtype()
        model, meta = self._load_model()
        config = model.config
        if meta["sample_rate"] and meta["sample_rate"] != self.sample_rate:
            raise ValueError(
                f"The model expects audio at {meta['sample_rate']} Hz but sample_rate={self.sample_rate}; files "
                f"are resampled to sample_rate, so set sample_rate={meta['sample_rate']}.")
        n_layers = len(model.encoder.layers)
        self.layers_ = self._resolve_layers(n_layers)
        self.n_layers_ = n_layers
        self.n_layers_run_ = max(max(self.layers_), 1)
        self.hidden_size_ = int(config.hidden_size)
        self.n_features_out_ = self.hidden_size_ * (2 if self.output == "mean+std" else 1)
        kernels, strides = list(config.conv_kernel), list(config.conv_stride)
        self.chunk_samples_ = chunk
        self.min_samples_ = receptive_field(kernels, strides)
        self.frames_per_chunk_ = _conv_frames(chunk, kernels, strides)
        if self.frames_per_chunk_ < 1:
            raise ValueError(
                f"chunk_seconds={self.chunk_seconds} ({chunk} samples) is shorter than the encoder's receptive "
                f"field ({self.min_samples_} samples = {1000 * self.min_samples_ / self.sample_rate:.0f} ms).")
        self.normalize_ = bool(meta["normalize"]) if self.normalize == "auto" else bool(self.normalize)
        self.model_type_ = str(getattr(config, "model_type", type(model).__name__))
        self.model_source_ = meta["source"]
        self.device_ = device
        self.dtype_ = dtype
        _RUNTIMES[self] = self._build_runtime(model)
        self._fit_signature = self._signature()
        return self

    _FIT_PARAMS = ("model", "layer", "output", "chunk_seconds", "sample_rate", "normalize", "device", "dtype",
                   "quantize")

    def _signature(self):
        return {name: getattr(self, name) for name in self._FIT_PARAMS}

    def _check_unchanged(self):
        changed = sorted(k for k, v in self._fit_signature.items() if getattr(self, k) != v)
        if changed:
            raise ValueError(f"{type(self).__name__}: parameter(s) {changed} changed since fit (they set the model "
                             "and the output layout); call fit again.")

    def _get_runtime(self):
        runtime = _RUNTIMES.get(self)
        if runtime is None:  # unpickled (or copied without the model): load it again
            self._check_params()
            model, _ = self._load_model()
            found = (len(model.encoder.layers), int(model.config.hidden_size))
            if found != (self.n_layers_, self.hidden_size_):
                raise ValueError(
                    f"The model at {self.model!r} changed since fit: {found[0]} layers of width {found[1]}, "
                    f"fitted with {self.n_layers_} layers of width {self.hidden_size_}. Fit again.")
            runtime = _RUNTIMES[self] = self._build_runtime(model)
        return runtime

    # ------------------------------------------------------------------ inference
    def _encode(self, runtime, batch):
        """(batch, samples) float32 -> list of per-chunk float32 arrays."""
        import torch

        model, capture = runtime["model"], runtime["capture"]
        x = torch.from_numpy(batch).to(self.device_)
        if self.device_ != "cpu" and self.dtype_ in ("float16", "bfloat16"):
            x = x.to(getattr(torch, self.dtype_))
        ctx = (torch.autocast("cpu", dtype=runtime["autocast"]) if runtime["autocast"] is not None
               else contextlib.nullcontext())
        try:
            with torch.inference_mode(), ctx:
                model(x)
                states = capture.pop()
                h = states[0].float() if len(states) == 1 else torch.stack([s.float() for s in states]).mean(0)
        finally:
            capture.states = {}
        return _pooled(h.cpu().numpy().astype(np.float32, copy=False), self.output)

    def transform(self, X):
        """Encode each recording's chunks.

        %(parameters_X_audio)s

        Returns
        -------
        features : ndarray of object, shape (n_recordings,)
            One float32 array per recording: ``(n_chunks * frames_per_chunk_,
            n_features_out_)`` for ``output="frames"`` (fewer rows for a
            ``"keep"`` tail), ``(n_chunks, n_features_out_)`` otherwise.
            Failed recordings (``on_error`` "warn"/"skip") are 0-row arrays.
        """
        check_is_fitted(self, "n_features_out_")
        self._check_params()
        self._check_unchanged()
        items = self._check_audio(X)
        runtime = self._get_runtime()
        load = partial(_load_chunks, sample_rate=self.sample_rate, chunk=self.chunk_samples_,
                       last_chunk=self.last_chunk, min_samples=self.min_samples_, normalize=self.normalize_)
        with self._torch_threads():
            outputs = self._map_audio(items, load, encode=_ChunkBatcher(self, runtime), desc="wav2vec")
        return as_recording_set(outputs, missing=np.empty((0, self.n_features_out_), dtype=np.float32))

    def _recordings_per_block(self):
        from joblib import effective_n_jobs

        return int(min(256, max(16, 4 * effective_n_jobs(self.n_jobs), self.batch_size)))

    def get_feature_names_out(self, input_features=None):
        """Get the names of the output features.

        Parameters
        ----------
        input_features : None
            Ignored (the input is audio).

        Returns
        -------
        names : ndarray of str
            ``w2v_0``... or, for ``output="mean+std"``, ``w2v_mean_0``...
            followed by ``w2v_std_0``....
        """
        check_is_fitted(self, "n_features_out_")
        h = self.hidden_size_
        if self.output == "mean+std":
            names = [f"w2v_mean_{i}" for i in range(h)] + [f"w2v_std_{i}" for i in range(h)]
        else:
            names = [f"w2v_{i}" for i in range(h)]
        return np.asarray(names, dtype=object)



# Chunks per pass through the conv stack on CPU (None: the whole batch). See benchmarks/bench_wav2vec.py.
_CPU_CONV_BATCH = 2
