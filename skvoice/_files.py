"""Writing result files so that a failed or interrupted run never leaves a half-written one in their place."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat

__all__ = ["atomic_open", "check_writable_file", "prepare_folder"]


def _file_in_the_way(folder):
    """The nearest existing ancestor of ``folder`` (itself included) when it is not a folder, else None."""
    while not os.path.exists(folder):
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent
    return None if os.path.isdir(folder) else folder


def prepare_folder(path):
    """Make the folder ``path`` (with its parents) and check that a new file can be created in it.

    Raises ``OSError`` naming ``path`` (and a file standing where a folder should be) otherwise, so that a
    long run can refuse an unusable output folder before it starts. Nothing but the folders is left behind.
    """
    path = os.path.abspath(os.fspath(path))
    blocker = _file_in_the_way(path)
    if blocker is not None:
        raise NotADirectoryError(errno.ENOTDIR, f"cannot write into {path!r}: {blocker!r} is a file, not a folder")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise type(exc)(exc.errno, f"cannot make the folder {path!r}: {exc.strerror}") from None
    try:
        with open(os.path.join(path, ".skvoice-write-check"), "wb"):
            pass
        os.unlink(os.path.join(path, ".skvoice-write-check"))
    except OSError as exc:
        raise type(exc)(exc.errno, f"cannot write into {path!r}: {exc.strerror}") from None
    return path


def check_writable_file(path, *, make_folders=False):
    """Raise ``OSError`` naming ``path`` when a file cannot be written there (before any long work).

    ``path`` must not be a folder, and its folder must exist (or be made, with ``make_folders``) and take a
    new file. Nothing is left behind but folders made.
    """
    path = os.fspath(path)
    if make_folders:
        _check_not_a_folder(path)
        prepare_folder(os.path.dirname(os.path.abspath(path)))
        return
    with atomic_open(path, "wb", commit=False):
        pass


def _check_not_a_folder(path):
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, f"{path!r} is a folder, not a file name")


def _check_target(path):
    """Raise ``OSError`` naming ``path`` when it is a folder or its folder is missing (or is a file)."""
    _check_not_a_folder(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        what = "is not a folder" if os.path.exists(folder) else "does not exist"
        raise FileNotFoundError(errno.ENOENT, f"cannot write {path!r}: {folder!r} {what}")


@contextlib.contextmanager
def atomic_open(path, mode="w", *, commit=True, **kwargs):
    """Open a new file beside ``path`` and move it onto ``path`` only when the block ends without an error.

    An error or an interruption (``KeyboardInterrupt``) inside the block removes the new file and leaves
    ``path`` as it was. An overwritten file keeps its permissions; a new one gets ``0666`` less the umask, as
    ``open`` gives (``tempfile.mkstemp`` files would be private). ``commit=False`` only checks that the file
    can be created. Errors name ``path``, not the temporary file: a folder given as ``path`` or a missing
    folder is refused before anything is created.
    """
    path = os.fspath(path)
    _check_target(path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        keep_mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        keep_mode = None
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(6)}.partial")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(tmp, flags, 0o666)
    except OSError as exc:
        raise type(exc)(exc.errno, f"cannot write {path!r}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
        if commit:
            if keep_mode is not None:
                os.chmod(tmp, keep_mode)
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
