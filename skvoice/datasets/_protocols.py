"""Evaluation protocols on chunks of recordings: fixed-length chunks, train/test splits, verification trials.

The study cut every LibriSpeech utterance into 2-s chunks and split the chunks
at random, so neighbouring stretches of one utterance land on both sides of the
split. :func:`chunk_split` offers that protocol and a stricter one: the *later*
chunks of each recording are held out, so test audio always comes after all the
training audio of its recording (and no chunk is ever on both sides).
"""

from __future__ import annotations

import os
import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils.validation import column_or_1d

from .._sklearn_compat import Interval, RealNotInt, StrOptions, validate_params
from .._validation import check_speaker_label_types

__all__ = ["chunk_recordings", "load_chunks", "chunk_split", "verification_trials"]

_DEFAULT_LABELS = ("speaker", "gender")
_CHUNK_COLUMNS = ["recording", "path", "chunk", "n_chunks", "relative_position", "start", "stop"]


def _as_items(recordings, labels):
    """``(items, label_columns)`` from a DataFrame with a ``path`` column or a 1-D sequence."""
    if isinstance(recordings, pd.DataFrame):
        if "path" not in recordings.columns:
            raise ValueError("A DataFrame of recordings needs a 'path' column (as in load_librispeech().frame).")
        items = recordings["path"].tolist()
        if labels is None:
            labels = [c for c in _DEFAULT_LABELS if c in recordings.columns]
        if isinstance(labels, dict):
            cols = {k: list(v) for k, v in labels.items()}
        else:
            labels = [labels] if isinstance(labels, str) else list(labels)
            missing = [c for c in labels if c not in recordings.columns]
            if missing:
                raise ValueError(f"label column(s) {missing} are not in the recordings table.")
            cols = {c: recordings[c].tolist() for c in labels}
    else:
        if isinstance(recordings, (str, os.PathLike)):
            raise TypeError("recordings must be a sequence of paths or waveforms (got a single path); "
                            "wrap it in a list.")
        items = list(recordings)  # a 2-D numeric array gives one waveform per row
        if labels is None:
            cols = {}
        elif isinstance(labels, dict):
            cols = {k: list(v) for k, v in labels.items()}
        else:
            raise TypeError("With a sequence of recordings, labels must be a dict {column name: one value per "
                            "recording} (e.g. {'speaker': data.speaker}).")
    for name, values in cols.items():
        if name in _CHUNK_COLUMNS:
            raise ValueError(f"label name {name!r} clashes with a chunk table column ({_CHUNK_COLUMNS}).")
        if len(values) != len(items):
            raise ValueError(f"label {name!r} has {len(values)} values but there are {len(items)} recordings.")
    if not items:
        raise ValueError("No recordings given.")
    return items, cols


@validate_params({"chunk_seconds": [Interval(Real, 0, None, closed="neither")],
                  "min_seconds": [Interval(Real, 0, None, closed="neither"), None],
                  "sample_rate": [Interval(Real, 1, None, closed="left")],
                  "labels": [str, list, tuple, dict, None]}, prefer_skip_nested_validation=True)
