"""The recording-set contract every public skvoice estimator is tested against.

scikit-learn's :func:`~sklearn.utils.estimator_checks.parametrize_with_checks`
only knows 2-D arrays, while skvoice estimators consume and produce *recording
sets*: audio input (a 1-D sequence of file paths or 1-D waveforms), or frame
features (a 1-D object array of 2-D float32 arrays ``(n_frames_i,
n_features)``). This module checks what that data model promises: one output
item per recording, per-recording results that never depend on the rest of
the batch, alignment of failed recordings under ``on_error="skip"``, no state
change when predicting, refit and pickling behaviour, pandas output, cloning
and ``Pipeline(memory=...)`` caching.

Each check is a function ``check_*(name, estimator, input_kind=None)`` that
raises an ``AssertionError`` (or the estimator's own exception) when the
contract is broken and returns ``None`` otherwise. Checks clone the
estimator; they never modify it. What a check feeds the estimator follows its
*input kind* (see :func:`get_recording_tags`):

``"audio"``
    short synthetic voices from :func:`skvoice.datasets.make_voices`
    (0.3-0.6 s, different lengths), with ``"F"``/``"M"`` labels;
``"frames"``
    random ragged recording sets (1 to 12 frames per recording, float32);
``"2d"``
    plain 2-D float32 arrays of 12 or 14 features, one row per recording
    (estimators that only take fixed-length vectors, e.g. recording
    embeddings).

Estimators whose results depend on randomness must be given a fixed
``random_state``: several checks compare two fits.

:func:`parametrize_with_recording_checks` turns the checks into pytest
parameters (like scikit-learn's decorator) and :func:`check_recording_estimator`
runs all applicable checks at once.
"""

from __future__ import annotations

import functools
import os
import pickle
import tempfile
import time
import warnings
from dataclasses import dataclass

import joblib
import numpy as np
from sklearn import config_context
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags

__all__ = [
    "RecordingTags",
    "get_recording_tags",
    "check_recording_estimator",
    "parametrize_with_recording_checks",
    "check_transformer_recording_set",
    "check_classifier_one_label_per_recording",
    "check_recording_subset_invariance",
    "check_on_error_alignment",
    "check_dict_unchanged_recordings",
    "check_refit_resets_state",
    "check_pickle_roundtrip",
    "check_set_output_pandas",
    "check_clone_and_params",
    "check_pipeline_memory",
]

INPUT_KINDS = ("audio", "frames", "2d")

# Tolerances. The same computation twice (refit, unpickled copy) must agree to float32 round-off; a recording
# computed inside another batch may differ a little more (batched matrix products, batched neural networks).
_RTOL, _ATOL = 1e-5, 1e-6
_BATCH_RTOL, _BATCH_ATOL = 1e-4, 1e-5
# Parameters of an unfitted estimator are hashed by Pipeline(memory=...) on every fit: they must stay small.
_MAX_PARAMS_BYTES = 1_000_000
_MAX_HASH_SECONDS = 1.0

_PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")
_SAMPLE_RATE = 16000


# ----------------------------------------------------------------------------------------------------------------
# What an estimator consumes and is
# ----------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecordingTags:
    """How the recording-set checks see an estimator.

    Parameters
    ----------
    input_kind : {"audio", "frames", "2d"}
        What ``fit``/``transform``/``predict`` consume: audio recordings
        (paths or waveforms), ragged frame features, or plain 2-D vectors.
    role : {"transformer", "classifier", "other"}
        ``"classifier"`` when :func:`sklearn.base.is_classifier` says so,
        ``"transformer"`` when the estimator has ``transform``.
    has_on_error : bool
        Whether the estimator takes an ``on_error`` parameter (the
        ``"raise"``/``"warn"``/``"skip"`` policy for unusable recordings).
    output_kind : {"features", "audio"}
        ``"audio"`` for transformers whose output is again audio (a recording
        set of 1-D waveforms, e.g. voice activity detection or degradations;
        declared by a class attribute ``_output_kind = "audio"``), else
        ``"features"``.
    """

    input_kind: str
    role: str
    has_on_error: bool
    output_kind: str = "features"


def get_recording_tags(estimator, input_kind=None):
    """Infer the :class:`RecordingTags` of an estimator.

    The input kind is ``"audio"`` when the estimator's scikit-learn tags
    accept strings (``input_tags.string``: file paths), else ``"frames"``
    (skvoice's frame estimators accept ragged recording sets and plain 2-D
    arrays). Estimators that take fixed-length vectors only must be declared
    ``input_kind="2d"``.

    Parameters
    ----------
    estimator : estimator instance
        The estimator to describe.
    input_kind : {"audio", "frames", "2d"} or None, default=None
        Declared input kind; ``None`` infers it.

    Returns
    -------
    tags : RecordingTags
        The input kind, role and whether ``on_error`` exists.

    Examples
    --------
    >>> from skvoice.features import CMVN, MFCCExtractor
    >>> from skvoice.utils.estimator_checks import get_recording_tags
    >>> get_recording_tags(MFCCExtractor())
    RecordingTags(input_kind='audio', role='transformer', has_on_error=True, output_kind='features')
    >>> get_recording_tags(CMVN()).input_kind
    'frames'
    """
    if input_kind is None:
        input_kind = "audio" if get_tags(estimator).input_tags.string else "frames"
    if input_kind not in INPUT_KINDS:
        raise ValueError(f"input_kind must be one of {INPUT_KINDS} or None, got {input_kind!r}.")
    if is_classifier(estimator):
        role = "classifier"
    elif hasattr(estimator, "transform"):
        role = "transformer"
    else:
        role = "other"
    return RecordingTags(input_kind, role, "on_error" in estimator.get_params(deep=False),
                         getattr(estimator, "_output_kind", "features"))


# ----------------------------------------------------------------------------------------------------------------
# Test data (deterministic, small)
# ----------------------------------------------------------------------------------------------------------------
def _recording_set(items):
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


@functools.lru_cache(maxsize=4)
def _voices(variant):
    from ..datasets import make_voices

    if variant == "A":
        voices = make_voices(n_speakers=2, n_utterances=2, duration=0.6, random_state=0)
        durations = [0.6, 0.42, 0.5, 0.33]
        labels = voices.gender
    else:  # different voices, lengths, number of recordings and label spelling
        voices = make_voices(n_speakers=2, n_utterances=3, duration=0.5, random_state=1)
        durations = [0.5, 0.37, 0.45, 0.29, 0.5, 0.41]
        labels = np.where(voices.gender == "F", "female", "male")
    waves = [w[:int(round(d * _SAMPLE_RATE))] for w, d in zip(voices.waveforms, durations)]
    return tuple(waves), tuple(labels)


