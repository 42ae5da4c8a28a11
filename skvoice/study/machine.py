"""Which machine a run was measured on (platform, cores, memory, load, package versions)."""

from __future__ import annotations

import dataclasses
import os
import platform
from importlib import metadata

__all__ = ["MachineInfo", "machine_info", "load_average"]

PACKAGES = ("skvoice", "numpy", "scipy", "scikit-learn", "pandas", "librosa", "matplotlib", "joblib", "torch",
            "transformers", "keras", "scikeras", "resemblyzer")


@dataclasses.dataclass
class MachineInfo:
    platform: str
    machine: str
    python: str
    cpu_count: int | None
    usable_cores: int | None
    memory_gib: float | None
    load_average_start: list | None
    keras_backend: str | None
    versions: dict
    load_average_end: list | None = None

    def to_dict(self):
        out = dataclasses.asdict(self)
        if self.load_average_end is None:  # filled in at the end of a run
            out.pop("load_average_end")
        return out


def load_average():
    """The 1/5/15-minute load averages, or None where the platform has none."""
    try:
        return list(os.getloadavg())
    except (OSError, AttributeError):  # pragma: no cover - not Unix
        return None


def machine_info():
    """The :class:`MachineInfo` of this process, now."""
    from .. import __version__

    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    if "skvoice" in versions:  # the running code's version: an editable install's metadata keeps the one it was
        versions["skvoice"] = __version__  # installed at
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count()
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        mem = None
    return MachineInfo(platform=platform.platform(), machine=platform.machine(), python=platform.python_version(),
                       cpu_count=os.cpu_count(), usable_cores=cores,
                       memory_gib=None if mem is None else round(mem, 1), load_average_start=load_average(),
                       keras_backend=os.environ.get("KERAS_BACKEND"), versions=versions)
