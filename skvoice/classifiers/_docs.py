"""Docstring paragraphs shared by the classifiers, on top of the general ones of :mod:`skvoice._docs`.

A docstring line holding only ``%(name)s`` is replaced by the paragraph
``name`` (indented like the placeholder), as with :func:`skvoice._docs.fill_doc`;
:func:`fill_doc` here knows the paragraphs below as well as the general ones.
"""

from __future__ import annotations

from .._docs import doc_targets, fill_text
from .._docs import fill_doc as _fill_general_doc

__all__ = ["PARAGRAPHS", "fill_doc"]

PARAGRAPHS = {
    # ---------------------------------------------------------------------------------- embedding back ends
    "X_test_embeddings": """X : array-like of shape (n_recordings, n_features)
    Embeddings of test recordings.""",
    # the methods SpeakerVerifier and ScoreFusion share (_OpenSetMixin), which score X with speaker_scores
    "X_open_set": """X : array-like of shape (n_recordings, n_features) or recording set
    Test recordings, in the input of :meth:`speaker_scores`: embeddings
    for :class:`SpeakerVerifier`, what its systems take for
    :class:`ScoreFusion`.""",
    "unknown_label": """unknown_label : int, float or str, default=-1
    Label of rejected recordings; with a ``threshold`` it must be no
    enrolled speaker's label (``fit`` and ``predict`` refuse it).""",
    "random_state_folds": """random_state : int, RandomState instance or None, default=None
    Seeds the cross-fitting folds.""",
    "classes_speakers": """classes_ : ndarray of shape (n_speakers,)
    Enrolled speakers.""",
}
# the whole ``Parameters`` section of an _OpenSetMixin method whose only argument is X
PARAGRAPHS["parameters_X_open_set"] = "Parameters\n----------\n" + PARAGRAPHS["X_open_set"]


def fill_doc(obj):
    """Decorator: fill the placeholders of :data:`PARAGRAPHS`, then the general ones, of a function or a class.

    Like :func:`skvoice._docs.fill_doc` (a class and the methods it defines),
    which also raises a ``KeyError`` for a placeholder that neither knows.
    """
    for target in doc_targets(obj):
        target.__doc__ = fill_text(target.__doc__, PARAGRAPHS.get)
    return _fill_general_doc(obj)
