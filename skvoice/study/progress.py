"""Timestamped progress lines on stderr, with the duration of every named step."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager

__all__ = ["Progress"]


class Progress:
    """Timestamped progress lines on a stream (stderr); records the duration of every named step.

    ``total`` is the number of steps planned; steps that turn out not to run take themselves off it,
    so the ``n/total`` counter stays honest.
    """

    def __init__(self, stream=None, total=None, quiet=False):
        self.stream = sys.stderr if stream is None else stream
        self.quiet = quiet
        self.start = time.perf_counter()
        self.timings = {}
        self.total = total
        self.done = 0

    def log(self, message):
        if not self.quiet:
            elapsed = time.perf_counter() - self.start
            print(f"[{int(elapsed // 60):2d}:{elapsed % 60:04.1f}] {message}", file=self.stream, flush=True)

    def drop(self, n=1):
        """Take ``n`` planned steps off the total (they will not run)."""
        self.total = max(self.done, (self.total or 0) - n)

    @contextmanager
    def step(self, name, message=None):
        """Time a step; ``name`` keys ``timings`` (repeated names accumulate)."""
        self.done += 1
        count = f"{self.done}/{max(self.total or 0, self.done)} " if self.total else ""
        self.log(f"{count}{message or name} ...")
        t0 = time.perf_counter()
        try:
            yield
        finally:
            dt = time.perf_counter() - t0
            self.timings[name] = self.timings.get(name, 0.0) + dt
            self.log(f"{count}{message or name}: {dt:.1f} s")
