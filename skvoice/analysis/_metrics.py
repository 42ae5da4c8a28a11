"""Evaluation tables (per frame vs per recording, as in the study) and the confusion matrix plot."""

from __future__ import annotations

from numbers import Real

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .._sklearn_compat import StrOptions, validate_params
from ._plots import check_matplotlib, get_axes

__all__ = ["classification_table", "frame_recording_report", "plot_confusion_matrix"]

COLUMNS = ["accuracy", "precision", "recall", "f1", "support"]
INDEX_NAME = "Evaluation Type"
_AVERAGE = [StrOptions({"binary", "macro", "micro", "weighted"}), None]


def _resolve_average(classes, pos_label, average):
    """``(average, pos_label)`` for sklearn's metrics: binary on 2 classes, macro otherwise."""
    if average is None:
        average = "binary" if len(classes) == 2 else "macro"
    if average == "binary":
        if len(classes) > 2:
            raise ValueError(f"average='binary' needs at most 2 classes, found {len(classes)}: "
                             f"{list(classes)[:10]}. Use average='macro'.")
        if pos_label is None:
            if len(classes) < 2:
                raise ValueError(f"Only one class ({list(classes)}) is present: pass pos_label explicitly.")
            pos_label = classes[1]
        elif pos_label not in list(classes):
            raise ValueError(f"pos_label={pos_label!r} is not one of the classes {list(classes)}.")
    else:
        pos_label = 1  # ignored by sklearn for averaged scores
    return average, pos_label


def _scores(y_true, y_pred, classes, average, pos_label):
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    kw = {"average": average, "zero_division": 0}
    if average == "binary":
        kw["pos_label"] = pos_label
    else:
        kw["labels"] = list(classes)
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, **kw)
    return [float(accuracy_score(y_true, y_pred)), float(p), float(r), float(f), int(len(y_true))]


def _check_pair(y_true, y_pred, what="y_pred"):
    y_true = column_or_1d(y_true, warn=True)
    y_pred = column_or_1d(y_pred, warn=True)
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} labels but {what} has {len(y_pred)}.")
    if len(y_true) == 0:
        raise ValueError("Cannot score an empty set of predictions.")
    return y_true, y_pred


def _classes_of(*arrays):
    values = np.concatenate([np.asarray(a, dtype=object) for a in arrays])
    try:
        return np.unique(values)
    except TypeError:  # mixed, unorderable labels: keep first-seen order
        return np.asarray(list(dict.fromkeys(values.tolist())), dtype=object)


@validate_params({"y_true": ["array-like"], "y_pred": ["array-like", dict], "average": _AVERAGE,
                  "labels": ["array-like", None], "name": [str]}, prefer_skip_nested_validation=True)
def classification_table(y_true, y_pred, *, pos_label=None, average=None, labels=None, name="per recording"):
    """Accuracy, precision, recall and F1 in one table row per set of predictions.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,) or dict
        Predicted labels, or a dict mapping a row name (e.g. a model) to its
        predictions for ``y_true``.
    pos_label : label, optional
        Positive class of a binary task; default the second class in sorted
        order (``labels[1]``), which is what the study's 0/1 encoding scored.
    average : {"binary", "macro", "micro", "weighted"} or None, default=None
        ``None``: ``"binary"`` for two classes, else ``"macro"`` (unweighted
        mean over classes).
    labels : array-like, optional
        The classes; default the sorted union of ``y_true`` and predictions.
    name : str, default="per recording"
        Row name when ``y_pred`` is an array.

    Returns
    -------
    table : pandas.DataFrame
        One row per prediction set (index named ``"Evaluation Type"``);
        columns ``accuracy``, ``precision``, ``recall``, ``f1`` and
        ``support`` (number of scored samples).

    See Also
    --------
    frame_recording_report : The same table for frames and recordings of a
        :class:`~skvoice.classifiers.FrameVoteClassifier`.
    sklearn.metrics.classification_report : Per-class scores.

    Examples
    --------
    >>> from skvoice.analysis import classification_table
    >>> y_true = ["F", "F", "M", "M", "M"]
    >>> classification_table(y_true, {"model A": ["F", "M", "M", "M", "M"],
    ...                               "model B": ["F", "F", "M", "M", "F"]})
                     accuracy  precision    recall        f1  support
    Evaluation Type
    model A               0.8       0.75  1.000000  0.857143        5
    model B               0.8       1.00  0.666667  0.800000        5
    """
    preds = dict(y_pred) if isinstance(y_pred, dict) else {name: y_pred}
    if not preds:
        raise ValueError("y_pred is an empty dict; give at least one set of predictions.")
    checked = {}
    for key, pred in preds.items():
        yt, yp = _check_pair(y_true, pred, what=f"y_pred[{key!r}]" if isinstance(y_pred, dict) else "y_pred")
        checked[key] = (yt, yp)
    classes = np.asarray(labels, dtype=object) if labels is not None else _classes_of(
        next(iter(checked.values()))[0], *[p for _, p in checked.values()])
    average, pos_label = _resolve_average(classes, pos_label, average)
    rows = [_scores(yt, yp, classes, average, pos_label) for yt, yp in checked.values()]
    return pd.DataFrame(rows, index=pd.Index([str(k) for k in checked], name=INDEX_NAME), columns=COLUMNS)