def chunk_recordings(recordings, *, chunk_seconds=2.0, min_seconds=None, sample_rate=16000, labels=None):
    """Cut recordings into consecutive, non-overlapping fixed-length chunks (a table; no audio decoded).

    For files, only the audio headers are read (the number of samples and
    the native rate), so chunking a corpus is fast and takes no memory; the
    audio of the chunks is read later, on demand, by :func:`load_chunks`.

    Parameters
    ----------
    recordings : pandas.DataFrame or sequence of (path or 1-D array)
        A table with a ``path`` column (e.g. ``load_librispeech(...).frame``)
        or a sequence of audio file paths or in-memory mono waveforms at
        ``sample_rate``.
    chunk_seconds : float, default=2.0
        Chunk length in seconds (2 s as in the study). At a file's native
        rate a chunk is ``round(chunk_seconds * rate)`` samples.
    min_seconds : float, default=None
        What happens to the incomplete remainder at the end of a recording:
        ``None`` drops it (every chunk has exactly ``chunk_seconds``); a
        value in ``(0, chunk_seconds]`` keeps a remainder at least that long
        as a shorter last chunk. A recording shorter than the shortest kept
        chunk yields no chunk (a warning counts them).
    sample_rate : int, default=16000
        The rate of in-memory waveforms (files carry their own rate).
    labels : list of str or dict, default=None
        Per-recording values copied to each of its chunks. With a table: the
        column names to carry over (default: ``speaker`` and ``gender`` when
        present) or a dict ``{name: values}``. With a sequence: a dict
        ``{name: one value per recording}``.

    Returns
    -------
    chunks : pandas.DataFrame
        One row per chunk, in recording order then time order, with columns

        - ``recording``: position of the source recording in ``recordings``;
        - ``path``: its file path (``None`` for in-memory waveforms);
        - ``chunk``: 0-based position of the chunk in its recording;
        - ``n_chunks``: number of chunks of that recording;
        - ``relative_position``: ``chunk / (n_chunks - 1)``, from 0 (first)
          to 1 (last); 0 for a recording with a single chunk;
        - ``start``, ``stop``: chunk bounds in seconds;
        - the label columns.

        ``chunks.attrs`` holds ``chunk_seconds``, ``min_seconds``,
        ``n_recordings``, ``unchunked`` (positions of the recordings that
        gave no chunk) and ``sample_rate`` (the rate of the in-memory
        waveforms, None when every chunk is of a file).

    Warns
    -----
    UserWarning
        When some recordings are too short to give any chunk.

    See Also
    --------
    load_chunks : Decode the chunks into waveforms.
    chunk_split : Train/test split of the chunks ("later" or "random" protocol).

    Notes
    -----
    Memory: the table is tiny (a few hundred bytes per chunk). Decoded, each
    second of 16 kHz audio takes 64 kB as float32, so the 2-s chunks of the
    151 LibriSpeech ``train-clean-100`` utterances used in skvoice's tests
    (32 min of audio) take about 114 MB.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.datasets import chunk_recordings
    >>> waves = [np.zeros(16000 * 5, dtype="float32"), np.zeros(16000 * 3, dtype="float32")]
    >>> chunks = chunk_recordings(waves, labels={"speaker": ["a", "b"]})
    >>> chunks[["recording", "chunk", "relative_position", "start", "stop", "speaker"]]
       recording  chunk  relative_position  start  stop speaker
    0          0      0                0.0    0.0   2.0       a
    1          0      1                1.0    2.0   4.0       a
    2          1      0                0.0    0.0   2.0       b
    """
    from .._audio import audio_info, check_waveform, is_path_like

    chunk_seconds = float(chunk_seconds)
    if not np.isfinite(chunk_seconds):
        raise ValueError(f"chunk_seconds must be a positive finite number, got {chunk_seconds!r}.")
    if min_seconds is not None and min_seconds > chunk_seconds:
        raise ValueError(f"min_seconds must be None or in (0, chunk_seconds={chunk_seconds:g}], "
                         f"got {min_seconds!r}.")
    min_seconds = None if min_seconds is None else float(min_seconds)
    items, label_cols = _as_items(recordings, labels)

    columns = {name: [] for name in _CHUNK_COLUMNS}
    label_out = {name: [] for name in label_cols}
    unchunked = []
    for r, item in enumerate(items):
        if is_path_like(item):
            info = audio_info(item)
            n_samples, rate, path = info.frames, info.sample_rate, os.fspath(item)
        else:
            n_samples, rate, path = len(check_waveform(item, source=f"<waveform {r}>")), int(sample_rate), None
        size = int(round(chunk_seconds * rate))
        n_full, rest = divmod(n_samples, size)
        bounds = [(k * size, (k + 1) * size) for k in range(n_full)]
        if min_seconds is not None and rest > 0 and rest >= int(round(min_seconds * rate)):
            bounds.append((n_full * size, n_samples))
        if not bounds:
            unchunked.append(r)
            continue
        n = len(bounds)
        for k, (a, b) in enumerate(bounds):
            columns["recording"].append(r)
            columns["path"].append(path)
            columns["chunk"].append(k)
            columns["n_chunks"].append(n)
            columns["relative_position"].append(k / (n - 1) if n > 1 else 0.0)
            columns["start"].append(a / rate)
            columns["stop"].append(b / rate)
            for name, values in label_cols.items():
                label_out[name].append(values[r])
    if unchunked:
        shortest = chunk_seconds if min_seconds is None else min_seconds
        warnings.warn(f"{len(unchunked)} of {len(items)} recording(s) are shorter than {shortest:g} s and gave no "
                      f"chunk (positions {unchunked[:10]}{' ...' if len(unchunked) > 10 else ''}).",
                      UserWarning, stacklevel=3)
    chunks = pd.DataFrame(columns)
    chunks = chunks.astype({"recording": np.int64, "chunk": np.int64, "n_chunks": np.int64,
                            "relative_position": np.float64, "start": np.float64, "stop": np.float64})
    for name, values in label_out.items():
        chunks[name] = pd.Series(values, dtype=object) if len(values) else pd.Series([], dtype=object)
    chunks.attrs = {"chunk_seconds": chunk_seconds, "min_seconds": min_seconds, "n_recordings": len(items),
                    "unchunked": unchunked,
                    "sample_rate": None if all(path is not None for path in columns["path"]) else int(sample_rate)}
    return chunks


