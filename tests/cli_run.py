"""Run the ``skvoice`` command in-process, for the command-line tests."""

import contextlib
import io

from skvoice.cli import main


def run_cli(argv):
    """``main(argv)`` with stdout and stderr captured: ``(exit code, stdout, stderr)``."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()
