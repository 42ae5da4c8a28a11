"""The work behind ``skvoice train`` and ``skvoice predict`` (the argument handling is in :mod:`skvoice.cli`).

Training: read a LibriSpeech root or a folder-per-label tree, drop unusable
files, cross-validate a recipe with the right splitter, fit it on everything.
Prediction: collect audio files, run any fitted scikit-learn model over them
in batches, and report a bad file in its own row instead of failing the run.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sys
from dataclasses import dataclass, field

import numpy as np

from ._audio import AudioError, check_not_silent, load_audio, read_for_model
from ._validation import label_positions
from .datasets._folder import AUDIO_EXTENSIONS, find_audio_files, undecodable_note

__all__ = ["TrainingData", "load_training_data", "screen_files", "choose_cv", "quiet_em_cap", "cross_validate_model",
           "collect_audio_files", "predict_rows", "has_score", "write_rows", "MIN_SECONDS", "speech_checker",
           "NO_SPEECH"]

#: files shorter than this are not used for training (nothing to learn from a click)
MIN_SECONDS = 0.1


# ---------------------------------------------------------------------------------------------------------- data
@dataclass
class TrainingData:
    """Recordings, labels and (when known) speakers of a training folder."""

    paths: list
    labels: np.ndarray
    groups: np.ndarray | None
    source: str  # "librispeech" or "folder"
    description: dict
    notes: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (path, reason)


def load_training_data(root, task, subsets=None):
    """Read ``root`` for ``task`` ("gender" or "speaker"); raises ValueError/FileNotFoundError with a clear message.

    A LibriSpeech root (holding SPEAKERS.TXT) gives sex and reader labels for
    all its subsets (or ``subsets``); any other folder is read with
    :func:`~skvoice.datasets.load_folder` (one sub-folder per label, no
    speaker information).
    """
    import warnings

    from .datasets import load_folder, load_librispeech

    root = os.path.abspath(os.path.expanduser(os.fspath(root)))
    if not os.path.isdir(root):
        raise FileNotFoundError(f"{root} is not a folder. DATA must be a LibriSpeech root (holding SPEAKERS.TXT) "
                                "or a folder with one sub-folder of recordings per label.")
    notes = []
    if os.path.isfile(os.path.join(root, "SPEAKERS.TXT")):
        from .study.data import available_subsets

        found = available_subsets(root)
        subsets = list(subsets) if subsets else found
        if not subsets:
            raise ValueError(f"{root} holds SPEAKERS.TXT but no subset folder (such as dev-clean/) with speaker "
                             "folders.")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            data = load_librispeech(root, subsets, with_duration=False)
        notes += [str(w.message) for w in caught]
        frame = data.frame
        if task == "gender":
            known = frame["gender"].isin(["F", "M"])
            if not known.all():
                notes.append(f"{int((~known).sum())} recording(s) of speakers without F/M in SPEAKERS.TXT are "
                             "left out")
                frame = frame[known]
            labels = frame["gender"].to_numpy(dtype=object)
        else:
            labels = frame["speaker"].to_numpy(dtype=object)
        groups = frame["speaker"].to_numpy(dtype=object)
        description = {"source": "librispeech", "folder": os.path.basename(root), "subsets": list(subsets),
                       "n_speakers": int(len(set(groups)))}
        return TrainingData(list(frame["path"]), labels, groups, "librispeech", description, notes)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_folder(root, on_error="skip")
    notes += [str(w.message) for w in caught]
    description = {"source": "folder", "folder": os.path.basename(root)}
    return TrainingData(list(data.filenames), np.asarray(data.label, dtype=object), None, "folder", description,
                        notes, skipped=list(data.skipped))


def _screen_one(path, index):
    """Worker: decode one file (native rate) and reject silent or near-empty audio."""
    y, sr = load_audio(path, None)
    if len(y) < MIN_SECONDS * sr:
        raise AudioError(path, f"audio is too short ({len(y) / sr:.3f} s; at least {MIN_SECONDS} s needed)")
    check_not_silent(y, path)
    return True


def screen_files(paths, n_jobs=None):
    """Decode every file once; return ``(keep mask, [(path, reason), ...])`` for the unusable ones."""
    from ._parallel import map_recordings

    results, failures = map_recordings(_screen_one, paths, n_jobs=n_jobs, on_error="skip",
                                       estimator_name="skvoice train")
    keep = np.array([r is not None for r in results], dtype=bool)
    return keep, [(f["source"], f["reason"]) for f in failures]


# ---------------------------------------------------------------------------------------------------------- CV
def choose_cv(task, labels, groups, n_splits, random_state):
    """``(splitter or None, description, notes)``: the honest splitter this data allows, or None to skip CV."""
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    notes = []
    if n_splits < 2:
        return None, "skipped (--cv below 2)", notes
    classes, counts = np.unique(labels.astype(str), return_counts=True)
    classes = [str(c) for c in classes]
    if task == "gender" and groups is not None:
        per_class = {c: len(set(groups[labels.astype(str) == c])) for c in classes}
        unit = "speakers"
    else:
        per_class = dict(zip(classes, counts.tolist()))
        unit = "recordings"
    smallest = min(per_class, key=per_class.get)
    k = min(n_splits, per_class[smallest])
    if k < 2:
        return None, (f"skipped: class {smallest!r} has only {per_class[smallest]} {unit[:-1]}"
                      f"{'' if per_class[smallest] == 1 else 's'}; cross-validation needs at least 2 {unit} in "
                      "every class"), notes
    if k < n_splits:
        notes.append(f"using {k} folds instead of {n_splits}: class {smallest!r} has only {per_class[smallest]} "
                     f"{unit}")
    if task == "gender" and groups is not None:
        return (StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=random_state),
                f"{k}-fold speaker-disjoint StratifiedGroupKFold", notes)
    if task == "gender":
        notes.append("the folders say nothing about who is speaking, so the folds are NOT speaker-disjoint: when "
                     "one person has several recordings, the score is optimistic for new voices (a LibriSpeech "
                     "root, with SPEAKERS.TXT, gives speaker-disjoint folds)")
    return (StratifiedKFold(n_splits=k, shuffle=True, random_state=random_state),
            f"{k}-fold StratifiedKFold over recordings" + (", not speaker-disjoint" if task == "gender" else ""),
            notes)


@contextlib.contextmanager
def quiet_em_cap():
    """No scikit-learn ConvergenceWarning from a Gaussian mixture while a recipe trains.

    The speaker recipe stops its background model's EM at ``max_iter=50`` on
    purpose (speed; identification accuracy is measured with that cap), so
    scikit-learn's advice to raise ``max_iter`` is nothing a command-line user
    can act on. Other warnings stay. ``sklearn.utils.parallel`` carries the
    filter into worker processes.
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning, module=r"sklearn\.mixture")
        yield