def _check_chunk_table(chunks, required):
    missing = [c for c in required if c not in chunks.columns]
    if missing:
        raise ValueError(f"chunks lacks column(s) {missing}; make it with skvoice.datasets.chunk_recordings.")


class _FileSpans(os.PathLike):
    """A file path (``os.fspath`` works, so errors name the file) with the chunk spans wanted from it."""

    def __init__(self, path, spans):
        self.path, self.spans = os.fspath(path), spans

    def __fspath__(self):
        return self.path


def _read_spans(item, index, *, sample_rate):
    """Decode one file once, over the span its wanted chunks cover, and cut the chunks out (joblib task)."""
    from .._audio import load_audio

    first = min(a for a, _ in item.spans)
    last = max(b for _, b in item.spans)
    y, _ = load_audio(item.path, sample_rate, offset=first, duration=last - first)
    return [_cut(y, a - first, b - first, sample_rate) for a, b in item.spans]


def _cut(y, start, stop, sample_rate):
    a = int(round(start * sample_rate))
    b = min(int(round(stop * sample_rate)), len(y))
    return np.array(y[a:b], dtype=np.float32)  # a copy: the chunk does not keep the whole span alive


@validate_params({"chunks": [pd.DataFrame], "recordings": [pd.DataFrame, "array-like", None],
                  "sample_rate": [Interval(Real, 1, None, closed="left")], "n_jobs": [Integral, None],
                  "verbose": ["verbose"]}, prefer_skip_nested_validation=True)