def _frames(variant):
    if variant == "A":
        seed, n_features, lengths, names = 0, 3, [7, 1, 12, 4, 9, 5], ["alice", "bob"]
    else:
        seed, n_features, lengths, names = 1, 4, [5, 10, 3, 8, 6, 2, 11, 4, 7], ["alice", "bob", "carol"]
    rng = np.random.RandomState(seed)
    labels = np.asarray([names[i % len(names)] for i in range(len(lengths))], dtype=object)
    items = [rng.normal(loc=1.5 * (i % len(names)), size=(n, n_features)).astype(np.float32)
             for i, n in enumerate(lengths)]
    return _recording_set(items), labels


def _vectors(variant):
    if variant == "A":
        n, n_features, names, seed = 24, 12, ["alice", "bob"], 0
    else:
        n, n_features, names, seed = 30, 14, ["alice", "bob", "carol"], 1
    rng = np.random.RandomState(seed)
    labels = np.asarray([names[i % len(names)] for i in range(n)], dtype=object)
    codes = np.searchsorted(np.asarray(names), labels)
    X = rng.normal(size=(n, n_features)).astype(np.float32)
    X[np.arange(n), codes] += 3.0
    return X, labels


def _data(tags, variant="A"):
    """``(X, y)`` for the estimator's input kind; ``variant="B"`` differs in size, features and labels."""
    if tags.input_kind == "audio":
        waves, labels = _voices(variant)
        return _recording_set([w.copy() for w in waves]), np.asarray(labels, dtype=object)
    if tags.input_kind == "frames":
        return _frames(variant)
    return _vectors(variant)


def _subset(X, idx):
    if isinstance(X, np.ndarray) and X.dtype != object:
        return X[idx]
    return _recording_set([X[i] for i in idx])


def _bad_recordings(tmp_dir):
    """Recordings every audio estimator must reject: ``{kind: item}``."""
    rng = np.random.RandomState(7)
    nan = (0.1 * rng.normal(size=8000)).astype(np.float32)
    nan[100:200] = np.nan
    return {
        "silent": np.zeros(8000, dtype=np.float32),
        "nan": nan,
        "too short": (0.1 * rng.normal(size=5)).astype(np.float32),
        "missing file": os.path.join(tmp_dir, "no-such-recording.wav"),
    }


def _write_wavs(waves, folder):
    import soundfile as sf

    paths = []
    for i, w in enumerate(waves):
        path = os.path.join(folder, f"recording-{i}.wav")
        sf.write(path, w, _SAMPLE_RATE, subtype="FLOAT")  # float samples: decoding gives the waveform back exactly
        paths.append(path)
    return paths


# ----------------------------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------------------------
def _is_recording_set(out):
    """A 1-D object array of arrays (labels in an object array are not a recording set)."""
    return (isinstance(out, np.ndarray) and out.dtype == object and out.ndim == 1 and len(out) > 0
            and all(isinstance(item, np.ndarray) for item in out))


def _describe(out):
    if isinstance(out, np.ndarray):
        return f"ndarray(shape={out.shape}, dtype={out.dtype})"
    return type(out).__name__ + (f"(shape={out.shape})" if hasattr(out, "shape") else "")


def _assert_same(a, b, what, *, rtol=_RTOL, atol=_ATOL):
    """Equal outputs: recording sets item by item, arrays (NaN == NaN), labels exactly."""
    if hasattr(a, "columns") or hasattr(b, "columns"):
        raise AssertionError(f"{what}: expected arrays, got {_describe(a)} and {_describe(b)}")
    if _is_recording_set(a) or _is_recording_set(b):
        if not (_is_recording_set(a) and _is_recording_set(b)):
            raise AssertionError(f"{what}: a recording set and {_describe(b if _is_recording_set(a) else a)}")
        if len(a) != len(b):
            raise AssertionError(f"{what}: {len(a)} vs {len(b)} recordings")
        for i, (x, z) in enumerate(zip(a, b)):
            _assert_same(np.asarray(x), np.asarray(z), f"{what}, recording {i}", rtol=rtol, atol=atol)
        return
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise AssertionError(f"{what}: shapes differ, {a.shape} vs {b.shape}")
    if np.issubdtype(a.dtype, np.number) and np.issubdtype(b.dtype, np.number):
        if not np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
            err = np.nanmax(np.abs(a.astype(np.float64) - b.astype(np.float64))) if a.size else 0.0
            raise AssertionError(f"{what}: values differ (max abs difference {err:.3g}, rtol={rtol}, atol={atol})")
    elif a.tolist() != b.tolist():
        raise AssertionError(f"{what}: {a.tolist()[:10]} != {b.tolist()[:10]}")


def _outputs(estimator, X, tags):
    """Everything the fitted estimator computes from ``X``: ``{method: output}``."""
    if tags.role == "transformer" and hasattr(estimator, "transform"):
        return {"transform": estimator.transform(X)}
    return {m: getattr(estimator, m)(X) for m in _PREDICT_METHODS if hasattr(estimator, m)}


def _fit(estimator, X, y):
    return estimator.fit(X, y)


# configuration that scikit-learn's clone() carries over on purpose: not fitted state
_CONFIG_ATTRIBUTES = {"_sklearn_output_config", "_metadata_request"}


def _fitted_state(estimator):
    """Names in ``__dict__`` that are neither constructor parameters nor configuration (fitted and private state)."""
    params = set(estimator.get_params(deep=False))
    return {k for k in vars(estimator) if k not in params and k not in _CONFIG_ATTRIBUTES}


def _digest(value, depth=0):
    """What "unchanged" means for one attribute value.

    Plain data (numbers, strings, numeric arrays and containers of them) is compared by value
    (``joblib.hash``), so in-place changes are caught; scikit-learn estimators and containers attribute by
    attribute; any other object (a loaded network: torch and Keras models update internal caches on every
    call) by identity.
    """
    if _is_plain(value):
        return ("value", joblib.hash(value))
    if depth < 4:
        if isinstance(value, BaseEstimator):
            return ("estimator", id(value), tuple(sorted((k, _digest(v, depth + 1)) for k, v in vars(value).items())))
        if isinstance(value, (list, tuple)):
            return ("sequence", id(value), tuple(_digest(v, depth + 1) for v in value))
        if isinstance(value, dict):
            return ("dict", id(value), tuple(sorted((repr(k), _digest(v, depth + 1)) for k, v in value.items())))
    return ("object", id(value))


