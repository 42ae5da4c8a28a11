"""MFCC extraction throughput: skvoice ``MFCCExtractor`` vs the study's librosa + pandas recipe.

The study skvoice reproduces (see the README) decoded every file with
``librosa.load(path)`` (default: resample to 22.05 kHz), computed
``librosa.feature.mfcc(y, sr, n_mfcc=13)`` file by file and grew one pandas
DataFrame of frames with ``pd.concat`` (its wav2vec feature loop shows the
pattern: one small DataFrame per file, concatenated onto the running one).

Timed, interleaved ``--repeat`` times (the minimum wall time of each is kept):

- ``skvoice n_jobs=-1``: ``MFCCExtractor(n_jobs=-1).fit_transform(paths)`` (the headline),
- ``skvoice n_jobs=1``: the same in-process, default BLAS threads,
- ``skvoice n_jobs=1, 1 thread``: in-process with BLAS/OpenMP capped at one thread,
- ``study recipe``: as the study ran it (default threads),
- ``study recipe, 1 thread``: the same with BLAS/OpenMP capped at one thread.

Targets: skvoice (n_jobs=-1) >= 2000x real time, and >= 2x faster than the
faster of the two study variants. Numba/librosa JIT, imports and the loky
worker pool are warmed up outside the timed region. A per-stage CPU profile
(decode / STFT / power+mel / log+DCT, one thread) says where the time goes.
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402

NAME = "mfcc"
ROWS = ["skvoice n_jobs=-1", "skvoice n_jobs=1", "skvoice n_jobs=1, 1 thread", "study recipe",
        "study recipe, 1 thread"]


def study_recipe(paths, speakers, genders):
    """The study's per-file loop: librosa.load at 22.05 kHz, librosa MFCC, rows concatenated into a DataFrame."""
    import librosa
    import pandas as pd

    cols = [f"MFCC_{i}" for i in range(13)]
    df_final = pd.DataFrame(columns=cols + ["Speaker_ID", "Gender", "Audio"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pandas: concat with an empty frame
        for path, spk, gender in zip(paths, speakers, genders):
            audio, sample_rate = librosa.load(path)
            mfcc_features = librosa.feature.mfcc(y=audio, sr=sample_rate, n_mfcc=13)
            df_features = pd.DataFrame(mfcc_features.T, columns=cols)
            df_features["Speaker_ID"] = spk
            df_features["Gender"] = gender
            df_features["Audio"] = path
            df_final = pd.concat([df_features, df_final])
    return df_final


def skvoice_extract(paths, n_jobs):
    from skvoice.features import MFCCExtractor

    return MFCCExtractor(n_mfcc=13, n_jobs=n_jobs).fit_transform(paths)


def one_thread(func):
    """Run ``func`` with BLAS and OpenMP pools capped at one thread."""
    from threadpoolctl import threadpool_limits

    def wrapped(*args, **kwargs):
        with threadpool_limits(1):
            return func(*args, **kwargs)

    return wrapped


def stage_profile(paths):
    """CPU seconds per stage of skvoice's MFCC pipeline (one thread, sequential).

    Mirrors ``MFCCExtractor._extract_one`` step by step: decode (``load_audio``),
    ``librosa.stft``, power spectrum, mel projection, log + DCT.
    """
    import librosa
    from threadpoolctl import threadpool_limits

    from skvoice._audio import load_audio
    from skvoice.features import MFCCExtractor

    ext = MFCCExtractor().fit()
    mel_basis = ext._mel_basis()
    stages = dict.fromkeys(["decode", "stft", "power", "mel", "log+dct"], 0.0)
    with threadpool_limits(1):
        for path in paths:
            t0 = time.process_time()
            y, _ = load_audio(path, ext.sample_rate)
            t1 = time.process_time()
            stft = librosa.stft(y, n_fft=ext.n_fft, hop_length=ext.hop_length, win_length=ext.win_length,
                                center=True)
            t2 = time.process_time()
            power = stft.real ** 2 + stft.imag ** 2
            t3 = time.process_time()
            mel = mel_basis @ power
            t4 = time.process_time()
            log_mel = 10.0 * np.log10(np.maximum(mel, 1e-10))
            log_mel = np.maximum(log_mel, log_mel.max() - 80.0)
            np.ascontiguousarray(librosa.feature.mfcc(S=log_mel, n_mfcc=ext.n_mfcc).T, dtype=np.float32)
            t5 = time.process_time()
            for k, a, b in zip(stages, (t0, t1, t2, t3, t4), (t1, t2, t3, t4, t5)):
                stages[k] += b - a
    return stages


def blas_probe(mel_basis, n_frames=2000, reps=50):
    """Seconds for one mel projection (40x257 @ 257xN float32), default BLAS threads vs one thread."""
    from threadpoolctl import threadpool_limits

    power = np.abs(np.random.RandomState(0).standard_normal((mel_basis.shape[1], n_frames))).astype(np.float32)
    out = {}
    for label, lim in (("default threads", None), ("1 thread", 1)):
        with threadpool_limits(lim):
            mel_basis @ power
            t = time.perf_counter()
            for _ in range(reps):
                mel_basis @ power
            out[label] = (time.perf_counter() - t) / reps
    return out


def run(quick=False, repeat=None):
    import librosa

    started = C.now_iso()
    corpus = C.load_corpus(("test-other",) if quick else C.SUBSETS,
                           synthetic_speakers=10 if quick else 40, synthetic_utterances=6,
                           synthetic_duration=8.0 if quick else 10.0)
    notes = []
    try:
        repeat = repeat or (1 if quick else 3)
        paths = [str(p) for p in corpus.filenames]
        audio_s = corpus.total_seconds
        n_cores = C.available_cores()
        print(f"[mfcc] {corpus.source}: {len(paths)} files, {audio_s / 60:.1f} min of audio; "
              f"{n_cores} cores; load average {C.load_average()}", flush=True)
        if corpus.synthetic:
            notes.append("SKVOICE_LIBRISPEECH is unset: synthetic make_voices WAV files were used (WAV decodes "
                         "faster than FLAC, so x-real-time is not comparable with LibriSpeech numbers).")

        # ---- warm-up outside the timed region: imports, librosa JIT / resampler, loky worker pool
        y, sr = librosa.load(paths[0])
        librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13)
        skvoice_extract(paths[: 2 * n_cores], n_jobs=-1)
        skvoice_extract(paths[:2], n_jobs=1)

        funcs = {
            "skvoice n_jobs=-1": lambda: skvoice_extract(paths, -1),
            "skvoice n_jobs=1": lambda: skvoice_extract(paths, 1),
            "skvoice n_jobs=1, 1 thread": one_thread(lambda: skvoice_extract(paths, 1)),
            "study recipe": lambda: study_recipe(paths, corpus.speaker, corpus.gender),
            "study recipe, 1 thread": one_thread(lambda: study_recipe(paths, corpus.speaker, corpus.gender)),
        }
        walls = {k: [] for k in funcs}
        cpus = {k: [] for k in funcs}
        parent_cpu = []
        outputs = {}
        for r in range(repeat):
            for name, f in funcs.items():
                p0 = time.process_time()
                out, wall, cpu = C.timed(f)
                if name == "skvoice n_jobs=-1":
                    parent_cpu.append(time.process_time() - p0)
                walls[name].append(wall)
                cpus[name].append(cpu)
                outputs[name] = out
                print(f"[mfcc] repeat {r + 1}/{repeat} {name:28s} {wall:8.2f} s wall {cpu:8.2f} s CPU "
                      f"({audio_s / wall:7.0f}x real time)", flush=True)

        frames_sk = int(sum(len(a) for a in outputs["skvoice n_jobs=-1"]))
        frames_study = int(len(outputs["study recipe"]))
        par = outputs["skvoice n_jobs=-1"]
        same_1thread = all(np.array_equal(a, b) for a, b in zip(par, outputs["skvoice n_jobs=1, 1 thread"]))
        diff_default = max(float(np.abs(a - b).max()) for a, b in zip(par, outputs["skvoice n_jobs=1"]))
        best_study = min(min(walls["study recipe"]), min(walls["study recipe, 1 thread"]))
        results = []
        for name in funcs:
            wall = min(walls[name])
            i = int(np.argmin(walls[name]))
            results.append({
                "name": name,
                "seconds": round(wall, 3),
                "all_wall_s": [round(w, 3) for w in walls[name]],
                "cpu_seconds": round(cpus[name][i], 3),
                "x_real_time": round(audio_s / wall, 1),
                "x_real_time_per_cpu_second": round(audio_s / cpus[name][i], 1),
                "speedup_vs_best_study": round(best_study / wall, 2),
                "frames": frames_sk if name.startswith("skvoice") else frames_study,
            })
        headline = results[0]
        # CPU-bound projection: the same work on otherwise idle cores
        projected = audio_s / (headline["cpu_seconds"] / n_cores)
        headline["x_real_time_cpu_projection_idle_cores"] = round(projected, 1)
        headline["parent_process_cpu_s"] = round(min(parent_cpu), 3)

        print("[mfcc] per-stage profile (one thread, sequential) ...", flush=True)
        stages = stage_profile(paths)
        total_stage = sum(stages.values())
        profile = {k: {"cpu_s": round(v, 3), "share": round(v / total_stage, 3),
                       "x_real_time_per_core": round(audio_s / v, 1)} for k, v in stages.items()}
        from skvoice.features import MFCCExtractor

        probe = blas_probe(MFCCExtractor().fit()._mel_basis())

        checks = [
            C.check("skvoice n_jobs=-1 x real time", headline["x_real_time"], ">=", 2000, "x"),
            C.check("speedup vs study recipe (best variant)", headline["speedup_vs_best_study"], ">=", 2, "x"),
        ]
        notes.append("Features of n_jobs=-1 and of in-process n_jobs=1 with one BLAS thread are "
                     + ("bitwise identical" if same_1thread else "NOT bitwise identical (unexpected)")
                     + f"; in-process with default BLAS threads they differ by up to {diff_default:.2g} "
                     "(float32 summation order in the multi-threaded mel projection).")
        notes.append(f"Frames: skvoice {frames_sk} (16 kHz, 10 ms hop), study {frames_study} "
                     "(22.05 kHz, 512-sample hop = 23 ms): the study computes 2.3x fewer, larger frames.")
        notes.append(f"Joblib/loky overhead: the parent process used {headline['parent_process_cpu_s']:.2f} CPU s of "
                     f"the {headline['cpu_seconds']:.2f} CPU s of the n_jobs=-1 run (dispatch + unpickling results).")
        notes.append(f"CPU-bound projection for n_jobs=-1 on {n_cores} idle cores: {projected:.0f}x real time "
                     "(audio seconds / (CPU seconds / cores)).")
        notes.append(f"Mel projection 40x257 @ 257x2000 float32: {1e3 * probe['default threads']:.2f} ms with the "
                     f"default BLAS threads vs {1e3 * probe['1 thread']:.2f} ms with one thread.")
        if C.machine_is_busy():
            notes.append(f"Machine busy (load average {C.load_average()} on {n_cores} cores): wall times are "
                         "inflated by other processes; compare the ratios and the CPU projection.")
        report = C.make_report(NAME, quick=quick, data=corpus.describe(), results=results, checks=checks,
                               notes=notes, started=started)
        report["stage_profile"] = profile
        report["blas_probe_s"] = probe
        report["bitwise_equal_parallel_vs_single_thread"] = bool(same_1thread)
        report["max_abs_diff_parallel_vs_default_threads"] = diff_default
        return report
    finally:
        corpus.cleanup()


def print_report(report):
    C.print_table(report["results"], ["name", "seconds", "cpu_seconds", "x_real_time", "speedup_vs_best_study",
                                      "frames"], title=f"MFCC extraction ({report['data']['source']})")
    rows = [{"stage": k, **v} for k, v in report["stage_profile"].items()]
    C.print_table(rows, ["stage", "cpu_s", "share", "x_real_time_per_core"],
                  title="Where skvoice's time goes (one thread, sequential)")
    C.print_checks(report["checks"])
    for n in report["notes"]:
        print(" -", n)


def main(argv=None):
    p = C.arg_parser(NAME, __doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=None, help="timed repetitions (default 3, or 1 with --quick)")
    args = p.parse_args(argv)
    report = run(quick=args.quick, repeat=args.repeat)
    print_report(report)
    C.save_report(report, args)
    return report


if __name__ == "__main__":
    main()
