"""Per-recording work through joblib, with explicit error policy and progress.

All per-file work in skvoice goes through :func:`map_recordings`, so
``joblib.parallel_config(backend="dask")`` (or ray's joblib backend) distributes
it with no change to skvoice code. It uses :mod:`sklearn.utils.parallel`, which
carries scikit-learn's configuration (``set_config``/``config_context``) into
the workers.
"""

from __future__ import annotations

import importlib
import sys
import warnings

from sklearn.utils.parallel import Parallel, delayed

from ._audio import AudioError, source_name

__all__ = ["SkippedRecordingsWarning", "map_recordings", "check_on_error", "warn_failures"]

ON_ERROR = ("raise", "warn", "skip")


class SkippedRecordingsWarning(UserWarning):
    """Some recordings could not be processed and were left empty (``on_error="warn"``).

    Attributes
    ----------
    failures : list of dict
        ``{"index", "source", "reason"}`` of each failed recording.
    """

    def __init__(self, message, failures=()):
        super().__init__(message)
        self.failures = list(failures)


class _Failure:
    __slots__ = ("index", "source", "reason")

    def __init__(self, index, source, reason):
        self.index, self.source, self.reason = index, source, reason

    def as_dict(self):
        return {"index": self.index, "source": self.source, "reason": self.reason}


def check_on_error(on_error):
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {ON_ERROR}, got {on_error!r}.")


def worker_preload():
    """Modules a worker imports before its first recording: torch, when this process has imported it.

    joblib's loky workers measure their memory after their first task and are
    restarted when they grow by 300 MB more (a leak guard). Importing torch
    (about 250 MB) and a model in a later task got a worker that first decoded
    or measured audio restarted, and torch imported again in its successor:
    ``skvoice predict --n-jobs 2`` with a speaker recipe took twice as long as
    one job. A process that has not imported torch (MFCC-only work) preloads
    nothing.
    """
    return ("torch",) if "torch" in sys.modules else ()


def _guarded(func, item, index, catch, preload=()):
    for name in preload:  # a no-op where the module is loaded (always in this process)
        if name not in sys.modules:
            importlib.import_module(name)
    try:
        return func(item, index)
    except AudioError as exc:
        if not catch:
            raise
        return _Failure(index, exc.source, exc.reason)
    except (ValueError, RuntimeError, OSError, MemoryError) as exc:
        if not catch:
            raise AudioError(source_name(item, index), f"{type(exc).__name__}: {exc}") from exc
        return _Failure(index, source_name(item, index), f"{type(exc).__name__}: {exc}")


def map_recordings(func, items, *, n_jobs=None, verbose=0, on_error="raise", desc="recordings",
                   estimator_name="skvoice", offset=0, progress=None):
    """Apply ``func(item, index)`` to every recording, in parallel with joblib.

    ``index`` counts from ``offset``, so a caller that processes a corpus in
    blocks passes the block's start and gets corpus-wide indices in error
    messages (``<waveform i>``) and in ``failures``. ``progress`` (e.g. a
    tqdm bar's ``update``) is called with 1 as each item finishes.

    Returns
    -------
    results : list
        One entry per item; ``None`` where the item failed (only when
        ``on_error`` is ``"warn"`` or ``"skip"``).
    failures : list of dict
        ``{"index", "source", "reason"}`` for each failed item, in input order.
    """
    check_on_error(on_error)
    catch = on_error != "raise"
    items = list(items)
    n = len(items)
    preload = worker_preload()
    tasks = (delayed(_guarded)(func, item, i, catch, preload) for i, item in enumerate(items, start=offset))
    # n_jobs=None: sequential unless a joblib.parallel_config (dask, ray, loky...) says otherwise
    gen = Parallel(n_jobs=n_jobs, return_as="generator")(tasks)
    if verbose:
        from tqdm.auto import tqdm

        gen = tqdm(gen, total=n, desc=f"{estimator_name}: {desc}", unit="file", leave=False)
    results, failures = [], []
    for res in gen:
        if progress is not None:
            progress(1)
        if isinstance(res, _Failure):
            failures.append(res.as_dict())
            results.append(None)
        else:
            results.append(res)
    if on_error == "warn":
        warn_failures(estimator_name, failures, n, "were left empty (0 frames)", stacklevel=4)
    return results, failures


def warn_failures(estimator_name, failures, n, outcome, *, stacklevel=3):
    """Emit one :class:`SkippedRecordingsWarning` listing failed recordings (no-op when there are none).

    ``outcome`` says what the caller did with them, e.g. ``"were left empty (0 frames)"``.
    """
    if not failures:
        return
    listed = "; ".join(f"[{f['index']}] {f['source']}: {f['reason']}" for f in failures[:20])
    more = f" (and {len(failures) - 20} more)" if len(failures) > 20 else ""
    message = (f"{estimator_name}: {len(failures)} of {n} recording(s) failed and {outcome}: {listed}{more}. "
               "See the estimator's `failures_` attribute.")
    warnings.warn(SkippedRecordingsWarning(message, failures), stacklevel=stacklevel)