def _fingerprint(estimator):
    """``{attribute: digest}`` of ``estimator.__dict__`` (see :func:`_digest`)."""
    return {k: _digest(v) for k, v in vars(estimator).items()}


def _is_plain(value):
    """Plain data (numbers, strings, numeric arrays and containers of them), compared by value after a refit.

    Other objects (fitted sub-models, networks) may carry incidental differences such as auto-generated layer
    names; they are judged by the estimator's outputs instead.
    """
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes, np.generic)):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype != object or all(_is_plain(v) for v in value.ravel())
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_is_plain(k) and _is_plain(v) for k, v in value.items())
    return False


def _failure_indices(estimator):
    """Indices of the recordings the estimator reported as failed (``failures_``), or None when it reports none.

    This is the one place that knows how skvoice estimators report skipped recordings.
    """
    failures = getattr(estimator, "failures_", None)
    if failures is None:
        return None
    return sorted(int(f["index"]) for f in failures)


def _check_applies(check, tags, *, roles=None, kinds=None, on_error=False):
    if roles is not None and tags.role not in roles:
        raise TypeError(f"{check} applies to {' and '.join(r + 's' for r in roles)} only, not to a {tags.role}.")
    if kinds is not None and tags.input_kind not in kinds:
        raise TypeError(f"{check} applies to {'/'.join(kinds)} input only, not to {tags.input_kind!r} input.")
    if on_error and not tags.has_on_error:
        raise TypeError(f"{check} applies to estimators with an on_error parameter only.")


def _fitted_on_data(check, estimator, input_kind, *, roles):
    """What a check that fits once on the standard data starts with: ``(tags, X, y, fitted clone)``."""
    tags = get_recording_tags(estimator, input_kind)
    _check_applies(check, tags, roles=roles)
    X, y = _data(tags)
    with _quiet():
        est = _fit(clone(estimator), X, y)
    return tags, X, y, est


class _quiet(warnings.catch_warnings):
    """Ignore warnings that are not what a check is about (convergence, outlier notices...)."""

    def __enter__(self):
        out = super().__enter__()
        warnings.simplefilter("ignore")
        return out


# ----------------------------------------------------------------------------------------------------------------
# The checks
# ----------------------------------------------------------------------------------------------------------------
def check_transformer_recording_set(name, estimator, input_kind=None):
    """A recording set in gives one output item per recording, in a layout the next step can use.

    Contract, for a transformer fitted and applied to a recording set of
    ``n`` recordings:

    * ``transform`` returns either a recording set (1-D object array of
      ``n`` 2-D float32 arrays sharing one width) or a 2-D array with ``n``
      rows; its width equals ``len(get_feature_names_out())`` when the
      estimator has that method, and every recording keeps at least one row;
    * a frame-to-frame transformer never adds frames: output item ``i`` has
      at most as many frames as input item ``i``;
    * ``fit_transform(X)`` equals ``fit(X).transform(X)``;
    * a list, an object array and a pandas Series of the same recordings give
      the same output; for audio, so do the same waveforms written to files;
    * for frame input, a plain 2-D array (each row a one-frame recording)
      gives a plain 2-D array with one row per input row, equal to the output
      for the same rows given as one-frame recordings.
    """
    import pandas as pd

    tags, X, y, est = _fitted_on_data("check_transformer_recording_set", estimator, input_kind, roles=("transformer",))
    n = len(X)
    with _quiet():
        out = est.transform(X)
        out_ft = clone(estimator).fit_transform(X, y)
    if _is_recording_set(out):
        if len(out) != n:
            raise AssertionError(f"{name}.transform: {n} recordings in, {len(out)} items out")
        widths = set()
        for i, item in enumerate(out):
            if tags.output_kind == "audio":  # waveforms out: 1-D float32, not empty
                if not (isinstance(item, np.ndarray) and item.ndim == 1 and item.dtype == np.float32 and item.size):
                    raise AssertionError(f"{name}.transform: item {i} is {_describe(item)}, not a non-empty "
                                         "1-D float32 waveform")
                continue
            if not (isinstance(item, np.ndarray) and item.ndim == 2):
                raise AssertionError(f"{name}.transform: item {i} is {_describe(item)}, not a 2-D array")
            if item.dtype != np.float32:
                raise AssertionError(f"{name}.transform: item {i} has dtype {item.dtype}; frames are float32")
            if item.shape[0] < 1:
                raise AssertionError(f"{name}.transform: recording {i} has no frames left")
            if tags.input_kind == "frames" and item.shape[0] > X[i].shape[0]:
                raise AssertionError(f"{name}.transform: recording {i} has {X[i].shape[0]} frames in but "
                                     f"{item.shape[0]} out")
            widths.add(item.shape[1])
        if tags.output_kind != "audio" and len(widths) != 1:
            raise AssertionError(f"{name}.transform: items have different widths {sorted(widths)}")
        width = widths.pop() if widths else None
    elif isinstance(out, np.ndarray) and out.ndim == 2:
        if out.shape[0] != n:
            raise AssertionError(f"{name}.transform: {n} recordings in, {out.shape[0]} rows out")
        width = out.shape[1]
    else:
        raise AssertionError(f"{name}.transform returned {_describe(out)}; expected a recording set (1-D object "
                             f"array of 2-D arrays) or a 2-D array with one row per recording")
    if hasattr(est, "get_feature_names_out") and width is not None:
        names = est.get_feature_names_out()
        if len(names) != width:
            raise AssertionError(f"{name}: get_feature_names_out() gives {len(names)} names for {width} features")
    _assert_same(out_ft, out, f"{name}: fit_transform(X) vs fit(X).transform(X)")

    with _quiet():
        if tags.input_kind != "2d":
            _assert_same(est.transform(list(X)), out, f"{name}: list input vs object-array input")
            _assert_same(est.transform(pd.Series(list(X))), out,
                         f"{name}: pandas Series input vs object-array input")
        if tags.input_kind == "audio":
            with tempfile.TemporaryDirectory() as folder:
                paths = _write_wavs(list(X), folder)
                _assert_same(est.transform(paths), out, f"{name}: file paths vs the same waveforms",
                             rtol=_BATCH_RTOL, atol=_BATCH_ATOL)
        if tags.input_kind == "frames":
            X2 = np.vstack([x[:1] for x in X])
            out2 = est.transform(X2)
            if not (isinstance(out2, np.ndarray) and out2.dtype != object and out2.ndim == 2):
                raise AssertionError(f"{name}.transform(2-D array) returned {_describe(out2)}; expected a 2-D array")
            if out2.shape != (X2.shape[0], width):
                raise AssertionError(f"{name}.transform(2-D array of shape {X2.shape}) returned shape {out2.shape}; "
                                     f"expected {(X2.shape[0], width)}")
            one_frame = est.transform(_recording_set([x[:1] for x in X]))
            ref = np.vstack(list(one_frame)) if _is_recording_set(one_frame) else one_frame
            _assert_same(out2, ref, f"{name}: 2-D input vs the same rows as one-frame recordings")


