"""Recording-level classifiers."""

from ._frame_vote import FrameVoteClassifier
from ._gmm import GMMSpeakerClassifier

__all__ = ["FrameVoteClassifier", "GMMSpeakerClassifier"]
