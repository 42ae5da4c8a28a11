"""Voice activity detectors compared (Silero, WebRTC, energy) and the speed of the embedding front end.

VAD: real test-other utterances get 2 s of padding on each side; the padding
is known non-speech. Clean (digital silence) and white noise at 20/10/5 dB SNR
(over the utterance) are tested. For each detector: the fraction of padding
frames it calls speech (false alarms, lower is better), the fraction of the
utterance's frames it keeps (LibriSpeech utterances hold few pauses, so higher
is better up to ~0.85-0.95), and its speed.

Embedding speed: ``SpeakerEmbedding`` on 2-s chunks (the speaker protocol's
unit), with and without its VAD, one and two jobs; wall time and CPU time.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402

SR = 16000
PAD = 2 * SR


def _noisy(y, snr_db, rng):
    if snr_db is None:
        return y
    noise = rng.randn(len(y)).astype(np.float32)
    speech_power = np.mean(y[PAD:-PAD] ** 2)
    noise *= np.sqrt(speech_power / 10 ** (snr_db / 10) / np.mean(noise ** 2))
    return (y + noise).astype(np.float32)


def vad_rows(files, methods, conditions):
    from skvoice._audio import load_audio
    from skvoice.features import speech_mask

    rng = np.random.RandomState(0)
    clean = []
    for f in files:
        y, _ = load_audio(f)
        clean.append(np.concatenate([np.zeros(PAD, np.float32), y, np.zeros(PAD, np.float32)]))
    audio_s = sum(len(y) for y in clean) / SR
    rows = []
    for cond_name, snr in conditions:
        signals = [_noisy(y, snr, rng) for y in clean]
        for method in methods:
            fa, kept = [], []
            speech_mask(signals[0][:SR], SR, method)  # load models before timing
            c0, t0 = time.process_time(), time.perf_counter()
            for y in signals:
                m = speech_mask(y, SR, method)
                hop = SR // 100
                pad_frames = PAD // hop
                fa.append(np.r_[m[:pad_frames], m[-pad_frames:]].mean())
                kept.append(m[pad_frames + 10:-pad_frames - 10].mean())
            cpu, wall = time.process_time() - c0, time.perf_counter() - t0
            rows.append({"condition": cond_name, "method": method, "padding_false_alarm": float(np.mean(fa)),
                         "speech_kept": float(np.mean(kept)), "x_real_time_cpu": audio_s / cpu,
                         "x_real_time_wall": audio_s / wall})
    return rows


def embedding_rows(files, quick):
    from skvoice._audio import load_audio
    from skvoice.features import SpeakerEmbedding

    chunks = []
    for f in files:
        y, _ = load_audio(f)
        chunks.extend(y[s:s + 2 * SR] for s in range(0, len(y) - 2 * SR + 1, 2 * SR))
    chunks = chunks[:150 if quick else 600]
    audio_s = 2.0 * len(chunks)
    SpeakerEmbedding().fit_transform(chunks[:4])
    rows = []
    for vad in (True, False):
        for n_jobs in (1, 2):
            est = SpeakerEmbedding(vad=vad, n_jobs=n_jobs)
            est.transform(chunks[:8])  # start the workers
            c0, t0 = time.process_time(), time.perf_counter()
            est.transform(chunks)
            cpu, wall = time.process_time() - c0, time.perf_counter() - t0
            rows.append({"vad": "on" if vad else "off", "n_jobs": n_jobs, "chunks": len(chunks), "audio_s": audio_s,
                         "x_real_time_wall": audio_s / wall, "x_real_time_main_cpu": audio_s / cpu})
    return rows


def main(argv=None):
    args = C.arg_parser("vad", __doc__.splitlines()[0]).parse_args(argv)
    started = C.now_iso()
    root = C.librispeech_root()
    if root is None:
        print("SKVOICE_LIBRISPEECH is not set: this benchmark needs real speech", file=sys.stderr)
        return 2
    from skvoice.datasets import load_librispeech

    test_other = load_librispeech(root, "test-other")
    files = list(test_other.filenames[:12 if args.quick else 60])
    methods = ["energy", "webrtc", "silero"]
    conditions = [("silence padding", None), ("white 20 dB", 20), ("white 10 dB", 10), ("white 5 dB", 5)]
    vrows = vad_rows(files, methods, conditions)
    C.print_table(vrows, ["condition", "method", "padding_false_alarm", "speech_kept", "x_real_time_cpu"],
                  title="Voice activity detection (test-other utterances with 2 s padding each side)")
    train = load_librispeech(root, "train-clean-100")
    erows = embedding_rows(list(train.filenames[:60]), args.quick)
    C.print_table(erows, ["vad", "n_jobs", "chunks", "x_real_time_wall", "x_real_time_main_cpu"],
                  title="SpeakerEmbedding on 2-s chunks")
    best = max(r["x_real_time_wall"] for r in erows if r["n_jobs"] == 2)
    silero_10 = next(r for r in vrows if r["method"] == "silero" and r["condition"] == "white 10 dB")
    checks = [C.check("GE2E front end on 2-s chunks, 2 jobs (x real time)", best, ">=", 200),
              C.check("Silero false alarms on padding at 10 dB", silero_10["padding_false_alarm"], "<=", 0.1)]
    C.print_checks(checks)
    report = C.make_report("vad", quick=args.quick, started=started,
                           data={"vad_files": len(files), "embedding_files": 60, "root": root},
                           results={"vad": vrows, "embedding": erows}, checks=checks,
                           notes=["Wall-clock rates depend on the machine's load (see machine_busy / load average)."])
    C.save_report(report, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
