"""Save and load fitted models: safe ``.skops`` files, or joblib pickles for files you trust.

:func:`save_model` writes a fitted estimator (any scikit-learn estimator or
pipeline, skvoice's or not) with a small metadata record: the skvoice and
scikit-learn versions that wrote it, when, the classes it predicts, and what
you pass as ``metadata=`` (task, training data...). :func:`load_model` reads it
back and :func:`read_model_metadata` reads only the record.

Two formats, chosen by the file suffix:

``.skops`` (recommended)
    The `skops <https://skops.readthedocs.io>`_ format: a zip archive that
    describes objects instead of pickling them. Loading it builds only
    *trusted* types, so a model file someone sends you cannot run code.
    Trusted are the types skops trusts by default (scikit-learn estimators,
    numpy and Python builtins) and every public skvoice estimator; anything
    else (your own classes, a third-party estimator, functions, and the
    scikit-learn internals skops leaves out on purpose, such as the trees of
    random forests and gradient boosting) is refused with
    :class:`UntrustedModelError` until you name it in ``trusted=``.
``.joblib``, ``.pkl``, ``.pickle``
    A joblib pickle. Unpickling can execute arbitrary code hidden in the
    file, so :func:`load_model` refuses pickles unless you pass
    ``allow_pickle=True``. Use it for models skops cannot describe (Keras
    networks) and for your own files only.

The format of an existing file is recognised from its content, not its
name: a pickle renamed to ``.skops`` is still refused without
``allow_pickle``. A file that is neither (an empty file, a ``.skops`` file
cut short by an interrupted download, an audio file) or that is damaged
raises a :class:`ValueError` that says so.
"""

from __future__ import annotations

import contextlib
import datetime
import importlib
import io
import json
import os
import pickle
import re
import struct
import zipfile
import zlib

from sklearn.base import BaseEstimator

from ._files import atomic_open
from ._persistence import IncompatibleVersionError, check_pickle_version

try:
    from lzma import LZMAError as _LZMAError
except ImportError:  # pragma: no cover - a Python built without lzma
    _LZMAError = OSError

__all__ = ["save_model", "load_model", "read_model_metadata", "UntrustedModelError"]

#: the member of a ``.skops`` archive that holds skvoice's metadata record (skops ignores it)
METADATA_MEMBER = "skvoice-metadata.json"
#: the key of the dict a joblib model file holds
_JOBLIB_MARKER = "skvoice_model_file"
_FORMAT_VERSION = 1
_SUFFIXES = {".skops": "skops", ".joblib": "joblib", ".pkl": "joblib", ".pickle": "joblib"}
#: skvoice subpackages whose public estimators are trusted in .skops files
_TRUSTED_SUBPACKAGES = ("features", "classifiers", "augment", "analysis", "metrics", "datasets")
#: skvoice's own helpers that hold the fitted state of public estimators (plain numpy data, no code), trusted
#: with them: SpeakerVerifier's scoring back end and trial scorer
_TRUSTED_INTERNAL = ("skvoice.classifiers._plda.EmbeddingBackend", "skvoice.classifiers._verification._TrialScorer")
#: (class path, parameter): estimators that unpickle a checkpoint *file* named by this parameter when they
#: run; trusted by default only when the parameter is not a file path
_CODE_LOADING_PARAMS = (("skvoice.features._wav2vec.Wav2VecChunker", "model"),)
#: how many bytes of a model file are read to recognise its format
_HEAD_BYTES = 16
#: what a zip archive (so a .skops file) starts with
_ZIP_PREFIX = b"PK\x03\x04"
#: pickle protocol 2 and later start with the PROTO opcode
_PICKLE_PREFIX = b"\x80"
#: how pickles of protocol 0 and 1 (no magic number) start: an object (GLOBAL "module\nname\n"), a dict or list
#: (protocol 0: MARK DICT/LIST PUT 0; protocol 1: EMPTY_DICT/EMPTY_LIST BINPUT 0)
_OLD_PICKLE_START = re.compile(rb"c[A-Za-z_][\w.]*\n[A-Za-z_]|\((?:dp|lp)0\n|[}\]]q\x00")
#: joblib's magic numbers: its pickles before 0.10, then zlib, gzip, bz2, xz, lzma and lz4 compression
_JOBLIB_PREFIXES = (b"ZF", b"\x78", b"\x1f\x8b", b"BZ", b"\xfd7zXZ", b"\x5d\x00", b"\x04\x22\x4d\x18")
#: audio files passed as a model by mistake, recognised to say so
_AUDIO_PREFIXES = ((b"RIFF", "a WAV"), (b"fLaC", "a FLAC"), (b"OggS", "an Ogg"), (b"ID3", "an MP3"))
#: what reading a damaged zip archive (or a damaged member of one) raises; RuntimeError: zipfile's "File ... is
#: encrypted" for a flipped flag bit (IncompatibleVersionError, a RuntimeError too, is let through)
_DAMAGED_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, KeyError, NotImplementedError, OSError,
                       UnicodeDecodeError, json.JSONDecodeError, RuntimeError)
