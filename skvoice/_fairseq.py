"""Read fairseq wav2vec 2.0 checkpoints without fairseq (and write them, for tests).

fairseq cannot be installed next to recent torch, yet the study extracted its
features with the original fairseq checkpoint ``wav2vec_small.pt``. This module
turns such a checkpoint into a :class:`transformers.Wav2Vec2Model` with the same
weights:

* :func:`read_fairseq_checkpoint` unpickles the file with
  ``torch.load(weights_only=False)`` -- only ever for a file the user named.
  Classes from modules that are not installed (``fairseq.*``, ``omegaconf.*``,
  ``hydra.*``) are replaced by inert placeholders, so neither fairseq nor
  omegaconf is needed; their content is turned back into plain dicts.
* :func:`wav2vec2_config_from_fairseq` derives a
  :class:`transformers.Wav2Vec2Config` from the checkpoint's ``args`` (an
  ``argparse.Namespace``, fairseq < 0.10) or ``cfg["model"]`` (an omegaconf
  dict, fairseq >= 0.10).
* :func:`convert_fairseq_state_dict` maps the fairseq parameter names onto the
  transformers ones and reports missing, unexpected and mis-shaped parameters
  precisely. Pre-training-only parameters (quantizer, ``project_q``,
  ``final_proj``, ...) are ignored: they do not take part in feature extraction.
* :func:`hf_to_fairseq_checkpoint` is the reverse mapping. It writes a
  fairseq-format checkpoint from a transformers model; the tests use it to check
  that both loading paths give the same features.
"""

from __future__ import annotations

import argparse
import ast
import enum
import os
import pickle
import re
import types

__all__ = [
    "FairseqCheckpointError",
    "read_fairseq_checkpoint",
    "fairseq_model_config",
    "wav2vec2_config_from_fairseq",
    "convert_fairseq_state_dict",
    "load_fairseq_wav2vec2",
    "hf_to_fairseq_checkpoint",
    "save_fairseq_checkpoint",
]

DEFAULT_CONV_LAYERS = "[(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512, 2, 2)] * 2"

# fairseq's wav2vec2 defaults (fairseq/models/wav2vec/wav2vec2.py, Wav2Vec2Config); used when a key is absent
_FAIRSEQ_DEFAULTS = {
    "extractor_mode": "default",
    "encoder_layers": 12,
    "encoder_embed_dim": 768,
    "encoder_ffn_embed_dim": 3072,
    "encoder_attention_heads": 12,
    "activation_fn": "gelu",
    "layer_type": "transformer",
    "dropout": 0.1,
    "attention_dropout": 0.1,
    "activation_dropout": 0.0,
    "encoder_layerdrop": 0.0,
    "dropout_input": 0.0,
    "dropout_features": 0.0,
    "final_dim": 0,
    "layer_norm_first": False,
    "conv_feature_layers": DEFAULT_CONV_LAYERS,
    "conv_bias": False,
    "quantize_input": False,
    "latent_vars": 320,
    "latent_groups": 2,
    "latent_dim": 0,
    "conv_pos": 128,
    "conv_pos_groups": 16,
    "pos_conv_depth": 1,
    "mask_prob": 0.65,
    "mask_length": 10,
    "mask_channel_prob": 0.0,
    "mask_channel_length": 10,
    "num_negatives": 100,
    "logit_temp": 0.1,
}

# fairseq model setting <-> the Wav2Vec2Config attribute of the same meaning, and its type. Settings that are
# derived from several others (extractor mode, activation, conv layers, final/latent dims) are converted by hand.
_SETTINGS = [
    ("encoder_embed_dim", "hidden_size", int),
    ("encoder_layers", "num_hidden_layers", int),
    ("encoder_attention_heads", "num_attention_heads", int),
    ("encoder_ffn_embed_dim", "intermediate_size", int),
    ("dropout", "hidden_dropout", float),
    ("attention_dropout", "attention_dropout", float),
    ("activation_dropout", "activation_dropout", float),
    ("dropout_input", "feat_proj_dropout", float),
    ("dropout_features", "feat_quantizer_dropout", float),
    ("encoder_layerdrop", "layerdrop", float),
    ("conv_bias", "conv_bias", bool),
    ("conv_pos", "num_conv_pos_embeddings", int),
    ("conv_pos_groups", "num_conv_pos_embedding_groups", int),
    ("layer_norm_first", "do_stable_layer_norm", bool),
    ("mask_prob", "mask_time_prob", float),
    ("mask_length", "mask_time_length", int),
    ("mask_channel_prob", "mask_feature_prob", float),
    ("mask_channel_length", "mask_feature_length", int),
    ("latent_vars", "num_codevectors_per_group", int),
    ("latent_groups", "num_codevector_groups", int),
    ("num_negatives", "num_negatives", int),
    ("logit_temp", "contrastive_logits_temperature", float),
]

