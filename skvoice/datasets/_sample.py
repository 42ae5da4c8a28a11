"""The real LibriSpeech sample shipped inside the package (no download, no environment variable)."""

from __future__ import annotations

import os
from importlib import resources

from .._docs import fill_doc
from .._sklearn_compat import StrOptions, validate_params
from ._librispeech import ENV_ROOT, get_librispeech_root, load_librispeech

__all__ = ["load_sample", "load_speech"]

SAMPLE_SUBSETS = ("test-other", "train-clean-100")

_DESCR = """LibriSpeech sample bundled with skvoice
---------------------------------------

A small, unmodified subset of the LibriSpeech ASR corpus (read English audiobooks, 16 kHz mono FLAC),
installed with the package so that real speech works with no download and no SKVOICE_LIBRISPEECH.

**Contents** (120 recordings, 70 readers, 35 female and 35 male, 16.7 minutes, 18.6 MB):

- ``test-other``: 60 utterances of 10 readers (5 F, 5 M, 6 utterances each), for speaker
  identification on held-out utterances.
- ``train-clean-100``: one utterance of each of 30 female and 30 male readers, chosen among the 151
  readers (one utterance each) of the LibriSpeech excerpt skvoice is developed on: for each sex, the
  readers whose utterance is shortest (ties broken by speaker id), which is what fits 60 readers into
  20 MB. These utterances are shorter (9.3 s on average) than the 151 (12.8 s).

The selection was made by ``tools/make_sample.py`` from file headers and SPEAKERS.TXT only, without
looking at any model result. The folder keeps LibriSpeech's layout
(``<subset>/<speaker>/<chapter>/<speaker>-<chapter>-<utterance>.flac``), an excerpt of its
``SPEAKERS.TXT``, its ``LICENSE.TXT``, a ``manifest.csv`` (subset, speaker, sex, duration, size and
SHA-256 of every file) and a ``README.md`` listing every file.

**Attribution.** LibriSpeech (c) 2014 by Vassil Panayotov; V. Panayotov, G. Chen, D. Povey and
S. Khudanpur, "LibriSpeech: an ASR corpus based on public domain audio books", ICASSP 2015. Licensed
under the Creative Commons Attribution 4.0 International License (CC BY 4.0,
http://creativecommons.org/licenses/by/4.0/). The recordings are LibriVox readings.

One row of ``frame`` is one utterance (recording)."""


def _sample_root():
    """The bundled sample folder inside the installed package (a real directory)."""
    root = resources.files("skvoice.datasets").joinpath("data", "librispeech_sample")
    path = os.fspath(root) if isinstance(root, os.PathLike) else None
    if path is None or not os.path.isfile(os.path.join(path, "SPEAKERS.TXT")):
        raise FileNotFoundError(
            f"The LibriSpeech sample bundled with skvoice was not found at {root}: this installation lacks its "
            "package data (skvoice must be installed from a wheel or a source checkout, not a zip archive). "
            "Reinstall skvoice, or use load_librispeech() on a local LibriSpeech copy.")
    return path


@validate_params({"subset": [StrOptions(set(SAMPLE_SUBSETS)), list, tuple, None],
                  "target": [StrOptions({"gender", "speaker"})], "return_X_y": ["boolean"], "as_frame": ["boolean"]},
                 prefer_skip_nested_validation=True)
