"""Peak memory of MFCC extraction: whole corpus vs a tenth of it, each in a fresh process.

Each measurement runs in a new Python subprocess that imports skvoice, records
its resident memory (RSS) before extracting, runs
``MFCCExtractor(n_jobs=...).fit_transform(paths)`` and reports:

- ``main_peak_mb``: the process's peak RSS (``getrusage(RUSAGE_SELF).ru_maxrss``),
- ``main_growth_mb``: that peak minus the RSS measured just before extraction
  (after a one-file in-process warm-up has paid the lazy imports),
- ``worker_peak_mb``: the largest peak RSS of any loky worker
  (``getrusage(RUSAGE_CHILDREN)`` after the workers are shut down and reaped),
- ``features_mb``: bytes of the returned frame arrays; ``audio_mb``: bytes that
  holding every decoded waveform (float32) would take.

Target: memory grows with corpus size by no more than the features themselves
(plus a fixed allowance for allocator noise): ``growth(full) - growth(tenth)
<= features(full) - features(tenth) + 32 MB``; worker peaks stay flat (within
32 MB) because each worker holds one recording at a time.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402 (importable only after the sys.path entry above)

NAME = "memory"
SLACK_MB = 32.0


def _rss_mb():
    """Current resident set size in MiB (Linux /proc; psutil elsewhere)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _maxrss_mb(who):
    kb = resource.getrusage(who).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


def child(paths_file, fraction, n_jobs):
    """Run one extraction in this (fresh) process and print a JSON line with the measurements."""
    import numpy as np

    from skvoice._audio import audio_info
    from skvoice.features import MFCCExtractor

    with open(paths_file) as fh:
        spec = json.load(fh)
    paths, source = spec["paths"], spec["source"]
    if fraction < 1:
        paths = paths[:: int(round(1 / fraction))]
    n_samples = sum(audio_info(p).frames for p in paths)
    # one-time costs (lazy librosa/scipy imports, caches) are paid on one file before the baseline
    MFCCExtractor(n_jobs=1).fit_transform(paths[:1])
    ext = MFCCExtractor(n_jobs=n_jobs).fit()
    before = _rss_mb()
    X = ext.transform(paths)
    main_peak = _maxrss_mb(resource.RUSAGE_SELF)
    after = _rss_mb()
    features = sum(a.nbytes for a in X) + X.nbytes
    if n_jobs != 1:
        from joblib.externals.loky import get_reusable_executor

        get_reusable_executor().shutdown(wait=True)  # workers exit and are reaped: RUSAGE_CHILDREN sees them
    out = {
        "fraction": fraction, "n_jobs": n_jobs, "n_files": len(paths),
        "audio_minutes": round(n_samples / 16000 / 60, 2), "source": source,
        "longest_file_s": round(max(audio_info(p).duration for p in paths), 2),
        "rss_before_mb": round(before, 1), "rss_after_mb": round(after, 1),
        "main_peak_mb": round(main_peak, 1), "main_growth_mb": round(main_peak - before, 1),
        "worker_peak_mb": round(_maxrss_mb(resource.RUSAGE_CHILDREN), 1) if n_jobs != 1 else None,
        "features_mb": round(features / 2**20, 2), "audio_mb": round(4 * n_samples / 2**20, 1),
        "n_frames": int(sum(len(a) for a in X)), "dtype": str(np.asarray(X[0]).dtype),
    }
    print("RESULT " + json.dumps(out), flush=True)


