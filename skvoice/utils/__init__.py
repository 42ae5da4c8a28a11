"""Utilities for developers of skvoice-compatible estimators.

:mod:`skvoice.utils.estimator_checks` holds the recording-set contract that
every public skvoice estimator is tested against (import it explicitly: it is
not loaded by ``import skvoice``); :func:`with_feature_names` lets a frame
transformer's recording set carry its column names to the next step.
"""

from .._ragged import with_feature_names

__all__ = ["with_feature_names"]