def load_chunks(chunks, recordings=None, *, sample_rate=16000, n_jobs=None, verbose=0):
    """Decode chunks into waveforms: a recording set with one item per chunk.

    Each file is decoded once, over the span its chunks cover, in parallel
    with joblib; the chunks are then cut out of it.

    Parameters
    ----------
    chunks : pandas.DataFrame
        Rows of a table made by :func:`chunk_recordings` (any subset, e.g.
        ``chunks.iloc[train]``).
    recordings : sequence, default=None
        The recordings the table was made from. Needed for in-memory
        waveforms (which must be at ``sample_rate``, the rate they were
        chunked at); files are read from the ``path`` column when it is
        None.
    sample_rate : int, default=16000
        Output rate. Files at another rate are resampled over the span
        decoded for the wanted chunks, so the first few hundred samples of
        that span can differ slightly from resampling the whole file.
    n_jobs : int, default=None
        Parallel jobs over files (``None``: sequential unless a
        ``joblib.parallel_config`` says otherwise; -1: all cores).
    verbose : int, default=0
        Show a progress bar when > 0.

    Returns
    -------
    waveforms : ndarray of object, shape (n_chunks,)
        Float32 1-D waveforms in the row order of ``chunks``, ready for any
        skvoice feature extractor (``MFCCExtractor(sample_rate=...)``...).

    Raises
    ------
    AudioError
        A file cannot be decoded.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.datasets import chunk_recordings, load_chunks
    >>> waves = [np.arange(16000 * 5, dtype="float32")]
    >>> chunks = chunk_recordings(waves)
    >>> X = load_chunks(chunks, waves)
    >>> X.shape, X[1].shape, float(X[1][0])
    ((2,), (32000,), 32000.0)
    """
    from .._audio import check_waveform
    from .._parallel import map_recordings

    _check_chunk_table(chunks, ["recording", "path", "start", "stop"])
    out = np.empty(len(chunks), dtype=object)
    if len(chunks) == 0:
        return out
    rec = chunks["recording"].to_numpy(dtype=np.int64)
    start = chunks["start"].to_numpy(dtype=np.float64)
    stop = chunks["stop"].to_numpy(dtype=np.float64)
    if recordings is not None:
        items = recordings["path"].tolist() if isinstance(recordings, pd.DataFrame) else list(recordings)
        if rec.max() >= len(items) or rec.min() < 0:
            raise ValueError(f"chunks refer to recording {int(rec.max())} but only {len(items)} recordings "
                             "were given.")
    else:
        paths = chunks["path"].tolist()
        if any(p is None or (isinstance(p, float) and np.isnan(p)) for p in paths):
            raise ValueError("These chunks come from in-memory waveforms: pass the same recordings as "
                             "load_chunks(chunks, recordings).")
        items = {int(r): p for r, p in zip(rec, paths)}
    files, file_rows = [], []
    made_at = chunks.attrs.get("sample_rate")
    for r, idx in _group_rows(rec):
        item = items[int(r)]
        if isinstance(item, (str, os.PathLike)):
            files.append(_FileSpans(item, list(zip(start[idx].tolist(), stop[idx].tolist()))))
            file_rows.append(idx)
        else:
            y = check_waveform(item, source=f"<waveform {int(r)}>")
            if made_at is not None and made_at != sample_rate:
                raise ValueError(f"These chunks were cut from waveforms at {made_at} Hz: load them with "
                                 f"load_chunks(..., sample_rate={made_at}), not {sample_rate}.")
            if stop[idx].max() * sample_rate > len(y) + 1:
                raise ValueError(f"A chunk of recording {int(r)} ends at {stop[idx].max():g} s, but its waveform "
                                 f"holds {len(y) / sample_rate:g} s at sample_rate={sample_rate}: were the chunks "
                                 "made from other recordings, or at another sample_rate?")
            for i in idx:
                out[i] = _cut(y, start[i], stop[i], sample_rate)
    if files:
        results, _ = map_recordings(partial(_read_spans, sample_rate=int(sample_rate)), files, n_jobs=n_jobs,
                                    verbose=verbose, desc="chunks", estimator_name="load_chunks")
        for idx, pieces in zip(file_rows, results):
            for i, piece in zip(idx, pieces):
                out[i] = piece
    return out


def _group_rows(keys):
    """``(key, positions)`` for each distinct key, in order of first appearance; O(n log n)."""
    codes, uniques = pd.factorize(pd.Series(keys))
    order = np.argsort(codes, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(codes[codes >= 0], minlength=len(uniques)))]
    order = order[len(order) - bounds[-1]:]  # missing keys (code -1) sort first: leave them out
    return [(uniques[g], order[bounds[g]:bounds[g + 1]]) for g in range(len(uniques))]


def _rounded(x):
    return int(np.floor(x + 0.5))  # half up, not numpy's half-to-even


