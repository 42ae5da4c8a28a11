"""Locate pretrained models offline-first: a local folder, the Hugging Face cache, then the hub.

Every failure says exactly what to do (download on a connected machine, or point
at a folder/file) and never hangs: without network the hub is not contacted.
"""

from __future__ import annotations

import os
import socket

__all__ = ["ModelNotAvailableError", "model_source_kind", "load_pretrained", "hub_reachable"]

HUB_HOST = "huggingface.co"


class ModelNotAvailableError(OSError):
    """A pretrained model could not be found locally and cannot be downloaded."""


def model_source_kind(model):
    """Classify a model reference: ``"folder"``, ``"file"`` (a checkpoint) or ``"hub"`` (an id)."""
    if isinstance(model, os.PathLike) or (isinstance(model, str) and (os.path.exists(model)
                                                                        or model.startswith((".", "/", "~")))):
        path = os.path.expanduser(os.fspath(model))
        if os.path.isdir(path):
            return "folder"
        if os.path.isfile(path):
            return "file"
        raise ModelNotAvailableError(f"Model path {path!r} does not exist.")
    if not isinstance(model, str) or not model:
        raise TypeError(f"model must be a Hugging Face id, a folder or a checkpoint file path; got {model!r}.")
    return "hub"


def _offline_env():
    return any(os.environ.get(v, "").lower() in ("1", "true", "yes", "on")
               for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "SKVOICE_OFFLINE"))


def hub_reachable(timeout=3.0):
    """True when a TCP connection to the Hugging Face hub succeeds within ``timeout`` seconds."""
    if _offline_env():
        return False
    try:
        with socket.create_connection((HUB_HOST, 443), timeout=timeout):
            return True
    except OSError:
        return False


def _advice(model_id):
    return (f"To use it offline, download it once on a connected machine "
            f"(`huggingface-cli download {model_id}` or `from_pretrained(...).save_pretrained(folder)`) and "
            f"pass the local folder (or set HF_HOME to a cache holding it).")


def load_pretrained(loader, model, **kwargs):
    """Call ``loader(model, **kwargs)`` (a transformers ``from_pretrained``) offline-first.

    Parameters
    ----------
    loader : callable
        e.g. ``transformers.AutoModel.from_pretrained``.
    model : str or os.PathLike
        Local ``save_pretrained`` folder or hub id.

    Raises
    ------
    ModelNotAvailableError
        Folder without ``config.json``, or a hub id neither cached nor downloadable.
    """
    kind = model_source_kind(model)
    if kind == "folder":
        path = os.path.expanduser(os.fspath(model))
        if not os.path.isfile(os.path.join(path, "config.json")):
            raise ModelNotAvailableError(
                f"Model folder {path!r} has no config.json; expected a transformers `save_pretrained` folder.")
        return loader(path, local_files_only=True, **kwargs)
    if kind == "file":
        raise ModelNotAvailableError(
            f"{model!r} is a single file; pass a `save_pretrained` folder or a hub id here "
            "(fairseq checkpoints are accepted by Wav2VecChunker).")
    try:
        return loader(model, local_files_only=True, **kwargs)
    except (OSError, ValueError) as exc:
        cached_error = exc
    if not hub_reachable():
        raise ModelNotAvailableError(
            f"Model {model!r} is not in the local Hugging Face cache and the hub is unreachable "
            f"(offline). {_advice(model)}") from cached_error
    try:
        return loader(model, **kwargs)
    except OSError as exc:
        raise ModelNotAvailableError(f"Could not download model {model!r}: {exc}. {_advice(model)}") from exc