def check_classifier_one_label_per_recording(name, estimator, input_kind=None):
    """A classifier predicts exactly one label per recording, from string labels.

    Contract: after ``fit(X, y)`` with one string label per recording,
    ``classes_`` is the sorted set of labels of ``y``; ``predict`` returns a
    1-D array of ``n_recordings`` labels taken from ``classes_``;
    ``predict_proba`` (when present) has shape ``(n_recordings, n_classes)``
    with rows summing to 1; ``decision_function`` (when present) has
    ``n_recordings`` rows; ``y`` given as a list gives the same model; a
    ``y`` with a different number of labels than recordings is a
    ``ValueError``. Frame classifiers also accept a plain 2-D array (one
    row per recording).
    """
    tags, X, y, est = _fitted_on_data("check_classifier_one_label_per_recording", estimator, input_kind,
                                      roles=("classifier",))
    n = len(X)
    with _quiet():
        pred = est.predict(X)
    expected = np.unique(y)
    if not hasattr(est, "classes_"):
        raise AssertionError(f"{name}: no classes_ after fit")
    if np.asarray(est.classes_).tolist() != expected.tolist():
        raise AssertionError(f"{name}: classes_ is {np.asarray(est.classes_).tolist()}, expected the labels of y, "
                             f"{expected.tolist()}")
    pred = np.asarray(pred)
    if pred.shape != (n,):
        raise AssertionError(f"{name}.predict: {n} recordings in, output of shape {pred.shape}")
    unknown = set(pred.tolist()) - set(expected.tolist())
    if unknown:
        raise AssertionError(f"{name}.predict returned labels {sorted(map(str, unknown))} that are not in classes_")
    with _quiet():
        if hasattr(est, "predict_proba"):
            proba = np.asarray(est.predict_proba(X))
            if proba.shape != (n, len(expected)):
                raise AssertionError(f"{name}.predict_proba: shape {proba.shape}, expected {(n, len(expected))}")
            if not np.allclose(proba.sum(axis=1), 1.0, atol=1e-6):
                raise AssertionError(f"{name}.predict_proba: rows do not sum to 1")
        if hasattr(est, "decision_function"):
            scores = np.asarray(est.decision_function(X))
            if scores.shape[0] != n:
                raise AssertionError(f"{name}.decision_function: {n} recordings in, {scores.shape[0]} rows out")
        est_list = _fit(clone(estimator), X, list(y))
        _assert_same(est_list.predict(X), pred, f"{name}: y as a list vs y as an array")
    try:
        with _quiet():
            clone(estimator).fit(X, y[:-1])
    except ValueError:
        pass
    else:
        raise AssertionError(f"{name}.fit accepted {n} recordings with {n - 1} labels")
    if tags.input_kind == "frames":
        X2 = np.vstack([x[:1] for x in X])
        with _quiet():
            pred2 = np.asarray(_fit(clone(estimator), X2, y).predict(X2))
        if pred2.shape != (X2.shape[0],):
            raise AssertionError(f"{name}.predict(2-D array of shape {X2.shape}) gave shape {pred2.shape}")


def check_recording_subset_invariance(name, estimator, input_kind=None):
    """The result for a recording never depends on the other recordings of the batch.

    Contract: for a fitted estimator, the output of ``transform`` (or of
    ``predict``, ``predict_proba``, ``predict_log_proba`` and
    ``decision_function``) for each recording equals the output for that
    recording processed alone, and reversing the order of the recordings
    reverses the outputs. This is what keeps outputs aligned with ``y`` and
    ``groups`` whatever the batching (blocks of files, batched networks).
    """
    tags, X, y, est = _fitted_on_data("check_recording_subset_invariance", estimator, input_kind,
                                      roles=("transformer", "classifier"))
    n = len(X)
    with _quiet():
        full = _outputs(est, X, tags)
        reverse = _outputs(est, _subset(X, np.arange(n)[::-1]), tags)
        alone = [_outputs(est, _subset(X, [i]), tags) for i in range(n)]
    for method, out in full.items():
        rows = list(out) if _is_recording_set(out) else [out[i] for i in range(n)]
        rev = reverse[method]
        rev_rows = list(rev) if _is_recording_set(rev) else [rev[i] for i in range(n)]
        for i in range(n):
            single = alone[i][method]
            _assert_same(single[0], rows[i], f"{name}.{method}: recording {i} alone vs in the batch",
                         rtol=_BATCH_RTOL, atol=_BATCH_ATOL)
            _assert_same(rev_rows[n - 1 - i], rows[i], f"{name}.{method}: recording {i} in reversed order",
                         rtol=_BATCH_RTOL, atol=_BATCH_ATOL)


