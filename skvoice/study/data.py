"""The recordings a run uses: where they come from (data sources), which subset, which speakers.

A *data source* is a function ``(config, budget, progress) -> Corpora`` registered under a name with
:func:`register_data_source`; :attr:`ReproduceConfig.source <skvoice.study.config.ReproduceConfig.source>`
names the one a run uses. Two are built in: ``"librispeech"`` (a local or fetched LibriSpeech tree) and
``"synthetic"`` (:func:`skvoice.datasets.make_voices`).
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from .errors import DataError
from .results import CorpusDescription, DataInfo

__all__ = ["GENDER_SUBSETS", "SPEAKER_SUBSETS", "DATA_SOURCES", "Corpus", "Corpora", "register_data_source",
           "load_corpora", "resolve_root", "check_root", "available_subsets", "choose_subset", "describe",
           "load_librispeech_subset", "synthetic_corpus"]

# preferred subsets when none is given: the study's dev-clean first, then what the shared data holds
GENDER_SUBSETS = ("dev-clean", "train-clean-100", "test-clean", "dev-other", "test-other", "train-clean-360",
                  "train-other-500")
SPEAKER_SUBSETS = ("dev-clean", "test-other", "test-clean", "dev-other", "train-clean-100", "train-clean-360",
                   "train-other-500")


@dataclasses.dataclass
class Corpus:
    """One task's recordings: audio input (paths or waveforms) with labels and a description.

    ``features`` caches extracted feature sets by name (see :mod:`skvoice.study.feature_sets`).
    """

    X: np.ndarray
    speaker: np.ndarray
    gender: np.ndarray
    duration: np.ndarray
    description: CorpusDescription
    sample_rate: int = 16000
    features: dict = dataclasses.field(default_factory=dict)
    feature_errors: dict = dataclasses.field(default_factory=dict)

    def target(self, task):
        """The labels of ``task``: sex for ``"gender"``, speaker id otherwise."""
        return self.gender if task == "gender" else self.speaker

    def leave_out(self, positions, note):
        """Remove the recordings at ``positions`` (e.g. files that cannot be decoded) before any protocol is
        drawn: labels, durations, cached features and the description follow, and ``note`` is added to it."""
        from .._ragged import take_rows

        keep = np.setdiff1d(np.arange(len(self.X)), np.asarray(positions, dtype=int))
        if len(keep) == 0:
            raise DataError(f"no usable recording left: {note}")
        self.X, self.speaker, self.gender, self.duration = (
            (a if isinstance(a, np.ndarray) else np.asarray(a, dtype=object))[keep]
            for a in (self.X, self.speaker, self.gender, self.duration))
        self.features = {name: take_rows(values, keep) for name, values in self.features.items()}
        d = self.description  # updated in place: the run's DataInfo holds this object
        new = describe(self.speaker, self.gender, self.duration, source=d.source, root=d.root, subset=d.subset,
                       selection=d.selection, notes=[*d.notes, note])
        files = d.files
        for field in dataclasses.fields(new):
            setattr(d, field.name, getattr(new, field.name))
        if files is not None and len(files) == len(keep) + len(np.unique(positions)):
            d.files = [files[i] for i in keep]


@dataclasses.dataclass
class Corpora:
    """What a data source returns: the corpus of each task (may be the same object) and where it came from."""

    gender: Corpus
    speaker: Corpus
    source: str
    origin: str
    root: str | None = None
    notes: list[str] = dataclasses.field(default_factory=list)

    def info(self):
        return DataInfo(source=self.source, root=self.root, origin=self.origin, notes=list(self.notes),
                        gender=self.gender.description, speaker=self.speaker.description)


DATA_SOURCES = {}


def register_data_source(name, loader=None):
    """Register ``loader(config, budget, progress) -> Corpora`` as data source ``name``.

    Usable as a decorator (``@register_data_source("name")``). The loader raises :class:`DataError`
    with instructions when its data is not usable.
    """
    def add(func):
        DATA_SOURCES[name] = func
        return func

    return add if loader is None else add(loader)


def load_corpora(config, budget, progress):
    """The :class:`Corpora` of the data source ``config.source`` selects."""
    try:
        loader = DATA_SOURCES[config.source]
    except KeyError:
        raise DataError(f"unknown data source {config.source!r}; known: {', '.join(DATA_SOURCES)}") from None
    return loader(config, budget, progress)


# ------------------------------------------------------------------------------------------------ LibriSpeech
def _offline_help(reason):
    from ..datasets import get_data_home

    try:
        home = get_data_home()
    except OSError:
        home = "~/skvoice_data"
    return (f"No LibriSpeech data available: {reason}\n"
            "Do one of the following:\n"
            "  * point skvoice at a local copy (the folder holding SPEAKERS.TXT and subset folders such as "
            "dev-clean/):\n"
            "        skvoice reproduce --data /path/to/LibriSpeech\n"
            "    or  export SKVOICE_LIBRISPEECH=/path/to/LibriSpeech\n"
            "  * or download dev-clean (337 MB) on a connected machine from\n"
            "        https://www.openslr.org/resources/12/dev-clean.tar.gz\n"
            f"    and put the archive at {os.path.join(home, 'dev-clean.tar.gz')} (skvoice verifies and extracts it),"
            "\n    or extract it and use --data\n"
            "  * or run the whole report on synthetic voices:\n"
            "        skvoice reproduce --synthetic")


def check_root(root, origin):
    """``root`` as an absolute path if it is a LibriSpeech root (holds SPEAKERS.TXT), else :class:`DataError`."""
    root = os.path.abspath(os.path.expanduser(os.fspath(root)))
    if not os.path.isdir(root):
        raise DataError(_offline_help(f"{origin} points at {root!r}, which does not exist or is not a folder."))
    if not os.path.isfile(os.path.join(root, "SPEAKERS.TXT")):
        raise DataError(_offline_help(f"{origin} points at {root!r}, which holds no SPEAKERS.TXT (expected a "
                                      "LibriSpeech root, e.g. .../LibriSpeech, not a subset folder)."))
    return root


BUNDLED_ORIGIN = "the bundled sample (real LibriSpeech shipped with skvoice, CC BY 4.0)"


def resolve_root(data=None, *, download=False, progress=None):
    """The LibriSpeech root: ``data``, else ``$SKVOICE_LIBRISPEECH``, else dev-clean (``download``) or the sample.

    With neither ``data`` nor ``$SKVOICE_LIBRISPEECH``, ``download=True`` fetches dev-clean with
    ``fetch_librispeech()`` (the study's subset) and ``download=False`` uses the real LibriSpeech sample
    bundled with skvoice (no network). Returns ``(root, origin)``; raises :class:`DataError` with
    instructions when nothing is usable.
    """
    from ..datasets import ENV_ROOT

    if data:
        return check_root(data, "--data"), "--data"
    env = os.environ.get(ENV_ROOT)
    if env:
        return check_root(env, f"${ENV_ROOT}"), f"${ENV_ROOT}"
    if not download:
        from ..datasets._sample import _sample_root

        if progress is not None:
            progress.log(f"no --data and ${ENV_ROOT} unset: using {BUNDLED_ORIGIN}; --download fetches dev-clean "
                         "for the full study")
        return check_root(_sample_root(), "the bundled sample"), BUNDLED_ORIGIN
    from ..datasets import fetch_librispeech

    if progress is not None:
        progress.log(f"no --data and ${ENV_ROOT} unset: using fetch_librispeech('dev-clean') (cached in the data "
                     "home; downloads 337 MB once)")
    try:
        bunch = fetch_librispeech("dev-clean", with_duration=False, verbose=progress is not None)
    except (OSError, ValueError) as exc:  # OfflineError, DownloadError, ChecksumError, ArchiveError
        raise DataError(_offline_help(f"no --data given, ${ENV_ROOT} is not set, and dev-clean could not be "
                                      f"fetched: {exc}")) from exc
    return bunch.root, "fetch_librispeech (dev-clean, data home)"


def available_subsets(root):
    """Subset folders of a LibriSpeech root (folders holding speaker folders)."""
    out = []
    for d in sorted(os.listdir(root)):
        path = os.path.join(root, d)
        if d.startswith(".") or not os.path.isdir(path):
            continue
        if any(s.isdigit() and os.path.isdir(os.path.join(path, s)) for s in os.listdir(path)):
            out.append(d)
    return out


def choose_subset(root, requested, preferences, option):
    """``(subset, note)``: the requested subset (error if absent) or the first preferred one present."""
    available = available_subsets(root)
    if not available:
        raise DataError(f"{root!r} holds SPEAKERS.TXT but no subset folder with speakers (e.g. dev-clean/).")
    if requested:
        if requested not in available:
            raise DataError(f"{option} {requested!r} not found under {root!r}. Subsets available there: "
                            f"{', '.join(available)}. Pass one of them with {option}, or download the subset "
                            f"with skvoice.datasets.fetch_librispeech(subset={requested!r}).")
        return requested, None
    for sub in preferences:
        if sub in available:
            note = None if sub == preferences[0] else (
                f"{preferences[0]} (the study's subset) is not under {root}; using {sub} "
                f"(available: {', '.join(available)}; choose with {option}).")
            return sub, note
    return available[0], f"using {available[0]} (available: {', '.join(available)}; choose with {option})."


def describe(speaker, gender, duration, *, source, root, subset, selection, notes):
    """The :class:`CorpusDescription` of recordings with these speakers, sexes and durations (seconds)."""
    spk = np.asarray(speaker, dtype=object)
    per_speaker = {s: int(n) for s, n in zip(*np.unique(spk, return_counts=True))}
    first = {}
    for s, g in zip(spk, gender):
        first.setdefault(s, g)
    sexes = list(first.values())
    return CorpusDescription(
        source=source, root=root, subset=subset, selection=selection, notes=list(notes),
        n_speakers=len(per_speaker), n_female=sexes.count("F"), n_male=sexes.count("M"), n_recordings=int(len(spk)),
        hours=float(np.sum(duration) / 3600.0), mean_duration_s=float(np.mean(duration)) if len(duration) else 0.0,
        recordings_per_speaker={"min": min(per_speaker.values()), "max": max(per_speaker.values())})


def _select_gender_speakers(frame, subset, budget, seed, notes):
    from ..datasets import select_speakers

    speakers = frame.drop_duplicates("speaker")["gender"]
    n_f, n_m = speakers.eq("F").sum(), speakers.eq("M").sum()
    if min(n_f, n_m) < 2:
        raise DataError(f"Gender task: subset {subset!r} has {n_f} female and {n_m} male speakers; at least 2 "
                        "of each are needed (the study used >= 9 + 9). Choose another --gender-subset.")
    if budget.gender_per_sex is not None and min(n_f, n_m) > budget.gender_per_sex:
        frame = select_speakers(frame, budget.gender_per_sex, budget.gender_per_sex, random_state=seed)
        notes.append(f"{budget.gender_per_sex} + {budget.gender_per_sex} speakers drawn at random (--quick).")
    elif min(n_f, n_m) < 9:
        notes.append(f"only {n_f} F + {n_m} M speakers: fewer than the study's 9 + 9.")
    return frame, "all speakers" if budget.gender_per_sex is None else "random speakers"


def _select_id_speakers(frame, subset, budget, seed, notes):
    counts = frame.groupby("speaker").size()
    few = counts[counts < 2]
    if len(few):
        notes.append(f"{len(few)} speaker(s) with a single utterance left out (closed-set ID needs >= 2).")
        frame = frame[~frame["speaker"].isin(few.index)].reset_index(drop=True)
    if frame["speaker"].nunique() < 2:
        raise DataError(f"Speaker task: subset {subset!r} has fewer than 2 speakers with >= 2 utterances. "
                        "Choose another --speaker-subset.")
    if budget.speaker_max_speakers is not None and frame["speaker"].nunique() > budget.speaker_max_speakers:
        keep = np.random.RandomState(seed).choice(sorted(frame["speaker"].unique()),
                                                  budget.speaker_max_speakers, replace=False)
        frame = frame[frame["speaker"].isin(set(keep))].reset_index(drop=True)
        notes.append(f"{budget.speaker_max_speakers} speakers drawn at random (--quick).")
    return frame, "every speaker"


def load_librispeech_subset(root, subset, budget, seed, task):
    """The :class:`Corpus` of one task from a LibriSpeech subset, with the budget's speaker/utterance limits."""
    from ..datasets import load_librispeech

    max_per = budget.gender_max_per_speaker if task == "gender" else budget.speaker_max_per_speaker
    data = load_librispeech(root, subset, max_per_speaker=max_per, random_state=seed if max_per else None)
    frame = data.frame
    notes = []
    unknown = frame["gender"].isna()
    if unknown.any():
        notes.append(f"{frame.loc[unknown, 'speaker'].nunique()} speaker(s) without a sex in SPEAKERS.TXT "
                     "were left out.")
        frame = frame[~unknown].reset_index(drop=True)
    select = _select_gender_speakers if task == "gender" else _select_id_speakers
    frame, selection = select(frame, subset, budget, seed, notes)
    if max_per:
        selection += f", at most {max_per} utterance(s) each (random)"
    speaker, gender = frame["speaker"].to_numpy(object), frame["gender"].to_numpy(object)
    duration = frame["duration"].to_numpy(float)
    desc = describe(speaker, gender, duration, source="librispeech", root=root, subset=subset, selection=selection,
                    notes=notes)
    from ..datasets._sample import _sample_root

    if os.path.realpath(root) == os.path.realpath(_sample_root()):  # say exactly which bundled files were used
        desc.files = [os.path.relpath(p, root) for p in frame["path"]]
    return Corpus(X=frame["path"].to_numpy(object), speaker=speaker, gender=gender, duration=duration,
                  description=desc)


@register_data_source("librispeech")
def _librispeech_source(config, budget, progress):
    root, origin = resolve_root(config.data, download=config.download, progress=progress)
    g_sub, g_note = choose_subset(root, config.gender_subset, GENDER_SUBSETS, "--gender-subset")
    s_sub, s_note = choose_subset(root, config.speaker_subset, SPEAKER_SUBSETS, "--speaker-subset")
    notes = [n for n in (g_note, s_note) if n]
    for n in notes:
        progress.log("note: " + n)
    g = load_librispeech_subset(root, g_sub, budget, config.seed, "gender")
    s = load_librispeech_subset(root, s_sub, budget, config.seed, "speaker")
    return Corpora(gender=g, speaker=s, source="librispeech", origin=origin, root=root, notes=notes)


# ------------------------------------------------------------------------------------------------ synthetic
def synthetic_corpus(budget, seed):
    """One :class:`Corpus` of synthetic voices (both tasks use it) sized by the budget."""
    from ..datasets import make_voices

    v = make_voices(n_speakers=budget.synthetic_speakers, n_utterances=budget.synthetic_utterances,
                    duration=budget.synthetic_duration, random_state=seed)
    duration = np.array([len(w) / v.sample_rate for w in v.waveforms])
    desc = describe(v.speaker, v.gender, duration, source="synthetic", root=None,
                    subset=f"make_voices(n_speakers={budget.synthetic_speakers}, "
                           f"n_utterances={budget.synthetic_utterances}, duration={budget.synthetic_duration}, "
                           f"random_state={seed})",
                    selection="every speaker", notes=["synthetic voices (glottal source + formant filters): a "
                                                      "demonstration, not a benchmark."])
    return Corpus(X=v.waveforms, speaker=v.speaker, gender=v.gender, duration=duration, description=desc,
                  sample_rate=v.sample_rate)


@register_data_source("synthetic")
def _synthetic_source(config, budget, progress):
    corpus = synthetic_corpus(budget, config.seed)
    return Corpora(gender=corpus, speaker=corpus, source="synthetic", origin="--synthetic")
