"""skvoice: scikit-learn compatible speaker identification and voice gender classification."""

from ._audio import AudioError, load_audio
from ._parallel import SkippedRecordingsWarning

__version__ = "0.1.0"

__all__ = ["AudioError", "SkippedRecordingsWarning", "load_audio", "__version__"]