#: what unpickling a damaged (truncated, corrupted) pickle or joblib file raises
_DAMAGED_PICKLE_ERRORS = (pickle.UnpicklingError, EOFError, KeyError, IndexError, ValueError, OSError, struct.error,
                          zlib.error, _LZMAError)


class UntrustedModelError(ValueError):
    """A model file would need types (or a pickle) that are not trusted to load.

    Attributes
    ----------
    path : str
        The model file.
    types : list of str
        The untrusted types, as ``"module.QualifiedName"`` (empty for a
        pickle file refused as a whole).
    """

    def __init__(self, message, *, path=None, types=()):
        super().__init__(message)
        self.path = None if path is None else str(path)
        self.types = list(types)


# ---------------------------------------------------------------------------------------------------------- save
def _format_of(path, format):
    if format is not None:
        if format not in ("skops", "joblib"):
            raise ValueError(f"format must be 'skops', 'joblib' or None (from the file suffix), got {format!r}.")
        return format
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    try:
        return _SUFFIXES[suffix]
    except KeyError:
        raise ValueError(f"Cannot tell the model format from the file name {os.fspath(path)!r}: use the suffix "
                         ".skops (safe to share; recommended) or .joblib/.pkl (a pickle), or pass format=.") from None


def _classes_of(model):
    classes = getattr(model, "classes_", None)
    if classes is None:
        return None
    try:
        return [c.item() if hasattr(c, "item") else c for c in list(classes)]
    except TypeError:  # pragma: no cover - exotic classes_
        return None


def _describe(model):
    steps = getattr(model, "steps", None)
    if isinstance(steps, list):
        return [f"{name}: {type(step).__name__}" for name, step in steps]
    return type(model).__name__


def _json_default(obj):
    if hasattr(obj, "tolist"):  # numpy scalars and arrays
        return obj.tolist()
    if isinstance(obj, (datetime.date, datetime.datetime)):
        return obj.isoformat()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"metadata values must be JSON serialisable (str, numbers, lists, dicts); got "
                    f"{type(obj).__name__}: {obj!r}")


def _metadata_record(model, metadata, fmt):
    import sklearn

    from . import __version__

    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict or None, got {type(metadata).__name__}.")
    record = {
        "skvoice_version": __version__,
        "sklearn_version": sklearn.__version__,
        "created": datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat(),
        "format": fmt,
        "estimator": _describe(model),
        "classes": _classes_of(model),
    }
    for key, value in (metadata or {}).items():
        if key == "skvoice_version":
            raise ValueError("metadata may not set 'skvoice_version': save_model writes the installed version.")
        record[str(key)] = value
    # round-trip through JSON now, so a bad value fails before anything is written
    return json.loads(json.dumps(record, default=_json_default))


def _skops():
    try:
        import skops.io as sio
    except ImportError:
        raise ImportError("The .skops model format needs skops: pip install 'skvoice[io]' (or save to a .joblib "
                          "file, which is a pickle).") from None
    return sio