def _split_pipeline(clf, X):
    """For a Pipeline ending in a frame-vote classifier: transform X once and return the final step."""
    from sklearn.pipeline import Pipeline

    if isinstance(clf, Pipeline):
        final = clf.steps[-1][1]
        if hasattr(final, "predict_frames"):
            check_is_fitted(final)
            return final, clf[:-1].transform(X) if len(clf.steps) > 1 else X
    return clf, X


@validate_params({"y": ["array-like"], "average": _AVERAGE}, prefer_skip_nested_validation=True)
def frame_recording_report(clf, X, y, *, pos_label=None, average=None):
    """Per-frame and per-recording scores of a fitted frame-vote classifier (the study's Task 1 table).

    The frame row scores every frame against its recording's label
    (``clf.predict_frames``); the recording row scores the voted recording
    labels (``clf.predict``).

    Parameters
    ----------
    clf : FrameVoteClassifier or Pipeline
        A fitted :class:`~skvoice.classifiers.FrameVoteClassifier` (or any
        classifier with ``predict_frames``), or a fitted Pipeline ending in
        one (``X`` then goes through the earlier steps once).
    X : recording set, or the Pipeline's input
        Recordings to evaluate.
    y : array-like of shape (n_recordings,)
        True label per recording.
    pos_label : label, optional
        Positive class of a binary task; default ``clf.classes_[1]`` (the
        second class, as the study scored it).
    average : {"binary", "macro", "micro", "weighted"} or None, default=None
        ``None``: ``"binary"`` for two classes, else ``"macro"``.

    Returns
    -------
    report : pandas.DataFrame
        Rows ``"per frame"`` and ``"per recording"`` (index named
        ``"Evaluation Type"``); columns ``accuracy``, ``precision``,
        ``recall``, ``f1`` and ``support`` (frames / recordings scored).

    See Also
    --------
    classification_table : The same columns for any predictions.
    skvoice.classifiers.FrameVoteClassifier : The evaluated model.

    Examples
    --------
    Six recordings of 40 two-dimensional frames, three per class: single
    frames overlap between the classes, whole recordings do not.

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skvoice.analysis import frame_recording_report
    >>> from skvoice.classifiers import FrameVoteClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = [rng.normal(loc, 1.0, size=(40, 2)) for loc in (-1, -1, -1, 1, 1, 1)]
    >>> y = ["F", "F", "F", "M", "M", "M"]
    >>> clf = FrameVoteClassifier(LogisticRegression()).fit(X, y)
    >>> frame_recording_report(clf, X, y).round(3)
                     accuracy  precision  recall     f1  support
    Evaluation Type
    per frame           0.917      0.917   0.917  0.917      240
    per recording       1.000      1.000   1.000  1.000        6
    """
    model, Xt = _split_pipeline(clf, X)
    if not (hasattr(model, "predict_frames") and hasattr(model, "predict")):
        raise TypeError(f"clf must be a FrameVoteClassifier (or have predict_frames and predict), "
                        f"got {type(model).__name__}.")
    check_is_fitted(model)
    frame_preds = model.predict_frames(Xt)
    rec_pred = np.asarray(model.predict(Xt))
    y = column_or_1d(y, warn=True)
    if len(y) != len(frame_preds):
        raise ValueError(f"X has {len(frame_preds)} recordings but y has {len(y)} labels.")
    lengths = np.array([len(p) for p in frame_preds], dtype=np.int64)
    y_frames = np.repeat(y, lengths)
    frames_pred = np.concatenate([np.asarray(p) for p in frame_preds]) if len(frame_preds) else np.empty(0)
    # the model's classes (so pos_label defaults to classes_[1]), then any label only y has
    known = list(getattr(model, "classes_", _classes_of(rec_pred)))
    seen = set(known)
    classes = np.asarray(known + [c for c in _classes_of(y) if c not in seen], dtype=object)
    average, pos_label = _resolve_average(classes, pos_label, average)

    def present(*arrays):  # averaged over the classes said or told, as scikit-learn: a class the model knows
        found = set(_classes_of(*arrays).tolist())  # that neither holds has no precision or recall (not 0)
        return [c for c in classes if c in found]

    rows = [_scores(y_frames, frames_pred, present(y, frames_pred), average, pos_label),
            _scores(y, rec_pred, present(y, rec_pred), average, pos_label)]
    return pd.DataFrame(rows, index=pd.Index(["per frame", "per recording"], name=INDEX_NAME), columns=COLUMNS)


