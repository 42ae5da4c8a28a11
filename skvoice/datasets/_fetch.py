"""Download, verify and safely extract LibriSpeech subsets from openslr.org.

The archive ``<base_url>/<subset>.tar.gz`` is streamed to ``<subset>.tar.gz.part``
in the data home (resumed with an HTTP ``Range`` request when a partial file
exists and the server supports it), checked against its published MD5, moved into
place atomically, extracted member by member into a temporary folder (refusing
absolute paths, ``..``, links leaving the folder and special files) and only then
renamed to ``<data_home>/LibriSpeech/<subset>``. A per-subset lock file keeps two
processes from downloading or extracting the same subset at once.

Only the standard library talks to the network (``urllib``), always with a timeout.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import re
import shutil
import socket
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from contextlib import contextmanager
from numbers import Real

from .._sklearn_compat import Interval, validate_params

__all__ = ["fetch_librispeech", "get_data_home", "clear_data_home", "LIBRISPEECH_MD5", "DEFAULT_BASE_URL",
           "ENV_DATA_HOME", "DownloadError", "OfflineError", "ChecksumError", "ArchiveError",
           "UnsafeArchiveError"]

ENV_DATA_HOME = "SKVOICE_DATA"
ENV_OFFLINE = "SKVOICE_OFFLINE"
DEFAULT_BASE_URL = "https://www.openslr.org/resources/12"

#: MD5 sums published on https://www.openslr.org/12 for the LibriSpeech archives.
LIBRISPEECH_MD5 = {
    "dev-clean": "42e2234ba48799c1f50f24a7926300a1",
    "dev-other": "c8d0bcc9cca99d4f8b62fcc847357931",
    "test-clean": "32fa31d27d2e1cad72775fee3f4849a9",
    "test-other": "fb5a50374b501bb3bac4815ee91d3135",
    "train-clean-100": "2a93770f6d5c6c964bc36631d331a522",
    "train-clean-360": "c0e676e450a7ff2f54aeade5171606fa",
    "train-other-500": "d1a0fd59409feb2c614ce4d30c387708",
}

_ROOT_NAME = "LibriSpeech"
_SUBSET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_MD5_RE = re.compile(r"^[0-9a-fA-F]{32}$")
_CHUNK = 1 << 16
_MAX_INTERRUPTIONS = 3   # mid-transfer connection losses tolerated (each resumes) within one call
_MAX_RESTARTS = 2        # restarts from byte 0 (416, inconsistent Content-Range) within one call

# tarfile's extraction filters (and their error) came in Python 3.11.4; an empty tuple catches nothing
_TAR_FILTER_ERROR = getattr(tarfile, "FilterError", ())


class DownloadError(OSError):
    """A dataset archive could not be downloaded."""


class OfflineError(DownloadError):
    """The download server cannot be reached (no network, DNS failure, refused or timed out)."""


class ChecksumError(DownloadError):
    """A downloaded archive does not match its expected MD5 sum (the bad file has been deleted)."""


class ArchiveError(ValueError):
    """An archive is unreadable or does not have the expected layout."""


class UnsafeArchiveError(ArchiveError):
    """An archive member would be written outside the extraction folder, or is a special file."""


def get_data_home(data_home=None):
    """Return the folder where skvoice stores downloaded datasets, creating it.

    Resolution order: ``data_home`` if given, else the ``SKVOICE_DATA``
    environment variable, else ``~/skvoice_data``. ``~`` is expanded.

    Parameters
    ----------
    data_home : str or os.PathLike, default=None
        The folder to use.

    Returns
    -------
    data_home : str
        Absolute path of the (existing) folder.

    See Also
    --------
    clear_data_home : Delete the folder and everything in it.
    fetch_librispeech : Download a LibriSpeech subset into it.

    Examples
    --------
    >>> import os, tempfile
    >>> from skvoice.datasets import get_data_home
    >>> home = get_data_home(os.path.join(tempfile.mkdtemp(), "skvoice_data"))
    >>> os.path.isdir(home)
    True
    """
    if data_home is None:
        data_home = os.environ.get(ENV_DATA_HOME) or os.path.join("~", "skvoice_data")
    data_home = os.path.abspath(os.path.expanduser(os.fspath(data_home)))
    os.makedirs(data_home, exist_ok=True)
    return data_home


def clear_data_home(data_home=None):
    """Delete the data home folder and all downloaded datasets in it.

    Parameters
    ----------
    data_home : str or os.PathLike, default=None
        The folder (resolved like :func:`get_data_home`).

    See Also
    --------
    get_data_home : Where datasets are stored.

    Examples
    --------
    >>> import os, tempfile
    >>> from skvoice.datasets import clear_data_home, get_data_home
    >>> home = get_data_home(os.path.join(tempfile.mkdtemp(), "skvoice_data"))
    >>> clear_data_home(home)
    >>> os.path.exists(home)
    False
    """
    shutil.rmtree(get_data_home(data_home))


def _log(verbose, msg):
    if verbose:
        from tqdm.auto import tqdm

        tqdm.write(msg, file=sys.stderr)


def _is_extracted(root, subset):
    return os.path.isdir(os.path.join(root, subset)) and os.path.isfile(os.path.join(root, "SPEAKERS.TXT"))


def _check_subset(subset):
    if not isinstance(subset, str) or not _SUBSET_RE.match(subset) or subset in (".", ".."):
        raise ValueError(f"Invalid LibriSpeech subset name {subset!r}; known subsets: {sorted(LIBRISPEECH_MD5)}.")
    return subset


def _expected_md5(subset, md5):
    """The MD5 to check for ``subset`` (lower-case hex), or None when verification is explicitly disabled."""
    if isinstance(md5, dict):
        if subset not in md5:
            md5 = None
        else:
            md5 = md5[subset]
    if md5 is False:
        return None
    if md5 is None:
        if subset not in LIBRISPEECH_MD5:
            raise ValueError(f"No published MD5 sum for subset {subset!r} (known: {sorted(LIBRISPEECH_MD5)}). "
                             "Pass md5='<32 hex digits>' for a custom archive, or md5=False to skip the check.")
        return LIBRISPEECH_MD5[subset]
    if not isinstance(md5, str) or not _MD5_RE.match(md5):
        raise ValueError(f"md5 must be None, False, a 32-hex-digit string or a dict of them; got {md5!r}.")
    return md5.lower()


def _file_md5(path):
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------------------------
# locking
# --------------------------------------------------------------------------------------------------------------

@contextmanager
def _file_lock(path, verbose=False):
    """An exclusive advisory lock on ``path`` (fcntl on POSIX, msvcrt on Windows); blocks until acquired."""
    fh = open(path, "a+b")
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            fcntl = None
        if fcntl is not None:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                _log(verbose, f"Waiting for another process to finish with {path} ...")
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        else:  # pragma: no cover - Windows
            import msvcrt
            import time

            while True:
                try:
                    msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
                    break
                except OSError:
                    time.sleep(0.5)
            try:
                yield
            finally:
                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
    finally:
        fh.close()


# --------------------------------------------------------------------------------------------------------------
# download
# --------------------------------------------------------------------------------------------------------------

_OFFLINE_ERRNOS = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.ECONNREFUSED, errno.ETIMEDOUT,
                   getattr(errno, "EHOSTDOWN", errno.EHOSTUNREACH)}


def _is_offline_reason(reason):
    """Whether a connection failure means 'cannot reach the server' rather than 'the server said no'."""
    if isinstance(reason, (socket.gaierror, ConnectionRefusedError, TimeoutError, socket.timeout)):
        return True
    if isinstance(reason, OSError) and reason.errno in _OFFLINE_ERRNOS:
        return True
    return False


def _offline_message(url, reason, dest, root, subset):
    return (f"Could not reach {url} ({reason}): this machine seems to be offline or the server is unreachable. "
            f"To use LibriSpeech without network, download {url} on a connected machine and either put the "
            f"archive at {dest} (it is then extracted with no network access) or extract it and point "
            f"load_librispeech(root=...) or the SKVOICE_LIBRISPEECH environment variable at the extracted "
            f"'LibriSpeech' folder (it must contain SPEAKERS.TXT and {subset}/). "
            f"Expected location here: {os.path.join(root, subset)}.")


class _Interrupted(Exception):
    """The transfer stopped before the announced end; the .part file holds what arrived."""


class _Restart(Exception):
    """The partial file cannot be resumed; start again from byte 0."""


def _parse_content_range(value):
    m = re.match(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", value or "")
    if not m:
        return None
    start, end, total = int(m.group(1)), int(m.group(2)), m.group(3)
    return start, end, (None if total == "*" else int(total))


def _transfer_once(url, part, timeout, bar, desc, verbose):
    """One HTTP request: (re)start or resume the download into ``part``. Returns when the body is complete."""
    offset = os.path.getsize(part) if os.path.exists(part) else 0
    headers = {"User-Agent": "skvoice-dataset-fetcher (Python urllib)", "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 416 and offset:
            raise _Restart(f"server rejected resuming at byte {offset} (HTTP 416)") from None
        raise DownloadError(f"Downloading {url} failed: HTTP {exc.code} {exc.reason}. "
                            "Check the subset name and base_url.") from exc
    with response:
        status = getattr(response, "status", None) or response.getcode()
        length = response.headers.get("Content-Length")
        length = int(length) if length is not None and length.strip().isdigit() else None
        if offset and status == 206:
            content_range = _parse_content_range(response.headers.get("Content-Range"))
            if content_range is None or content_range[0] != offset:
                raise _Restart(f"server answered Range request with Content-Range "
                               f"{response.headers.get('Content-Range')!r}")
            total = content_range[2]
            mode = "ab"
            _log(verbose, f"Resuming {desc} at byte {offset}.")
        elif status == 200:
            if offset:
                _log(verbose, f"Server does not support resuming; downloading {desc} from the start.")
            offset, total, mode = 0, length, "wb"
        else:
            raise DownloadError(f"Downloading {url} failed: unexpected HTTP status {status}.")
        if bar is not None:
            bar.reset(total=total)
            bar.update(offset)
        received = 0
        with open(part, mode) as fh:
            while True:
                try:
                    chunk = response.read(_CHUNK)
                except (OSError, http.client.HTTPException) as exc:
                    raise _Interrupted(f"connection lost after {offset + received} bytes ({exc!r})") from exc
                if not chunk:
                    break
                fh.write(chunk)
                received += len(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        if length is not None and received < length:
            raise _Interrupted(f"connection closed after {offset + received} of "
                               f"{offset + length} bytes")
    return total


def _download(url, dest, *, md5, timeout, verbose, root, subset):
    """Download ``url`` to ``dest`` through ``dest + '.part'`` (resuming), verify, then move into place."""
    part = dest + ".part"
    bar = None
    if verbose:
        from tqdm.auto import tqdm

        bar = tqdm(total=None, unit="B", unit_scale=True, unit_divisor=1024, desc=os.path.basename(dest),
                   file=sys.stderr, leave=True)
    interruptions = restarts = 0
    try:
        while True:
            try:
                _transfer_once(url, part, timeout, bar, os.path.basename(dest), verbose)
                break
            except _Restart as exc:
                restarts += 1
                _log(verbose, f"Restarting the download of {url}: {exc}.")
                if os.path.exists(part):
                    os.remove(part)
                if restarts > _MAX_RESTARTS:
                    raise DownloadError(f"Downloading {url} failed: the server keeps rejecting resumption "
                                        f"({exc}).") from None
            except _Interrupted as exc:
                interruptions += 1
                if interruptions > _MAX_INTERRUPTIONS:
                    raise DownloadError(
                        f"Downloading {url} was interrupted {interruptions} times ({exc}). The partial file "
                        f"{part} is kept: call fetch_librispeech again to resume.") from None
                _log(verbose, f"Download interrupted ({exc}); resuming.")
            except urllib.error.URLError as exc:
                reason = exc.reason
                if _is_offline_reason(reason):
                    raise OfflineError(_offline_message(url, reason, dest, root, subset)) from exc
                raise DownloadError(f"Downloading {url} failed: {reason}.") from exc
            except (TimeoutError, ConnectionRefusedError, socket.gaierror) as exc:
                raise OfflineError(_offline_message(url, exc, dest, root, subset)) from exc
            except (http.client.HTTPException, ConnectionError) as exc:
                interruptions += 1
                if interruptions > _MAX_INTERRUPTIONS:
                    raise DownloadError(f"Downloading {url} failed: {exc!r}. The partial file {part} (if any) "
                                        "is kept: call fetch_librispeech again to resume.") from exc
    finally:
        if bar is not None:
            bar.close()
    if md5 is not None:
        got = _file_md5(part)
        if got != md5:
            os.remove(part)
            raise ChecksumError(f"The file downloaded from {url} has MD5 {got}, expected {md5}: it is corrupted "
                                "or not the published archive, and has been deleted. Try again; if it keeps "
                                "failing, check base_url (or pass the right md5=... for a custom archive).")
    os.replace(part, dest)


# --------------------------------------------------------------------------------------------------------------
# extraction
# --------------------------------------------------------------------------------------------------------------

def _inside(path, folder):
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _is_absolute(name):
    return (name.startswith(("/", "\\")) or os.path.isabs(name)
            or bool(re.match(r"^[A-Za-z]:", name)))


def _has_parent_ref(name):
    return ".." in re.split(r"[\\/]+", name)


def _check_member(member, dest_real):
    """Refuse any member that could write outside ``dest_real`` or create a special file."""
    name = member.name
    if not name or "\x00" in name:
        raise UnsafeArchiveError(f"Refusing archive member with an empty or invalid name: {name!r}.")
    if _is_absolute(name):
        raise UnsafeArchiveError(f"Refusing archive member with an absolute path: {name!r}.")
    if _has_parent_ref(name):
        raise UnsafeArchiveError(f"Refusing archive member with a '..' path component: {name!r}.")
    if member.ischr() or member.isblk() or member.isfifo():
        raise UnsafeArchiveError(f"Refusing archive member {name!r}: device or FIFO.")
    if not (member.isreg() or member.isdir() or member.issym() or member.islnk()):
        raise UnsafeArchiveError(f"Refusing archive member {name!r} of unsupported type {member.type!r}.")
    # realpath follows links already extracted, so chains of individually harmless links are caught too
    target = os.path.realpath(os.path.join(dest_real, name))
    if not _inside(target, dest_real):
        raise UnsafeArchiveError(f"Refusing archive member {name!r}: it would be written to {target}, outside "
                                 "the extraction folder (through a link).")
    if member.issym() or member.islnk():
        link = member.linkname
        if not link or _is_absolute(link):
            raise UnsafeArchiveError(f"Refusing link {name!r} -> {link!r}: absolute or empty link target.")
        base = os.path.dirname(os.path.join(dest_real, name)) if member.issym() else dest_real
        link_target = os.path.realpath(os.path.join(base, link))
        if not _inside(link_target, dest_real):
            raise UnsafeArchiveError(f"Refusing link {name!r} -> {link!r}: it points outside the extraction "
                                     "folder.")


def _safe_extract(archive, dest, verbose=False):
    """Extract ``archive`` into the (empty) folder ``dest``, checking every member before writing it."""
    dest_real = os.path.realpath(dest)
    has_filter = hasattr(tarfile, "data_filter")
    bar = None
    if verbose:
        from tqdm.auto import tqdm

        bar = tqdm(unit=" files", desc=f"Extracting {os.path.basename(archive)}", file=sys.stderr)
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                _check_member(member, dest_real)
                if has_filter:
                    tar.extract(member, dest_real, filter="data")
                else:  # pragma: no cover - Python < 3.11.4
                    member.mode &= 0o755
                    tar.extract(member, dest_real)
                if bar is not None:
                    bar.update(1)
    except UnsafeArchiveError:
        raise
    except _TAR_FILTER_ERROR as exc:
        raise UnsafeArchiveError(f"Refusing to extract {archive}: {exc}") from exc
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise ArchiveError(f"{archive} is not a readable tar archive ({exc}). Delete it and download it "
                           "again.") from exc
    finally:
        if bar is not None:
            bar.close()


def _remove_stale_extractions(data_home, subset):
    """Delete temporary extraction folders left by a killed process (call with the subset lock held)."""
    pattern = re.compile(rf"^\.extract-{re.escape(subset)}-[a-z0-9_]{{8}}$")
    for fn in os.listdir(data_home):
        if pattern.match(fn) and os.path.isdir(os.path.join(data_home, fn)):
            shutil.rmtree(os.path.join(data_home, fn), ignore_errors=True)


def _extract_subset(archive, data_home, subset, verbose):
    """Extract into a temporary folder in ``data_home``, then move ``LibriSpeech/<subset>`` into place."""
    root = os.path.join(data_home, _ROOT_NAME)
    tmp = tempfile.mkdtemp(prefix=f".extract-{subset}-", dir=data_home)
    try:
        _safe_extract(archive, tmp, verbose=verbose)
        src_root = os.path.join(tmp, _ROOT_NAME)
        src_subset = os.path.join(src_root, subset)
        if not (os.path.isdir(src_subset) and os.path.isfile(os.path.join(src_root, "SPEAKERS.TXT"))):
            found = sorted(os.listdir(tmp))
            raise ArchiveError(f"{archive} does not have the LibriSpeech layout: expected "
                               f"{_ROOT_NAME}/SPEAKERS.TXT and {_ROOT_NAME}/{subset}/ (top level holds {found}).")
        os.makedirs(root, exist_ok=True)
        # top-level text files first (identical across subsets), the subset folder last: its presence means done
        for fn in sorted(os.listdir(src_root)):
            path = os.path.join(src_root, fn)
            if fn != subset and os.path.isfile(path) and not os.path.islink(path):
                os.replace(path, os.path.join(root, fn))
        final = os.path.join(root, subset)
        if os.path.lexists(final):  # a folder without SPEAKERS.TXT next to it: keep it, SPEAKERS.TXT is back
            _log(verbose, f"{final} already exists; keeping it (only the top-level files were restored).")
        else:
            os.rename(src_subset, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------------------------------------------
# public entry point
# --------------------------------------------------------------------------------------------------------------

def _fetch_subset(subset, data_home, *, download_if_missing, base_url, md5, timeout, verbose, keep_archive):
    root = os.path.join(data_home, _ROOT_NAME)
    if _is_extracted(root, subset):
        return
    archive = os.path.join(data_home, f"{subset}.tar.gz")
    url = f"{base_url.rstrip('/')}/{subset}.tar.gz"
    with _file_lock(os.path.join(data_home, f".{_ROOT_NAME}-{subset}.lock"), verbose):
        if _is_extracted(root, subset):  # another process finished while we waited
            return
        _remove_stale_extractions(data_home, subset)
        expected = _expected_md5(subset, md5)
        if os.path.isfile(archive) and expected is not None:
            got = _file_md5(archive)
            if got != expected:
                os.remove(archive)
                if not download_if_missing:
                    raise ChecksumError(f"{archive} has MD5 {got}, expected {expected}: it was corrupted and has "
                                        "been deleted. Download it again (download_if_missing=True).")
                _log(verbose, f"{archive} is corrupted (MD5 {got}, expected {expected}); downloading again.")
        if not os.path.isfile(archive):
            if not download_if_missing:
                raise FileNotFoundError(
                    f"LibriSpeech subset {subset!r} is not in {root} and download_if_missing=False. Either call "
                    f"fetch_librispeech({subset!r}) with network access (it downloads {url}), put a copy of "
                    f"that archive at {archive}, extract a copy so that {os.path.join(root, subset)} and "
                    f"{os.path.join(root, 'SPEAKERS.TXT')} exist, or point load_librispeech(root=...) or the "
                    "SKVOICE_LIBRISPEECH environment variable at an existing LibriSpeech folder.")
            if os.environ.get(ENV_OFFLINE, "").lower() in ("1", "true", "yes", "on"):
                raise OfflineError(_offline_message(url, f"{ENV_OFFLINE} is set", archive, root, subset))
            _log(verbose, f"Downloading {url} to {data_home}")
            _download(url, archive, md5=expected, timeout=timeout, verbose=verbose, root=root, subset=subset)
        _log(verbose, f"Extracting {archive}")
        _extract_subset(archive, data_home, subset, verbose)
        if not keep_archive:
            os.remove(archive)


# load_kwargs are validated by load_librispeech: nested validation stays on
@validate_params({"subset": [str, list, tuple], "data_home": [str, os.PathLike, None],
                  "download_if_missing": ["boolean"], "base_url": [str],
                  "timeout": [Interval(Real, 0, None, closed="neither")], "verbose": ["verbose"],
                  "keep_archive": ["boolean"]}, prefer_skip_nested_validation=False)
def fetch_librispeech(subset="dev-clean", data_home=None, *, download_if_missing=True,
                      base_url=DEFAULT_BASE_URL, md5=None, timeout=30.0, verbose=True, keep_archive=False,
                      **load_kwargs):
    """Download (if needed) and load a LibriSpeech subset from openslr.org.

    The archive ``<base_url>/<subset>.tar.gz`` is downloaded into ``data_home``
    (through a ``.part`` file that a later call resumes with an HTTP ``Range``
    request when the server allows it), checked against the MD5 sum published by
    openslr, and extracted safely to ``<data_home>/LibriSpeech/<subset>``: members
    with absolute paths, ``..`` components, links leading outside the folder, and
    devices are refused, and the subset folder only appears once extraction is
    complete. When the subset is already there, no network access happens at all.
    A lock file per subset keeps concurrent processes from clashing.

    Parameters
    ----------
    subset : str or list of str, default="dev-clean"
        LibriSpeech subset(s): ``"dev-clean"``, ``"dev-other"``, ``"test-clean"``,
        ``"test-other"``, ``"train-clean-100"``, ``"train-clean-360"``,
        ``"train-other-500"``, or another archive name on ``base_url`` together
        with ``md5``.
    data_home : str or os.PathLike, default=None
        Where datasets are stored; see :func:`get_data_home` (default
        ``$SKVOICE_DATA`` or ``~/skvoice_data``).
    download_if_missing : bool, default=True
        If False, raise :class:`FileNotFoundError` instead of downloading when the
        subset is neither extracted nor present as ``<data_home>/<subset>.tar.gz``.
    base_url : str, default="https://www.openslr.org/resources/12"
        Mirror holding the ``<subset>.tar.gz`` archives (http or https).
    md5 : None, False, str or dict, default=None
        Expected MD5 of the archive. None uses the sums published by openslr
        (built into skvoice); a string (or a ``{subset: md5}`` dict) is for
        custom archives; ``False`` skips the check (only when explicitly asked).
    timeout : float, default=30.0
        Seconds to wait for the server to connect or send data before giving up.
    verbose : bool or int, default=True
        Show a tqdm progress bar and messages (on stderr) while downloading and
        extracting.
    keep_archive : bool, default=False
        Keep ``<data_home>/<subset>.tar.gz`` after extraction (by default it is
        deleted to save disk space).
    **load_kwargs
        Passed to :func:`~skvoice.datasets.load_librispeech` (``speakers``,
        ``max_per_speaker``, ``target``, ``return_X_y``, ...).

    Returns
    -------
    data : sklearn.utils.Bunch or tuple
        What :func:`~skvoice.datasets.load_librispeech` returns for
        ``root=<data_home>/LibriSpeech``.

    Raises
    ------
    FileNotFoundError
        Subset absent and ``download_if_missing=False`` (the message says where
        to put a copy).
    OSError
        ``OfflineError`` when the server cannot be reached (no network, DNS
        failure, refused connection, timeout, or ``SKVOICE_OFFLINE`` set);
        ``ChecksumError`` when the download does not match its MD5 (the bad file
        is deleted); ``DownloadError`` for HTTP errors or repeated interruptions
        (the partial file is kept for resuming).
    ValueError
        Unknown subset without ``md5``, an invalid ``md5``, or an unsafe or
        malformed archive (``UnsafeArchiveError`` / ``ArchiveError``).

    See Also
    --------
    load_librispeech : Read an existing LibriSpeech folder (no download).
    get_data_home : Where downloads are stored.
    clear_data_home : Delete downloaded datasets.

    Notes
    -----
    The archives are large (dev-clean 337 MB, train-clean-100 6.3 GB); the
    extracted tree takes about the same space. Without network, download an
    archive elsewhere and either put it at ``<data_home>/<subset>.tar.gz`` or
    extract it and use ``load_librispeech(root=...)`` / ``SKVOICE_LIBRISPEECH``.

    Examples
    --------
    >>> import os, tempfile
    >>> from skvoice.datasets import fetch_librispeech
    >>> data = fetch_librispeech("dev-clean")  # doctest: +SKIP
    >>> empty_home = os.path.join(tempfile.mkdtemp(), "skvoice_data")
    >>> try:
    ...     fetch_librispeech("dev-clean", empty_home, download_if_missing=False)
    ... except FileNotFoundError as exc:
    ...     print("not downloaded yet:", "dev-clean.tar.gz" in str(exc))
    not downloaded yet: True
    """
    subsets = [subset] if isinstance(subset, str) else list(subset)
    if not subsets:
        raise ValueError("subset must name at least one LibriSpeech subset.")
    for sub in subsets:
        _check_subset(sub)
    if isinstance(md5, str) and len(subsets) > 1:
        raise ValueError("A single md5 string is ambiguous for several subsets; pass a {subset: md5} dict.")
    if md5 is not None and md5 is not False and not isinstance(md5, (str, dict)):
        raise ValueError(f"md5 must be None, False, a 32-hex-digit string or a dict of them; got {md5!r}.")
    if not base_url.lower().startswith(("http://", "https://")):
        raise ValueError(f"base_url must be an http:// or https:// URL, got {base_url!r}.")
    data_home = get_data_home(data_home)
    for sub in subsets:
        _fetch_subset(sub, data_home, download_if_missing=download_if_missing, base_url=base_url, md5=md5,
                      timeout=float(timeout), verbose=verbose, keep_archive=keep_archive)
    from ._librispeech import load_librispeech

    return load_librispeech(os.path.join(data_home, _ROOT_NAME), subset, **load_kwargs)