@fill_doc
def load_sample(*, subset=None, target="gender", return_X_y=False, as_frame=False):
    """Load the small real LibriSpeech sample shipped with skvoice.

    120 unmodified 16 kHz FLAC recordings of 70 readers (35 female, 35 male),
    18.6 MB, installed with the package: nothing is downloaded and
    ``SKVOICE_LIBRISPEECH`` is not needed.

    =================  ==============================================
    Recordings         120 (60 in test-other, 60 in train-clean-100)
    Readers            70 (35 F, 35 M)
    Per reader         6 (test-other), 1 (train-clean-100)
    Duration           1.6 to 19.9 s each, 16.7 min in total
    Target             ``"gender"`` (F/M) or ``"speaker"`` (reader id)
    =================  ==============================================

    ``test-other``'s 10 readers have 6 utterances each (speaker
    identification on held-out utterances); all 70 readers serve
    speaker-disjoint gender classification (``GroupKFold`` by speaker).
    The ``DESCR`` attribute gives the selection rule and attribution
    (LibriSpeech, CC BY 4.0).

    Parameters
    ----------
    subset : {"test-other", "train-clean-100"} or list of them, default=None
        Which part of the sample to load; ``None`` loads both.
    %(librispeech_target)s

    Returns
    -------
    data : sklearn.utils.Bunch
        The same fields as :func:`load_librispeech`: ``frame`` (DataFrame:
        path, subset, speaker, gender, chapter, utterance_id, transcript,
        duration), ``filenames`` (absolute paths into the installed package),
        ``speaker``, ``gender``, ``target``, ``target_names``, ``speakers``
        (the SPEAKERS.TXT rows), ``DESCR`` and ``root`` (the sample folder, a
        LibriSpeech root that :func:`load_librispeech` also reads).
    (filenames, target) : tuple if ``return_X_y`` is True

    See Also
    --------
    load_librispeech : Any local LibriSpeech tree.
    load_folder : Any folder of audio files with one sub-folder per label.

    Examples
    --------
    >>> from skvoice.datasets import load_sample
    >>> data = load_sample()
    >>> data.frame.shape
    (120, 8)
    >>> data.frame.groupby("gender")["speaker"].nunique().to_dict()
    {'F': 35, 'M': 35}
    >>> X, y = load_sample(subset="test-other", target="speaker", return_X_y=True)
    >>> len(X), len(set(y))
    (60, 10)
    """
    subsets = list(SAMPLE_SUBSETS) if subset is None else [subset] if isinstance(subset, str) else list(subset)
    subsets = list(dict.fromkeys(subsets))
    bad = [s for s in subsets if s not in SAMPLE_SUBSETS]
    if bad or not subsets:
        raise ValueError(f"subset must be None or among {list(SAMPLE_SUBSETS)}, got {subset!r}.")
    result = load_librispeech(_sample_root(), subsets, target=target, return_X_y=return_X_y, as_frame=as_frame)
    if not return_X_y:
        result.DESCR = _DESCR
    return result


@validate_params({"subset": [StrOptions(set(SAMPLE_SUBSETS))], "target": [StrOptions({"gender", "speaker"})],
                  "root": [str, os.PathLike, None]},
                 prefer_skip_nested_validation=True)
def load_speech(subset="train-clean-100", *, target="gender", root=None):
    """Real LibriSpeech speech from wherever it is: a local LibriSpeech tree, else the bundled sample.

    The gallery examples, the quick start and most scripts want the same
    thing: the LibriSpeech subset of the machine's own copy when there is one
    (``root``, else ``$SKVOICE_LIBRISPEECH``), and the same subset of the
    sample shipped with skvoice (:func:`load_sample`) when there is none, so
    that they run anywhere and use all the data where it exists. ``source``
    says which was read.

    Parameters
    ----------
    subset : {"test-other", "train-clean-100"}, default="train-clean-100"
        A subset the bundled sample also holds: ``"test-other"`` (speaker
        identification: several utterances per reader) or
        ``"train-clean-100"`` (gender: many readers).
    target : {"gender", "speaker"}, default="gender"
        Which column ``target`` holds.
    root : str or os.PathLike, default=None
        A LibriSpeech root (the folder holding ``SPEAKERS.TXT``). Default:
        ``$SKVOICE_LIBRISPEECH``; when that is unset or empty too, the
        bundled sample is read.

    Returns
    -------
    data : sklearn.utils.Bunch
        The fields of :func:`load_librispeech` (``filenames``, ``speaker``,
        ``gender``, ``target``, ``frame``...) and ``source``: a one-line
        description of what was read, e.g. ``"LibriSpeech test-other at
        /data/LibriSpeech"``.

    Raises
    ------
    FileNotFoundError
        When a LibriSpeech root is given (or set in the environment) but does
        not exist or lacks ``subset``: a root that was asked for is never
        silently replaced by the sample.

    See Also
    --------
    load_sample : The bundled sample only.
    load_librispeech : A local LibriSpeech tree only, with more options.

    Examples
    --------
    >>> from skvoice.datasets import load_speech
    >>> data = load_speech("test-other", target="speaker")
    >>> data.source  # doctest: +SKIP
    'LibriSpeech sample bundled with skvoice (test-other)'
    >>> len(set(data.target)) >= 10
    True
    """
    if root is None:
        root = os.environ.get(ENV_ROOT) or None
    if root is None:
        data = load_sample(subset=subset, target=target)
        data.source = f"LibriSpeech sample bundled with skvoice ({subset})"
        return data
    root = get_librispeech_root(root)
    if not os.path.isdir(os.path.join(root, subset)):
        raise FileNotFoundError(f"LibriSpeech root {root!r} has no {subset!r} folder. Point root (or ${ENV_ROOT}) "
                                "at a LibriSpeech tree holding it, or unset it to use the bundled sample.")
    data = load_librispeech(root, subset, target=target)
    data.source = f"LibriSpeech {subset} at {root}"
    return data
