"""Recommended pipelines: the best unfitted estimators skvoice knows, from audio to labels.

Each function returns a fresh, unfitted scikit-learn estimator that takes
audio (file paths, or 16 kHz mono waveforms) and predicts a label per
recording, so it drops into ``cross_val_score``, ``GridSearchCV`` and
``Pipeline``. What each recipe is made of, and what it was measured to do,
is in its docstring.
"""

from __future__ import annotations

__all__ = ["gender_pipeline", "speaker_id_pipeline"]


def gender_pipeline(n_jobs=None, random_state=None):
    """Voice gender from audio: speech detection, GE2E speaker embedding, logistic regression.

    Parameters
    ----------
    n_jobs : int or None, default=None
        Parallel jobs over recordings for decoding and detection.
    random_state : int, RandomState or None, default=None
        Seeds everything random in the recipe.

    Returns
    -------
    model : sklearn.pipeline.Pipeline
        Unfitted; ``fit(X, y)`` with ``y`` the sex of each recording's
        speaker (any two labels, e.g. ``"F"``/``"M"``).

    Examples
    --------
    >>> from skvoice.recipes import gender_pipeline
    >>> model = gender_pipeline()
    >>> [name for name, _ in model.steps]
    ['vad', 'embedding', 'classifier']
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from .features import SpeakerEmbedding, VoiceActivityDetector

    return Pipeline([
        ("vad", VoiceActivityDetector(method="energy", n_jobs=n_jobs)),
        ("embedding", SpeakerEmbedding(vad=False, n_jobs=n_jobs)),
        ("classifier", LogisticRegression(C=1.0, max_iter=1000, random_state=random_state)),
    ])


def speaker_id_pipeline(n_jobs=None, random_state=None):
    """Speaker identification from audio: GE2E speaker embedding and a linear classifier.

    Parameters
    ----------
    n_jobs : int or None, default=None
        Parallel jobs over recordings for decoding.
    random_state : int, RandomState or None, default=None
        Seeds everything random in the recipe.

    Returns
    -------
    model : sklearn.pipeline.Pipeline
        Unfitted; ``fit(X, speakers)`` enrols the speakers.

    Examples
    --------
    >>> from skvoice.recipes import speaker_id_pipeline
    >>> [name for name, _ in speaker_id_pipeline().steps]
    ['embedding', 'classifier']
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from .features import SpeakerEmbedding

    return Pipeline([
        ("embedding", SpeakerEmbedding(n_jobs=n_jobs)),
        ("classifier", LogisticRegression(C=10.0, max_iter=2000, random_state=random_state)),
    ])
