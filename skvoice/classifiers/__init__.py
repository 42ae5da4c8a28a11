"""Recording-level classifiers.

Names are loaded on first access (``lazy_loader``), so ``import skvoice.classifiers`` needs only the core
dependencies; the estimators that need optional extras (torch, transformers, keras) import them when used.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(__name__, submod_attrs={
    "_frame_vote": ["FrameVoteClassifier"],
    "_gmm": ["GMMSpeakerClassifier"],
    "_verification": ["SpeakerVerifier", "ScoreFusion"],
    "_keras": ["SkvoiceKerasClassifier", "DenseGenderClassifier", "CNN1DGenderClassifier", "DenseSpeakerClassifier",
               "build_dense_gender_net", "build_cnn1d_gender_net", "build_dense_speaker_net"],
    "_hubert": ["HubertGender"],
    "_router": ["BandwidthRouter", "high_band_ratio"],
})
