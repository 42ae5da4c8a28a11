"""Feature transformers: audio -> recording sets -> fixed vectors.

Names are loaded on first access (``lazy_loader``), so ``import skvoice.features`` needs only the core
dependencies; the estimators that need optional extras (torch, transformers, resemblyzer, noisereduce) import
them when used.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(__name__, submod_attrs={
    "_mfcc": ["MFCCExtractor"],
    "_cmvn": ["CMVN"],
    "_outliers": ["OutlierFilter", "outlier_counts", "AllFramesOutlierWarning"],
    "_pooling": ["StatsPooling"],
    "_wav2vec": ["Wav2VecChunker"],
    "_embedding": ["SpeakerEmbedding"],
    "_xvector": ["XVectorEmbedding"],
    "_vad": ["VoiceActivityDetector", "speech_mask", "apply_speech_mask"],
    "_denoise": ["Denoise"],
})