def measure(paths_file, fraction, n_jobs):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", paths_file, "--fraction", str(fraction),
           "--n-jobs", str(n_jobs)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode or not lines:
        raise RuntimeError(f"memory child failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    res = json.loads(lines[-1][len("RESULT "):])
    print(f"[memory] n_jobs={n_jobs:2d} fraction={fraction:<4g} files={res['n_files']:4d} "
          f"peak={res['main_peak_mb']:.0f} MB growth={res['main_growth_mb']:.1f} MB "
          f"worker peak={res['worker_peak_mb']} MB features={res['features_mb']:.1f} MB", flush=True)
    return res


def run(quick=False):
    started = C.now_iso()
    configs = (-1,) if quick else (-1, 1)
    rows, checks, notes = [], [], []
    # the corpus (and the synthetic fallback's WAV files) is prepared here, so the measured
    # child processes only receive file paths
    corpus = C.load_corpus()
    paths_file = os.path.join(tempfile.mkdtemp(prefix="skvoice-bench-mem-"), "paths.json")
    try:
        with open(paths_file, "w") as fh:
            json.dump({"paths": [str(p) for p in corpus.filenames], "source": corpus.source}, fh)
        rows, checks, notes = _measure_all(paths_file, configs)
    finally:
        corpus.cleanup()
        shutil.rmtree(os.path.dirname(paths_file), ignore_errors=True)
    data = {"source": rows[0]["source"], "full_files": rows[0]["n_files"], "tenth_files": rows[1]["n_files"],
            "full_audio_minutes": rows[0]["audio_minutes"], "tenth_audio_minutes": rows[1]["audio_minutes"],
            "tenth": "every 10th file in sorted order"}
    if corpus.synthetic:
        notes.insert(0, "SKVOICE_LIBRISPEECH is unset: synthetic make_voices WAV files were used.")
    return C.make_report(NAME, quick=quick, data=data, results=rows, checks=checks, notes=notes, started=started)


def _measure_all(paths_file, configs):
    rows, checks, notes = [], [], []
    for n_jobs in configs:
        full, tenth = measure(paths_file, 1.0, n_jobs), measure(paths_file, 0.1, n_jobs)
        rows += [full, tenth]
        growth = full["main_growth_mb"] - tenth["main_growth_mb"]
        feat = full["features_mb"] - tenth["features_mb"]
        checks.append(C.check(f"n_jobs={n_jobs}: extra main-process growth beyond features (MB)", growth - feat,
                              "<=", SLACK_MB))
        if n_jobs != 1:
            checks.append(C.check(f"n_jobs={n_jobs}: worker peak, full minus tenth (MB)",
                                  full["worker_peak_mb"] - tenth["worker_peak_mb"], "<=", SLACK_MB))
        if growth - feat < 0:
            notes.append(f"n_jobs={n_jobs}: the full corpus grew the peak by less than its extra features: they fitted "
                         "in heap memory already freed after the warm-up (librosa's first calls).")
        notes.append(f"n_jobs={n_jobs}: main-process growth {full['main_growth_mb']:.1f} MB (full) vs "
                     f"{tenth['main_growth_mb']:.1f} MB (tenth); features {full['features_mb']:.1f} vs "
                     f"{tenth['features_mb']:.1f} MB; holding the decoded audio would take {full['audio_mb']:.0f} MB.")
    return rows, checks, notes


def print_report(report):
    C.print_table(report["results"], ["n_jobs", "fraction", "n_files", "audio_minutes", "rss_before_mb",
                                      "main_peak_mb", "main_growth_mb", "worker_peak_mb", "features_mb", "audio_mb"],
                  title=f"Peak memory of MFCC extraction ({report['data']['source']})")
    C.print_checks(report["checks"])
    for n in report["notes"]:
        print(" -", n)


def main(argv=None):
    p = C.arg_parser(NAME, __doc__.splitlines()[0])
    p.add_argument("--child", metavar="PATHS_JSON", default=None, help=argparse_suppress())
    p.add_argument("--fraction", type=float, default=1.0, help=argparse_suppress())
    p.add_argument("--n-jobs", type=int, default=-1, help=argparse_suppress())
    args = p.parse_args(argv)
    if args.child:
        child(args.child, args.fraction, args.n_jobs)
        return None
    report = run(quick=args.quick)
    print_report(report)
    C.save_report(report, args)
    return report


def argparse_suppress():
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
