"""The ``skvoice`` command line: ``reproduce`` (the study's report), ``demo`` and ``info``.

Run ``skvoice --help`` or ``python -m skvoice --help``. :func:`main` returns the
exit code: 0 on success, 1 when some requested model failed (the report is still
written and says why), 2 for usage errors and when no data is available (with
instructions), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["main", "build_parser"]

_EPILOG_REPRODUCE = """\
data: --data, else $SKVOICE_LIBRISPEECH, else the real LibriSpeech sample bundled with skvoice (no network).
--download fetches dev-clean (337 MB, the study's subset) once into the data home ($SKVOICE_DATA or
~/skvoice_data) instead. --synthetic runs on synthetic voices.

examples:
  skvoice reproduce --data /data/LibriSpeech --gender-subset train-clean-100 --speaker-subset test-other
  skvoice reproduce --quick --synthetic --out /tmp/report
  skvoice reproduce --models gb,best,gmm,gmm-ubm --wav2vec ./wav2vec2-base --hubert ./hubert-gender

exit codes: 0 ok, 1 a model failed (see report.md), 2 usage error or no data, 130 interrupted.
"""


def _models_arg(text):
    from .study.models import MODEL_KEYS

    keys = [k.strip() for k in text.split(",") if k.strip()]
    if keys == ["all"]:
        return MODEL_KEYS
    bad = [k for k in keys if k not in MODEL_KEYS]
    if bad or not keys:
        raise argparse.ArgumentTypeError(
            f"unknown model(s) {', '.join(bad) or '(none given)'}; choose from: all, {', '.join(MODEL_KEYS)}")
    return tuple(dict.fromkeys(keys))


def _n_jobs_arg(text):
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--n-jobs must be an integer, got {text!r}") from None
    if n == 0:
        raise argparse.ArgumentTypeError("--n-jobs must not be 0 (use 1 for no parallelism, -1 for all cores)")
    return n


def build_parser():
    """The argument parser of the ``skvoice`` command."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="skvoice", description="skvoice: scikit-learn compatible speaker identification and voice gender "
                                    "classification. Reproduce the study, run a demo, or inspect the setup.")
    parser.add_argument("--version", action="version", version=f"skvoice {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    rep = sub.add_parser(
        "reproduce", help="reproduce the study's tables and figures (report.md, results.json, PNGs)",
        description="Reproduce the study end to end: outlier counts, gender classifiers (study protocol and "
                    "speaker-disjoint), speaker identification, per-recording PCA and k-means. Writes report.md "
                    "(with the study's numbers beside ours), results.json and PNG figures.",
        epilog=_EPILOG_REPRODUCE, formatter_class=argparse.RawDescriptionHelpFormatter)
    rep.add_argument("--data", metavar="LIBRISPEECH_ROOT",
                     help="LibriSpeech folder holding SPEAKERS.TXT and subset folders (default: "
                          "$SKVOICE_LIBRISPEECH, else the bundled real sample, or dev-clean with --download)")
    rep.add_argument("--gender-subset", metavar="SUBSET",
                     help="subset for the gender task (default: dev-clean as in the study, else train-clean-100 "
                          "or the first available)")
    rep.add_argument("--speaker-subset", metavar="SUBSET",
                     help="subset for speaker identification (default: dev-clean, else test-other or the first "
                          "available)")
    rep.add_argument("--out", metavar="DIR", default="skvoice_report", help="output folder (default: %(default)s)")
    rep.add_argument("--quick", action="store_true",
                     help="fewer speakers/recordings/epochs and 3 folds: a few minutes on 2 CPU cores")
    rep.add_argument("--models", type=_models_arg, default="all", metavar="LIST",
                     help="comma-separated models to run (default: all): gb, dense, cnn, hubert, best "
                          "(gender); gmm, gmm-ubm, speaker-net (speaker ID); embedding (both tasks)")
    rep.add_argument("--wav2vec", metavar="MODEL",
                     help="wav2vec2 encoder for the speaker task's 2-s chunk features: a save_pretrained folder, a "
                          "fairseq .pt checkpoint, or a hub id in the local cache (skipped when not given)")
    rep.add_argument("--hubert", metavar="MODEL",
                     help="HuBERT/wav2vec2 gender classifier folder (default: the study's model if it is in the "
                          "local Hugging Face cache, else skipped)")
    rep.add_argument("--synthetic", action="store_true",
                     help="run everything on synthetic voices (make_voices); needs no data")
    rep.add_argument("--download", action="store_true",
                     help="with no --data and no $SKVOICE_LIBRISPEECH, download dev-clean (the study's subset) "
                          "instead of using the bundled sample")
    rep.add_argument("--no-download", action="store_true", help=argparse.SUPPRESS)  # the default since 0.2
    rep.add_argument("--n-jobs", type=_n_jobs_arg, default=-1, metavar="N",
                     help="parallel jobs for feature extraction and GMMs (default: -1, all cores)")
    rep.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default: %(default)s)")
    rep.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")

    demo = sub.add_parser(
        "demo", help="a fast (< 1 min) end-to-end demonstration",
        description="Train and cross-validate a gender classifier (speaker-disjoint) and a speaker identifier on "
                    "real LibriSpeech when $SKVOICE_LIBRISPEECH is set (train-clean-100 / test-other when present), "
                    "else on synthetic voices, and print the results.")
    demo.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default: %(default)s)")
    demo.add_argument("--n-jobs", type=_n_jobs_arg, default=None, metavar="N", help="parallel jobs (default: 1)")
    demo.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")

    sub.add_parser("info", help="versions, optional extras and data found",
                   description="Print skvoice's version, dependency versions, which optional extras are usable, "
                               "and which LibriSpeech data and pretrained models are available locally.")
    return parser


