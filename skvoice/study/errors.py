"""The two ways a study step can stop short of a result."""

from __future__ import annotations

__all__ = ["DataError", "Skipped", "short_error"]


class DataError(Exception):
    """No usable data: the message says exactly what to do (the CLI exits with code 2)."""


class Skipped(Exception):
    """A model or feature cannot run here (missing extra or model): reported as 'skipped', not as a failure."""


def short_error(exc, limit=300):
    """``"TypeName: message"`` of an exception, cut to at most ``limit`` characters."""
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) < limit else text[:limit - 3] + "..."