_ACTIVATIONS = {"gelu": "gelu", "relu": "relu", "gelu_fast": "gelu_new", "gelu_accurate": "gelu_new",
                "tanh": "tanh", "linear": "linear"}

_FINETUNED = ("wav2vec_ctc", "wav2vec_seq2seq")
_FINETUNED_PREFIX = "w2v_encoder.w2v_model."

# Parameter names, fairseq <-> transformers: one row per parameter family, read in both directions (loading a
# checkpoint and writing one). In a name, {layer} stands for a layer index, {wb} for weight|bias and {proj} for
# k|q|v|out. A tuple lists alternative names: the first is the one written; when reading, any fairseq alternative
# is recognised and the transformers name the target model has is chosen (the positional convolution's weight
# norm is ``weight_g``/``weight_v`` in old torch, ``parametrizations.weight.original0/1`` in new torch). The third
# column, when present, is the fairseq extractor mode using that name: the conv-layer norm is at ``.2.`` with
# group norm ("default") and at ``.2.1.`` with layer norm.
_NAMES = [
    ("feature_extractor.conv_layers.{layer}.0.{wb}", "feature_extractor.conv_layers.{layer}.conv.{wb}"),
    ("feature_extractor.conv_layers.{layer}.2.{wb}", "feature_extractor.conv_layers.{layer}.layer_norm.{wb}",
     "default"),
    ("feature_extractor.conv_layers.{layer}.2.1.{wb}", "feature_extractor.conv_layers.{layer}.layer_norm.{wb}",
     "layer_norm"),
    ("layer_norm.{wb}", "feature_projection.layer_norm.{wb}"),
    ("post_extract_proj.{wb}", "feature_projection.projection.{wb}"),
    ("mask_emb", "masked_spec_embed"),
    ("encoder.pos_conv.0.bias", "encoder.pos_conv_embed.conv.bias"),
    (("encoder.pos_conv.0.weight_g", "encoder.pos_conv.0.parametrizations.weight.original0"),
     ("encoder.pos_conv_embed.conv.parametrizations.weight.original0", "encoder.pos_conv_embed.conv.weight_g")),
    (("encoder.pos_conv.0.weight_v", "encoder.pos_conv.0.parametrizations.weight.original1"),
     ("encoder.pos_conv_embed.conv.parametrizations.weight.original1", "encoder.pos_conv_embed.conv.weight_v")),
    ("encoder.layer_norm.{wb}", "encoder.layer_norm.{wb}"),
    ("encoder.layers.{layer}.self_attn.{proj}_proj.{wb}", "encoder.layers.{layer}.attention.{proj}_proj.{wb}"),
    ("encoder.layers.{layer}.self_attn_layer_norm.{wb}", "encoder.layers.{layer}.layer_norm.{wb}"),
    ("encoder.layers.{layer}.fc1.{wb}", "encoder.layers.{layer}.feed_forward.intermediate_dense.{wb}"),
    ("encoder.layers.{layer}.fc2.{wb}", "encoder.layers.{layer}.feed_forward.output_dense.{wb}"),
    ("encoder.layers.{layer}.final_layer_norm.{wb}", "encoder.layers.{layer}.final_layer_norm.{wb}"),
]
_NAME_FIELDS = {"layer": r"\d+", "wb": "weight|bias", "proj": "k|q|v|out"}


def _name_pattern(template):
    """``template`` as an anchored regex whose named groups are its ``{field}`` parts."""
    parts = re.split(r"\{(\w+)\}", template)  # literal, field, literal, field, ..., literal
    return re.compile("^" + "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>{_NAME_FIELDS[p]})"
                                    for i, p in enumerate(parts)) + "$")


def _alternatives(names):
    return (names,) if isinstance(names, str) else tuple(names)