def _cmd_reproduce(args, argv):
    from .study import DataError, Progress, ReproduceConfig, format_summary, run_reproduce, write_report

    config = ReproduceConfig(data=args.data, gender_subset=args.gender_subset, speaker_subset=args.speaker_subset,
                             out=args.out, quick=args.quick, models=args.models, wav2vec=args.wav2vec,
                             hubert=args.hubert, synthetic=args.synthetic, n_jobs=args.n_jobs, seed=args.seed,
                             download=args.download and not args.no_download, argv=list(argv))
    try:
        results = run_reproduce(config, Progress(quiet=args.quiet))
    except DataError as exc:
        print(f"skvoice reproduce: {exc}", file=sys.stderr)
        return 2
    md, _ = write_report(results, results.out_dir)
    print(format_summary(results, report_path=md))
    failed = results.failed_models()
    if failed:
        print(f"skvoice reproduce: {len(failed)} model(s) failed: {', '.join(failed)} (details in "
              f"{os.path.join(results.out_dir, 'results.json')})", file=sys.stderr)
        return 1
    return 0


def _cmd_demo(args):
    from .study import Progress, run_demo

    out = run_demo(Progress(quiet=args.quiet), seed=args.seed, n_jobs=args.n_jobs)
    g, s = out.gender, out.speaker
    print(f"data: {out.data}")
    print(f"gender      : accuracy {g.accuracy_mean:.3f} ± {g.accuracy_std:.3f} per recording "
          f"({g.folds}-fold speaker-disjoint CV, {g.n_recordings} recordings of {g.n_speakers} speakers; "
          "MFCC+deltas+pitch -> CMVN -> FrameVote(HistGradientBoosting, soft vote))")
    print(f"speaker ID  : accuracy {s.accuracy_mean:.3f} ± {s.accuracy_std:.3f} per recording "
          f"({s.folds}-fold stratified CV, {s.n_recordings} recordings of {s.n_speakers} speakers; "
          "MFCC -> CMVN -> GMM-UBM with MAP adaptation)")
    print(f"done in {out.seconds:.1f} s. Full study reproduction: skvoice reproduce --help")
    return 0


def _cmd_info():
    import importlib.util
    from importlib import metadata

    from . import __version__
    from .datasets import ENV_ROOT
    from .study.data import available_subsets
    from .study.models import cached_default_hubert

    def version(pkg):
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return None

    print(f"skvoice {__version__} (Python {sys.version.split()[0]}, {sys.platform})")
    print("core:    " + ", ".join(f"{p} {version(p)}" for p in ("numpy", "scipy", "scikit-learn", "pandas",
                                                                  "librosa", "soundfile", "joblib", "matplotlib")))
    extras = {
        "torch (Wav2VecChunker, HubertGender)": ("torch", "transformers"),
        "keras (Dense/CNN nets)": ("keras", "scikeras", "torch"),
        "embeddings (SpeakerEmbedding)": ("resemblyzer", "torch"),
        "dask (distributed joblib backend)": ("distributed",),
        "docs": ("sphinx", "sphinx_gallery", "numpydoc"),
    }
    print("extras:")
    for name, mods in extras.items():
        missing = [m for m in mods if importlib.util.find_spec(m) is None]
        state = "available" if not missing else f"missing {', '.join(missing)}"
        print(f"  {name:40s} {state}")
    print(f"  KERAS_BACKEND={os.environ.get('KERAS_BACKEND', '(unset: skvoice uses torch)')}")
    print("data:")
    root = os.environ.get(ENV_ROOT)
    if not root:
        print(f"  ${ENV_ROOT} is not set")
    elif not os.path.isfile(os.path.join(root, "SPEAKERS.TXT")):
        print(f"  ${ENV_ROOT}={root} holds no SPEAKERS.TXT (not a LibriSpeech root)")
    else:
        subs = available_subsets(root)
        desc = ", ".join(f"{s} ({sum(1 for d in os.listdir(os.path.join(root, s)) if d.isdigit())} speakers)"
                         for s in subs)
        print(f"  ${ENV_ROOT}={root}: {desc or 'no subset folders'}")
    # the data home is not created here (get_data_home would): info only looks
    home = os.path.expanduser(os.environ.get("SKVOICE_DATA") or os.path.join("~", "skvoice_data"))
    fetched = os.path.join(home, "LibriSpeech")
    try:
        subs = available_subsets(fetched) if os.path.isdir(fetched) else []
        print(f"  data home {home}: " + (", ".join(subs) if subs else "no downloaded subset"))
    except OSError as exc:  # pragma: no cover - unreadable folder
        print(f"  data home {home} unreadable: {exc}")
    print("pretrained models (local only):")
    print("  study's HuBERT gender model in the Hugging Face cache: "
          + ("yes" if cached_default_hubert() else "no (pass --hubert FOLDER to skvoice reproduce)"))
    return 0


def main(argv=None):
    """Run the ``skvoice`` command; return the exit code (never raises SystemExit)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        if args.command == "reproduce":
            return _cmd_reproduce(args, argv)
        if args.command == "demo":
            return _cmd_demo(args)
        return _cmd_info()
    except KeyboardInterrupt:
        print("skvoice: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
