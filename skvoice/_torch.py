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
def torch_threads(n=None):
    """Temporarily set torch's intra-op thread count, restoring it afterwards.

    ``n=None`` keeps torch's setting but never more threads than the CPUs this
    process may use: torch defaults to the host's physical cores, which
    oversubscribes a container limited by a CPU quota or an affinity mask
    (joblib's ``cpu_count`` knows both).
    """
    import joblib
    import torch

    before = torch.get_num_threads()
    wanted = min(before, max(1, int(joblib.cpu_count()))) if n is None else int(n)
    if wanted == before:
        yield
        return
    torch.set_num_threads(wanted)
    try:
        yield
    finally:
        torch.set_num_threads(before)