# (fairseq patterns, fairseq names, transformers patterns, transformers names, extractor mode or None)
_NAME_RULES = [(tuple(map(_name_pattern, _alternatives(fs))), _alternatives(fs),
                tuple(map(_name_pattern, _alternatives(hf))), _alternatives(hf), mode[0] if mode else None)
               for fs, hf, *mode in _NAMES]


def _translate(key, rules, choose):
    """Rename ``key`` with the first of ``rules`` (``(patterns, names)`` pairs) matching it; None if none does.

    ``choose`` picks one of the filled-in alternative names.
    """
    for patterns, names in rules:
        for pattern in patterns:
            match = pattern.match(key)
            if match:
                return choose([name.format(**match.groupdict()) for name in names])
    return None


# used only for pre-training (contrastive task / quantised targets) or bookkeeping: not part of the features
_IGNORED = re.compile(
    r"^(quantizer\.|input_quantizer\.|project_q\.|project_inp\.|final_proj\.|target_glu\.|label_embs_concat$"
    r"|.*\._float_tensor$|.*\.version$)"
)


class FairseqCheckpointError(ValueError):
    """The file is not a (supported) fairseq wav2vec 2.0 checkpoint; the message says why."""


# ----------------------------------------------------------------------------------------------- unpickling
_STUB_MODULES = ("fairseq", "omegaconf", "hydra")


class _Placeholder:
    """Stands in for an object whose class lives in a module that is not installed."""

    _stub_qualname = "?"

    def __init__(self, *args, **kwargs):
        self._stub_args = args
        self._stub_kwargs = kwargs

    def __setstate__(self, state):
        self._stub_state = state

    def __repr__(self):
        return f"<placeholder for {self._stub_qualname}>"


_STUB_CACHE = {}


def _stub_class(module, name):
    key = (module, name)
    if key not in _STUB_CACHE:
        _STUB_CACHE[key] = type(name, (_Placeholder,), {"_stub_qualname": f"{module}.{name}"})
    return _STUB_CACHE[key]


class _LenientUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError):
            if module.split(".")[0] in _STUB_MODULES:
                return _stub_class(module, name)
            raise


_lenient_pickle = types.ModuleType("skvoice_lenient_pickle")
_lenient_pickle.Unpickler = _LenientUnpickler
_lenient_pickle.load = lambda f, **kw: _LenientUnpickler(f, **kw).load()
_lenient_pickle.loads = pickle.loads
_lenient_pickle.__name__ = "pickle"  # torch.load checks pickle_module.__name__ for dill only


def _to_plain(obj, _depth=0):
    """Namespaces, omegaconf containers (real or placeholders) -> plain dicts/lists/values."""
    if _depth > 50:
        return obj
    d = _depth + 1
    if isinstance(obj, argparse.Namespace):
        return {k: _to_plain(v, d) for k, v in vars(obj).items()}
    if isinstance(obj, dict):
        return {k: _to_plain(v, d) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_plain(v, d) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_to_plain(v, d) for v in obj)
    if type(obj).__module__.startswith("omegaconf"):  # omegaconf is installed: use it
        from omegaconf import OmegaConf

        try:
            return OmegaConf.to_container(obj, resolve=True)
        except Exception:  # unresolvable interpolations: keep them as strings
            return OmegaConf.to_container(obj, resolve=False)
    if isinstance(obj, _Placeholder):
        state = getattr(obj, "_stub_state", None)
        if isinstance(state, tuple) and len(state) == 2 and isinstance(state[0], (dict, type(None))):
            state = {**(state[0] or {}), **(state[1] or {})}  # (dict_state, slot_state)
        if isinstance(state, dict):
            if "_content" in state:  # omegaconf DictConfig / ListConfig
                return _to_plain(state["_content"], d)
            if "_val" in state:  # omegaconf value node
                return _to_plain(state["_val"], d)
            return {k: _to_plain(v, d) for k, v in state.items() if not k.startswith("_")}
        if obj._stub_args:  # e.g. an Enum member pickled as cls(value)
            return _to_plain(obj._stub_args[0], d)
        return None
    if isinstance(obj, enum.Enum):  # e.g. fairseq's ChoiceEnum values, when their module is installed
        return obj.value
    return obj