@validate_params({"chunks": [pd.DataFrame], "protocol": [StrOptions({"later", "random"})],
                  "train_size": [Interval(RealNotInt, 0, 1, closed="neither"), None],
                  "test_size": [Interval(RealNotInt, 0, 1, closed="neither"), None], "stratify": [str],
                  "random_state": ["random_state"]}, prefer_skip_nested_validation=True)
def chunk_split(chunks, *, protocol="later", train_size=None, test_size=None, stratify="speaker",
                random_state=None):
    """Split chunks into train and test: later chunks of each recording held out, or a stratified random split.

    Parameters
    ----------
    chunks : pandas.DataFrame
        A table made by :func:`chunk_recordings` (its ``recording`` and
        ``chunk`` columns, and the ``stratify`` column for ``"random"``).
    protocol : {"later", "random"}, default="later"
        - ``"later"``: within each recording, the first chunks (in time)
          train and the later ones test: the held-out-time protocol.
          Deterministic (``random_state`` is ignored).
        - ``"random"``: the study's protocol: within each ``stratify`` group
          (speaker), a random subset of the chunks tests, the rest trains.
    train_size, test_size : float, default=None
        Fraction of each recording's (``"later"``) or group's (``"random"``)
        chunks that trains / tests; give at most one (the other is its
        complement). Defaults: ``train_size=0.6`` for ``"later"``,
        ``test_size=0.2`` for ``"random"``. A unit of ``n >= 2`` chunks gets
        ``round(fraction * n)`` of them, clipped so that both sides hold at
        least one chunk. A unit with a single chunk cannot be split: it goes
        to train only, and a warning counts such units.
    stratify : str, default="speaker"
        Column defining the groups of the ``"random"`` protocol.
    random_state : int, RandomState instance or None, default=None
        Seed of the ``"random"`` protocol.

    Returns
    -------
    train, test : ndarray of int
        Sorted positional indices into ``chunks`` (for ``chunks.iloc``),
        disjoint, together covering every chunk. ``[(train, test)]`` is a
        valid ``cv=`` argument of :func:`~sklearn.model_selection.cross_validate`
        when ``X`` and ``y`` are in the row order of ``chunks``.

    Warns
    -----
    UserWarning
        When some recordings (``"later"``) or groups (``"random"``) have a
        single chunk and go to train only.

    See Also
    --------
    chunk_recordings : Make the chunk table.
    verification_trials : Trials for the test chunks.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.datasets import chunk_recordings, chunk_split
    >>> waves = [np.zeros(16000 * 10, dtype="float32"), np.zeros(16000 * 4, dtype="float32")]
    >>> chunks = chunk_recordings(waves, labels={"speaker": ["a", "b"]})
    >>> train, test = chunk_split(chunks, protocol="later")
    >>> chunks.loc[test, ["recording", "chunk"]].values.tolist()  # 2 of 5 chunks, 1 of 2 chunks
    [[0, 3], [0, 4], [1, 1]]
    """
    if train_size is not None and test_size is not None:
        if not np.isclose(train_size + test_size, 1.0):
            raise ValueError(f"train_size={train_size} and test_size={test_size} must add up to 1 "
                             "(give only one of them).")
    # the side given is the one rounded ("round(fraction * n)"): the complement's rounding differs at halves
    if train_size is None and test_size is None:
        train_size, test_size = (0.6, None) if protocol == "later" else (None, 0.2)
    fraction, test_side = (train_size, False) if train_size is not None else (test_size, True)
    if protocol == "later":
        _check_chunk_table(chunks, ["recording", "chunk"])
        unit = chunks["recording"].to_numpy()
        what = "recording"
    else:
        if stratify not in chunks.columns:
            raise ValueError(f"chunks has no {stratify!r} column to stratify the random split by; pass "
                             "stratify='recording' or carry speaker labels over in chunk_recordings.")
        unit = chunks[stratify].to_numpy()
        what = f"{stratify} group"
    rng = check_random_state(random_state) if protocol == "random" else None
    is_test = np.zeros(len(chunks), dtype=bool)
    single = 0
    missing = pd.isna(pd.Series(unit)).to_numpy()
    if missing.any():
        raise ValueError(f"{int(missing.sum())} chunk(s) have a missing {what.split()[0]!r} value.")
    chunk_pos = chunks["chunk"].to_numpy() if protocol == "later" else None
    for _, rows in sorted(_group_rows(unit), key=lambda kv: str(kv[0])):
        n = len(rows)
        if n < 2:
            single += 1
            continue
        n_side = _rounded(fraction * n)
        n_test = min(max(n_side if test_side else n - n_side, 1), n - 1)
        if protocol == "later":
            order = rows[np.argsort(chunk_pos[rows], kind="stable")]
            is_test[order[n - n_test:]] = True
        else:
            is_test[rng.permutation(rows)[:n_test]] = True
    if single:
        warnings.warn(f"{single} {what}(s) have a single chunk and cannot be split: they are in train only.",
                      UserWarning, stacklevel=3)
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


