"""Parameter checks that scikit-learn's ``validate_params`` constraints cannot express.

Types and ranges are checked with ``validate_params`` / ``_parameter_constraints``
(see :mod:`skvoice._sklearn_compat`); what is left here is about the *contents*
of a valid type, e.g. the names inside a list.
"""

from __future__ import annotations

__all__ = ["check_names"]


def check_names(values, allowed, *, param, what):
    """Return ``values`` (one name or a sequence of names) as a list: non-empty, all in ``allowed``, no duplicates.

    Parameters
    ----------
    values : str or sequence of str
        The names given by the user.
    allowed : collection of str
        The known names, in the order the error message lists them.
    param : str
        The parameter's name, for the messages.
    what : str
        What one name stands for (e.g. ``"statistic"``), for the messages.

    Returns
    -------
    names : list of str
    """
    names = [values] if isinstance(values, str) else list(values)
    if not names:
        raise ValueError(f"{param} must name at least one {what}.")
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise ValueError(f"Unknown {what}(s) {unknown}; choose from {list(allowed)}.")
    if len(set(names)) != len(names):
        raise ValueError(f"{param} has duplicates: {names}.")
    return names
