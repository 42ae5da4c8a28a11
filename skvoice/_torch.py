"""Small torch helpers shared by the torch-backed estimators (imported only when torch is needed)."""

from __future__ import annotations

import contextlib

__all__ = ["resolve_device", "torch_threads"]


def resolve_device(device):
    """Map ``"auto"`` to ``"cuda"`` when available else ``"cpu"``; refuse ``"cuda"`` without a CUDA device."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' was requested but torch reports no CUDA device; use device='cpu' or 'auto'.")
    return device


@contextlib.contextmanager
def torch_threads(n):
    """Temporarily set torch's intra-op thread count (``None``: leave it), restoring it afterwards."""
    import torch

    if n is None or torch.get_num_threads() == int(n):
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)
