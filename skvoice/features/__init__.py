"""Feature transformers: audio -> recording sets -> fixed vectors."""

from ._cmvn import CMVN
from ._mfcc import MFCCExtractor
from ._outliers import AllFramesOutlierWarning, OutlierFilter, outlier_counts
from ._pooling import StatsPooling

__all__ = ["MFCCExtractor", "CMVN", "OutlierFilter", "outlier_counts", "StatsPooling", "AllFramesOutlierWarning",
           "Wav2VecChunker", "SpeakerEmbedding"]

# Estimators that need optional extras (torch, transformers, keras, resemblyzer) are imported
# on first access, so `import skvoice.features` works with only the core dependencies installed.
_LAZY = {  # public name -> private submodule
    "Wav2VecChunker": "._wav2vec",
    "SpeakerEmbedding": "._embedding",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