def read_fairseq_checkpoint(path):
    """Unpickle a fairseq checkpoint file (needs neither fairseq nor omegaconf).

    Uses ``torch.load(path, weights_only=False)``, which can execute code stored
    in the file: call it only on checkpoints you trust (skvoice only calls it on
    the file passed as ``model``).

    Parameters
    ----------
    path : str or os.PathLike
        A ``.pt`` checkpoint written by fairseq.

    Returns
    -------
    checkpoint : dict
        ``{"model": state_dict, "args": dict or None, "cfg": dict or None, ...}``
        with ``args``/``cfg`` converted to plain dicts.

    Raises
    ------
    FairseqCheckpointError
        The file cannot be unpickled or is not a fairseq checkpoint.
    """
    import torch

    path = os.path.expanduser(os.fspath(path))
    if not os.path.isfile(path):
        raise FairseqCheckpointError(f"Checkpoint file {path!r} does not exist.")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False, pickle_module=_lenient_pickle)
    except ModuleNotFoundError as exc:
        raise FairseqCheckpointError(
            f"{path!r}: the checkpoint refers to module {exc.name!r}, which is not installed "
            f"({exc}); it does not look like a fairseq checkpoint.") from exc
    except Exception as exc:
        raise FairseqCheckpointError(
            f"{path!r} could not be read as a torch checkpoint ({type(exc).__name__}: {exc}).") from exc
    if not isinstance(ckpt, dict) or not isinstance(ckpt.get("model"), dict) or (
            ckpt.get("args") is None and ckpt.get("cfg") is None):
        what = sorted(map(str, ckpt))[:8] if isinstance(ckpt, dict) else type(ckpt).__name__
        raise FairseqCheckpointError(
            f"{path!r} is not a fairseq checkpoint: expected a dict with a 'model' state dict and 'args' or "
            f"'cfg', found {what}. (A transformers model is a `save_pretrained` folder, pass the folder.)")
    out = dict(ckpt)
    out["args"] = _to_plain(ckpt.get("args"))
    out["cfg"] = _to_plain(ckpt.get("cfg"))
    return out


# ----------------------------------------------------------------------------------------------- config
def _safe_eval_layers(text):
    """Evaluate fairseq's ``conv_feature_layers`` string (lists of int tuples, ``+`` and ``*``) without eval()."""

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [ev(e) for e in node.elts]
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
            left, right = ev(node.left), ev(node.right)
            return left + right if isinstance(node.op, ast.Add) else left * right
        raise ValueError(f"unsupported element {ast.dump(node)}")

    try:
        layers = ev(ast.parse(str(text), mode="eval"))
        layers = [tuple(int(v) for v in layer) for layer in layers]
        if not layers or any(len(layer) != 3 for layer in layers):
            raise ValueError("expected a non-empty list of (dim, kernel, stride)")
    except (SyntaxError, ValueError, TypeError) as exc:
        raise FairseqCheckpointError(f"cannot parse conv_feature_layers={text!r}: {exc}") from None
    return layers


def fairseq_model_config(checkpoint):
    """Model and task settings of a fairseq checkpoint as plain dicts.

    Handles old checkpoints (``args`` namespace), new ones (``cfg`` with
    ``model``/``task``) and fine-tuned CTC checkpoints (their ``w2v_args``).

    Parameters
    ----------
    checkpoint : dict
        As returned by :func:`read_fairseq_checkpoint`.

    Returns
    -------
    name : str
        The fairseq model name (``"wav2vec2"`` for the pre-trained model).
    model_cfg : dict
        Model settings, fairseq defaults filled in.
    task_cfg : dict
        Task settings (``normalize``, ``sample_rate``...).
    prefix : str
        Prefix of the wav2vec2 parameters in ``checkpoint["model"]`` (``""`` or
        ``"w2v_encoder.w2v_model."`` for a fine-tuned model).
    """
    cfg, args = checkpoint.get("cfg"), checkpoint.get("args")
    if isinstance(cfg, dict) and isinstance(cfg.get("model"), dict):
        model_cfg, task_cfg = dict(cfg["model"]), dict(cfg.get("task") or {})
        name = model_cfg.get("_name") or model_cfg.get("arch")
    elif isinstance(args, dict):
        model_cfg, task_cfg = dict(args), dict(args)
        name = args.get("arch") or args.get("_name")
    else:
        raise FairseqCheckpointError("checkpoint has neither usable 'args' nor 'cfg[\"model\"]'.")
    prefix = ""
    if name in _FINETUNED:
        inner = model_cfg.get("w2v_args")
        inner = _to_plain(inner)
        if not isinstance(inner, dict):
            raise FairseqCheckpointError(
                f"fine-tuned {name!r} checkpoint without embedded 'w2v_args' (the pre-training settings); "
                "use the pre-trained checkpoint instead.")
        if isinstance(inner.get("model"), dict):
            task_cfg = {**dict(inner.get("task") or {}), **task_cfg}
            inner = inner["model"]
        model_cfg = dict(inner)
        name = model_cfg.get("_name") or model_cfg.get("arch") or "wav2vec2"
        prefix = _FINETUNED_PREFIX
    if name is None:  # very old checkpoints: recognise the parameters
        if any(k.endswith("encoder.layers.0.self_attn.k_proj.weight") for k in checkpoint["model"]) and any(
                k.endswith("feature_extractor.conv_layers.0.0.weight") for k in checkpoint["model"]):
            name = "wav2vec2"
    if name != "wav2vec2":
        raise FairseqCheckpointError(
            f"checkpoint holds a fairseq {name!r} model; only wav2vec 2.0 checkpoints (model 'wav2vec2', or a "
            "fine-tuned 'wav2vec_ctc' built on one) can be converted. HuBERT, WavLM or data2vec models: use "
            "their transformers version (a hub id or `save_pretrained` folder).")
    merged = dict(_FAIRSEQ_DEFAULTS)
    merged.update({k: v for k, v in model_cfg.items() if v is not None})
    return name, merged, task_cfg, prefix