@validate_params({"y_true": ["array-like"], "y_pred": ["array-like"], "labels": ["array-like", None],
                  "normalize": [StrOptions({"true", "pred", "all"}), None], "include_values": ["boolean", None],
                  "values_format": [str, None], "xticks_rotation": [StrOptions({"vertical", "horizontal"}), Real],
                  "colorbar": ["boolean"]}, prefer_skip_nested_validation=True)
def plot_confusion_matrix(y_true, y_pred, *, labels=None, normalize=None, include_values=None, cmap="Blues",
                          values_format=None, xticks_rotation="horizontal", colorbar=True, ax=None):
    """Confusion matrix of predictions (wraps :class:`sklearn.metrics.ConfusionMatrixDisplay`).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    labels : array-like, optional
        Classes, in display order; default the sorted union of labels.
    normalize : {"true", "pred", "all"} or None, default=None
        Normalise over true rows, predicted columns or everything.
    include_values : bool or None, default=None
        Write the value in each cell; ``None`` does so for at most 20 classes.
    cmap : str or matplotlib colormap, default="Blues"
        Colormap.
    values_format : str, optional
        Format of the cell values (default ``"d"`` for counts, ``".2g"`` when
        normalised).
    xticks_rotation : {"vertical", "horizontal"} or float, default="horizontal"
        Rotation of the predicted-label ticks.
    colorbar : bool, default=True
        Draw a colour bar.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is created when omitted.

    Returns
    -------
    display : sklearn.metrics.ConfusionMatrixDisplay
        With ``confusion_matrix``, ``figure_``, ``ax_`` and ``im_``.

    See Also
    --------
    classification_table : Scalar scores of the same predictions.

    Examples
    --------
    >>> from skvoice.analysis import plot_confusion_matrix
    >>> disp = plot_confusion_matrix(["F", "F", "M", "M"], ["F", "M", "M", "M"])
    >>> disp.confusion_matrix
    array([[1, 1],
           [0, 2]])
    """
    check_matplotlib("plot_confusion_matrix")
    from sklearn.metrics import ConfusionMatrixDisplay

    y_true, y_pred = _check_pair(y_true, y_pred)
    labels = _classes_of(y_true, y_pred) if labels is None else column_or_1d(labels)
    if len(labels) == 0:
        raise ValueError("labels must name at least one class.")
    if include_values is None:
        include_values = len(labels) <= 20
    _, (axis,) = get_axes("plot_confusion_matrix", ax, figsize=(max(4.5, 0.35 * len(labels) + 3),) * 2)
    return ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=labels, normalize=normalize, include_values=include_values, cmap=cmap,
        values_format=values_format, xticks_rotation=xticks_rotation, colorbar=colorbar, ax=axis)
