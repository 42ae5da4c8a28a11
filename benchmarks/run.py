"""Run the skvoice benchmarks and print one pass/fail table.

Usage::

    python benchmarks/run.py                 # all benchmarks, full size
    python benchmarks/run.py --quick         # short versions (a few minutes)
    python benchmarks/run.py mfcc memory     # a selection
    python benchmarks/run.py --list

Each benchmark runs in a fresh Python process (so thread pools, worker pools and
memory do not leak from one to the next) and writes
``benchmarks/results/<name>.json`` (``<name>_quick.json`` with ``--quick``) with
its measurements, targets and the machine's description. This runner then
writes ``summary.json`` (``summary_quick.json``) with the targets of every result
file present (each with its start time).

Data: ``$SKVOICE_LIBRISPEECH`` (a LibriSpeech root with ``train-clean-100`` and
``test-other``); when unset, synthetic ``make_voices`` recordings are used and
every report says so.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402 (importable only after the sys.path entry above)

BENCHMARKS = {
    "mfcc": ("bench_mfcc.py", "MFCC extraction throughput vs the study's librosa recipe"),
    "training": ("bench_training.py", "gender HGB vs study GB training time; GMM speaker models"),
    "memory": ("bench_memory.py", "peak RSS of MFCC extraction, full corpus vs a tenth"),
    "wav2vec": ("bench_wav2vec.py", "wav2vec2 feature extraction (written separately)"),
    "vad": ("bench_vad.py", "voice activity detectors under noise; GE2E front-end speed on 2-s chunks"),
    "sample": ("bench_sample.py", "what a newcomer sees on the bundled sample"),
    "robustness": ("bench_robustness.py", "accuracy under degraded conditions, with/without fit-time augmentation"),
    "speaker": ("bench_speaker.py", "speaker ID/verification on 151 speakers: GE2E back ends, GMM-UBM, fusion"),
    "scale": ("bench_scale.py", "enrolment/scoring cost vs speakers: 10, 151 real, 1k-5k simulated embeddings"),
    "recipe": ("bench_recipe.py", "speaker_id_pipeline, robust vs clean build, on 151 readers' 2-s chunks"),
}


def available():
    return {k: v for k, v in BENCHMARKS.items() if os.path.isfile(os.path.join(C.HERE, v[0]))}


def command(name, quick, out):
    """Command line for one benchmark script.

    The skvoice benchmarks take ``--json PATH`` and ``--quick``. Scripts with another interface
    (``bench_wav2vec.py`` takes ``--out PATH``, ``--seconds`` and ``--repeat``) are driven through
    the options their source declares.
    """
    script = os.path.join(C.HERE, BENCHMARKS[name][0])
    with open(script) as fh:
        src = fh.read()
    ours = "C.arg_parser(" in src  # built on _common.arg_parser: --json and --quick
    cmd = [sys.executable, script]
    cmd += ["--json", out] if ours or '"--json"' in src else ["--out", out] if '"--out"' in src else []
    if quick:
        if ours or '"--quick"' in src:
            cmd.append("--quick")
        else:  # shorter audio and a single timed repeat
            cmd += (["--seconds", "20"] if '"--seconds"' in src else []) + (
                ["--repeat", "1"] if '"--repeat"' in src else [])
    return cmd


def run_one(name, quick, results_dir, extra_env=None):
    """Run one benchmark in a subprocess; return (report dict or None, return code, seconds)."""
    out = os.path.join(results_dir, f"{name}{'_quick' if quick else ''}.json")
    cmd = command(name, quick, out)
    print(f"\n=== {name}: {' '.join(cmd)}", flush=True)
    if os.path.exists(out):
        os.remove(out)  # never report a stale result
    env = {**os.environ, **(extra_env or {})}
    t0 = time.perf_counter()
    rc = subprocess.call(cmd, env=env)
    elapsed = time.perf_counter() - t0
    report = None
    if os.path.isfile(out):
        with open(out) as fh:
            report = json.load(fh)
    return report, rc, elapsed


def report_checks(report):
    """Targets of a report; a report without targets but with ``rows`` holding ``vs_study`` ratios
    (bench_wav2vec.py) gives one informative line with its best ratio."""
    checks = list(report.get("checks") or [])
    if not checks:
        ratios = [(r.get("vs_study"), r.get("setting", "")) for r in report.get("rows", [])
                  if isinstance(r, dict) and isinstance(r.get("vs_study"), (int, float))
                  and not str(r.get("setting", "")).startswith("study")]
        if ratios:
            best, setting = max(ratios)
            checks.append({"name": f"best speed-up vs study loop ({setting})", "value": round(best, 2),
                           "target": "(none)", "passed": None})
    return checks


def summarize(reports):
    rows = []
    for name, (report, rc, elapsed) in reports.items():
        if report is None:
            rows.append({"benchmark": name, "check": f"benchmark did not produce results (exit code {rc})",
                         "value": None, "target": None, "passed": False, "seconds": round(elapsed, 1)})
            continue
        checks = report_checks(report)
        if not checks:
            rows.append({"benchmark": name, "check": "(no targets)", "value": None, "target": None,
                         "passed": None if rc == 0 else False, "seconds": round(elapsed, 1)})
        for c in checks:
            rows.append({"benchmark": name, "check": c["name"], "value": c.get("value"), "target": c.get("target"),
                         "passed": c.get("passed"), "seconds": round(elapsed, 1)})
    return rows


def collect(results_dir, quick):
    """Targets of every result file present (this run's and earlier runs'), keyed by benchmark."""
    out = {}
    for name in BENCHMARKS:
        path = os.path.join(results_dir, f"{name}{'_quick' if quick else ''}.json")
        if not os.path.isfile(path):
            continue
        with open(path) as fh:
            report = json.load(fh)
        out[name] = {"file": os.path.relpath(path, results_dir), "started": report.get("started", report.get("date")),
                     "data": report.get("data", report.get("audio_source")), "machine_busy": report.get("machine_busy"),
                     "checks": report_checks(report)}
    return out


def write_summary(results_dir, quick, print_table=False):
    benchmarks = collect(results_dir, quick)
    if print_table:
        rows = [{"benchmark": n, "started": b["started"], **c} for n, b in benchmarks.items() for c in b["checks"]]
        C.print_table(rows, ["benchmark", "started", "name", "value", "target", "passed"], title="=== Summary")
    summary = {"quick": quick, "written": C.now_iso(), "machine": C.machine_info(),
               "data_root": C.librispeech_root(), "benchmarks": benchmarks}
    path = os.path.join(results_dir, f"summary{'_quick' if quick else ''}.json")
    C.write_json(summary, path)
    print(f"wrote {path}")
    return 0


def main(argv=None):
    avail = available()
    p = argparse.ArgumentParser(prog="run.py", description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all of {list(avail)})")
    p.add_argument("--quick", action="store_true", help="short versions")
    p.add_argument("--results-dir", default=C.RESULTS_DIR, help="where JSON results go (default benchmarks/results)")
    p.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    p.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    p.add_argument("--summarize", action="store_true",
                   help="only rebuild summary.json from the result files present, and print it")
    args = p.parse_args(argv)
    if args.list:
        for k, (f, d) in BENCHMARKS.items():
            print(f"{k:10s} {f:20s} {d}{'' if k in avail else '  [missing]'}")
        return 0
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        p.error(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")
    missing = [n for n in args.names if n not in avail]
    if missing:
        p.error(f"benchmark file(s) not found for {missing}")
    names = args.names or list(avail)
    if args.summarize:
        return write_summary(args.results_dir, args.quick, print_table=True)

    info = C.machine_info()
    data = C.librispeech_root()
    print(f"skvoice benchmarks ({'quick' if args.quick else 'full'}): {', '.join(names)}")
    print(f"machine: {info['cpu_model']}, {info['cpus_available']} cores available, "
          f"{info.get('memory_total_gib', '?')} GiB, load average {info['load_average_1_5_15min']}")
    print(f"data: {data or 'SKVOICE_LIBRISPEECH unset -> SYNTHETIC make_voices recordings'}")

    reports = {n: run_one(n, args.quick, args.results_dir) for n in names}
    rows = summarize(reports)
    C.print_table(rows, ["benchmark", "check", "value", "target", "passed"], title="=== Summary")
    busy = [n for n, (r, _, _) in reports.items() if r and r.get("machine_busy")]
    if busy:
        print(f"note: the machine was busy with other work during {busy}: absolute timings are inflated, "
              "ratios less so (see each JSON's load_average and notes).")
    write_summary(args.results_dir, args.quick)
    crashed = any(rc != 0 for _, rc, _ in reports.values())
    failed = any(r["passed"] is False for r in rows)
    return 2 if crashed else (1 if (failed and args.strict) else 0)


if __name__ == "__main__":
    sys.exit(main())
