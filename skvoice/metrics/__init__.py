"""Speaker-verification metrics: EER, minimum and actual DCF, Cllr, DET plots, trial scorers.

Every metric takes binary trial labels (1 / ``True`` = target trial: the
claimed speaker is the true one) and one score per trial, larger meaning more
likely a target; a trial is accepted when ``score >= threshold``.
:func:`trial_scores` turns a (test items x enrolled speakers) score matrix into
such trials, and :func:`make_verification_scorer` wraps a metric for
``cross_validate`` / ``GridSearchCV``.
"""

from ._det import plot_det
from ._scorers import eer_scorer, make_verification_scorer, min_dcf_scorer, trial_scores
from ._verification import (
    actual_dcf,
    bayes_threshold,
    cllr,
    detection_operating_points,
    equal_error_rate,
    min_cllr,
    min_dcf,
)

__all__ = ["equal_error_rate", "min_dcf", "actual_dcf", "bayes_threshold", "cllr", "min_cllr",
           "detection_operating_points", "plot_det", "trial_scores", "make_verification_scorer", "eer_scorer",
           "min_dcf_scorer"]
