"""Read a local LibriSpeech tree (any subsets) into a sklearn Bunch."""

from __future__ import annotations

import os
import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state

from .._docs import fill_doc
from .._sklearn_compat import Interval, StrOptions, validate_params

__all__ = ["load_librispeech", "select_speakers", "read_speakers", "get_librispeech_root", "ENV_ROOT"]

ENV_ROOT = "SKVOICE_LIBRISPEECH"

_DESCR = """LibriSpeech ASR corpus (Panayotov et al., 2015), CC BY 4.0.
Read English audiobooks, 16 kHz mono FLAC, organised as
<subset>/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac, with SPEAKERS.TXT
giving each reader's sex. One row of `frame` is one utterance (recording)."""


def get_librispeech_root(root=None):
    """Resolve the LibriSpeech root: ``root``, else ``$SKVOICE_LIBRISPEECH``.

    Raises
    ------
    FileNotFoundError
        With instructions when neither points at an existing folder.
    """
    if root is None:
        root = os.environ.get(ENV_ROOT)
        if not root:
            raise FileNotFoundError(
                f"No LibriSpeech root given. Pass root=... (the folder holding SPEAKERS.TXT), set the "
                f"{ENV_ROOT} environment variable, or download a subset with "
                "skvoice.datasets.fetch_librispeech().")
    root = os.path.abspath(os.path.expanduser(os.fspath(root)))
    if not os.path.isdir(root):
        raise FileNotFoundError(f"LibriSpeech root {root!r} does not exist or is not a directory.")
    return root


def read_speakers(path):
    """Parse ``SPEAKERS.TXT`` into a DataFrame (speaker, gender, subset, minutes, name).

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    speakers : pandas.DataFrame indexed by speaker id (str)
    """
    rows = []
    with open(path, encoding="utf-8-sig", errors="replace") as fh:  # -sig: a byte-order mark left by an editor
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line or line.startswith(";"):
                continue
            parts = [p.strip() for p in line.split("|", 4)]
            if len(parts) < 3:
                raise ValueError(f"{path}:{lineno}: malformed line (expected 'ID | SEX | SUBSET | ...'): {line!r}")
            parts += [""] * (5 - len(parts))
            sid, sex, subset, minutes, name = parts
            try:
                minutes = float(minutes)
            except ValueError:
                minutes = np.nan
            rows.append((sid, sex.upper(), subset, minutes, name))
    if not rows:
        raise ValueError(f"{path}: no speaker lines found; is this LibriSpeech's SPEAKERS.TXT?")
    return pd.DataFrame(rows, columns=["speaker", "gender", "subset", "minutes", "name"]).set_index("speaker")


def _visible(folder):
    """The entries of ``folder`` that are not hidden (macOS leaves ``._<name>.flac`` companions on FAT/exFAT)."""
    return [name for name in os.listdir(folder) if not name.startswith(".")]