@validate_params({"enrolled": ["array-like"], "y_test": ["array-like"],
                  "n_nontarget": [Interval(Integral, 0, None, closed="left"), None], "random_state": ["random_state"]},
                 prefer_skip_nested_validation=True)
def verification_trials(enrolled, y_test, *, n_nontarget=None, random_state=None):
    """Verification trials: every test item against every enrolled speaker (or a sample of non-targets).

    A trial is a test item with a claimed identity: a *target* trial when the
    item's speaker is the claimed one, a *non-target* (impostor) trial
    otherwise. Test items whose speaker is not enrolled give non-target
    trials only.

    Parameters
    ----------
    enrolled : array-like
        The enrolled speakers. Repeated labels are collapsed, so the training
        labels ``y_train`` can be passed as they are; speakers are taken in
        sorted order (the ``classes_`` order of scikit-learn classifiers).
    y_test : array-like of shape (n_test,)
        The speaker of each test item.
    n_nontarget : int, default=None
        ``None`` keeps all trials. An int keeps, per test item, its target
        trial and at most ``n_nontarget`` non-target claims drawn at random
        without replacement.
    random_state : int, RandomState instance or None, default=None
        Seed for the non-target sampling.

    Returns
    -------
    trials : pandas.DataFrame
        Columns ``test_index`` (position in ``y_test``), ``claimed_speaker``
        and ``target`` (bool), sorted by test item then claimed speaker.
        Score it with :func:`skvoice.metrics.trial_scores` (``trials=``).

    See Also
    --------
    skvoice.metrics.trial_scores : Scores of these trials from a score matrix.

    Examples
    --------
    >>> from skvoice.datasets import verification_trials
    >>> trials = verification_trials(["a", "b", "a", "c"], ["b", "c"])
    >>> trials
       test_index claimed_speaker  target
    0           0               a   False
    1           0               b    True
    2           0               c   False
    3           1               a   False
    4           1               b   False
    5           1               c    True
    >>> len(verification_trials(["a", "b", "c"], ["b", "c"], n_nontarget=1, random_state=0))
    4
    """
    classes = np.unique(column_or_1d(np.asarray(enrolled, dtype=object)))
    y_test = column_or_1d(np.asarray(y_test, dtype=object))
    if len(classes) == 0:
        raise ValueError("No enrolled speaker given.")
    check_speaker_label_types(y_test, classes, what="enrolled speakers")
    is_target = y_test[:, None] == classes[None, :]
    if n_nontarget is None or n_nontarget >= len(classes):
        keep = np.ones_like(is_target)
    else:
        rng = check_random_state(random_state)
        noise = rng.random_sample(is_target.shape)
        noise[is_target] = np.inf  # the target claim is never drawn as a non-target
        ranks = np.argsort(np.argsort(noise, axis=1, kind="stable"), axis=1, kind="stable")
        keep = is_target | (ranks < n_nontarget)
    rows, cols = np.nonzero(keep)
    return pd.DataFrame({"test_index": rows.astype(np.int64),
                         "claimed_speaker": pd.Series(classes[cols], dtype=object),
                         "target": is_target[rows, cols]})
