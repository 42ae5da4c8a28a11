"""Recording-level classifiers."""

from ._frame_vote import FrameVoteClassifier
from ._gmm import GMMSpeakerClassifier
from ._verification import ScoreFusion, SpeakerVerifier

__all__ = ["FrameVoteClassifier", "GMMSpeakerClassifier", "SpeakerVerifier", "ScoreFusion",
           "SkvoiceKerasClassifier", "DenseGenderClassifier", "CNN1DGenderClassifier", "DenseSpeakerClassifier",
           "build_dense_gender_net", "build_cnn1d_gender_net", "build_dense_speaker_net",
           "HubertGender"]

# Estimators that need optional extras (torch, transformers, keras, resemblyzer) are imported
# on first access, so `import skvoice.classifiers` works with only the core dependencies installed.
_LAZY = {  # public name -> private submodule
    "SkvoiceKerasClassifier": "._keras",
    "DenseGenderClassifier": "._keras",
    "CNN1DGenderClassifier": "._keras",
    "DenseSpeakerClassifier": "._keras",
    "build_dense_gender_net": "._keras",
    "build_cnn1d_gender_net": "._keras",
    "build_dense_speaker_net": "._keras",
    "HubertGender": "._hubert",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