def check_on_error_alignment(name, estimator, input_kind=None):
    """Unusable recordings keep their slot: outputs stay aligned with ``y`` under ``on_error``.

    Contract, for a batch ``[good, bad, good, good]`` where ``bad`` is a
    silent waveform, a waveform with NaN, a 5-sample waveform or a missing
    file:

    * ``on_error="raise"`` raises :class:`skvoice.AudioError`;
    * ``on_error="skip"`` returns one output per recording, without warning;
      every good recording's output is identical to processing the good
      recordings alone; the bad slot holds a placeholder (a 0-row array in a
      recording set, a row of NaN in a 2-D output or ``predict_proba``,
      ``None`` or NaN from ``predict``); ``failures_`` lists exactly the bad
      index, and a refit empties it;
    * ``on_error="warn"`` does the same and warns
      :class:`skvoice.SkippedRecordingsWarning`.
    """
    from .. import AudioError, SkippedRecordingsWarning

    tags = get_recording_tags(estimator, input_kind)
    _check_applies("check_on_error_alignment", tags, roles=("transformer", "classifier"), kinds=("audio",),
                   on_error=True)
    X, y = _data(tags)
    good = [X[0], X[1], X[2]]
    bad_at = 1
    with tempfile.TemporaryDirectory() as folder:
        for kind, bad in _bad_recordings(folder).items():
            goods = good
            if isinstance(bad, str):  # a missing file among files
                goods = _write_wavs(good, folder)
            batch = _recording_set([goods[0], bad, goods[1], goods[2]])
            with _quiet():
                ref_est = _fit(clone(estimator).set_params(on_error="raise"), X, y)
                ref = _outputs(ref_est, _recording_set(goods), tags)
            try:
                with _quiet():
                    _outputs(ref_est, batch, tags)
            except AudioError:
                pass
            else:
                raise AssertionError(f"{name}(on_error='raise') accepted a {kind} recording")
            for policy in ("skip", "warn"):
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    est = _fit(clone(estimator).set_params(on_error=policy), X, y)
                    outs = _outputs(est, batch, tags)
                    failed = _failure_indices(est)
                skipped = [w for w in caught if issubclass(w.category, SkippedRecordingsWarning)]
                where = f"{name}(on_error={policy!r}) with a {kind} recording at index {bad_at}"
                if policy == "skip" and skipped:
                    raise AssertionError(f"{where}: warned SkippedRecordingsWarning; 'skip' is silent")
                if policy == "warn" and not skipped:
                    raise AssertionError(f"{where}: no SkippedRecordingsWarning")
                if failed is None:
                    raise AssertionError(f"{where}: the estimator has no failures_ attribute listing the skipped "
                                         "recordings (the reporting is read by estimator_checks._failure_indices)")
                if failed != [bad_at]:
                    raise AssertionError(f"{where}: failures_ lists {failed}, expected [{bad_at}]")
                if policy == "skip":
                    with _quiet():
                        _fit(est, X, y)
                    stale = _failure_indices(est)
                    if stale:
                        raise AssertionError(f"{where}: after a refit failures_ still lists {stale} (a refit keeps "
                                             "nothing of earlier calls)")
                for method, out in outs.items():
                    _check_placeholder_output(out, ref[method], bad_at, f"{where}, {method}")


def _check_placeholder_output(out, ref, bad_at, where):
    n = len(ref) + 1
    if len(out) != n:
        raise AssertionError(f"{where}: {n} recordings in, {len(out)} outputs")
    keep = [i for i in range(n) if i != bad_at]
    if _is_recording_set(ref):  # a recording set stays one: its placeholder is a 0-row array, never None
        if not (isinstance(out, np.ndarray) and out.dtype == object and out.ndim == 1):
            raise AssertionError(f"{where}: returned {_describe(out)}; expected a recording set")
        placeholder = out[bad_at]
        shape = (0,) if np.asarray(ref[0]).ndim == 1 else (0, np.asarray(ref[0]).shape[1])  # waveforms or frames
        if not (isinstance(placeholder, np.ndarray) and placeholder.shape == shape):
            raise AssertionError(f"{where}: placeholder is {_describe(placeholder)}; expected a {shape} array")
        _assert_same(_recording_set([out[i] for i in keep]), ref, f"{where}: good recordings vs processed alone",
                     rtol=_BATCH_RTOL, atol=_BATCH_ATOL)
        return
    out = np.asarray(out)
    if out.ndim == 2:
        if not np.isnan(out[bad_at].astype(np.float64)).all():
            raise AssertionError(f"{where}: placeholder row is {out[bad_at][:5]}...; expected NaN")
    else:
        value = out[bad_at]
        if not (value is None or (isinstance(value, float) and np.isnan(value))):
            raise AssertionError(f"{where}: placeholder is {value!r}; expected None or NaN")
    _assert_same(out[keep], ref, f"{where}: good recordings vs processed alone", rtol=_BATCH_RTOL, atol=_BATCH_ATOL)


def check_dict_unchanged_recordings(name, estimator, input_kind=None):
    """``transform`` and the predict methods do not change the estimator's state.

    Contract (scikit-learn's ``check_dict_unchanged`` for recording sets):
    every entry of ``estimator.__dict__`` is the same before and after
    ``transform``, ``predict``, ``predict_proba``, ``predict_log_proba`` and
    ``decision_function``, and no entry is added or removed. Plain data
    (arrays, numbers, strings and containers of them) is compared by value
    with ``joblib.hash``, so in-place changes count; fitted scikit-learn
    sub-estimators attribute by attribute; other objects (loaded torch or
    Keras networks, whose internal caches change on every call) by identity.
    Estimators with ``on_error`` are also run with ``on_error="skip"`` on a
    batch holding a silent recording, since per-call diagnostics are a
    typical place for state to leak.
    """
    tags = get_recording_tags(estimator, input_kind)
    X, y = _data(tags)
    runs = [("", clone(estimator), X)]
    if tags.has_on_error and tags.input_kind == "audio":
        batch = _recording_set([X[0], np.zeros(8000, dtype=np.float32), X[1]])
        runs.append((" with on_error='skip' and a silent recording", clone(estimator).set_params(on_error="skip"),
                     batch))
    for label, est, data in runs:
        with _quiet():
            _fit(est, X, y)
        methods = ["transform"] if tags.role == "transformer" else []
        methods += [m for m in _PREDICT_METHODS if hasattr(est, m)]
        for method in methods:
            before = _fingerprint(est)
            with _quiet():
                getattr(est, method)(data)
            after = _fingerprint(est)
            if before != after:
                added = sorted(set(after) - set(before))
                removed = sorted(set(before) - set(after))
                changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
                raise AssertionError(
                    f"{name}.{method}{label} changed the estimator's state: added {added}, removed {removed}, "
                    f"changed {changed}")


def _variants(estimator):
    """``(param, value)`` pairs for the other values of boolean and string-option parameters."""
    from .._sklearn_compat import StrOptions

    params = estimator.get_params(deep=False)
    constraints = getattr(estimator, "_parameter_constraints", {})
    out = []
    for param, options in constraints.items():
        if param not in params or param == "verbose":
            continue
        current = params[param]
        values = []
        for c in options:
            if c == "boolean":
                values += [True, False]
            elif isinstance(c, StrOptions):
                values += sorted(c.options - getattr(c, "internal", set()))
        for v in values:
            if v != current or type(v) is not type(current):
                out.append((param, v))
    return out