def save_model(model, path, *, format=None, metadata=None):
    """Save a fitted model with a metadata record.

    Parameters
    ----------
    model : estimator
        Usually a fitted :class:`~sklearn.pipeline.Pipeline` from audio to
        labels (e.g. :func:`skvoice.recipes.gender_pipeline` after ``fit``).
        Any object skops (or, for joblib, pickle) can store is accepted.
    path : str or os.PathLike
        The file to write (replaced atomically if it exists). Its suffix
        picks the format unless ``format`` is given: ``.skops`` (safe to
        share) or ``.joblib`` / ``.pkl`` / ``.pickle`` (a pickle).
    format : {"skops", "joblib"} or None, default=None
        Force a format whatever the suffix.
    metadata : dict or None, default=None
        JSON-serialisable information stored beside the model, e.g.
        ``{"task": "gender", "data": "my recordings, 40 speakers"}``.
        ``skvoice_version``, ``sklearn_version``, ``created`` (UTC, ISO
        8601), ``format``, ``estimator`` (class or pipeline steps) and
        ``classes`` are filled in automatically (your keys override all
        but ``skvoice_version``).

    Returns
    -------
    path : str
        The absolute path written.

    Raises
    ------
    ValueError
        Unknown suffix or format; metadata that is not JSON serialisable
        (a :class:`TypeError`).
    FileNotFoundError
        When the folder of ``path`` does not exist.

    See Also
    --------
    load_model : Read the model back.
    read_model_metadata : Read only the metadata record.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skvoice.io import load_model, read_model_metadata, save_model
    >>> model = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), ["F", "F", "M", "M"])
    >>> path = save_model(model, os.path.join(tempfile.mkdtemp(), "model.skops"), metadata={"task": "demo"})
    >>> read_model_metadata(path)["classes"], read_model_metadata(path)["task"]
    (['F', 'M'], 'demo')
    >>> load_model(path).predict([[2.5]])
    array(['M'], dtype='<U1')
    """
    fmt = _format_of(path, format)
    path = os.path.abspath(os.path.expanduser(os.fspath(path)))
    record = _metadata_record(model, metadata, fmt)
    if fmt == "skops":
        sio = _skops()
        blob = io.BytesIO(sio.dumps(model, compression=zipfile.ZIP_DEFLATED))
        with zipfile.ZipFile(blob, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(METADATA_MEMBER, json.dumps(record, indent=2, sort_keys=True))
        with atomic_open(path, "wb") as fh:  # refuses a missing folder by name
            fh.write(blob.getvalue())
    else:
        import joblib

        payload = {_JOBLIB_MARKER: _FORMAT_VERSION, "metadata": record, "model": model}
        with atomic_open(path, "wb") as fh:
            joblib.dump(payload, fh, compress=3)
    return path


# ---------------------------------------------------------------------------------------------------------- load
def _check_exists(path):
    path = os.path.abspath(os.path.expanduser(os.fspath(path)))
    if not os.path.exists(path):
        raise FileNotFoundError(f"Model file {path!r} does not exist.")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path!r} is a folder, expected a model file (.skops or .joblib).")
    return path


def _looks_like_pickle(head):
    """True when ``head``, the first bytes of a file, start like a pickle or a (compressed) joblib file."""
    return bool(head.startswith((_PICKLE_PREFIX, *_JOBLIB_PREFIXES)) or _OLD_PICKLE_START.match(head))


def _not_a_model_message(path, head):
    size = os.path.getsize(path)
    audio = next((f"; it looks like {kind} audio file" for prefix, kind in _AUDIO_PREFIXES if head.startswith(prefix)),
                 "")
    return (f"{path} is not a skvoice model file: neither a .skops archive nor a joblib/pickle file ({size} bytes, "
            f"starting with {head[:8]!r}{audio}).")


def _file_format(path, allow_pickle):
    """``"skops"``, ``"joblib"`` or ``"other"`` (only with ``allow_pickle``) from the content of ``path``.

    Raises a clear ValueError for a file that cannot be a model: empty, or a zip archive cut short (its central
    directory, which :func:`zipfile.is_zipfile` looks for, is at the end); UntrustedModelError for a pickle when
    ``allow_pickle`` is False; and, unless ``allow_pickle``, a ValueError for anything else (a protocol 0 or 1
    pickle has no magic number: with ``allow_pickle``, such a file is unpickled as before).
    """
    with open(path, "rb") as fh:
        head = fh.read(_HEAD_BYTES)
    if zipfile.is_zipfile(path):
        return "skops"
    if not head:
        raise ValueError(f"{path} is empty (0 bytes), not a model file (an interrupted download or copy?).")
    if head.startswith(_ZIP_PREFIX):
        raise ValueError(
            f"{path} is a truncated or damaged .skops file (an interrupted download or copy?): it starts like a "
            f".skops (zip) archive but its end is missing or corrupt ({os.path.getsize(path)} bytes). Download or "
            "copy it again, or save the model again.")
    if _looks_like_pickle(head):
        if not allow_pickle:
            _refuse_pickle(path)
        return "joblib"
    if not allow_pickle:
        raise ValueError(_not_a_model_message(path, head))
    return "other"


