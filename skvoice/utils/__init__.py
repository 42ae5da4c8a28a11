"""Utilities for developers of skvoice-compatible estimators.

:mod:`skvoice.utils.estimator_checks` holds the recording-set contract that
every public skvoice estimator is tested against (import it explicitly: it is
not loaded by ``import skvoice``).
"""

__all__ = []