def _read_transcripts(chapter_dir):
    out = {}
    for fn in _visible(chapter_dir):
        if fn.endswith(".trans.txt"):
            with open(os.path.join(chapter_dir, fn), encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    uid, _, text = line.strip().partition(" ")
                    if uid:
                        out[uid] = text
    return out


@validate_params({"root": [str, os.PathLike, None], "subset": [str, list, tuple], "speakers": ["array-like", None],
                  "max_per_speaker": [Interval(Integral, 1, None, closed="left"), None], "with_duration": ["boolean"],
                  "target": [StrOptions({"gender", "speaker"})], "return_X_y": ["boolean"], "as_frame": ["boolean"],
                  "random_state": ["random_state"]}, prefer_skip_nested_validation=True)
@fill_doc
def load_librispeech(root=None, subset="dev-clean", *, speakers=None, max_per_speaker=None, with_duration=True,
                     target="gender", return_X_y=False, as_frame=False, random_state=None):
    """Load a local LibriSpeech tree: file paths, speakers, sex and durations.

    Parameters
    ----------
    root : str or os.PathLike, optional
        The LibriSpeech folder (holding ``SPEAKERS.TXT`` and subset folders).
        Default: ``$SKVOICE_LIBRISPEECH``.
    subset : str or list of str, default="dev-clean"
        Subset folder(s) to read, e.g. ``"train-clean-100"`` or
        ``["test-other", "dev-clean"]``.
    speakers : list of str or int, optional
        Keep only these speaker ids.
    max_per_speaker : int, optional
        Keep at most this many utterances per speaker (the first ones in
        sorted order, or a random choice when ``random_state`` is given).
    with_duration : bool, default=True
        Read each file's header for its duration in seconds (fast; no decoding).
    %(librispeech_target)s
    random_state : int, RandomState instance or None, default=None
        Used for ``max_per_speaker`` sampling when not None.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``frame`` (DataFrame: path, subset, speaker, gender, chapter,
        utterance_id, transcript, duration), ``filenames``, ``speaker``,
        ``gender``, ``target``, ``target_names``, ``speakers`` (the SPEAKERS.TXT
        rows of the loaded readers) and ``DESCR``.
    (filenames, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        Missing root, ``SPEAKERS.TXT`` or subset folder (the message lists the
        subsets that do exist).
    ValueError
        When the selection contains no utterance.

    Examples
    --------
    >>> from skvoice.datasets import load_librispeech
    >>> data = load_librispeech("/path/to/LibriSpeech", "test-other")  # doctest: +SKIP
    >>> data.frame[["speaker", "gender", "duration"]].head(2)  # doctest: +SKIP
    """
    root = get_librispeech_root(root)
    spk_file = os.path.join(root, "SPEAKERS.TXT")
    if not os.path.isfile(spk_file):
        raise FileNotFoundError(f"{spk_file} not found: {root!r} does not look like a LibriSpeech root "
                                "(it must hold SPEAKERS.TXT and subset folders such as dev-clean/).")
    spk_table = read_speakers(spk_file)
    # a subset named twice would list its files twice (the same file on both sides of a CV split)
    subsets = [subset] if isinstance(subset, str) else list(dict.fromkeys(subset))
    if not subsets:
        raise ValueError("subset must name at least one subset.")
    available = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    wanted = None if speakers is None else {str(s) for s in speakers}
    rows, unknown = [], set()
    for sub in subsets:
        sub_dir = os.path.join(root, sub)
        if not os.path.isdir(sub_dir):
            raise FileNotFoundError(f"Subset {sub!r} not found under {root!r}; available: {available}. "
                                    "Download it with skvoice.datasets.fetch_librispeech(subset=...).")
        for spk in sorted(_visible(sub_dir), key=lambda s: (len(s), s)):
            spk_dir = os.path.join(sub_dir, spk)
            if not os.path.isdir(spk_dir) or (wanted is not None and spk not in wanted):
                continue
            if spk not in spk_table.index:
                unknown.add(spk)
            for chapter in sorted(_visible(spk_dir)):
                ch_dir = os.path.join(spk_dir, chapter)
                if not os.path.isdir(ch_dir):
                    continue
                texts = _read_transcripts(ch_dir)
                for fn in sorted(_visible(ch_dir)):
                    if fn.endswith(".flac"):
                        uid = fn[:-5]
                        rows.append((os.path.join(ch_dir, fn), sub, spk, chapter, uid, texts.get(uid)))
    if unknown:
        warnings.warn(f"{len(unknown)} speaker(s) are not in SPEAKERS.TXT, their gender is unknown: "
                      f"{sorted(unknown)[:10]}", UserWarning, stacklevel=3)
    frame = pd.DataFrame(rows, columns=["path", "subset", "speaker", "chapter", "utterance_id", "transcript"])
    if frame.empty:
        raise ValueError(f"No .flac utterances found in subset(s) {subsets} under {root!r}"
                         + (f" for speakers {sorted(wanted)}" if wanted else "") + ".")
    frame.insert(3, "gender", frame["speaker"].map(spk_table["gender"]))
    if max_per_speaker is not None:
        if random_state is None:
            frame = frame.groupby("speaker", sort=False).head(int(max_per_speaker))
        else:  # a random rank within each speaker; keep the lowest ranks, in the original order
            rank = pd.Series(check_random_state(random_state).permutation(len(frame)), index=frame.index)
            frame = frame[rank.groupby(frame["speaker"]).rank(method="first") <= int(max_per_speaker)]
        frame = frame.reset_index(drop=True)
    if with_duration:
        from .._audio import audio_info

        frame["duration"] = [audio_info(p).duration for p in frame["path"]]
    else:
        frame["duration"] = np.nan
    filenames = frame["path"].to_numpy(dtype=object)
    y = frame[target].to_numpy(dtype=object)
    if return_X_y:
        if as_frame:
            return frame.drop(columns=[target]), frame[target]
        return filenames, y
    return Bunch(frame=frame, filenames=filenames, speaker=frame["speaker"].to_numpy(dtype=object),
                 gender=frame["gender"].to_numpy(dtype=object), target=y,
                 target_names=np.unique(y[pd.notna(y)].astype(str)), speakers=spk_table.loc[
                     spk_table.index.intersection(frame["speaker"].unique())],
                 DESCR=_DESCR, root=root)


def _id_order(ids):
    """Speaker ids sorted: numerically when they are all digits (LibriSpeech's), else as strings."""
    ids = list(ids)
    if all(str(i).isdigit() for i in ids):
        return sorted(ids, key=lambda i: int(str(i)))
    return sorted(ids, key=str)


@validate_params({"frame": [pd.DataFrame], "n_female": [Interval(Integral, 0, None, closed="left")],
                  "n_male": [Interval(Integral, 0, None, closed="left")], "random_state": ["random_state"],
                  "min_utterances": [Interval(Integral, 0, None, closed="left")]},
                 prefer_skip_nested_validation=True)
def select_speakers(frame, n_female, n_male, *, random_state=None, min_utterances=1):
    """Pick a gender-balanced set of speakers (the study used 9 female + 9 male or more).

    Parameters
    ----------
    frame : pandas.DataFrame
        With ``speaker`` and ``gender`` columns (``load_librispeech().frame``).
    n_female, n_male : int
        Speakers of each sex to keep.
    random_state : int, RandomState instance or None, default=None
        Which speakers; ``None`` keeps the first ones in id order.
    min_utterances : int, default=1
        Only speakers with at least this many utterances are eligible.

    Returns
    -------
    subset : pandas.DataFrame
        The rows of the chosen speakers (index reset).

    Examples
    --------
    >>> import pandas as pd
    >>> from skvoice.datasets import select_speakers
    >>> frame = pd.DataFrame({"speaker": list("abcdef"), "gender": list("FFFMMM")})
    >>> select_speakers(frame, 2, 1)["speaker"].tolist()
    ['a', 'b', 'd']
    """
    missing = {"speaker", "gender"} - set(frame.columns)
    if missing:
        raise ValueError(f"frame lacks column(s) {sorted(missing)}.")
    counts = frame.groupby("speaker", sort=False).size()
    eligible = frame.drop_duplicates("speaker").set_index("speaker")["gender"]
    eligible = eligible[counts.reindex(eligible.index) >= min_utterances]
    rng = None if random_state is None else check_random_state(random_state)
    chosen = []
    for sex, n in (("F", n_female), ("M", n_male)):
        pool = _id_order(eligible[eligible == sex].index)
        if len(pool) < n:
            raise ValueError(f"Asked for {n} {'female' if sex == 'F' else 'male'} speakers with at least "
                             f"{min_utterances} utterance(s), but only {len(pool)} are available.")
        chosen += list(rng.choice(pool, n, replace=False)) if rng is not None else pool[:n]
    keep = set(chosen)
    return frame[frame["speaker"].isin(keep)].reset_index(drop=True)
