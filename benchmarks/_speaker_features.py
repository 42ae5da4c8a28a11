"""Chunked LibriSpeech and its speaker features for ``bench_speaker.py`` (cached on disk).

Every utterance is cut into consecutive 2-s chunks (the study's ``unfold``: the
tail shorter than 2 s is dropped; an utterance shorter than 2 s is one chunk
of its own length). Each chunk keeps its speaker, utterance and position.

Features per chunk (all cached in one ``.npz`` per variant, keyed by the file
list, so a re-run only recomputes what is missing):

- GE2E windows (``SpeakerEmbedding(output="windows")``): 1.6-s partial
  embeddings, for several ``vad``/``partials_per_second`` settings; the
  recording embedding is computed from them by the benchmark (mean pooling or
  others);
- MFCC frames (``MFCCExtractor(n_mfcc=20, deltas=True)``) for the GMM-UBM.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import time

import numpy as np

CHUNK_SECONDS = 2.0
RATE = 16000

GE2E_VARIANTS = {  # name -> SpeakerEmbedding parameters
    "ge2e_vad_r1.3": dict(vad=True, partials_per_second=1.3),
    "ge2e_novad_r1.3": dict(vad=False, partials_per_second=1.3),
    "ge2e_vad_r4": dict(vad=True, partials_per_second=4.0),
}
MFCC_VARIANT = "mfcc20_deltas"


def load_chunks(root, subsets=("train-clean-100", "test-other")):
    """Decode every utterance of ``subsets`` and cut it into 2-s chunks.

    Returns ``(waveforms, meta)``: a list of float32 arrays and a dict of
    aligned arrays ``subset``, ``speaker``, ``gender``, ``utterance``,
    ``position`` (chunk index within its utterance) and ``n_chunks``.
    """
    from skvoice import load_audio
    from skvoice.datasets import load_librispeech

    waves, meta = [], {k: [] for k in ("subset", "speaker", "gender", "utterance", "position", "n_chunks")}
    size = int(CHUNK_SECONDS * RATE)
    for subset in subsets:
        data = load_librispeech(root, subset=subset, with_duration=False)
        for path, spk, sex in zip(data.filenames, data.speaker, data.gender):
            y, _ = load_audio(path, RATE)
            n = len(y) // size
            pieces = [y] if n == 0 else [y[i * size:(i + 1) * size] for i in range(n)]
            utt = os.path.splitext(os.path.basename(path))[0]
            for i, p in enumerate(pieces):
                waves.append(np.ascontiguousarray(p, dtype=np.float32))
                meta["subset"].append(subset)
                meta["speaker"].append(str(spk))
                meta["gender"].append(sex)
                meta["utterance"].append(utt)
                meta["position"].append(i)
                meta["n_chunks"].append(len(pieces))
    meta = {k: np.asarray(v, dtype=object if k in ("subset", "speaker", "gender", "utterance") else int)
            for k, v in meta.items()}
    return waves, meta


def _key(meta):
    h = hashlib.sha1()
    for k in ("speaker", "utterance", "position"):
        h.update("|".join(map(str, meta[k])).encode())
    return h.hexdigest()[:12]


def _extractor(name):
    from skvoice.features import MFCCExtractor, SpeakerEmbedding

    if name == MFCC_VARIANT:
        return MFCCExtractor(n_mfcc=20, deltas=True, n_jobs=1)
    return SpeakerEmbedding(output="windows", n_jobs=1, on_error="warn", **GE2E_VARIANTS[name])


def _fingerprint(name):
    """A hash of what the variant's extractor gives for a fixed 3-s test signal.

    Part of the cache key, so that a change in the front end or the model (a new level normalisation,
    another resampler...) computes the features afresh instead of reusing stale ones: the skvoice
    version alone missed a change made within one release.
    """
    t = np.arange(3 * RATE) / RATE
    probe = (0.1 * np.sin(2 * np.pi * 150 * t) * (1 + np.sin(2 * np.pi * 3 * t))
             + 0.01 * np.random.RandomState(0).standard_normal(len(t))).astype(np.float32)
    out = _extractor(name).fit_transform([probe, 0.3 * probe])
    h = hashlib.sha1()
    for a in out:
        h.update(np.round(np.asarray(a, dtype=np.float64), 4).tobytes())
    return h.hexdigest()[:8]


def cached_features(cache_dir, waves, meta, variants, log=print):
    """``{variant: recording set}`` for the requested variants, computing and caching what is missing.

    Also returns the extraction time per variant (seconds, only for variants computed in this run).
    """
    os.makedirs(cache_dir, exist_ok=True)
    key = _key(meta)
    out, seconds = {}, {}
    for name in variants:
        path = os.path.join(cache_dir, f"{name}_{key}_{_fingerprint(name)}.pkl")
        if os.path.isfile(path):
            with open(path, "rb") as fh:
                out[name] = pickle.load(fh)
            continue
        t0 = time.perf_counter()
        feats = _extractor(name).fit_transform(waves)
        seconds[name] = time.perf_counter() - t0
        log(f"[speaker] {name}: {len(waves)} chunks in {seconds[name]:.0f} s")
        with open(path + ".tmp", "wb") as fh:
            pickle.dump(feats, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(path + ".tmp", path)
        out[name] = feats
    return out, seconds
