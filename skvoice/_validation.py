"""Parameter checks that scikit-learn's ``validate_params`` constraints cannot express.

Types and ranges are checked with ``validate_params`` / ``_parameter_constraints``
(see :mod:`skvoice._sklearn_compat`); what is left here is about the *contents*
of a valid type, e.g. the names inside a list.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_labels_present", "check_names", "check_speaker_label_types", "forget_input_features",
           "label_positions"]


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


def check_labels_present(y, *, name):
    """Raise when labels are missing: NaN, None or pandas' NA (pandas' string dtypes give them as objects).

    Parameters
    ----------
    y : ndarray of shape (n_items,)
        Labels.
    name : str
        What ``y`` is called, for the message.
    """
    y = np.asarray(y)
    if y.dtype.kind == "f":
        missing = np.isnan(y)
    elif y.dtype.kind == "O":
        import pandas as pd

        missing = np.asarray(pd.isna(y), dtype=bool)
    else:
        return
    if missing.any():
        raise ValueError(f"{name} contains {int(missing.sum())} missing label(s) (NaN, None or NA), e.g. at "
                         f"position {int(np.flatnonzero(missing)[0])}; every item needs a label.")


def check_speaker_label_types(y, classes, *, what):
    """Raise when no label of ``y`` is among ``classes`` because one holds strings and the other numbers.

    ``"101"`` and ``101`` are different labels to numpy, so speaker IDs read
    as text from a protocol file never match a model's integer ``classes_``:
    every trial would silently be a non-target.

    Parameters
    ----------
    y : ndarray of shape (n_items,)
        The test items' speakers.
    classes : ndarray of shape (n_classes,)
        The enrolled speakers.
    what : str
        What ``classes`` are called, for the message.
    """
    y_values = np.asarray(y, dtype=object).ravel().tolist()
    class_values = np.asarray(classes, dtype=object).ravel().tolist()

    def kinds(values):
        return {isinstance(v, (str, bytes)) for v in values}

    if not (y_values and class_values) or kinds(y_values) == kinds(class_values):
        return
    try:
        if set(y_values) & set(class_values):
            return
    except TypeError:  # unhashable labels: nothing to say about them here
        return
    raise ValueError(f"No test label is one of the {what}: the test labels and the {what} are of different "
                     f"types (e.g. {y_values[0]!r} and {class_values[0]!r}). Convert one to the type of the other.")


def forget_input_features(estimator):
    """Delete ``n_features_in_`` / ``feature_names_in_`` before a refit that may not set them again.

    A meta-estimator fitted once on a feature matrix and then on audio (or whose new inner model has no
    ``n_features_in_``) must not keep the first fit's width: scikit-learn's refit contract, and
    ``validate_data(reset=False)`` would reject the new input against it.
    """
    for name in ("n_features_in_", "feature_names_in_"):
        if name in vars(estimator):
            delattr(estimator, name)


def label_positions(labels, classes):
    """The position of each label in ``classes``, -1 where it is none of them: ``(n_labels,)`` intp.

    Labels are matched by value, as Python compares them (any string dtype, numpy scalars, ``1 == 1.0``),
    never by sorting them together with ``classes`` (which fails for mixed types and numpy's StringDType).
    """
    index = {c: i for i, c in enumerate(np.asarray(classes).tolist())}
    return np.array([index.get(c, -1) for c in np.asarray(labels).tolist()], dtype=np.intp)
