"""Recording-level classifiers.

Names are loaded on first access (``lazy_loader``), so ``import skvoice.classifiers`` needs only the core
dependencies; the estimators that need optional extras (torch, transformers, keras) import them when used.
"""

import lazy_loader as _lazy

from .._optional import missing_extras as _missing_extras

_SUBMODULES = {
    "_frame_vote": ["FrameVoteClassifier"],
    "_gmm": ["GMMSpeakerClassifier"],
    "_verification": ["SpeakerVerifier", "ScoreFusion"],
    "_keras": ["SkvoiceKerasClassifier", "DenseGenderClassifier", "CNN1DGenderClassifier", "DenseSpeakerClassifier",
               "build_dense_gender_net", "build_cnn1d_gender_net", "build_dense_speaker_net"],
    "_hubert": ["HubertGender"],
    "_router": ["BandwidthRouter", "high_band_ratio"],
    "_open_set": ["set_threshold"],
}
_NEEDS = {"_keras": ["keras"], "_hubert": ["torch"]}  # submodules that import an extra as soon as they load

__getattr__, __dir__, _all = _lazy.attach(__name__, submod_attrs=_SUBMODULES)
# ``from skvoice.classifiers import *`` brings what this installation can import; the others, imported by name,
# raise an ImportError that names their extra
__all__ = [name for mod, names in _SUBMODULES.items() if not _missing_extras(_NEEDS.get(mod, [])) for name in names]
