"""Fitted models shipped inside the skvoice package (no download).

Each function loads a ``.skops`` file from this package's folder with
:func:`skvoice.io.load_model` (safe loading: only trusted types are built)
and returns a fitted scikit-learn estimator from audio to labels.
"""

from __future__ import annotations

import os

__all__ = ["gender_classifier"]

GENDER_MODEL = "gender.skops"
# the folder holding the model files (tests point it elsewhere)
_MODELS_DIR = os.path.dirname(os.path.abspath(__file__))


def _model_path(filename):
    return os.path.join(_MODELS_DIR, filename)


def _gender_extras():
    """The extras the shipped gender model needs: ``io`` for the .skops file, and its recipe's."""
    from ..recipes import _extras

    return ["io"] + _extras("gender")


def gender_classifier():
    """The shipped voice gender classifier: audio (file paths or 16 kHz waveforms) -> ``"F"`` / ``"M"``.

    It is :func:`skvoice.recipes.gender_pipeline` fitted on real
    LibriSpeech speech; the file's metadata (training data, measured
    accuracy) is read by ``skvoice.io.read_model_metadata`` on the file
    ``skvoice/pretrained/gender.skops``.

    Returns
    -------
    model : skvoice.augment.AugmentedTrainer
        Fitted (its ``estimator_`` is the fitted embedding + logistic
        regression pipeline); ``predict(paths)`` returns one label per
        recording and ``predict_proba`` the probability of each class in
        ``classes_``.

    Raises
    ------
    skvoice.ModelNotAvailableError
        When the model file is not in this installation of skvoice.
    ImportError
        When an optional dependency the model needs (skops for the file
        format; torch and resemblyzer for the speaker embedding) is missing.

    Examples
    --------
    >>> from skvoice.pretrained import gender_classifier
    >>> model = gender_classifier()  # doctest: +SKIP
    >>> model.predict(["alice.wav", "bob.flac"])  # doctest: +SKIP
    array(['F', 'M'], dtype=object)
    """
    from .._hub import ModelNotAvailableError
    from ..io import load_model

    path = _model_path(GENDER_MODEL)
    if not os.path.isfile(path):
        raise ModelNotAvailableError(
            f"The shipped gender model {path} is missing from this installation of skvoice. Reinstall skvoice "
            "(the file is package data), or train your own: skvoice train gender DATA --out gender.skops, then "
            "skvoice predict --model gender.skops FILES.")
    return load_model(path)