def _cause(exc):
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__  # a bare EOFError has no message


@contextlib.contextmanager
def _reading_skops(path):
    """Turn what a damaged zip archive raises into a ValueError that says the file is damaged."""
    try:
        yield
    except IncompatibleVersionError:
        raise
    except _DAMAGED_ZIP_ERRORS as exc:
        raise ValueError(
            f"{path} is a damaged .skops file (an interrupted download or copy?): reading it failed with "
            f"{_cause(exc)}. Download or copy it again, or save the model again.") from exc


def _unpickle(path, fmt):
    """``joblib.load(path)``; a clear ValueError when the file is damaged (``fmt`` from :func:`_file_format`)."""
    import joblib

    try:
        return joblib.load(path)
    except IncompatibleVersionError:
        raise
    except Exception as exc:
        cause = _cause(exc)
        if fmt == "other":  # it did not look like a pickle to begin with
            with open(path, "rb") as fh:
                head = fh.read(_HEAD_BYTES)
            raise ValueError(f"{_not_a_model_message(path, head)} Unpickling it failed with {cause}.") from exc
        if not isinstance(exc, _DAMAGED_PICKLE_ERRORS):
            raise  # a sound pickle that cannot be built here, e.g. a missing module: its own message says why
        raise ValueError(
            f"{path} is a damaged pickle (joblib) file or not a model file: unpickling it failed with {cause}. "
            "An interrupted download or copy? Copy it again, or save the model again.") from exc


def _refuse_pickle(path):
    raise UntrustedModelError(
        f"{path} is a pickle (joblib) file, not a .skops file. Loading a pickle can execute arbitrary code "
        "stored in it. Load it only if you trust where it comes from: load_model(path, allow_pickle=True) "
        "(command line: --allow-pickle). Models you share should be saved as .skops.", path=path)


def _type_name(t):
    if isinstance(t, str):
        return t
    if isinstance(t, type) or callable(t):
        return f"{t.__module__}.{t.__qualname__}"
    raise TypeError(f"trusted must list type names (str) or types, got {t!r}.")


def _trusted_names(trusted):
    if trusted is None:
        return set()
    if isinstance(trusted, bool):
        raise TypeError("trusted=True is not supported: list the types you trust, e.g. "
                        "trusted=['mypackage.MyTransformer'] (UntrustedModelError.types names them).")
    if isinstance(trusted, (str, type)):
        trusted = [trusted]
    return {_type_name(t) for t in trusted}


def _is_public_skvoice_estimator(name):
    """True when ``name`` ("skvoice.<sub>.<module>.<Class>") is a BaseEstimator in ``skvoice.<sub>.__all__``."""
    parts = name.split(".")
    if len(parts) < 3 or parts[0] != "skvoice" or parts[1] not in _TRUSTED_SUBPACKAGES:
        return False
    try:
        package = importlib.import_module(f"skvoice.{parts[1]}")
    except ImportError:
        return False
    if parts[-1] not in getattr(package, "__all__", ()):
        return False
    try:
        obj = getattr(package, parts[-1])
    except (ImportError, AttributeError):  # an optional extra is missing: the type cannot be built anyway
        return False
    return (isinstance(obj, type) and issubclass(obj, BaseEstimator)
            and f"{obj.__module__}.{obj.__qualname__}" == name)