def check_refit_resets_state(name, estimator, input_kind=None):
    """Refitting forgets everything the previous fit learned, whatever its parameters were.

    Contract: fitting on data A and then on data B (more recordings, another
    feature width for frames, other labels for classifiers) gives the same
    fitted attributes (the same names; the same values for plain data such
    as arrays, numbers and strings) and the same outputs on B as a fresh fit
    on B alone.
    This is also tested after a first fit with each other value of every
    boolean and string-option parameter (then set back), so that attributes
    that only exist for some parameters (e.g. ``ubm_``, ``scale_``) do not
    survive a refit with parameters that do not make them. Variants whose
    first fit fails (e.g. ``device="cuda"`` without CUDA) are skipped.
    """
    tags = get_recording_tags(estimator, input_kind)
    XA, yA = _data(tags, "A")
    XB, yB = _data(tags, "B")
    original = estimator.get_params(deep=False)
    with _quiet():
        ref = _fit(clone(estimator), XB, yB)
        ref_out = _outputs(ref, XB, tags)
    ref_state = _fitted_state(ref)
    ref_hashes = _fingerprint(ref)
    for param, value in [(None, None)] + _variants(estimator):
        est = clone(estimator)
        label = "fit(A) then fit(B)" if param is None else f"fit(A) with {param}={value!r}, then fit(B) with " \
                                                          f"{param}={original[param]!r}"
        if param is not None:
            est.set_params(**{param: value})
        try:
            with _quiet():
                _fit(est, XA, yA)
        except Exception:
            if param is None:
                raise
            continue  # an invalid or unavailable combination: nothing to reset
        if param is not None:
            est.set_params(**{param: original[param]})
        with _quiet():
            _fit(est, XB, yB)
            out = _outputs(est, XB, tags)
        state = _fitted_state(est)
        if state != ref_state:
            raise AssertionError(f"{name}: {label} leaves attributes {sorted(state - ref_state)} and lacks "
                                 f"{sorted(ref_state - state)} compared with fit(B) alone")
        hashes = _fingerprint(est)
        differ = sorted(k for k in state if hashes[k][0] == "value" and hashes[k] != ref_hashes[k])
        if differ:
            raise AssertionError(f"{name}: after {label}, fitted attributes {differ} differ from fit(B) alone")
        for method, value_out in out.items():
            _assert_same(value_out, ref_out[method], f"{name}.{method} after {label} vs after fit(B) alone")


def check_pickle_roundtrip(name, estimator, input_kind=None):
    """A pickled and unpickled fitted estimator computes the same outputs.

    Contract: ``pickle.loads(pickle.dumps(fitted))`` is of the same type,
    has the same parameters, and its ``transform`` / predict-method outputs
    on the training recordings equal the original's (models that are not
    pickled, such as pretrained networks, are reloaded transparently).
    """
    tags = get_recording_tags(estimator, input_kind)
    X, y = _data(tags)
    with _quiet():
        est = _fit(clone(estimator), X, y)
        before = _outputs(est, X, tags)
        copy = pickle.loads(pickle.dumps(est))
        after = _outputs(copy, X, tags)
    if type(copy) is not type(est):
        raise AssertionError(f"{name}: unpickled a {type(copy).__name__}")
    if joblib.hash(copy.get_params(deep=False)) != joblib.hash(est.get_params(deep=False)):
        raise AssertionError(f"{name}: parameters changed through pickling")
    for method, out in before.items():
        _assert_same(after[method], out, f"{name}.{method} after a pickle round trip")


def _expect_pandas(out, ref, columns, where):
    import pandas as pd

    if _is_recording_set(ref):
        if not _is_recording_set(out):
            raise AssertionError(f"{where}: a recording set must pass through unwrapped, got {_describe(out)}")
        _assert_same(out, ref, where)
        return
    if not isinstance(out, pd.DataFrame):
        raise AssertionError(f"{where}: expected a pandas DataFrame, got {_describe(out)}")
    if list(out.columns) != list(columns):
        raise AssertionError(f"{where}: columns {list(out.columns)[:5]}... are not get_feature_names_out() "
                             f"{list(columns)[:5]}...")
    _assert_same(out.to_numpy(), ref, where)


def check_set_output_pandas(name, estimator, input_kind=None):
    """Pandas output works: ragged outputs pass through unwrapped, 2-D outputs become DataFrames.

    Contract, for transformers, with ``set_output(transform="pandas")`` and
    with ``sklearn.set_config(transform_output="pandas")``, alone and as a
    step of a :class:`~sklearn.pipeline.Pipeline`: ``transform`` and
    ``fit_transform`` return the very same recording set as without pandas
    output when the output is ragged (still a 1-D object array), or a
    DataFrame with ``get_feature_names_out()`` columns and the same values
    when it is 2-D. A ragged output followed by
    :class:`~skvoice.features.StatsPooling` gives a DataFrame whose columns
    are the Pipeline's ``get_feature_names_out()`` (the recording set of
    frames carries its column names to the pooling step). Switching
    back (``set_output(transform="default")``) gives arrays again. For
    classifiers: ``fit``/``predict`` under ``transform_output="pandas"``
    give the same predictions as without it.
    """
    from ..features import MFCCExtractor, StatsPooling

    tags = get_recording_tags(estimator, input_kind)
    _check_applies("check_set_output_pandas", tags, roles=("transformer", "classifier"))

    def pooling():  # a recording set of frames is pooled; one of waveforms is first turned into MFCC frames
        return Pipeline([("mfcc", MFCCExtractor()), ("pool", StatsPooling())]) if tags.output_kind == "audio" \
            else StatsPooling()

    X, y = _data(tags)
    with _quiet():
        ref_est = _fit(clone(estimator), X, y)
        ref = _outputs(ref_est, X, tags)
    if tags.role == "classifier":
        with _quiet(), config_context(transform_output="pandas"):
            out = _outputs(_fit(clone(estimator), X, y), X, tags)
        for method, value in out.items():
            _assert_same(value, ref[method], f"{name}.{method} under transform_output='pandas'")
        return
    ref = ref["transform"]
    columns = ref_est.get_feature_names_out() if not _is_recording_set(ref) else None
    if _is_recording_set(ref):
        with _quiet():
            pooled_ref = pooling().fit(ref).transform(ref)

    def run(where, make, pooled=False):
        try:
            with _quiet():
                model = make()
                fitted = model.fit(X, y)
                out = fitted.transform(X)
                out_ft = make().fit_transform(X, y)
        except Exception as exc:
            raise AssertionError(f"{where} raised {type(exc).__name__}: {exc}") from exc
        if pooled:
            # the names the whole Pipeline gives (a frame step's recording set carries its column names to the
            # pooling step), which are the pooling step's own as well
            pool = fitted[-1][-1] if isinstance(fitted[-1], Pipeline) else fitted[-1]
            expected, cols = pooled_ref, fitted.get_feature_names_out()
            own = list(pool.get_feature_names_out())
            if own != list(cols):
                raise AssertionError(f"{where}: the pooling step names its columns {own[:4]}... but the Pipeline "
                                     f"says {list(cols)[:4]}...")
        else:
            expected, cols = ref, columns
        _expect_pandas(out, expected, cols, f"{where}: transform")
        _expect_pandas(out_ft, expected, cols, f"{where}: fit_transform")
        return fitted

    est = run(f"{name}.set_output(transform='pandas')", lambda: clone(estimator).set_output(transform="pandas"))
    with _quiet():
        est.set_output(transform="default")
        _assert_same(est.transform(X), ref, f"{name}: transform after set_output(transform='default')")
    with config_context(transform_output="pandas"):
        run(f"{name} under set_config(transform_output='pandas')", lambda: clone(estimator))

    def pipe():
        return Pipeline([("est", clone(estimator)), ("last", "passthrough")])

    run(f"Pipeline([{name}, 'passthrough']).set_output(transform='pandas')",
        lambda: pipe().set_output(transform="pandas"))
    with config_context(transform_output="pandas"):
        run(f"Pipeline([{name}, 'passthrough']) under set_config(transform_output='pandas')", pipe)
    if _is_recording_set(ref):
        def pooled():
            return Pipeline([("est", clone(estimator)), ("pool", pooling())])

        run(f"Pipeline([{name}, StatsPooling()]).set_output(transform='pandas')",
            lambda: pooled().set_output(transform="pandas"), pooled=True)
        with config_context(transform_output="pandas"):
            run(f"Pipeline([{name}, StatsPooling()]) under set_config(transform_output='pandas')", pooled,
                pooled=True)