def wav2vec2_config_from_fairseq(model_cfg):
    """Build a :class:`transformers.Wav2Vec2Config` equivalent to fairseq wav2vec2 settings.

    Parameters
    ----------
    model_cfg : dict
        The fairseq model settings (see :func:`fairseq_model_config`).

    Returns
    -------
    config : transformers.Wav2Vec2Config
        The equivalent transformers configuration.
    """
    from transformers import Wav2Vec2Config

    c = model_cfg
    if c.get("layer_type", "transformer") != "transformer":
        raise FairseqCheckpointError(f"layer_type={c['layer_type']!r} (e.g. conformer) is not supported.")
    if int(c.get("pos_conv_depth", 1)) != 1:
        raise FairseqCheckpointError(f"pos_conv_depth={c['pos_conv_depth']} is not supported (expected 1).")
    if c.get("quantize_input"):
        raise FairseqCheckpointError("quantize_input=True checkpoints are not supported.")
    mode = c["extractor_mode"]
    if mode not in ("default", "layer_norm"):
        raise FairseqCheckpointError(f"unknown extractor_mode {mode!r}.")
    act = c["activation_fn"]
    if act not in _ACTIVATIONS:
        raise FairseqCheckpointError(f"unsupported activation_fn {act!r}.")
    layers = _safe_eval_layers(c["conv_feature_layers"])
    final_dim = int(c["final_dim"]) or int(c["encoder_embed_dim"])
    return Wav2Vec2Config(
        **{attr: kind(c[key]) for key, attr, kind in _SETTINGS},
        hidden_act=_ACTIVATIONS[act],
        layer_norm_eps=1e-5,
        feat_extract_norm="group" if mode == "default" else "layer",
        feat_extract_activation="gelu",
        conv_dim=tuple(layer[0] for layer in layers),
        conv_kernel=tuple(layer[1] for layer in layers),
        conv_stride=tuple(layer[2] for layer in layers),
        codevector_dim=int(c["latent_dim"]) or final_dim,
        proj_codevector_dim=final_dim,
    )


# ----------------------------------------------------------------------------------------------- weights
def _hf_key(fairseq_key, target_keys):
    """The transformers name of a fairseq parameter (among alternatives, the one ``target_keys`` holds), or None."""
    rules = [(fs_patterns, hf_names) for fs_patterns, _, _, hf_names, _ in _NAME_RULES]
    return _translate(fairseq_key, rules, lambda names: next((n for n in names if n in target_keys), names[0]))


