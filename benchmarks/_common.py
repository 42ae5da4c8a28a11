"""Shared helpers for the skvoice benchmarks: data, timing, machine info, JSON output.

Every benchmark module (``bench_*.py``) exposes ``main(argv=None)``: it parses
``--quick`` and ``--json PATH``, runs, prints its own table and writes one JSON
document with the layout produced by :func:`make_report`. ``run.py`` runs the
modules in fresh subprocesses and prints the combined pass/fail table.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import shutil
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS_DIR = os.path.join(HERE, "results")
SUBSETS = ("train-clean-100", "test-other")


# --------------------------------------------------------------------------------------------- machine info
def _cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(mod):
    if mod == "skvoice":
        # the imported code's version: an editable install's metadata keeps the version it was installed at
        import skvoice

        return skvoice.__version__
    try:
        from importlib.metadata import version

        return version(mod)
    except Exception:  # not installed
        return None


def load_average():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def available_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count()


def machine_info():
    """CPU, platform, library versions and thread pools: stored with every result."""
    info = {
        "cpu_count": os.cpu_count(),
        "cpus_available": available_cores(),
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_1_5_15min": load_average(),
        "versions": {m: _version(m) for m in ("skvoice", "numpy", "scipy", "scikit-learn", "librosa", "soundfile",
                                              "soxr", "joblib", "pandas", "dask", "distributed", "torch",
                                              "transformers")},
    }
    try:
        import psutil

        info["memory_total_gib"] = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        pass
    try:
        from threadpoolctl import threadpool_info

        info["threadpools"] = [{k: p.get(k) for k in ("internal_api", "num_threads", "version", "architecture")}
                               for p in threadpool_info()]
    except ImportError:
        pass
    return info


def machine_is_busy():
    """True when other processes already keep the available cores busy (timings are then inflated)."""
    load = load_average()
    return bool(load and load[0] > available_cores() - 0.5)


# --------------------------------------------------------------------------------------------- data
class Corpus:
    """Audio files for a benchmark: real LibriSpeech when configured, else synthetic WAVs.

    Attributes: ``filenames``, ``speaker``, ``gender`` (object arrays), ``durations`` (seconds),
    ``source`` (human-readable description), ``synthetic`` (bool).
    """

    def __init__(self, filenames, speaker, gender, durations, source, synthetic, tmpdir=None):
        self.filenames = np.asarray(filenames, dtype=object)
        self.speaker = np.asarray(speaker, dtype=object)
        self.gender = np.asarray(gender, dtype=object)
        self.durations = np.asarray(durations, dtype=float)
        self.source = source
        self.synthetic = synthetic
        self._tmpdir = tmpdir

    @property
    def total_seconds(self):
        return float(self.durations.sum())

    def subset(self, index, source_suffix=""):
        return Corpus(self.filenames[index], self.speaker[index], self.gender[index], self.durations[index],
                      self.source + source_suffix, self.synthetic)

    def describe(self):
        return {"source": self.source, "synthetic": self.synthetic, "n_files": int(len(self.filenames)),
                "n_speakers": int(len(set(self.speaker))), "audio_minutes": round(self.total_seconds / 60, 2)}

    def cleanup(self):
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None


def librispeech_root():
    root = os.environ.get("SKVOICE_LIBRISPEECH")
    if root and os.path.isfile(os.path.join(root, "SPEAKERS.TXT")):
        return root
    return None


def real_librispeech_root(name):
    """``librispeech_root()`` for a benchmark that has no synthetic fallback; None (after saying so) without it."""
    root = librispeech_root()
    if root is None:
        print(f"bench_{name} needs real LibriSpeech: set SKVOICE_LIBRISPEECH", file=sys.stderr)
    return root


def load_corpus(subsets=SUBSETS, *, synthetic_speakers=40, synthetic_utterances=6, synthetic_duration=10.0):
    """Real LibriSpeech subsets from ``$SKVOICE_LIBRISPEECH``; falls back to synthetic ``make_voices`` WAVs.

    The fallback writes 16 kHz PCM WAV files to a temporary folder (``Corpus.cleanup`` removes it);
    WAV decodes faster than FLAC, so absolute throughput on synthetic data is not comparable with
    LibriSpeech numbers (the ratios still are).
    """
    root = librispeech_root()
    if root is not None:
        from skvoice.datasets import load_librispeech

        present = [s for s in subsets if os.path.isdir(os.path.join(root, s))]
        if present:
            data = load_librispeech(root, subset=present)
            return Corpus(data.filenames, data.speaker, data.gender, data.frame["duration"].to_numpy(),
                          f"LibriSpeech {'+'.join(present)} ({root})", synthetic=False)
    from skvoice.datasets import make_voices

    tmpdir = tempfile.mkdtemp(prefix="skvoice-bench-")
    v = make_voices(n_speakers=synthetic_speakers, n_utterances=synthetic_utterances, duration=synthetic_duration,
                    random_state=0, out_dir=tmpdir)
    durations = [len(w) / v.sample_rate for w in v.waveforms]
    return Corpus(v.filenames, v.speaker, v.gender, durations,
                  "SYNTHETIC make_voices WAVs (SKVOICE_LIBRISPEECH unset) in " + tmpdir, synthetic=True,
                  tmpdir=tmpdir)


# --------------------------------------------------------------------------------------------- timing
class CPUClock:
    """CPU seconds used by this process plus its live child processes (loky/dask workers)."""

    def __init__(self):
        try:
            import psutil

            self._proc = psutil.Process()
        except ImportError:
            self._proc = None

    def __call__(self):
        if self._proc is None:
            return time.process_time()
        import psutil

        t = self._proc.cpu_times()
        total = t.user + t.system
        for child in self._proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                ct = child.cpu_times()
                total += ct.user + ct.system
        return total


def timed(func, *args, **kwargs):
    """Run ``func`` once: returns (result, wall seconds, CPU seconds incl. child processes)."""
    clock = CPUClock()
    c0, t0 = clock(), time.perf_counter()
    out = func(*args, **kwargs)
    wall = time.perf_counter() - t0
    return out, wall, clock() - c0


# --------------------------------------------------------------------------------------------- reporting
def check(name, value, op, target, unit=""):
    """A pass/fail line: ``value op target`` with op in {">=", "<="}."""
    passed = bool(value >= target) if op == ">=" else bool(value <= target)
    return {"name": name, "value": _round(value), "target": f"{op} {target:g}{unit}", "passed": passed}


def _round(x):
    if isinstance(x, float):
        return float(f"{x:.4g}")
    return x


def make_report(name, *, quick, data, results, checks, notes, started):
    return {
        "benchmark": name,
        "quick": bool(quick),
        "started": started,
        "elapsed_s": round(time.time() - datetime.datetime.fromisoformat(started).timestamp(), 1),
        "data": data,
        "machine": machine_info(),
        "machine_busy": machine_is_busy(),
        "results": results,
        "checks": checks,
        "notes": notes,
    }


def now_iso():
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def write_json(report, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as fh:
        json.dump(report, fh, indent=2, default=_json_default)
        fh.write("\n")


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def print_table(rows, columns, title=None, file=None):
    """Plain-text table of dicts."""
    file = file or sys.stdout
    cells = [[_fmt(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    if title:
        print(f"\n{title}", file=file)
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)), file=file)
    print("  ".join("-" * w for w in widths), file=file)
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)), file=file)
    file.flush()


def _fmt(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "PASS" if v else "FAIL"
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1e5 else f"{v:.0f}"
    return str(v)


def print_checks(checks, file=None):
    print_table(checks, ["name", "value", "target", "passed"], title="Targets", file=file)


def default_json_path(name, quick):
    return os.path.join(RESULTS_DIR, f"{name}{'_quick' if quick else ''}.json")


def save_report(report, args, name=None):
    """Write ``report`` to ``--json`` (default: the benchmark's results file) and say where; returns the path."""
    path = args.json or default_json_path(name or report["benchmark"], args.quick)
    write_json(report, path)
    print(f"[{report['benchmark']}] wrote {path} in {report['elapsed_s']} s", flush=True)
    return path


def arg_parser(name, description):
    p = argparse.ArgumentParser(prog=f"bench_{name}.py", description=description)
    p.add_argument("--quick", action="store_true", help="short version (smaller data, fewer repeats)")
    p.add_argument("--json", metavar="PATH", default=None,
                   help=f"where to write the JSON result (default: benchmarks/results/{name}[_quick].json)")
    return p
