"""Shared docstring paragraphs (skvoice._docs): filling, indentation, and no placeholder left in the public API."""

import importlib
import inspect

import pytest

from skvoice._docs import PARAGRAPHS, fill_doc, fill_text

SUBPACKAGES = ["skvoice.analysis", "skvoice.classifiers", "skvoice.datasets", "skvoice.features", "skvoice.metrics"]


def _public_objects():
    for name in SUBPACKAGES:
        module = importlib.import_module(name)
        for attr in module.__all__:
            try:
                obj = getattr(module, attr)
            except ImportError:  # an optional extra is missing
                continue
            yield f"{name}.{attr}", obj
            if inspect.isclass(obj):
                for meth_name, meth in inspect.getmembers(obj, callable):
                    if not meth_name.startswith("_") or meth_name == "__init__":
                        yield f"{name}.{attr}.{meth_name}", meth


def test_no_placeholder_left_in_public_docstrings():
    unfilled = [name for name, obj in _public_objects() if "%(" in (inspect.getdoc(obj) or "")]
    assert not unfilled


def test_fill_text_indents_like_the_placeholder():
    doc = "Summary.\n\n    Parameters\n    ----------\n    %(y_recordings)s\n    z : int\n        Other.\n"
    filled = fill_text(doc, PARAGRAPHS.get)
    assert filled.splitlines()[4:8] == ["    y : array-like of shape (n_recordings,)",
                                        "        One label per recording.", "    z : int", "        Other."]
    # a placeholder inside a sentence, or an unknown one, is not a placeholder line: left alone
    assert fill_text("see %(y_recordings)s here", PARAGRAPHS.get) == "see %(y_recordings)s here"
    assert fill_text("    %(nope)s", PARAGRAPHS.get) == "    %(nope)s"


def test_fill_doc_fills_a_class_and_its_methods():
    @fill_doc
    class Thing:
        """A thing.

        Attributes
        ----------
        %(frame_features_in_)s
        """

        def fit(self, X, y):
            """Fit.

            Parameters
            ----------
            %(X_frames)s
            %(y_recordings)s
            """

    assert "n_features_in_ : int" in Thing.__doc__ and "feature_names_in_" in Thing.__doc__
    assert "        X : recording set" in Thing.fit.__doc__ and "%(" not in Thing.fit.__doc__


def test_fill_doc_fills_methods_behind_available_if():
    from sklearn.utils.metaestimators import available_if

    @fill_doc
    class Thing:
        @available_if(lambda self: True)
        def predict_proba(self, X):
            """Probabilities.

            %(parameters_X_frames)s

            %(returns_proba)s
            """

    doc = inspect.getdoc(Thing.predict_proba)
    assert "X : recording set" in doc and "proba : ndarray of shape (n_recordings, n_classes)" in doc
    assert "%(" not in doc


def test_fill_doc_rejects_an_unknown_placeholder():
    with pytest.raises(KeyError, match="no_such_paragraph"):
        @fill_doc
        def f():
            """Doc.

            %(no_such_paragraph)s
            """


def test_audio_estimators_fill_their_methods_docstrings():
    from skvoice._base import AudioTransformer
    from skvoice.augment import Gain
    from skvoice.features import MFCCExtractor

    class Thing(AudioTransformer):
        """A thing.

        Parameters
        ----------
        %(on_error)s
        """

        def transform(self, X):
            """Transform.

            %(parameters_X_audio)s
            """

    for method in (Thing.transform, Gain.transform, MFCCExtractor.transform):
        doc = inspect.getdoc(method)
        assert "Parameters\n----------\nX : sequence of str, os.PathLike or 1-D arrays\n" in doc and "%(" not in doc
    assert "on_error : " in Thing.__doc__


def test_chunked_model_estimators_document_the_shared_parameters_once():
    pytest.importorskip("transformers")
    from skvoice.classifiers import HubertGender
    from skvoice.features import XVectorEmbedding

    for name in ("chunked_model_input", "chunked_model_attributes_"):
        block = "\n".join("    " + line if line else "" for line in PARAGRAPHS[name].splitlines())
        for cls in (HubertGender, XVectorEmbedding):
            assert block in cls.__doc__, (cls.__name__, name)


def test_fits_that_only_check_the_audio_layout_share_their_parameters_section():
    from skvoice._base import _DOCS
    from skvoice.augment import AddNoise, Gain
    from skvoice.features import MFCCExtractor

    for cls in (AddNoise, Gain, MFCCExtractor):
        assert _DOCS["parameters_fit_X_unread"] in inspect.getdoc(cls.fit), cls.__name__