def convert_fairseq_state_dict(state_dict, target_state_dict, *, prefix=""):
    """Rename a fairseq wav2vec2 state dict to the parameter names of a transformers model.

    Parameters
    ----------
    state_dict : dict of str -> Tensor
        ``checkpoint["model"]``.
    target_state_dict : dict of str -> Tensor
        ``Wav2Vec2Model(config).state_dict()``: names and shapes to produce.
    prefix : str, default=""
        Prefix of the wav2vec2 parameters in ``state_dict`` (fine-tuned models).

    Returns
    -------
    converted : dict of str -> Tensor
        Exactly the keys of ``target_state_dict``.
    ignored : list of str
        The fairseq parameters deliberately left out (pre-training heads).

    Raises
    ------
    FairseqCheckpointError
        Listing every unexpected fairseq parameter, every transformers parameter
        left without a value and every shape mismatch.
    """
    import torch

    converted, ignored, unexpected, mismatched = {}, [], [], []
    for key, value in state_dict.items():
        if prefix:
            if not key.startswith(prefix):
                ignored.append(key)  # e.g. the CTC head of a fine-tuned model
                continue
            key = key[len(prefix):]
        new = _hf_key(key, target_state_dict)
        if new is None:
            (ignored if _IGNORED.match(key) else unexpected).append(key)
            continue
        if new not in target_state_dict:
            unexpected.append(key)
            continue
        if tuple(value.shape) != tuple(target_state_dict[new].shape):
            mismatched.append(f"{key} {tuple(value.shape)} -> {new} {tuple(target_state_dict[new].shape)}")
            continue
        converted[new] = value
    proj_w, proj_b = "feature_projection.projection.weight", "feature_projection.projection.bias"
    if proj_w not in converted and proj_w in target_state_dict:
        w = target_state_dict[proj_w]
        if w.shape[0] == w.shape[1] and not any("post_extract_proj" in k for k in state_dict):
            # fairseq has no post_extract_proj when the conv and encoder widths agree: identity
            converted[proj_w] = torch.eye(w.shape[0], dtype=w.dtype)
            converted[proj_b] = torch.zeros(w.shape[0], dtype=w.dtype)
    missing = sorted(set(target_state_dict) - set(converted))
    if unexpected or missing or mismatched:
        parts = []
        if unexpected:
            parts.append(f"unexpected fairseq parameter(s) {sorted(unexpected)}")
        if missing:
            parts.append(f"transformers parameter(s) without a value {missing}")
        if mismatched:
            parts.append(f"shape mismatch(es) {mismatched}")
        raise FairseqCheckpointError("cannot map the checkpoint onto Wav2Vec2Model: " + "; ".join(parts) + ".")
    return converted, sorted(ignored)


def load_fairseq_wav2vec2(path):
    """Load a fairseq wav2vec 2.0 checkpoint as a :class:`transformers.Wav2Vec2Model` (no fairseq needed).

    Parameters
    ----------
    path : str or os.PathLike
        A fairseq checkpoint, e.g. ``wav2vec_small.pt``. Unpickled with
        ``weights_only=False``: only load files you trust.

    Returns
    -------
    model : transformers.Wav2Vec2Model
        In eval mode, float32, on CPU.
    info : dict
        ``normalize`` (bool: the model expects zero-mean unit-variance input),
        ``sample_rate`` (int or None), ``name`` and ``ignored`` (fairseq
        parameters left out).
    """
    from transformers import Wav2Vec2Model

    ckpt = read_fairseq_checkpoint(path)
    name, model_cfg, task_cfg, prefix = fairseq_model_config(ckpt)
    config = wav2vec2_config_from_fairseq(model_cfg)
    import torch

    with torch.device("meta"):  # no random initialisation: every parameter comes from the checkpoint
        model = Wav2Vec2Model(config)
    converted, ignored = convert_fairseq_state_dict(ckpt["model"], model.state_dict(), prefix=prefix)
    converted = {k: v.detach().to(torch.float32) for k, v in converted.items()}
    model.load_state_dict(converted, strict=True, assign=True)
    if any(t.is_meta for t in list(model.parameters()) + list(model.buffers())):  # pragma: no cover - safety net
        model = Wav2Vec2Model(config)
        model.load_state_dict(converted, strict=True)
    model.eval()
    sr = task_cfg.get("sample_rate")
    info = {"name": name, "normalize": bool(task_cfg.get("normalize", False)),
            "sample_rate": int(sr) if sr else None, "ignored": ignored}
    return model, info