def _estimators_in(obj, seen=None, depth=0):
    """Every estimator reachable from ``obj`` through parameters and fitted attributes."""
    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 50:
        return
    seen.add(id(obj))
    if isinstance(obj, BaseEstimator):
        yield obj
        children = list(vars(obj).values())
    elif isinstance(obj, (list, tuple)):
        children = list(obj)
    elif isinstance(obj, dict):
        children = list(obj.values())
    else:
        return
    for child in children:
        if isinstance(child, (BaseEstimator, list, tuple, dict)):
            yield from _estimators_in(child, seen, depth + 1)


def _is_file_reference(ref):
    """A path (existing or not) that is not a folder: what Wav2VecChunker would unpickle as a checkpoint."""
    if isinstance(ref, os.PathLike):
        ref = os.fspath(ref)
    elif not isinstance(ref, str):
        return False
    looks_like_path = (os.path.exists(ref) or ref.startswith((".", "/", "~", "\\"))
                       or ref.lower().endswith((".pt", ".pth", ".ckpt", ".bin", ".pkl")))
    return looks_like_path and not os.path.isdir(os.path.expanduser(ref))


def _code_loading_references(model, trusted):
    """``(type name, description)`` of estimators in ``model`` that would unpickle a checkpoint file when run."""
    found = []
    for est in _estimators_in(model):
        name = f"{type(est).__module__}.{type(est).__qualname__}"
        for cls_name, param in _CODE_LOADING_PARAMS:
            if name == cls_name and name not in trusted:
                ref = getattr(est, param, None)
                if _is_file_reference(ref):
                    found.append((name, f"{type(est).__name__}({param}={ref!r}) unpickles that checkpoint file "
                                        "(torch.load(weights_only=False)) when it runs"))
    return found


def _read_skops_metadata(path):
    with _reading_skops(path), zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        if "schema.json" not in names:
            raise ValueError(f"{path} is a zip archive but not a .skops model file (no schema.json).")
        if METADATA_MEMBER not in names:
            return None
        return json.loads(archive.read(METADATA_MEMBER).decode("utf-8"))


def _load_skops(path, trusted):
    sio = _skops()
    metadata = _read_skops_metadata(path)
    if metadata is not None:  # before any object is built: a clear message instead of a failing __setstate__
        check_pickle_version(metadata.get("skvoice_version"), "model file")
    user = _trusted_names(trusted)
    with _reading_skops(path):
        found = sio.get_untrusted_types(file=path)
    refused = [t for t in found if t not in user and t not in _TRUSTED_INTERNAL and not _is_public_skvoice_estimator(t)]
    if refused:
        listed = "\n".join(f"  - {t}" for t in refused)
        raise UntrustedModelError(
            f"{path} contains {len(refused)} type(s) that are not trusted to load:\n{listed}\n"
            "Trusted are the types skops trusts by default (scikit-learn estimators, numpy, builtins) and "
            "skvoice's public estimators; skops leaves out some scikit-learn internals on purpose (e.g. the "
            "trees of tree ensembles, sklearn.tree._tree.Tree). "
            "If you trust the source of this file and the code of these types, load it with "
            f"load_model(path, trusted={refused!r}) (command line: "
            + " ".join(f"--trust {t}" for t in refused) + ").", path=path, types=refused)
    with _reading_skops(path):
        model = sio.load(path, trusted=list(found))
    risky = _code_loading_references(model, user)
    if risky:
        listed = "\n".join(f"  - {desc}" for _, desc in risky)
        types = sorted({name for name, _ in risky})
        raise UntrustedModelError(
            f"{path} holds estimator(s) that would execute code from another file when used:\n{listed}\n"
            f"If you trust those files, load it with load_model(path, trusted={types!r}).", path=path, types=types)
    return model, metadata or {}


def _load_joblib(path, fmt):
    obj = _unpickle(path, fmt)
    if isinstance(obj, dict) and _JOBLIB_MARKER in obj:
        metadata = obj.get("metadata") or {}
        check_pickle_version(metadata.get("skvoice_version"), "model file")
        return obj["model"], metadata
    return obj, {}  # a plain joblib/pickle file (skvoice estimators inside still check their version stamp)


