"""Feature transformers: audio -> recording sets -> fixed vectors."""

from ._cmvn import CMVN
from ._mfcc import MFCCExtractor
from ._outliers import AllFramesOutlierWarning, OutlierFilter, outlier_counts
from ._pooling import StatsPooling

__all__ = ["MFCCExtractor", "CMVN", "OutlierFilter", "outlier_counts", "StatsPooling", "AllFramesOutlierWarning"]
