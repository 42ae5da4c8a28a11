"""Optional dependencies: which extra installs what, and imports that name the extra when it is missing."""

from __future__ import annotations

import importlib
import importlib.util

__all__ = ["EXTRAS", "import_optional", "install_hint", "missing_extras", "missing_modules"]

#: extra -> the modules it installs that skvoice imports (what ``skvoice info`` and the checks below look for)
EXTRAS = {
    "torch": ("torch", "transformers"),
    "keras": ("keras", "scikeras", "torch"),
    "embeddings": ("resemblyzer", "torch"),
    "vad": ("silero_vad", "onnxruntime", "torch"),
    "io": ("skops",),
    "augment": ("pyroomacoustics",),
    "denoise": ("noisereduce",),
    "dask": ("distributed",),
    "docs": ("sphinx", "sphinx_gallery", "numpydoc"),
}


def install_hint(extras):
    """``pip install 'skvoice[a,b]'`` for the extras given."""
    return f"pip install 'skvoice[{','.join(extras)}]'"


def _installed(module):
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package that fails to import, or a broken __spec__
        return False


def missing_modules(extra):
    """The modules of ``extra`` that are not installed (looked up, not imported)."""
    return [module for module in EXTRAS[extra] if not _installed(module)]


def missing_extras(extras):
    """The extras among ``extras`` with a module that is not installed, in order."""
    return [extra for extra in extras if missing_modules(extra)]


def import_optional(module, extra, who):
    """Import ``module``, or raise an ImportError that says ``who`` needs it and which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # not installed, or an install that does not import (the cause is chained)
        raise ImportError(f"{who} needs {module.split('.')[0]}, which is not usable here ({exc}): "
                          f"{install_hint([extra])}") from exc
