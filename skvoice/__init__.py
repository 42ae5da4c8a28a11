"""skvoice: scikit-learn compatible speaker identification and voice gender classification."""

from ._audio import AudioError, load_audio
from ._hub import ModelNotAvailableError
from ._parallel import SkippedRecordingsWarning
from ._persistence import IncompatibleVersionError

__version__ = "0.2.8"

__all__ = ["AudioError", "SkippedRecordingsWarning", "IncompatibleVersionError", "ModelNotAvailableError", "load_audio",
           "__version__"]