def _holds_estimators(value):
    if hasattr(value, "get_params"):
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds_estimators(v) for v in value)
    return False


def _param_hashes(estimator):
    """``{parameter: joblib.hash}`` over the deep parameters, each hashed on its own; parameters holding
    estimators are left to their nested ``name__param`` entries. (One hash of the whole dict depends on which
    parameters share an object -- two steps sharing a default tuple that ``clone`` rebuilds -- not on values.)"""
    return {k: joblib.hash(v) for k, v in estimator.get_params(deep=True).items() if not _holds_estimators(v)}


def check_clone_and_params(name, estimator, input_kind=None):
    """Cloning round-trips the parameters, drops fitted state, and the parameters hash cheaply.

    Contract: ``clone(estimator).get_params()`` hashes like
    ``estimator.get_params()``; ``set_params(**get_params())`` changes
    nothing; a clone of a fitted estimator carries no fitted or private
    state (only its parameters) and refits to the same outputs; the unfitted
    estimator pickles to less than 1 MB and ``joblib.hash`` takes less than
    a second (``Pipeline(memory=...)`` hashes it on every fit, so models and
    data must not be held as parameters).
    """
    tags = get_recording_tags(estimator, input_kind)
    params = _param_hashes(estimator)
    cloned = clone(estimator)
    cloned_params = _param_hashes(cloned)
    changed = sorted(k for k, h in cloned_params.items() if params.get(k) != h)
    if changed or cloned_params.keys() != params.keys():
        raise AssertionError(f"{name}: clone() changed the parameters {changed}")
    cloned.set_params(**cloned.get_params(deep=False))
    if _param_hashes(cloned) != params:
        raise AssertionError(f"{name}: set_params(**get_params()) changed the parameters")
    repr(cloned)
    X, y = _data(tags)
    with _quiet():
        fitted = _fit(clone(estimator), X, y)
        out = _outputs(fitted, X, tags)
        fresh = clone(fitted)
    leftover = _fitted_state(fresh)
    if leftover:
        raise AssertionError(f"{name}: a clone of a fitted estimator still holds {sorted(leftover)}")
    with _quiet():
        refit_out = _outputs(_fit(fresh, X, y), X, tags)
    for method, value in out.items():
        _assert_same(refit_out[method], value, f"{name}.{method}: clone of a fitted estimator, refitted")
    size = len(pickle.dumps(clone(estimator)))
    if size > _MAX_PARAMS_BYTES:
        raise AssertionError(f"{name}: the unfitted estimator pickles to {size} bytes (> {_MAX_PARAMS_BYTES}); "
                             "parameters should not hold models or data")
    start = time.perf_counter()
    joblib.hash(clone(estimator))
    seconds = time.perf_counter() - start
    if seconds > _MAX_HASH_SECONDS:
        raise AssertionError(f"{name}: joblib.hash of the unfitted estimator took {seconds:.2f} s")


def _cache_entries(folder):
    return sum("output.pkl" in files for _, _, files in os.walk(folder))


def check_pipeline_memory(name, estimator, input_kind=None):
    """``Pipeline(memory=...)`` caches the transformer: a second identical fit is a cache hit.

    Contract: a transformer as a non-final step of a cached Pipeline is
    stored once; fitting a clone of the pipeline on the same data adds no
    cache entry (its hash is stable: no parameter hashes differently from one
    clone to the next), returns the same output, and the cached fitted step
    transforms new calls correctly.
    """
    tags = get_recording_tags(estimator, input_kind)
    _check_applies("check_pipeline_memory", tags, roles=("transformer",))
    X, y = _data(tags)
    with tempfile.TemporaryDirectory() as folder:
        memory = joblib.Memory(folder, verbose=0)
        pipe = Pipeline([("est", clone(estimator)), ("last", "passthrough")], memory=memory)
        with _quiet():
            first = pipe.fit_transform(X, y)
        n_entries = _cache_entries(folder)
        if n_entries != 1:
            raise AssertionError(f"{name}: Pipeline(memory=...) stored {n_entries} cache entries for one step")
        again = clone(pipe)
        with _quiet():
            second = again.fit_transform(X, y)
        if _cache_entries(folder) != 1:
            raise AssertionError(f"{name}: fitting a clone of a cached Pipeline on the same data missed the cache "
                                 "(the estimator's hash is not stable)")
        _assert_same(second, first, f"{name}: output of the cached Pipeline step")
        with _quiet():
            third = again.transform(X)
        _assert_same(third, first, f"{name}: transform with the step loaded from the cache")
        memory.clear(warn=False)