def cross_validate_model(make_model, X, y, groups, cv, progress=None):
    """Per-fold accuracy and balanced accuracy of a fresh ``make_model()`` on each split."""
    from sklearn.metrics import accuracy_score, balanced_accuracy_score

    X = np.asarray(X, dtype=object)
    acc, bacc = [], []
    splits = list(cv.split(X, y, groups))
    for i, (train, test) in enumerate(splits, 1):
        model = make_model().fit(X[train], y[train])
        pred = model.predict(X[test])
        acc.append(float(accuracy_score(y[test], pred)))
        bacc.append(float(balanced_accuracy_score(y[test], pred)))
        if progress is not None:
            progress(f"fold {i}/{len(splits)}: accuracy {acc[-1]:.3f} on {len(test)} recordings")
    return {"accuracy": acc, "balanced_accuracy": bacc}


# ---------------------------------------------------------------------------------------------------------- predict
def collect_audio_files(inputs):
    """Expand files and folders (searched recursively for audio files) into ``(paths, notes)``.

    Files named explicitly are kept whatever their extension, missing ones
    too (their row reports it); folders without audio are noted.
    """
    paths, notes = [], []
    for item in inputs:
        item = os.fspath(item)
        if os.path.isdir(item):
            undecodable = []
            found = find_audio_files(item, undecodable=undecodable)
            if undecodable:
                notes.append(f"{item}: {undecodable_note(undecodable)}")
            if not found:
                notes.append(f"no audio files ({', '.join(AUDIO_EXTENSIONS)}) found under {item}")
            paths += found
        else:
            paths.append(item)
    return paths, notes


