"""The ``skvoice`` command line: ``train`` and ``predict`` (your own recordings), ``reproduce`` (the study's
report), ``demo`` and ``info``.

Run ``skvoice --help`` or ``python -m skvoice --help``. :func:`main` returns the
exit code: 0 on success; 1 when some requested model failed (``reproduce``: the
report is still written and says why), training failed, or some files could not
be predicted (``predict``: their rows say why); 2 for usage errors, unusable
data or model files (with instructions); 130 when interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from ._files import atomic_open, check_writable_file, prepare_folder

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


_EPILOG_TRAIN = """\
DATA is either
  a LibriSpeech root (holding SPEAKERS.TXT): labels are the readers' sex (gender) or the readers (speaker),
    from every subset folder found (or --subset); gender folds are speaker-disjoint;
  or a folder with one sub-folder per label, e.g. DATA/female/*.wav and DATA/male/*.flac (gender) or one
    sub-folder per person (speaker); nested folders are searched. The folders do not say who speaks in a
    gender tree, so its folds are not speaker-disjoint (a warning says so).
Unreadable, silent and near-empty files are left out and listed.

examples:
  skvoice train gender ~/voices --out gender.skops
  skvoice train speaker ~/team-recordings --out team.skops --cv 3
  skvoice train gender /data/LibriSpeech --subset train-clean-100 --out gender.skops --n-jobs -1

exit codes: 0 saved, 1 training failed, 2 usage error or unusable data.
"""

_EPILOG_PREDICT = """\
examples:
  skvoice predict gender call1.wav call2.flac          # the gender model shipped with skvoice
  skvoice predict --model team.skops recordings/ --format table
  skvoice predict --model gender.skops ~/calls --output labels.csv
  skvoice predict --model team.skops calls/ --threshold 4.6   # "unknown" for people never enrolled

output: one row per file: path, label, score, error (why a file could not be predicted; its label is then
empty). The score is the probability of the predicted label (or its decision value). For speaker models
(skvoice train speaker) it is the best enrolled speaker's log-likelihood ratio, also when --threshold
rejects the file; without --threshold every file, a stranger's too, gets the nearest enrolled speaker's
label. A file without speech (silence, noise, hum, music without voice) gets the error
"no speech found" instead of a label when Silero is installed (pip install 'skvoice[vad]'; see --speech-check).
exit codes: 0 every file predicted, 1 some files failed or had no speech (their rows say why), 2 usage error
or unusable model.
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


def _steps_arg(text):
    from .study.run import EXTRA_STEPS

    keys = [k.strip() for k in text.split(",") if k.strip()]
    if keys == ["all"]:
        return None
    if keys == ["none"]:
        return ()
    bad = [k for k in keys if k not in EXTRA_STEPS]
    if bad or not keys:
        raise argparse.ArgumentTypeError(
            f"unknown step(s) {', '.join(bad) or '(none given)'}; choose from: all, none, {', '.join(EXTRA_STEPS)}")
    return tuple(dict.fromkeys(keys))


def _int_arg(name, text):
    """``int(text)``, or the argparse error saying that option ``name`` takes an integer."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name} must be an integer, got {text!r}") from None


def _n_jobs_arg(text):
    n = _int_arg("--n-jobs", text)
    if n == 0:
        raise argparse.ArgumentTypeError("--n-jobs must not be 0 (use 1 for no parallelism, -1 for all cores)")
    return n


def _positive_int(name):
    def parse(text):
        n = _int_arg(name, text)
        if n < 1:
            raise argparse.ArgumentTypeError(f"{name} must be at least 1, got {n}")
        return n

    return parse


def _cv_arg(text):
    n = _int_arg("--cv", text)
    if n < 0 or n == 1:
        raise argparse.ArgumentTypeError(f"--cv must be 0 (no cross-validation) or at least 2 folds, got {n}")
    return n


# ------------------------------------------------------------------------------------------------ shared options
def _add_command(sub, name, help, description, epilog):
    """A sub-command whose ``epilog`` (examples, exit codes) keeps its line breaks."""
    return sub.add_parser(name, help=help, description=description, epilog=epilog,
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def _add_n_jobs(parser, default, help):
    parser.add_argument("--n-jobs", type=_n_jobs_arg, default=default, metavar="N", help=help)


def _add_speech_check(parser, help):
    parser.add_argument("--speech-check", choices=("auto", "on", "off"), default="auto", help=help)


def _add_seed(parser, flag="--seed", help="random seed (default: %(default)s)"):
    parser.add_argument(flag, type=int, default=0, metavar="S", help=help)


def _add_quiet(parser, help="no progress lines on stderr"):
    parser.add_argument("-q", "--quiet", action="store_true", help=help)


def _add_options(parser, options):
    """Add ``(flag, metavar, help[, other add_argument keywords])`` options in order; no metavar: an on/off switch."""
    for flag, metavar, help, *more in options:
        kwargs = {"action": "store_true"} if metavar is None else {"metavar": metavar}
        parser.add_argument(flag, help=help, **kwargs, **(more[0] if more else {}))


_REPRODUCE_OPTIONS = (
    ("--data", "LIBRISPEECH_ROOT", "LibriSpeech folder holding SPEAKERS.TXT and subset folders (default: "
                                   "$SKVOICE_LIBRISPEECH, else the bundled real sample, or dev-clean with --download)"),
    ("--gender-subset", "SUBSET", "subset for the gender task (default: dev-clean as in the study, else "
                                  "train-clean-100 or the first available)"),
    ("--speaker-subset", "SUBSET", "subset for speaker identification (default: dev-clean, else test-other or the "
                                   "first available)"),
    ("--out", "DIR", "output folder (default: %(default)s)", {"default": "skvoice_report"}),
    ("--quick", None, "fewer speakers/recordings/epochs and 3 folds: a few minutes on 2 CPU cores"),
    ("--models", "LIST", "comma-separated models to run (default: all): gb, dense, cnn, hubert, best (gender); "
                         "gmm, gmm-ubm, speaker-net (speaker ID); embedding (both tasks)",
     {"type": _models_arg, "default": "all"}),
    ("--steps", "LIST", "comma-separated steps to run after the study's experiments (default: all): "
                        "speaker_verification, robustness (the recommended recipes, most of a --quick run's "
                        "time); none for none", {"type": _steps_arg, "default": "all"}),
    ("--wav2vec", "MODEL", "wav2vec2 encoder for the speaker task's 2-s chunk features: a save_pretrained folder, "
                           "a fairseq .pt checkpoint, or a hub id in the local cache (skipped when not given)"),
    ("--hubert", "MODEL", "HuBERT/wav2vec2 gender classifier folder (default: the study's model if it is in the "
                          "local Hugging Face cache, else skipped)"),
    ("--synthetic", None, "run everything on synthetic voices (make_voices); needs no data"),
    ("--download", None, "with no --data and no $SKVOICE_LIBRISPEECH, download dev-clean (the study's subset) "
                         "instead of using the bundled sample"),
)


def _add_train_predict(sub):
    train = _add_command(
        sub, "train", help="train a gender or speaker model on your recordings and save it",
        description="Train skvoice's recommended pipeline (skvoice.recipes) on your recordings, print its "
                    "cross-validated accuracy, fit it on all of them and save it as a model file for "
                    "`skvoice predict --model`.",
        epilog=_EPILOG_TRAIN)
    train.add_argument("task", choices=("gender", "speaker"), help="what to predict")
    train.add_argument("data", metavar="DATA", help="LibriSpeech root or folder with one sub-folder per label")
    train.add_argument("--out", required=True, metavar="MODEL",
                       help="model file to write: .skops (safe to share; default format) or .joblib/.pkl")
    train.add_argument("--cv", type=_cv_arg, default=5, metavar="K",
                       help="cross-validation folds before the final fit (default: %(default)s; 0 skips it)")
    train.add_argument("--subset", action="append", metavar="SUBSET",
                       help="LibriSpeech only: use this subset folder (repeatable; default: all found)")
    train.add_argument("--clean-audio", action="store_true",
                       help="speaker only: the recipe for clean enrolment and test audio (no noise reduction, "
                            "full band, no degraded training copies): faster to fit and more accurate on clean "
                            "speech, but not robust to noise or telephone channels")
    _add_speech_check(train, "leave out the training files in which the Silero detector (the vad extra) finds no "
                             "speech; auto: when Silero is installed (default: %(default)s)")
    _add_n_jobs(train, None, "parallel jobs over recordings (default: 1; -1 uses all cores)")
    _add_seed(train, "--random-state", "seed for the folds and the model (default: %(default)s)")
    _add_quiet(train)

    pred = _add_command(
        sub, "predict", help="label recordings with the shipped gender model or a saved model",
        description="Predict a label for every audio file given (folders are searched recursively): with the "
                    "gender model shipped with skvoice (`skvoice predict gender FILES`), or with a model saved "
                    "by `skvoice train` or skvoice.io.save_model (`skvoice predict --model MODEL FILES`).",
        epilog=_EPILOG_PREDICT)
    pred.add_argument("inputs", nargs="+", metavar="[TASK] FILE_OR_DIR",
                      help="`gender` (the shipped model) followed by audio files or folders; with --model, only "
                           "files or folders")
    pred.add_argument("--model", metavar="MODEL", help="a saved model file (.skops, or .joblib with --allow-pickle)")
    pred.add_argument("--format", choices=("csv", "json", "table"), default="csv",
                      help="output format (default: %(default)s)")
    pred.add_argument("--output", "-o", metavar="FILE",
                      help="write the rows to FILE instead of stdout (in one go when the run ends: an "
                           "interrupted run leaves FILE as it was)")
    pred.add_argument("--batch-size", type=_positive_int("--batch-size"), default=32, metavar="N",
                      help="files per model call (default: %(default)s)")
    _add_speech_check(pred, "look for speech in each file first (Silero detector, the vad extra) and report the "
                            "files without any instead of labelling them; auto: on when Silero is installed "
                            "(default: %(default)s)")
    pred.add_argument("--threshold", type=float, metavar="LLR",
                      help="speaker models: label a file `unknown` when even its best speaker scores below LLR "
                           "(open-set identification; the speaker recipe's scores are log-likelihood ratios, so "
                           "4.6 = log(99) asks for odds of 99 to 1)")
    pred.add_argument("--unknown-label", metavar="TEXT",
                      help="with --threshold: the label of a file that is none of the enrolled speakers "
                           "(default: unknown)")
    _add_n_jobs(pred, None, "set every n_jobs parameter of the model (default: as saved); each worker loads "
                            "torch and the models once (a few seconds), so it pays off from about a hundred files")
    pred.add_argument("--trust", action="append", default=[], metavar="TYPE",
                      help="also trust this type in a .skops file (repeatable; the error for an untrusted file "
                           "names them). Only for files and code you trust")
    pred.add_argument("--allow-pickle", action="store_true",
                      help="allow a pickle (.joblib/.pkl) model file: unpickling can execute code, only for files "
                           "you trust")
    pred.add_argument("--progress", action="store_true",
                      help="show the progress bar even when stderr is not a terminal")
    _add_quiet(pred, "no progress bar and no summary on stderr")


def build_parser():
    """The argument parser of the ``skvoice`` command."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="skvoice", description="skvoice: scikit-learn compatible speaker identification and voice gender "
                                    "classification. Reproduce the study, run a demo, or inspect the setup.")
    parser.add_argument("--version", action="version", version=f"skvoice {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    rep = _add_command(
        sub, "reproduce", help="reproduce the study's tables and figures (report.md, results.json, PNGs)",
        description="Reproduce the study end to end: outlier counts, gender classifiers (study protocol and "
                    "speaker-disjoint), speaker identification, per-recording PCA and k-means. Writes report.md "
                    "(with the study's numbers beside ours), results.json and PNG figures.",
        epilog=_EPILOG_REPRODUCE)
    _add_options(rep, _REPRODUCE_OPTIONS)
    rep.add_argument("--no-download", action="store_true", help=argparse.SUPPRESS)  # the default since 0.2
    _add_n_jobs(rep, -1, "parallel jobs for feature extraction and GMMs (default: -1, all cores)")
    _add_seed(rep)
    _add_quiet(rep)

    _add_train_predict(sub)

    demo = sub.add_parser(
        "demo", help="a fast (< 1 min) end-to-end demonstration",
        description="Train and cross-validate a gender classifier (speaker-disjoint) and a speaker identifier on "
                    "real LibriSpeech when $SKVOICE_LIBRISPEECH is set (train-clean-100 / test-other when present), "
                    "else on synthetic voices, and print the results.")
    _add_seed(demo)
    _add_n_jobs(demo, None, "parallel jobs (default: 1)")
    _add_quiet(demo)

    sub.add_parser("info", help="versions, optional extras and data found",
                   description="Print skvoice's version, dependency versions, which optional extras are usable, "
                               "and which LibriSpeech data and pretrained models are available locally.")
    return parser


def _os_error_text(exc):
    """An OSError for the user: skvoice's own message (it names the path), else the system's with the path."""
    if exc.strerror and exc.filename is None:
        return exc.strerror
    return f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)


def _cmd_reproduce(args, argv):
    from ._hub import ModelNotAvailableError, model_source_kind
    from .study import DataError, Progress, ReproduceConfig, format_summary, run_reproduce, write_report

    for option, model in (("--hubert", args.hubert), ("--wav2vec", args.wav2vec)):
        try:  # a model the user named must exist (a typo used to make its rows "skipped", and the run exit 0)
            if model:
                model_source_kind(model)
        except ModelNotAvailableError as exc:
            print(f"skvoice reproduce: {option}: {exc}", file=sys.stderr)
            return 2
    try:  # an unusable output folder is refused before the run, not after it
        prepare_folder(args.out)
    except OSError as exc:
        print(f"skvoice reproduce: --out: {_os_error_text(exc)}", file=sys.stderr)
        return 2
    config = ReproduceConfig(data=args.data, gender_subset=args.gender_subset, speaker_subset=args.speaker_subset,
                             out=args.out, quick=args.quick, models=args.models, steps=args.steps,
                             wav2vec=args.wav2vec,
                             hubert=args.hubert, synthetic=args.synthetic, n_jobs=args.n_jobs, seed=args.seed,
                             download=args.download and not args.no_download, argv=list(argv))
    try:
        results = run_reproduce(config, Progress(quiet=args.quiet))
    except DataError as exc:
        print(f"skvoice reproduce: {exc}", file=sys.stderr)
        return 2
    try:
        md, _ = write_report(results, results.out_dir)
    except OSError as exc:
        print(f"skvoice reproduce: cannot write the report: {_os_error_text(exc)}", file=sys.stderr)
        return 1
    print(format_summary(results, report_path=md))
    failed = results.failed_models()
    if failed:
        print(f"skvoice reproduce: {len(failed)} part(s) failed: {', '.join(failed)} (details in "
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


def _say(quiet):
    def say(message):
        if not quiet:
            print(message, file=sys.stderr, flush=True)

    return say


def _speech_check(args, prog, unchecked, install_to):
    """``(find or None, None)`` for ``--speech-check``, or ``(None, 2)`` after saying why it cannot run."""
    from ._optional import install_hint
    from ._train_predict import speech_checker

    try:
        no_speech = speech_checker(args.speech_check, n_jobs=args.n_jobs)
    except ImportError:
        print(f"{prog}: --speech-check on needs the Silero detector (the vad extra): {install_hint(['vad'])} "
              "(or use --speech-check off)", file=sys.stderr)
        return None, 2
    if no_speech is None and args.speech_check == "auto" and not args.quiet:
        print(f"{prog}: note: {unchecked} ({install_hint(['vad'])} {install_to})", file=sys.stderr)
    return no_speech, None


def _cmd_train(args, argv):
    import datetime
    import time

    import numpy as np

    from . import __version__
    from ._train_predict import (
        NO_SPEECH,
        choose_cv,
        cross_validate_model,
        load_training_data,
        quiet_em_cap,
        screen_files,
    )
    from .io import _format_of, save_model
    from .recipes import gender_pipeline, speaker_id_pipeline

    say = _say(args.quiet)
    prog = f"skvoice train {args.task}"
    if args.clean_audio and args.task != "speaker":
        print(f"{prog}: --clean-audio is for the speaker task only", file=sys.stderr)
        return 2
    try:
        fmt = _format_of(args.out, None)
    except ValueError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    from ._optional import install_hint, missing_extras
    from .recipes import _extras

    needs = _extras(args.task, robust=not args.clean_audio) + (["io"] if fmt == "skops" else [])
    missing = missing_extras(needs)
    if missing:  # before reading any data: the whole set at once, not one extra per failed run
        print(f"{prog}: the {args.task} recipe needs the optional dependencies {', '.join(missing)}: "
              f"{install_hint(missing)}", file=sys.stderr)
        return 2
    out = os.path.abspath(os.path.expanduser(args.out))
    if os.path.isdir(out):
        print(f"{prog}: --out {args.out} is a folder; give a model file name such as {args.task}.skops",
              file=sys.stderr)
        return 2
    try:  # an unusable --out is refused before the training, not after it
        check_writable_file(out, make_folders=True)
    except OSError as exc:
        print(f"{prog}: --out: {_os_error_text(exc)}", file=sys.stderr)
        return 2
    no_speech, code = _speech_check(args, prog, "the recordings are not checked for speech", "to leave out the "
                                                                                             "ones without any")
    if code is not None:
        return code
    try:
        data = load_training_data(args.data, args.task, args.subset)
    except (FileNotFoundError, ValueError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    for note in data.notes:
        print(f"{prog}: warning: {note}", file=sys.stderr)
    start = time.perf_counter()
    say(f"checking {len(data.paths)} recordings ...")
    keep, bad = screen_files(data.paths, n_jobs=args.n_jobs)
    if no_speech is not None:  # a recording of noise or hum would teach the model its label
        silent = no_speech([p for p, k in zip(data.paths, keep) if k])
        keep &= np.array([p not in silent for p in data.paths], dtype=bool)
        bad += [(p, NO_SPEECH) for p in data.paths if p in silent]
    bad = list(data.skipped) + bad
    if bad:
        print(f"{prog}: warning: {len(bad)} file(s) cannot be used and are left out:", file=sys.stderr)
        for path, reason in bad[:20]:
            print(f"  {path}: {reason}", file=sys.stderr)
        if len(bad) > 20:
            print(f"  ... and {len(bad) - 20} more", file=sys.stderr)
    X = np.asarray(data.paths, dtype=object)[keep]
    y = data.labels[keep]
    groups = None if data.groups is None else data.groups[keep]
    classes, counts = np.unique(y.astype(str), return_counts=True)
    if len(classes) < 2:
        print(f"{prog}: need recordings of at least 2 labels to train, found {len(classes)} "
              f"({', '.join(classes) or 'none'}) in {data.description['folder']}", file=sys.stderr)
        return 2
    if args.task == "gender" and len(classes) != 2:
        print(f"{prog}: warning: {len(classes)} labels for a gender model ({', '.join(classes)}); it will "
              "predict one of them", file=sys.stderr)
    who = "" if groups is None else f" of {len(set(groups))} speakers"
    print(f"data: {len(X)} recordings{who}, labels " + ", ".join(f"{c}: {n}" for c, n in zip(classes, counts))
          + f" ({data.description['source']} {os.path.abspath(args.data)})")

    def make_model():
        if args.task == "gender":
            return gender_pipeline(n_jobs=args.n_jobs, random_state=args.random_state)
        return speaker_id_pipeline(n_jobs=args.n_jobs, random_state=args.random_state, robust=not args.clean_audio)

    cv, scheme, notes = choose_cv(args.task, y, groups, args.cv, args.random_state)
    for note in notes:
        print(f"{prog}: warning: {note}", file=sys.stderr)
    cv_record = None
    try:
        with quiet_em_cap():  # the recipe caps EM on purpose
            if cv is None:
                print(f"cross-validation: {scheme}")
            else:
                say(f"cross-validating ({scheme}) ...")
                grouped = "Group" in type(cv).__name__  # plain StratifiedKFold would warn that it ignores groups
                scores = cross_validate_model(make_model, X, y, groups if grouped else None, cv, progress=say)
                acc, bacc = np.array(scores["accuracy"]), np.array(scores["balanced_accuracy"])
                print(f"cross-validated accuracy: {acc.mean():.3f} ± {acc.std():.3f} (balanced accuracy "
                      f"{bacc.mean():.3f}; {scheme}, {len(X)} recordings{who})")
                cv_record = {"scheme": scheme, "accuracy_mean": float(acc.mean()), "accuracy_std": float(acc.std()),
                             "balanced_accuracy_mean": float(bacc.mean()), "fold_accuracy": scores["accuracy"]}
            say(f"fitting on all {len(X)} recordings ...")
            model = make_model().fit(X, y)
    except Exception as exc:  # a model or audio failure: say which, keep the traceback out of the user's way
        print(f"{prog}: training failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    metadata = {
        "task": args.task,
        "recipe": ("skvoice.recipes.gender_pipeline" if args.task == "gender" else
                   "skvoice.recipes.speaker_id_pipeline" + ("(robust=False)" if args.clean_audio else "")),
        "training_data": {**data.description, "n_recordings": int(len(X)),
                          "label_counts": {c: int(n) for c, n in zip(classes, counts)},
                          "files_left_out": len(bad)},
        "cross_validation": cv_record,
        "command": "skvoice " + " ".join(argv),
        "random_state": args.random_state,
        "seconds": round(time.perf_counter() - start, 1),
    }
    try:
        os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
        path = save_model(model, out, format=fmt, metadata=metadata)
    except OSError as exc:
        print(f"{prog}: cannot save the model: {_os_error_text(exc)}", file=sys.stderr)
        return 1
    except (ValueError, ImportError) as exc:
        print(f"{prog}: cannot save the model: {exc}", file=sys.stderr)
        return 1
    print(f"saved {args.task} model ({fmt}, skvoice {__version__}, "
          f"{datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}) to {path}")
    print(f"label new recordings with: skvoice predict --model {path} FILES_OR_FOLDERS")
    return 0


def _load_predict_model(args):
    """``(model, description)`` for predict, or raise ValueError/OSError/... with a message for the user."""
    from .io import UntrustedModelError, load_model

    inputs = list(args.inputs)
    if args.model is None:
        if inputs[0] != "gender":
            raise ValueError(f"name a task or a model: `skvoice predict gender FILES` (the shipped gender model) "
                             f"or `skvoice predict --model MODEL FILES`; got {inputs[0]!r} as the task")
        if len(inputs) < 2:
            raise ValueError("no files or folders given after `gender`")
        from ._optional import install_hint, missing_extras
        from .pretrained import _gender_extras, gender_classifier

        missing = missing_extras(_gender_extras())
        if missing:
            raise ImportError(f"the shipped gender model needs the optional dependencies {', '.join(missing)}: "
                              f"{install_hint(missing)}")

        return gender_classifier(), "the shipped gender model", inputs[1:]
    if inputs[0] == "gender" and not os.path.exists("gender"):
        raise ValueError("give either the task name `gender` (the shipped model) or --model MODEL, not both")
    try:
        model = load_model(args.model, trusted=args.trust or None, allow_pickle=args.allow_pickle)
    except UntrustedModelError:
        raise
    except ValueError as exc:  # a damaged or non-model file: not a usage error
        raise _ModelFileError(str(exc)) from exc
    return model, args.model, inputs


class _ModelFileError(Exception):
    """The --model file cannot be loaded (damaged, empty, not a model)."""


def _cmd_predict(args):
    import contextlib

    from . import IncompatibleVersionError, ModelNotAvailableError
    from ._train_predict import (
        NO_SPEECH,
        collect_audio_files,
        has_score,
        predict_rows,
        set_n_jobs,
        stderr_is_tty,
        write_rows,
    )
    from .io import UntrustedModelError

    prog = "skvoice predict"
    try:
        model, source, inputs = _load_predict_model(args)
    except ValueError as exc:  # includes UntrustedModelError
        label = "" if isinstance(exc, UntrustedModelError) else "usage: "
        print(f"{prog}: {label}{exc}", file=sys.stderr)
        return 2
    except (OSError, IncompatibleVersionError, ModelNotAvailableError, ImportError, _ModelFileError) as exc:
        print(f"{prog}: cannot load the model: {exc}", file=sys.stderr)
        return 2
    if not hasattr(model, "predict"):
        print(f"{prog}: {source} holds a {type(model).__name__}, which has no predict method", file=sys.stderr)
        return 2
    from .classifiers._open_set import open_set_scorers, set_threshold

    if args.unknown_label is not None and args.threshold is None:
        print(f"{prog}: usage: --unknown-label goes with --threshold", file=sys.stderr)
        return 2
    if args.threshold is not None:
        try:
            set_threshold(model, args.threshold, unknown_label=args.unknown_label or "unknown")
        except ValueError as exc:
            print(f"{prog}: --threshold: {exc}", file=sys.stderr)
            return 2
    unknown_labels = {s.unknown_label for s in open_set_scorers(model) if s.threshold is not None}
    no_speech, code = _speech_check(args, prog, "files are not checked for speech", "to report the ones without "
                                                                                   "any instead of labelling them")
    if code is not None:
        return code
    if args.n_jobs is not None:
        set_n_jobs(model, args.n_jobs)  # the fitted estimators that predict, not only the unfitted templates
    paths, notes = collect_audio_files(inputs)
    for note in notes:
        print(f"{prog}: warning: {note}", file=sys.stderr)
    if not paths:
        print(f"{prog}: no audio files to predict", file=sys.stderr)
        return 2
    columns = ["path", "label"] + (["score"] if has_score(model) else []) + ["error"]
    show = not args.quiet and (args.progress or stderr_is_tty())
    failed = silent = unknown = 0
    try:  # outside the output file's context: an aborted run leaves an earlier file as it was
        with contextlib.ExitStack() as stack:
            if args.output:
                try:
                    # written beside and moved onto the file at the end: a failed or interrupted run leaves an
                    # earlier file as it was, never emptied or half-written. surrogateescape: a file name that is
                    # not UTF-8 is written as its bytes on disk (as ls does)
                    fh = stack.enter_context(atomic_open(args.output, "w", encoding="utf-8",
                                                         errors="surrogateescape", newline=""))
                except OSError as exc:
                    print(f"{prog}: cannot write {args.output}: {_os_error_text(exc)}", file=sys.stderr)
                    return 2
            else:
                fh = sys.stdout
                with contextlib.suppress(AttributeError, ValueError):  # not a text stream of its own (tests, pipes)
                    fh.reconfigure(errors="surrogateescape")
            writer = write_rows(fh, args.format, columns)
            bar = None
            if show:
                from tqdm.auto import tqdm

                bar = stack.enter_context(tqdm(total=len(paths), desc="predict", unit="file", file=sys.stderr,
                                               dynamic_ncols=True))
            batch = []
            for row in predict_rows(model, paths, batch_size=args.batch_size,
                                    progress=None if bar is None else bar.update, no_speech=no_speech):
                failed += row["error"] is not None
                silent += row["error"] == NO_SPEECH
                unknown += row["error"] is None and row["label"] in unknown_labels
                batch.append(row)
                if len(batch) >= args.batch_size:
                    writer.write(batch)
                    batch = []
            writer.write(batch)
            writer.close()
    except ImportError as exc:  # the model needs an optional dependency: no file can be predicted
        print(f"{prog}: cannot run the model: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        where = f" to {args.output}" if args.output else ""
        print(f"{prog}: {len(paths) - failed} of {len(paths)} file(s) predicted with {source}{where}"
              + (f" ({unknown} none of the enrolled speakers)" if unknown_labels else "")
              + (f"; {failed} failed (see the error column{f'; {silent} without speech' if silent else ''})"
                 if failed else ""), file=sys.stderr)
    return 1 if failed else 0


def _cmd_info():
    from importlib import metadata

    from . import __version__
    from ._optional import EXTRAS, install_hint, missing_extras, missing_modules
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
    uses = {
        "torch": "Wav2VecChunker, HubertGender",
        "keras": "Dense/CNN nets",
        "embeddings": "SpeakerEmbedding; the recipes, the shipped gender model",
        "vad": "Silero VoiceActivityDetector, predict's speech check; the speaker recipe",
        "io": ".skops model files: train, predict",
        "augment": "image-method Reverb",
        "denoise": "Denoise; the robust speaker recipe",
        "dask": "distributed joblib backend",
        "docs": "building the documentation",
    }
    print("extras:")
    for extra in EXTRAS:
        missing = missing_modules(extra)
        state = "available" if not missing else f"missing {', '.join(missing)}"
        print(f"  {extra + ' (' + uses[extra] + ')':40s} {state}")
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
    from . import pretrained

    shipped = pretrained._model_path(pretrained.GENDER_MODEL)
    needs = missing_extras(pretrained._gender_extras())
    print("  shipped gender model (skvoice predict gender): "
          + (f"no ({shipped} is missing)" if not os.path.isfile(shipped)
             else f"installed, but it needs {install_hint(needs)} to run" if needs else "yes"))
    print("  study's HuBERT gender model in the Hugging Face cache: "
          + ("yes" if cached_default_hubert() else "no (pass --hubert FOLDER to skvoice reproduce)"))
    return 0


def main(argv=None):
    """Run the ``skvoice`` command; return the exit code (never raises SystemExit)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra and args.command == "predict" and not any(a.startswith("-") for a in extra):
            # files after an option (`predict gender --format json FILE`): argparse takes the positional
            # inputs only before the first option; the rest are inputs too, in their order
            args.inputs = list(args.inputs) + extra
        elif extra:
            parser.parse_args(argv)  # argparse's own message and exit status for what is not an option here
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
        if args.command == "train":
            return _cmd_train(args, argv)
        if args.command == "predict":
            return _cmd_predict(args)
        return _cmd_info()
    except KeyboardInterrupt:
        print("skvoice: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of the output went away (`skvoice predict ... | head`): stop quietly, as other command-line
        # tools do, with the status of a process ended by SIGPIPE; stdout goes to devnull so that the flush at
        # exit does not raise again
        with contextlib.suppress(AttributeError, OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
