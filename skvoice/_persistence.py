"""Version stamp for pickles of skvoice estimators.

``pickle``/``joblib.dump`` of a skvoice estimator store its parameters and
fitted attributes plus the skvoice version that wrote them. Loading a pickle
written by a different major.minor release (pre-1.0: every minor release may
change fitted attributes) raises :class:`IncompatibleVersionError` with what to
do, instead of failing obscurely or predicting wrongly later.
"""

from __future__ import annotations

__all__ = ["IncompatibleVersionError", "VersionedPickleMixin", "check_pickle_version"]

_KEY = "_skvoice_version"


class IncompatibleVersionError(RuntimeError):
    """A pickled estimator was written by an incompatible skvoice release."""


def _major_minor(version):
    parts = str(version).split(".")
    return tuple(parts[:2])


def check_pickle_version(saved, obj_name="estimator"):
    """Raise :class:`IncompatibleVersionError` unless ``saved`` shares this skvoice's major.minor."""
    from . import __version__

    if saved is None:
        raise IncompatibleVersionError(
            f"This {obj_name} pickle carries no skvoice version stamp (written by a pre-release or another "
            f"library); this is skvoice {__version__}. Refit the model with this version.")
    if _major_minor(saved) != _major_minor(__version__):
        raise IncompatibleVersionError(
            f"This {obj_name} was pickled with skvoice {saved}, but skvoice {__version__} is installed; fitted "
            f"attributes are not compatible across minor releases. Install skvoice=={saved} to load it, or refit.")


class VersionedPickleMixin:
    """Adds the skvoice version to the pickled state and checks it when loading."""

    def __getstate__(self):
        from . import __version__

        state = super().__getstate__()
        state = dict(state) if state is not None else dict(self.__dict__)
        state[_KEY] = __version__
        return state

    def __setstate__(self, state):
        state = dict(state)
        check_pickle_version(state.pop(_KEY, None), type(self).__name__)
        super().__setstate__(state)