# ----------------------------------------------------------------------------------------------- writing
def _fairseq_key(hf_key, extractor_mode):
    """The fairseq name of a transformers parameter, for a fairseq extractor of ``extractor_mode``."""
    rules = [(hf_patterns, fs_names) for _, fs_names, hf_patterns, _, mode in _NAME_RULES
             if mode in (None, extractor_mode)]
    name = _translate(hf_key, rules, lambda names: names[0])
    if name is None:
        raise FairseqCheckpointError(f"no fairseq name for transformers parameter {hf_key!r}.")
    return name


def hf_to_fairseq_checkpoint(model, *, style="args", normalize=False, sample_rate=16000,
                             pretraining_heads=True):
    """Express a :class:`transformers.Wav2Vec2Model` as a fairseq checkpoint dict (the reverse mapping).

    Parameters
    ----------
    model : transformers.Wav2Vec2Model
        The model to express.
    style : {"args", "cfg"}, default="args"
        ``"args"``: settings in an ``argparse.Namespace`` (old fairseq, like
        ``wav2vec_small.pt``); ``"cfg"``: a ``{"model": ..., "task": ...}`` dict
        (new fairseq; a plain dict stands in for omegaconf's DictConfig).
    normalize : bool, default=False
        The task's ``normalize`` flag.
    sample_rate : int, default=16000
        The task's ``sample_rate``.
    pretraining_heads : bool, default=True
        Also write (random) quantizer/``project_q``/``final_proj`` parameters,
        as a real pre-training checkpoint has.

    Returns
    -------
    checkpoint : dict
        ``{"args" or "cfg": ..., "model": state_dict}``; save it with
        :func:`torch.save`.
    """
    import torch

    if style not in ("args", "cfg"):
        raise ValueError(f"style must be 'args' or 'cfg', got {style!r}.")
    c = model.config
    if getattr(c, "model_type", None) != "wav2vec2":
        raise FairseqCheckpointError(f"expected a Wav2Vec2Model, got model_type={c.model_type!r}.")
    inv_act = {v: k for k, v in _ACTIVATIONS.items() if k not in ("gelu_fast",)}
    mode = "default" if c.feat_extract_norm == "group" else "layer_norm"
    final_dim = int(c.proj_codevector_dim)
    settings = {
        **{key: kind(getattr(c, attr)) for key, attr, kind in _SETTINGS},
        "extractor_mode": mode,
        "activation_fn": inv_act.get(c.hidden_act, c.hidden_act),
        "final_dim": final_dim,
        "conv_feature_layers": repr([(int(d), int(k), int(s))
                                     for d, k, s in zip(c.conv_dim, c.conv_kernel, c.conv_stride)]),
        "latent_dim": c.codevector_dim,
        "quantize_targets": True,
    }
    sd = {}
    for key, value in model.state_dict().items():
        sd[_fairseq_key(key, mode)] = value.detach().clone()
    if pretraining_heads:
        gen = torch.Generator().manual_seed(0)
        g, v, dim = c.num_codevector_groups, c.num_codevectors_per_group, c.codevector_dim
        sd["quantizer.vars"] = torch.randn(1, g * v, dim // g, generator=gen)
        sd["quantizer.weight_proj.weight"] = torch.randn(g * v, c.conv_dim[-1], generator=gen)
        sd["quantizer.weight_proj.bias"] = torch.zeros(g * v)
        sd["project_q.weight"] = torch.randn(final_dim, dim, generator=gen)
        sd["project_q.bias"] = torch.zeros(final_dim)
        sd["final_proj.weight"] = torch.randn(final_dim, c.hidden_size, generator=gen)
        sd["final_proj.bias"] = torch.zeros(final_dim)
    task = {"normalize": bool(normalize), "sample_rate": int(sample_rate)}
    if style == "args":
        args = argparse.Namespace(arch="wav2vec2", task="audio_pretraining", **settings, **task)
        return {"args": args, "cfg": None, "model": sd, "optimizer_history": [], "extra_state": {}}
    cfg = {"_name": None, "model": {"_name": "wav2vec2", **settings},
           "task": {"_name": "audio_pretraining", **task}}
    return {"args": None, "cfg": cfg, "model": sd, "optimizer_history": [], "extra_state": {}}


def save_fairseq_checkpoint(model, path, **kwargs):
    """Write :func:`hf_to_fairseq_checkpoint` ``(model, **kwargs)`` to ``path`` with :func:`torch.save`."""
    import torch

    torch.save(hf_to_fairseq_checkpoint(model, **kwargs), os.fspath(path))
    return path
