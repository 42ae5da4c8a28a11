"""Open-set identification on a whole model: set the rejection threshold of every speaker scorer inside it, and
predict with the speaker scores in one pass."""

from __future__ import annotations

import numbers

from .._sklearn_compat import validate_params
from ._verification import _OpenSetMixin

__all__ = ["set_threshold", "open_set_scorers", "predict_and_score"]


def _children(model):
    """The estimators a prediction of ``model`` goes through, fitted ones and the templates a refit clones."""
    from sklearn.pipeline import Pipeline

    from ..augment import AugmentedTrainer
    from ._router import BandwidthRouter

    if isinstance(model, AugmentedTrainer):
        return [getattr(model, "estimator_", None), model.estimator]
    if isinstance(model, BandwidthRouter):
        return [getattr(model, "wideband_", None), getattr(model, "narrowband_", None), model.wideband,
                model.narrowband]
    if isinstance(model, Pipeline):
        return [model.steps[-1][1]]
    return []


def open_set_scorers(model):
    """The speaker scorers (``SpeakerVerifier``, ``ScoreFusion``) that decide ``model``'s open-set rejection.

    The outermost ones: a ``ScoreFusion`` decides for the systems it fuses.
    Looks through ``AugmentedTrainer``, ``BandwidthRouter`` (both channel
    models) and a ``Pipeline``'s final step, fitted estimators and templates.
    """
    found, seen, stack = [], set(), [model]
    while stack:
        est = stack.pop(0)
        if est is None or id(est) in seen:
            continue
        seen.add(id(est))
        if isinstance(est, _OpenSetMixin):
            found.append(est)
        else:
            stack.extend(_children(est))
    return found


def predict_and_score(model, X):
    """``(model.predict(X), model.speaker_scores(X))`` with one pass of the audio through the model.

    ``predict`` of a speaker scorer is the argmax of its ``speaker_scores``
    (and the rejection): calling both would embed and score every recording
    twice. Looks through a fitted ``AugmentedTrainer``, a ``BandwidthRouter``
    (each channel's model scores its recordings) and a ``Pipeline`` (its
    transformers run once); any other model with ``speaker_scores`` is called
    twice.
    """
    from sklearn.pipeline import Pipeline

    from ..augment import AugmentedTrainer
    from ._router import BandwidthRouter

    if isinstance(model, _OpenSetMixin):
        scores = model.speaker_scores(X)
        return model._reject(scores), scores
    if isinstance(model, AugmentedTrainer) and hasattr(model, "estimator_"):
        return predict_and_score(model.estimator_, X)  # it predicts with its estimator on the input as given
    if isinstance(model, BandwidthRouter):
        labels, scores = model._route_outputs(predict_and_score, X)  # each channel with its own threshold
        return labels, scores
    if isinstance(model, Pipeline):
        Xt = model[:-1].transform(X) if len(model) > 1 else X
        return predict_and_score(model[-1], Xt)
    return model.predict(X), model.speaker_scores(X)


@validate_params({"model": [object], "threshold": [numbers.Real, None], "unknown_label": [numbers.Real, str, None]},
                 prefer_skip_nested_validation=True)
def set_threshold(model, threshold, *, unknown_label=None):
    """Set the open-set rejection threshold of every speaker scorer in a model, fitted or not.

    ``SpeakerVerifier`` and ``ScoreFusion`` return ``unknown_label`` for a
    recording whose best speaker score is below their ``threshold``. In a
    recipe model they sit inside an :class:`~skvoice.augment.AugmentedTrainer`
    and, for the robust speaker recipe, a :class:`BandwidthRouter` with one
    fusion per channel, and ``set_params`` on the wrapper changes only the
    unfitted templates, not the fitted fusions that predict. This sets both,
    everywhere, so a loaded model rejects strangers at once and a refit keeps
    the setting.

    Parameters
    ----------
    model : estimator
        Holds ``SpeakerVerifier`` or ``ScoreFusion`` estimators, possibly
        inside ``AugmentedTrainer``, ``BandwidthRouter`` and ``Pipeline``.
    threshold : float or None
        In the scorers' units: log-likelihood ratios for a ``ScoreFusion`` and
        a calibrated ``SpeakerVerifier`` (``np.log(99)``: odds of 99 to 1 that
        the recording is the best speaker's). ``None`` turns rejection off.
    unknown_label : int, float, str or None, default=None
        The label of a rejected recording; ``None`` keeps each scorer's own
        (``-1`` by default). It must not be an enrolled speaker's label.

    Returns
    -------
    model : estimator
        The same model, changed in place.

    Raises
    ------
    ValueError
        When the model holds no speaker scorer, or ``unknown_label`` is an
        enrolled speaker's label.

    See Also
    --------
    SpeakerVerifier, ScoreFusion : the scorers and their ``threshold``.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.classifiers import SpeakerVerifier, set_threshold
    >>> rng = np.random.RandomState(0)
    >>> centres = rng.standard_normal((6, 32))
    >>> X = np.repeat(centres, 8, axis=0) + 0.4 * rng.standard_normal((48, 32))
    >>> y = np.repeat(["ann", "bob", "cy", "dee", "eve", "fay"], 8)
    >>> model = SpeakerVerifier(normalization=None, random_state=0).fit(X, y)
    >>> stranger = rng.standard_normal((2, 32))
    >>> model.predict(stranger)  # closed set: every recording is one of the enrolled
    array(['bob', 'eve'], dtype='<U3')
    >>> set_threshold(model, np.log(99), unknown_label="unknown").predict(stranger)
    array(['unknown', 'unknown'], dtype='<U7')
    """
    scorers = open_set_scorers(model)
    if not scorers:
        raise ValueError(f"{type(model).__name__} holds no SpeakerVerifier or ScoreFusion (looked through "
                         "AugmentedTrainer, BandwidthRouter and a Pipeline's final step), so it has no open-set "
                         "threshold: its predictions are always one of the classes it was trained on.")
    params = {"threshold": threshold} if unknown_label is None else {"threshold": threshold,
                                                                     "unknown_label": unknown_label}
    for scorer in scorers:
        scorer.set_params(**params)
        if hasattr(scorer, "classes_"):
            scorer._check_unknown_label()
    return model