def load_model(path, *, trusted=None, allow_pickle=False, return_metadata=False):
    """Load a model saved by :func:`save_model` (or any ``.skops`` / joblib file).

    Parameters
    ----------
    path : str or os.PathLike
        The model file. Its format is recognised from its content.
    trusted : list of str or type, default=None
        For ``.skops`` files: extra types to trust, as
        ``"module.QualifiedName"`` strings or the types themselves.
        Without it, only the types skops trusts (scikit-learn estimators,
        numpy, builtins) and skvoice's public estimators (the
        :class:`~sklearn.base.BaseEstimator` subclasses exported in the
        ``__all__`` of ``skvoice.features``, ``skvoice.classifiers``, ...)
        are built. A :class:`~skvoice.features.Wav2VecChunker` whose
        ``model`` is a checkpoint *file* is refused too unless its type is
        listed here, because it unpickles that file when it runs.
    allow_pickle : bool, default=False
        Allow loading a pickle (joblib) file. Unpickling can execute
        arbitrary code: pass True only for files you trust.
    return_metadata : bool, default=False
        Also return the metadata record (a dict; empty for files not
        written by :func:`save_model`).

    Returns
    -------
    model : estimator
    metadata : dict
        Only when ``return_metadata`` is True.

    Raises
    ------
    UntrustedModelError
        A ``.skops`` file holds types that are not trusted (the message and
        the exception's ``types`` list them), or the file is a pickle and
        ``allow_pickle`` is False.
    ValueError
        The file is not a model file (empty, neither a ``.skops`` archive
        nor a joblib/pickle file, or a zip archive that is not a ``.skops``
        file), or it is damaged: a ``.skops`` file truncated by an
        interrupted download or copy, or with a corrupt member; a pickle
        that fails to unpickle (with ``allow_pickle=True``). The original
        error is chained as ``__cause__``.
    skvoice.IncompatibleVersionError
        The file was written by a skvoice release of another major.minor
        version.
    FileNotFoundError
        The file does not exist.

    See Also
    --------
    save_model : Write a model file.
    read_model_metadata : Read only the metadata record.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skvoice.features import CMVN
    >>> from skvoice.io import load_model, save_model
    >>> X, y = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]]), [0, 0, 1, 1]
    >>> model = make_pipeline(CMVN(), LogisticRegression()).fit(X, y)
    >>> path = save_model(model, os.path.join(tempfile.mkdtemp(), "model.skops"))
    >>> model, info = load_model(path, return_metadata=True)
    >>> info["estimator"]
    ['cmvn: CMVN', 'logisticregression: LogisticRegression']
    """
    path = _check_exists(path)
    fmt = _file_format(path, allow_pickle)
    if fmt == "skops":
        model, metadata = _load_skops(path, trusted)
    else:
        model, metadata = _load_joblib(path, fmt)
    return (model, metadata) if return_metadata else model


def read_model_metadata(path, *, allow_pickle=False):
    """Read the metadata record of a model file without building the model (for ``.skops`` files).

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save_model`.
    allow_pickle : bool, default=False
        A joblib file's record can only be read by unpickling the whole
        file, which can execute code: allow it only for files you trust.

    Returns
    -------
    metadata : dict
        ``skvoice_version``, ``sklearn_version``, ``created``, ``format``,
        ``estimator``, ``classes`` and the keys passed as ``metadata=`` to
        :func:`save_model`; empty for a file it did not write.

    Raises
    ------
    UntrustedModelError
        For a pickle file when ``allow_pickle`` is False.
    ValueError
        The file is not a model file or is damaged (truncated, corrupt), as
        for :func:`load_model`.
    FileNotFoundError
        The file does not exist.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.dummy import DummyClassifier
    >>> from skvoice.io import read_model_metadata, save_model
    >>> path = save_model(DummyClassifier().fit([[0], [1]], ["a", "b"]),
    ...                   os.path.join(tempfile.mkdtemp(), "m.skops"), metadata={"task": "demo"})
    >>> info = read_model_metadata(path)
    >>> info["task"], info["estimator"], info["classes"]
    ('demo', 'DummyClassifier', ['a', 'b'])
    """
    path = _check_exists(path)
    fmt = _file_format(path, allow_pickle)
    if fmt == "skops":
        return _read_skops_metadata(path) or {}
    obj = _unpickle(path, fmt)
    return dict(obj.get("metadata") or {}) if isinstance(obj, dict) and _JOBLIB_MARKER in obj else {}
