"""Named feature sets, extracted once per corpus.

MFCC extraction, pretrained embeddings and wav2vec2 chunking learn nothing from labels, so computing
them once outside the cross-validation loop leaks nothing; everything that learns (CMVN statistics,
classifiers) is fitted inside each split.
"""

from __future__ import annotations

from .._hub import ModelNotAvailableError
from .errors import Skipped, short_error

__all__ = ["FEATURE_LABELS", "feature_extractor", "get_features"]

FEATURE_LABELS = {
    "mfcc": "MFCC (13)",
    "mfcc+dp": "MFCC (13) + deltas + pitch",
    "embedding": "GE2E speaker embedding (256)",
    "wav2vec": "wav2vec2 frames (2-s chunks)",
    "audio": "raw audio",
}


def _mfcc(config, corpus, **kwargs):
    from ..features import MFCCExtractor

    return MFCCExtractor(13, sample_rate=corpus.sample_rate, n_jobs=config.n_jobs, **kwargs)


def _embedding(config, corpus):
    try:
        from .. import features

        cls = features.SpeakerEmbedding
    except (ImportError, AttributeError) as exc:
        raise Skipped(f"SpeakerEmbedding unavailable ({short_error(exc)}); install the extra: "
                      "pip install 'skvoice[embeddings]'") from exc
    est = cls()
    params = est.get_params()
    kw = {k: v for k, v in (("sample_rate", corpus.sample_rate), ("n_jobs", config.n_jobs)) if k in params}
    return est.set_params(**kw)


def _wav2vec(config, corpus):
    if not config.wav2vec:
        raise Skipped("no wav2vec2 encoder given (pass --wav2vec FOLDER_OR_CHECKPOINT, e.g. a "
                      "save_pretrained folder of facebook/wav2vec2-base or the study's wav2vec_small.pt)")
    try:
        from ..features import Wav2VecChunker
    except (ImportError, AttributeError) as exc:
        raise Skipped(f"Wav2VecChunker unavailable ({short_error(exc)}); pip install 'skvoice[torch]'") from exc
    return Wav2VecChunker(model=config.wav2vec, chunk_seconds=2.0, output="frames", device="cpu",
                          sample_rate=corpus.sample_rate)


_EXTRACTORS = {
    "mfcc": _mfcc,
    "mfcc+dp": lambda config, corpus: _mfcc(config, corpus, deltas=True, pitch=True),
    "embedding": _embedding,
    "wav2vec": _wav2vec,
}


def feature_extractor(name, config, corpus):
    """The unfitted transformer that computes feature set ``name``; raises :class:`Skipped` when unavailable."""
    try:
        make = _EXTRACTORS[name]
    except KeyError:
        raise ValueError(f"unknown feature set {name!r}") from None
    return make(config, corpus)


def get_features(corpus, name, config, progress, task, *, leave_out_unreadable=False):
    """Extract (once) and return the features ``name`` of ``corpus``; raises :class:`Skipped` with the reason.

    With ``leave_out_unreadable`` (the first extraction of a corpus, before its protocols are drawn),
    recordings that cannot be decoded are removed from the corpus with a note instead of failing the run.
    """
    if name == "audio":
        return corpus.X
    if name in corpus.features:
        return corpus.features[name]
    if name in corpus.feature_errors:
        raise Skipped(corpus.feature_errors[name])
    try:
        est = feature_extractor(name, config, corpus)
        if leave_out_unreadable:
            est.set_params(on_error="skip")
        with progress.step(f"features: {name} ({task})",
                           f"{task}: {FEATURE_LABELS[name]} of {len(corpus.X)} recordings"):
            feats = est.fit_transform(corpus.X)
    except Skipped as exc:
        corpus.feature_errors[name] = str(exc)
        progress.drop()
        raise
    except (ImportError, ModelNotAvailableError) as exc:
        corpus.feature_errors[name] = f"{FEATURE_LABELS[name]} unavailable: {short_error(exc)}"
        progress.drop()
        raise Skipped(corpus.feature_errors[name]) from exc
    corpus.features[name] = feats
    failed = sorted(f["index"] for f in getattr(est, "failures_", [])) if leave_out_unreadable else []
    if failed:
        sources = [str(corpus.X[i]) if isinstance(corpus.X[i], str) else f"<recording {i}>" for i in failed]
        note = (f"{len(failed)} recording(s) could not be decoded and were left out: "
                f"{', '.join(sources[:5])}{' ...' if len(failed) > 5 else ''}")
        progress.log(f"{task}: {note}")
        corpus.leave_out(failed, note)
    return corpus.features[name]