def set_n_jobs(model, n_jobs):
    """Set ``n_jobs`` on ``model`` and on every estimator inside it, fitted ones included; return how many.

    ``get_params(deep=True)`` reaches only the unfitted templates of a meta-estimator (``AugmentedTrainer``'s
    ``estimator``), not the fitted copies that predict (``estimator_``, a router's ``wideband_``, a fusion's
    ``estimators_``), so the fitted attributes are walked too.
    """
    seen, changed = set(), 0

    def visit(obj):
        nonlocal changed
        if id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, (list, tuple)):
            for item in obj:
                visit(item)
        elif isinstance(obj, dict):
            for item in obj.values():
                visit(item)
        elif hasattr(obj, "get_params") and not isinstance(obj, type):
            params = obj.get_params(deep=False)
            if "n_jobs" in params:
                obj.set_params(n_jobs=n_jobs)
                changed += 1
            for value in params.values():
                visit(value)
            for name, value in vars(obj).items():
                if name.endswith("_") and not name.startswith("_"):
                    visit(value)

    visit(model)
    return changed


def _final_step(model):
    """``(transformers, final estimator)``: a Pipeline's leading steps (as Pipeline.predict runs them), or none.

    A fitted :class:`~skvoice.augment.AugmentedTrainer` predicts with its ``estimator_`` on the input unchanged,
    so its pipeline is unwrapped too (else predict and predict_proba would each run the whole pipeline).
    """
    from .augment import AugmentedTrainer

    if isinstance(model, AugmentedTrainer) and hasattr(model, "estimator_"):
        return _final_step(model.estimator_)
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and steps and all(isinstance(s, tuple) and len(s) == 2 for s in steps):
        head = [step for _, step in steps[:-1] if step is not None and not (isinstance(step, str)
                                                                             and step == "passthrough")]
        return head, steps[-1][1]
    return [], model


def has_score(model):
    """Whether ``predict_rows`` can give a score: the final estimator has predict_proba or decision_function."""
    _, final = _final_step(model)
    return hasattr(final, "predict_proba") or hasattr(final, "decision_function")


def _predict_with_scores(model, X):
    """Labels and the score of each predicted label, running the pipeline's transformers only once."""
    from .classifiers._open_set import predict_and_score

    head, final = _final_step(model)
    Xt = X
    for step in head:  # like Pipeline.predict, so the transformers run once for both predict and the scores
        Xt = step.transform(Xt)
    classes = getattr(final, "classes_", None)
    scores = None
    if hasattr(final, "speaker_scores"):  # a speaker scorer: the best speaker's score, which its threshold is
        labels, all_scores = predict_and_score(final, Xt)  # held against (also when rejected); one pass, not two
        labels = np.asarray(labels)
        scores = np.asarray(all_scores, dtype=float).max(axis=1)
    else:
        labels = np.asarray(final.predict(Xt))
    if scores is None and classes is not None:
        cols = label_positions(labels, classes)
        if hasattr(final, "predict_proba"):
            scores = np.asarray(final.predict_proba(Xt))[np.arange(len(labels)), np.maximum(cols, 0)]
        elif hasattr(final, "decision_function"):
            dec = np.asarray(final.decision_function(Xt), dtype=float)
            if dec.ndim == 1:  # binary: positive means classes_[1]; report the margin towards the predicted label
                scores = np.where(cols == 1, dec, -dec)
            else:
                scores = dec[np.arange(len(labels)), np.maximum(cols, 0)]
        if scores is not None:  # a label outside classes_ (an open-set reject) has no score
            scores = np.where(cols >= 0, scores, np.nan)
    if len(labels) != len(X):
        raise ValueError(f"the model returned {len(labels)} predictions for {len(X)} files")
    return labels, scores


