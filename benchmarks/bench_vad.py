"""Voice activity detectors compared (Silero, WebRTC, energy) and the speed of the embedding front end.

VAD: real test-other utterances get 2 s of padding on each side; the padding
is known non-speech. Clean (digital silence) and white noise at 20/10/5 dB SNR
(over the utterance) are tested. For each detector: the fraction of padding
frames it calls speech (false alarms, lower is better), the fraction of the
utterance's frames it keeps (LibriSpeech utterances hold few pauses, so higher
is better up to ~0.85-0.95), and its speed.

Level: the same utterances (no padding) played as recorded, 40 dB and 60 dB
quieter, and noise alone (white, pink, brown; 3 s at -75, -40 and -20 dBFS),
each detector run on the waveform as it is (``level="keep"``) and scaled to
-25 dBFS (``"normalize"``): the fraction of frames called speech, and the
fraction of recordings in which less than 0.25 s is (``VoiceActivityDetector``'s
"no speech found").

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


def level_rows(files, methods):
    from skvoice._audio import load_audio
    from skvoice.augment import colored_noise
    from skvoice.features import speech_mask

    speech = [load_audio(f)[0] for f in files]
    rng = np.random.RandomState(0)
    noise = {kind: [colored_noise(3 * SR, kind, random_state=rng).astype(np.float32) for _ in range(3)]
             for kind in ("white", "pink", "brown")}
    inputs = [(f"speech {gain:+d} dB", "speech", [y * np.float32(10 ** (gain / 20)) for y in speech])
              for gain in (0, -40, -60)]
    inputs += [(f"{kind} noise {dbfs} dBFS", "noise", [n * np.float32(10 ** (dbfs / 20)) for n in noise[kind]])
               for kind in noise for dbfs in (-75, -40, -20)]
    min_frames = 25  # VoiceActivityDetector's min_speech=0.25 s in 10 ms frames
    rows = []
    for name, kind, signals in inputs:
        for method in methods:
            for level in ("keep", "normalize"):
                masks = [speech_mask(y, SR, method, level=level) for y in signals]
                rows.append({"input": name, "kind": kind, "method": method, "level": level,
                             "recordings": len(masks), "speech_fraction": float(np.mean([m.mean() for m in masks])),
                             "no_speech_found": float(np.mean([m.sum() < min_frames for m in masks]))})
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
    lrows = level_rows(files, methods)
    C.print_table(lrows, ["input", "method", "level", "speech_fraction", "no_speech_found"],
                  title="Detection at other levels (test-other utterances; noise alone)")
    train = load_librispeech(root, "train-clean-100")
    erows = embedding_rows(list(train.filenames[:60]), args.quick)
    C.print_table(erows, ["vad", "n_jobs", "chunks", "x_real_time_wall", "x_real_time_main_cpu"],
                  title="SpeakerEmbedding on 2-s chunks")
    best = max(r["x_real_time_wall"] for r in erows if r["n_jobs"] == 2)
    silero_10 = next(r for r in vrows if r["method"] == "silero" and r["condition"] == "white 10 dB")

    def level_row(name, level):
        return next(r for r in lrows if r["input"] == name and r["method"] == "silero" and r["level"] == level)

    silero_noise = max(r["speech_fraction"] for r in lrows
                       if r["kind"] == "noise" and r["method"] == "silero" and r["level"] == "normalize")
    checks = [C.check("GE2E front end on 2-s chunks, 2 jobs (x real time)", best, ">=", 200),
              C.check("Silero false alarms on padding at 10 dB", silero_10["padding_false_alarm"], "<=", 0.1),
              C.check("Silero (normalised) speech found at -60 dB, relative to as recorded",
                      level_row("speech -60 dB", "normalize")["speech_fraction"]
                      / level_row("speech +0 dB", "normalize")["speech_fraction"], ">=", 0.95),
              C.check("Silero (normalised) speech fraction of noise alone, worst input", silero_noise, "<=", 0.02)]
    C.print_checks(checks)
    report = C.make_report("vad", quick=args.quick, started=started,
                           data={"vad_files": len(files), "embedding_files": 60, "root": root},
                           results={"vad": vrows, "level": lrows, "embedding": erows}, checks=checks,
                           notes=["Wall-clock rates depend on the machine's load (see machine_busy / load average)."])
    C.save_report(report, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