# ----------------------------------------------------------------------------------------------------------------
# Running the checks
# ----------------------------------------------------------------------------------------------------------------
_ALL_CHECKS = (
    check_clone_and_params,
    check_transformer_recording_set,
    check_classifier_one_label_per_recording,
    check_recording_subset_invariance,
    check_on_error_alignment,
    check_dict_unchanged_recordings,
    check_refit_resets_state,
    check_pickle_roundtrip,
    check_set_output_pandas,
    check_pipeline_memory,
)


def _applicable_checks(tags):
    for check in _ALL_CHECKS:
        if check is check_transformer_recording_set and tags.role != "transformer":
            continue
        if check is check_classifier_one_label_per_recording and tags.role != "classifier":
            continue
        if check in (check_recording_subset_invariance, check_set_output_pandas) and tags.role == "other":
            continue
        if check is check_on_error_alignment and not (tags.has_on_error and tags.input_kind == "audio"
                                                      and tags.role != "other"):
            continue
        if check is check_pipeline_memory and tags.role != "transformer":
            continue
        yield check


def _resolve(value, estimator):
    return value(estimator) if callable(value) else value


def _estimator_id(estimator):
    """A short, stable test id: the class and its changed parameters, path values reduced to their base name."""
    from sklearn.base import BaseEstimator

    defaults = {}
    try:
        defaults = type(estimator)().get_params(deep=False)
    except Exception:  # required constructor arguments
        pass
    parts = []
    for key, value in estimator.get_params(deep=False).items():
        if key in defaults and (defaults[key] is value or (type(defaults[key]) is type(value)
                                                          and repr(defaults[key]) == repr(value))):
            continue
        if isinstance(value, (str, os.PathLike)) and os.sep in os.fspath(value):
            text = repr(os.path.basename(os.fspath(value).rstrip(os.sep)))
        elif isinstance(value, BaseEstimator):
            text = _estimator_id(value)
        else:
            text = repr(value)
        parts.append(f"{key}={text}")
    return f"{type(estimator).__name__}({','.join(parts)})".replace(" ", "")


def _yield_bound_checks(estimator, input_kind):
    kind = _resolve(input_kind, estimator)
    name = type(estimator).__name__
    for check in _applicable_checks(get_recording_tags(estimator, kind)):
        bound = functools.partial(check, name, input_kind=kind)
        bound.__name__ = check.__name__  # for ids and reports
        yield check.__name__, bound


def check_recording_estimator(estimator, *, input_kind=None, expected_failed_checks=None, on_fail="raise"):
    """Run every applicable recording-set check on one estimator.

    Parameters
    ----------
    estimator : estimator instance
        The estimator to check (it is cloned, never modified).
    input_kind : {"audio", "frames", "2d"}, callable or None, default=None
        Declared input kind (see :func:`get_recording_tags`); a callable
        receives the estimator; ``None`` infers it.
    expected_failed_checks : dict or callable, default=None
        ``{check name: reason}`` of checks that are known to fail; a callable
        receives the estimator. They are run, and reported as ``"xfail"``
        (or ``"xpass"`` when they unexpectedly pass).
    on_fail : {"raise", None}, default="raise"
        ``"raise"``: after running all checks, raise an ``AssertionError``
        naming every unexpected failure. ``None``: only return the report.

    Returns
    -------
    report : list of dict
        One ``{"check", "status", "message"}`` per check run, ``status``
        being ``"passed"``, ``"failed"``, ``"xfail"`` or ``"xpass"``.

    Examples
    --------
    >>> from skvoice.features import StatsPooling
    >>> from skvoice.utils.estimator_checks import check_recording_estimator
    >>> report = check_recording_estimator(StatsPooling())
    >>> sorted({r["status"] for r in report}), len(report)
    (['passed'], 8)
    """
    if on_fail not in ("raise", None):
        raise ValueError(f"on_fail must be 'raise' or None, got {on_fail!r}.")
    expected = _resolve(expected_failed_checks, estimator) or {}
    report = []
    for check_name, check in _yield_bound_checks(estimator, input_kind):
        try:
            check(estimator)
        except Exception as exc:
            status = "xfail" if check_name in expected else "failed"
            report.append({"check": check_name, "status": status, "message": f"{type(exc).__name__}: {exc}"})
        else:
            status = "xpass" if check_name in expected else "passed"
            report.append({"check": check_name, "status": status, "message": expected.get(check_name, "")})
    failed = [r for r in report if r["status"] == "failed"]
    if failed and on_fail == "raise":
        lines = "\n".join(f"  {r['check']}: {r['message']}" for r in failed)
        raise AssertionError(f"{type(estimator).__name__} fails {len(failed)} recording-set check(s):\n{lines}")
    return report


def parametrize_with_recording_checks(estimators, *, input_kind=None, expected_failed_checks=None):
    """Pytest parametrisation of the recording-set checks over estimators.

    Like :func:`sklearn.utils.estimator_checks.parametrize_with_checks`: the
    decorated test takes ``estimator`` and ``check`` arguments and calls
    ``check(estimator)``. Test ids are the estimator's class with its
    changed parameters (file-system paths reduced to their base name) and the
    check's name.

    Parameters
    ----------
    estimators : list of estimator instances
        Estimators to check.
    input_kind : {"audio", "frames", "2d"}, callable or None, default=None
        Declared input kind; a callable receives each estimator and returns a
        kind or ``None`` (inferred, see :func:`get_recording_tags`).
    expected_failed_checks : callable or None, default=None
        Receives each estimator and returns ``{check name: reason}``; those
        checks are marked ``pytest.mark.xfail(strict=True, reason=reason)``,
        so a check that starts passing fails the test run until its entry is
        removed.

    Returns
    -------
    decorator : pytest.mark.parametrize
        Mark to apply to the test function.

    Examples
    --------
    >>> from skvoice.features import CMVN, StatsPooling
    >>> from skvoice.utils.estimator_checks import parametrize_with_recording_checks
    >>> @parametrize_with_recording_checks([CMVN(), StatsPooling()])
    ... def test_recording_contract(estimator, check):
    ...     check(estimator)
    """
    import pytest

    if any(isinstance(est, type) for est in estimators):
        raise TypeError("Pass estimator instances, not classes.")
    params = []
    for est in estimators:
        expected = (expected_failed_checks(est) if expected_failed_checks is not None else None) or {}
        est_id = _estimator_id(est)
        for check_name, check in _yield_bound_checks(est, input_kind):
            marks = ([pytest.mark.xfail(strict=True, reason=expected[check_name])]
                     if check_name in expected else [])
            params.append(pytest.param(est, check, marks=marks, id=f"{est_id}-{check_name}"))
    return pytest.mark.parametrize("estimator, check", params)