def _error_text(exc):
    if isinstance(exc, AudioError):
        return exc.reason
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _row(path, label=None, score=None, error=None):
    if label is not None and hasattr(label, "item"):
        label = label.item()
    if score is not None and not np.isfinite(score):
        score = None
    return {"path": path, "label": label, "score": None if score is None else float(score), "error": error}


#: a batch whose error names its bad file is retried without it this many times, then predicted file by file
_NAMED_RETRIES = 3


def _predict_batch(model, batch):
    """Rows for one batch; a failing batch is retried without the file an AudioError names, else file by file."""
    pending = list(batch)
    rows = {}
    retries = 0
    while pending:
        try:
            labels, scores = _predict_with_scores(model, pending)
        except ImportError:  # a missing optional dependency is the model's problem, not one file's
            raise
        except Exception as exc:  # any model, any failure: isolate the bad files below
            named = os.fspath(exc.source) if isinstance(exc, AudioError) else None
            if named in pending and len(pending) > 1 and retries < _NAMED_RETRIES:
                rows[named] = _row(named, error=_error_text(exc))
                pending.remove(named)
                retries += 1
                continue
            if len(pending) == 1:
                rows[pending[0]] = _row(pending[0], error=_error_text(exc))
                break
            for path in pending:
                rows.update((p, r) for p, r in _predict_batch(model, [path]).items())
            break
        for i, path in enumerate(pending):
            rows[path] = _row(path, labels[i], None if scores is None else scores[i])
        break
    return rows


#: the error of a file in which the speech check found no speech
NO_SPEECH = "no speech found (Silero voice activity detector)"


def _has_speech(path, index):
    """Worker: whether Silero finds ``MIN_SPEECH_SECONDS`` of speech in a file (``level="normalize"``).

    The detector runs on the file's first level block (``LEVEL_BLOCK_SECONDS``,
    10 s) and, only when it holds too little speech, on the rest (a long
    recording that opens with speech costs one short pass; the blocks whose
    level is set are the same as for ``VoiceActivityDetector``). A clip shorter than 0.625 s
    needs 40 % of its length in speech instead: a 0.3 s word has no 0.25 s of
    speech frames. Only the decision is returned: no copy of the audio is kept.
    """
    from .features._vad import HOP_SECONDS, LEVEL_BLOCK_SECONDS, MIN_SPEECH_SECONDS, speech_mask

    y = read_for_model(path, index, input_rate=16000, model_rate=16000, min_samples=400)
    needed = min(MIN_SPEECH_SECONDS, 0.4 * len(y) / 16000)
    head = int(LEVEL_BLOCK_SECONDS * 16000)
    found = 0
    for part in (y[:head], y[head:]):
        if len(part) >= 512:  # one Silero window
            found += int(speech_mask(part, 16000, "silero", level="normalize").sum())
            if found * HOP_SECONDS >= needed:
                return True
    return False


