"""Any folder of recordings with one sub-folder per label (like scikit-learn's ``load_files``)."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from .._audio import AudioError, audio_info
from .._parallel import SkippedRecordingsWarning
from .._sklearn_compat import StrOptions, validate_params

__all__ = ["load_folder"]

# the file extensions load_folder takes as audio by default (all decoded by libsndfile)
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff")
# audio that phones and video tools write and libsndfile cannot decode: never read, but said when left out
UNDECODABLE_EXTENSIONS = (".m4a", ".aac", ".wma", ".mp4", ".amr", ".3gp", ".webm")


def undecodable_note(paths):
    """One line naming audio files left out because libsndfile cannot decode their format ('' for none)."""
    if not paths:
        return ""
    kinds = sorted({os.path.splitext(p)[1].lower() for p in paths})
    return (f"{len(paths)} {'/'.join(kinds)} file(s) left out: libsndfile cannot decode that format; convert them "
            f"first (e.g. ffmpeg -i in{kinds[0]} out.wav). First: {paths[0]}")


def _check_extensions(extensions):
    if isinstance(extensions, str):
        extensions = (extensions,)
    try:
        exts = tuple(extensions)
    except TypeError:
        exts = None
    if not exts or not all(isinstance(e, str) and e.strip(". ") for e in exts):
        raise ValueError(f"extensions must be a non-empty sequence of file extensions such as '.wav', "
                         f"got {extensions!r}.")
    return tuple("." + e.strip().lstrip(".").lower() for e in exts)


def _is_audio(name, exts):
    return not name.startswith(".") and name.lower().endswith(exts)


def _undecodable(names, exts):
    return [n for n in names if _is_audio(n, UNDECODABLE_EXTENSIONS) and not _is_audio(n, exts)]


def _label_files(label_dir, exts, recursive, undecodable):
    if not recursive:
        names = [f for f in os.listdir(label_dir) if os.path.isfile(os.path.join(label_dir, f))]
        undecodable += sorted(os.path.join(label_dir, f) for f in _undecodable(names, exts))
        return sorted(os.path.join(label_dir, f) for f in names if _is_audio(f, exts))
    return find_audio_files(label_dir, exts, undecodable=undecodable)


def find_audio_files(folder, extensions=AUDIO_EXTENSIONS, *, undecodable=None):
    """The audio files below ``folder`` (sorted), hidden files and folders left out.

    Linked sub-folders are followed (a dataset is often assembled from
    speaker folders linked in from elsewhere); a link back to a folder already
    searched is not followed again. Files in a format libsndfile cannot
    decode (``.m4a``, ``.aac``, ``.wma``...; see ``UNDECODABLE_EXTENSIONS``)
    are appended to the list ``undecodable`` when one is given, so callers can
    say they were left out.
    """
    found, seen = [], {os.path.realpath(folder)}
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        keep = []
        for d in sorted(dirnames):
            real = os.path.realpath(os.path.join(dirpath, d))
            if not d.startswith(".") and real not in seen:
                seen.add(real)
                keep.append(d)
        dirnames[:] = keep
        found += [os.path.join(dirpath, f) for f in filenames if _is_audio(f, extensions)]
        if undecodable is not None:
            undecodable += sorted(os.path.join(dirpath, f) for f in _undecodable(filenames, extensions))
    return sorted(found)


@validate_params({"root": [str, os.PathLike], "extensions": [str, list, tuple], "recursive": ["boolean"],
                  "durations": ["boolean"], "on_error": [StrOptions({"warn", "skip", "raise"})],
                  "return_X_y": ["boolean"], "as_frame": ["boolean"]}, prefer_skip_nested_validation=True)
def load_folder(root, *, extensions=AUDIO_EXTENSIONS, recursive=True, durations=True, on_error="warn",
                return_X_y=False, as_frame=False):
    """Load a folder of recordings whose sub-folders name the labels.

    The layout is the one of :func:`sklearn.datasets.load_files`, with audio
    files::

        root/
            female/
                alice_01.wav
                alice_02.flac
            male/
                bob_01.wav
                session2/bob_02.ogg     (nested folders: with recursive=True)

    Each direct sub-folder of ``root`` is one label; every audio file under it
    is one recording (one sample). The file paths go straight into any
    skvoice pipeline (``MFCCExtractor``, ``SpeakerEmbedding``, ...).

    Parameters
    ----------
    root : str or os.PathLike
        The folder holding one sub-folder per label.
    extensions : sequence of str, default=(".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff")
        File extensions taken as audio, case-insensitively (all formats
        libsndfile decodes). Other files (transcripts,
        ``.DS_Store``, ...) are ignored, and so are hidden files and folders
        (names starting with ``"."``, e.g. macOS ``._x.wav`` resource forks).
    recursive : bool, default=True
        Also take audio files in nested folders under each label folder;
        with False only files directly inside it.
    durations : bool, default=True
        Read each file's header for its duration in seconds (no decoding).
        This is also what finds unreadable files early; with False nothing
        is opened and ``duration`` is NaN (a bad file then surfaces in the
        feature extractor, under its own ``on_error``).
    on_error : {"warn", "skip", "raise"}, default="warn"
        What to do with a file whose header cannot be read (corrupt, empty,
        truncated, not audio, no samples), when ``durations`` is True:
        ``"warn"`` drops it and emits one
        :class:`~skvoice.SkippedRecordingsWarning` listing every dropped file
        and why; ``"skip"`` drops it silently; ``"raise"`` raises
        :class:`~skvoice.AudioError` at the first one. Dropped files are
        listed in the Bunch's ``skipped`` either way.
    return_X_y : bool, default=False
        Return ``(filenames, target)`` instead of the Bunch.
    as_frame : bool, default=False
        With ``return_X_y``, return a DataFrame (``path``, ``duration``) and
        a Series target instead of arrays.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``frame`` (DataFrame: path, label, target, duration; one row per
        recording, sorted by label then path), ``filenames`` (absolute
        paths), ``label`` (the folder name of each recording), ``target``
        (integer index into ``target_names``, as in ``load_files``),
        ``target_names`` (the sorted labels that hold at least one
        recording), ``duration``, ``skipped`` (list of ``(path, reason)``
        of the dropped files), ``DESCR`` and ``root``.
    (filenames, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        When ``root`` is not a directory.
    ValueError
        When no audio file is found in any label folder (the message says
        what was found instead), or bad parameters.
    AudioError
        With ``on_error="raise"``, for the first unreadable file.

    Warns
    -----
    UserWarning
        For label folders without any audio file (they are left out of
        ``target_names``), audio files lying directly in ``root`` (they have
        no label and are ignored), and a ``root`` that looks like a
        LibriSpeech tree (use :func:`load_librispeech` there).

    See Also
    --------
    load_librispeech : A LibriSpeech tree (labels from SPEAKERS.TXT).
    load_sample : The real LibriSpeech sample shipped with skvoice.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, soundfile as sf
    >>> from skvoice.datasets import load_folder
    >>> root = tempfile.mkdtemp()
    >>> for label, n in [("cat", 2), ("dog", 3)]:
    ...     os.makedirs(os.path.join(root, label))
    ...     for i in range(n):
    ...         sf.write(os.path.join(root, label, f"{i}.wav"), np.zeros(8000, "float32"), 16000)
    >>> data = load_folder(root)
    >>> data.target_names.tolist(), data.target.tolist(), data.duration.tolist()
    (['cat', 'dog'], [0, 0, 1, 1, 1], [0.5, 0.5, 0.5, 0.5, 0.5])
    """
    exts = _check_extensions(extensions)
    root = os.path.abspath(os.path.expanduser(os.fspath(root)))
    if not os.path.isdir(root):
        raise FileNotFoundError(f"Audio folder {root!r} does not exist or is not a directory.")
    if os.path.isfile(os.path.join(root, "SPEAKERS.TXT")):
        warnings.warn(f"{root!r} holds SPEAKERS.TXT and looks like a LibriSpeech root: load_folder labels each "
                      "recording by its top-level folder (the subset name here). Use "
                      "skvoice.datasets.load_librispeech for speaker and sex labels.", UserWarning, stacklevel=3)

    entries = sorted(e for e in os.listdir(root) if not e.startswith("."))
    label_dirs = [e for e in entries if os.path.isdir(os.path.join(root, e))]
    loose = [e for e in entries if _is_audio(e, exts) and os.path.isfile(os.path.join(root, e))]
    if loose:
        warnings.warn(f"{len(loose)} audio file(s) lie directly in {root!r} and have no label folder; they are "
                      f"ignored: {loose[:5]}{' ...' if len(loose) > 5 else ''}", UserWarning, stacklevel=3)

    paths, labels, empty, undecodable = [], [], [], []
    for label in label_dirs:
        files = _label_files(os.path.join(root, label), exts, recursive, undecodable)
        if not files:
            empty.append(label)
        paths += files
        labels += [label] * len(files)
    if undecodable:
        warnings.warn(f"load_folder: {undecodable_note(undecodable)}", UserWarning, stacklevel=3)
    if not paths:
        raise ValueError(f"No audio files ({', '.join(exts)}) found in the label folders of {root!r} "
                         f"(recursive={recursive}). Expected one sub-folder per label holding the recordings; "
                         f"found {len(label_dirs)} sub-folder(s) and {len(entries) - len(label_dirs)} file(s) "
                         "at the top level.")

    duration = np.full(len(paths), np.nan)
    skipped = []
    if durations:
        keep = np.ones(len(paths), dtype=bool)
        for i, path in enumerate(paths):
            try:
                info = audio_info(path)
                if info.frames <= 0:
                    raise AudioError(path, "contains no audio samples (0 frames in its header)")
            except AudioError as exc:
                if on_error == "raise":
                    raise
                keep[i] = False
                skipped.append((path, exc.reason))
                continue
            duration[i] = info.duration
        if skipped and on_error == "warn":
            listed = "; ".join(f"{p}: {r}" for p, r in skipped[:20])
            more = f" (and {len(skipped) - 20} more)" if len(skipped) > 20 else ""
            warnings.warn(f"load_folder: {len(skipped)} of {len(paths)} file(s) could not be read and were left "
                          f"out: {listed}{more}. They are listed in the result's `skipped`.",
                          SkippedRecordingsWarning, stacklevel=3)
        if not keep.any():
            raise ValueError(f"None of the {len(paths)} audio file(s) under {root!r} could be read; first: "
                             f"{skipped[0][0]}: {skipped[0][1]}.")
        paths = [p for p, k in zip(paths, keep) if k]
        labels = [lab for lab, k in zip(labels, keep) if k]
        duration = duration[keep]
        empty += [lab for lab in label_dirs if lab not in set(labels) and lab not in empty]
    if empty:
        warnings.warn(f"{len(empty)} label folder(s) under {root!r} hold no readable audio file and are left out: "
                      f"{sorted(empty)}", UserWarning, stacklevel=3)

    target_names, target = np.unique(np.asarray(labels, dtype=str), return_inverse=True)
    frame = pd.DataFrame({"path": paths, "label": labels, "target": target.astype(np.int64), "duration": duration})
    filenames = frame["path"].to_numpy(dtype=object)
    if return_X_y:
        if as_frame:
            return frame[["path", "duration"]], frame["target"]
        return filenames, frame["target"].to_numpy()
    counts = frame["label"].value_counts().reindex(target_names)
    descr = (f"Audio folder {root}: {len(frame)} recording(s) in {len(target_names)} label folder(s) "
             f"({', '.join(f'{k}: {v}' for k, v in counts.items())})"
             + (f", {np.nansum(duration) / 60:.1f} minutes in total" if durations else "")
             + (f"; {len(skipped)} unreadable file(s) left out" if skipped else "") + ".")
    return Bunch(frame=frame, filenames=filenames, label=frame["label"].to_numpy(dtype=object),
                 target=frame["target"].to_numpy(), target_names=target_names,
                 duration=frame["duration"].to_numpy(), skipped=skipped, DESCR=descr, root=root)