def speech_checker(mode, n_jobs=None):
    """``find(paths) -> set of the paths without speech`` for ``predict_rows``, or None when the check is off.

    ``mode`` "on" needs Silero (the ``vad`` extra) and raises ImportError
    without it; "auto" is "on" when Silero is installed, else off. Silero
    runs on each file scaled to -25 dBFS, so quiet speech counts as speech
    and noise, hum, tones and silence at any level do not; a file with less
    than 0.25 s of speech has none (as ``VoiceActivityDetector`` decides
    ``no_speech_``). A file the check cannot read is left to the model,
    whose error then names the problem.
    """
    if mode == "off":
        return None
    from ._parallel import map_recordings
    from .features._vad import _silero_model

    try:
        _silero_model()  # fail here, once, when Silero is not installed
    except ImportError:
        if mode == "on":
            raise
        return None

    def find(paths):
        found, _ = map_recordings(_has_speech, paths, n_jobs=n_jobs, on_error="skip",
                                  estimator_name="the speech check")
        return {path for path, speech in zip(paths, found) if speech is False}

    return find


def predict_rows(model, paths, *, batch_size=32, progress=None, no_speech=None):
    """Yield one row dict (path, label, score, error) per path, in order, predicting ``batch_size`` files at a time.

    Missing files are reported without calling the model; when a batch
    fails, its files are predicted one by one so that only the bad ones
    carry an error. ``no_speech`` (from :func:`speech_checker`) finds the
    files without speech, which get the error ``NO_SPEECH`` and no label.
    ``progress(n)`` is called after each batch.
    """
    for start in range(0, len(paths), batch_size):
        batch = paths[start:start + batch_size]
        rows = {}
        present = []
        for path in batch:
            if not os.path.exists(path):
                rows[path] = _row(path, error="file does not exist")
            elif os.path.isdir(path):
                rows[path] = _row(path, error="is a directory")
            else:
                present.append(path)
        # duplicates share one prediction
        unique = list(dict.fromkeys(present))
        if unique and no_speech is not None:
            silent = no_speech(unique)
            rows.update((path, _row(path, error=NO_SPEECH)) for path in silent)
            unique = [path for path in unique if path not in silent]
        if unique:
            rows.update(_predict_batch(model, unique))
        for path in batch:
            yield dict(rows[path])
        if progress is not None:
            progress(len(batch))


# ---------------------------------------------------------------------------------------------------------- output
def _fmt_score(score):
    return "" if score is None else f"{score:.6g}"


class _CSVWriter:
    def __init__(self, fh, columns):
        self.writer = csv.writer(fh, lineterminator="\n")
        self.columns = columns
        self.writer.writerow(columns)
        self.fh = fh

    def write(self, rows):
        for row in rows:
            self.writer.writerow([_fmt_score(row[c]) if c == "score" else ("" if row[c] is None else row[c])
                                  for c in self.columns])
        self.fh.flush()

    def close(self):
        pass


def _has_surrogates(text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class _BufferedWriter:
    def __init__(self, fh, columns, kind):
        self.fh, self.columns, self.kind, self.rows = fh, columns, kind, []

    def write(self, rows):
        self.rows += [{c: row[c] for c in self.columns} for row in rows]

    def close(self):
        if self.kind == "json":
            text = json.dumps(self.rows, indent=2, ensure_ascii=False)
            if _has_surrogates(text):
                # a file name that is not UTF-8 (its bytes decoded with surrogateescape): written raw, they would
                # make the JSON invalid UTF-8; escaped (\udce9), json.load gives back the name os.fsencode reads
                text = json.dumps(self.rows, indent=2, ensure_ascii=True)
            self.fh.write(text + "\n")
            return
        cells = [[_fmt_score(r[c]) if c == "score" else ("" if r[c] is None else str(r[c])) for c in self.columns]
                 for r in self.rows]
        widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(self.columns)]
        line = "  ".join(c.ljust(w) for c, w in zip(self.columns, widths)).rstrip()
        self.fh.write(line + "\n" + "  ".join("-" * w for w in widths) + "\n")
        for row in cells:
            self.fh.write("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() + "\n")


def write_rows(fh, kind, columns):
    """A writer with ``write(rows)`` and ``close()``: csv streams row by row, json and table are written at close."""
    if kind == "csv":
        return _CSVWriter(fh, columns)
    return _BufferedWriter(fh, columns, kind)


def stderr_is_tty():
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
