"""fetch_librispeech: download, resume, checksum and safe extraction, against a loopback HTTP server only."""

import hashlib
import io
import os
import re
import socket
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
import soundfile as sf

from skvoice.datasets import clear_data_home, fetch_librispeech, get_data_home, load_librispeech
from skvoice.datasets._fetch import (
    LIBRISPEECH_MD5,
    ArchiveError,
    ChecksumError,
    DownloadError,
    OfflineError,
    UnsafeArchiveError,
    _is_offline_reason,
    _safe_extract,
)

SPEAKERS = """; ID | SEX | SUBSET | MINUTES | NAME
19 | F | dev-clean | 25.19 | Kara Shallenberg
26 | M | dev-clean | 25.08 | Denny Sayers
"""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for var in ("SKVOICE_OFFLINE", "SKVOICE_DATA", "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def _md5(data):
    return hashlib.md5(data).hexdigest()


def _make_tree(folder, subset):
    root = folder / "LibriSpeech"
    (root / subset).mkdir(parents=True)
    (root / "SPEAKERS.TXT").write_text(SPEAKERS)
    (root / "LICENSE.TXT").write_text("CC BY 4.0\n")
    rng = np.random.RandomState(0)
    for spk, chapter in (("19", "198"), ("26", "495")):
        ch_dir = root / subset / spk / chapter
        ch_dir.mkdir(parents=True)
        lines = []
        for utt in range(2):
            uid = f"{spk}-{chapter}-{utt:04d}"
            sf.write(ch_dir / f"{uid}.flac", (0.1 * rng.normal(size=1600)).astype("float32"), 16000)
            lines.append(f"{uid} HELLO WORLD {utt}")
        (ch_dir / f"{spk}-{chapter}.trans.txt").write_text("\n".join(lines) + "\n")
    return root


def _make_archive(folder, subset):
    root = _make_tree(folder, subset)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(root, arcname="LibriSpeech")
    return buf.getvalue()


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """The bytes of a tiny LibriSpeech-shaped dev-clean.tar.gz (2 speakers x 2 FLAC utterances)."""
    return _make_archive(tmp_path_factory.mktemp("src"), "dev-clean")


def _tar_bytes(entries):
    """Build a tar.gz from (TarInfo, data-or-None) pairs."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for info, data in entries:
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return buf.getvalue()


def _info(name, type_=tarfile.REGTYPE, linkname="", mode=0o644):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = type_, linkname, mode
    if type_ == tarfile.DIRTYPE:
        info.mode = 0o755
    return info


class _Server:
    """A bounded loopback HTTP server serving in-memory files, recording every request.

    range_support: honour ``Range: bytes=N-`` (206 / 416); cut: send only this many body bytes and drop the
    connection (``cut_times`` times); delay: seconds to sleep before sending a body.
    """

    def __init__(self, files, *, range_support=True, cut=None, cut_times=1, delay=0.0):
        self.files, self.range_support, self.delay = files, range_support, delay
        self.cut, self.cut_times = cut, cut_times
        self.requests = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                with owner._lock:
                    owner.requests.append((self.path, self.headers.get("Range")))
                data = owner.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                start, rng = 0, self.headers.get("Range")
                if rng and owner.range_support:
                    start = int(re.match(r"bytes=(\d+)-$", rng).group(1))
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                time.sleep(owner.delay)
                with owner._lock:
                    cut_now = owner.cut is not None and owner.cut_times > 0
                    owner.cut_times -= cut_now
                if cut_now:
                    self.wfile.write(body[:owner.cut])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/resources/12"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self):
        if self.thread.is_alive():
            self.httpd.shutdown()
            self.thread.join(5)
        self.httpd.server_close()


@pytest.fixture
def serve():
    servers = []

    def start(files, **kw):
        files = {f"/resources/12/{name}": data for name, data in files.items()}
        servers.append(_Server(files, **kw))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def closed_url():
    """An http URL on a loopback port nobody listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/resources/12"


def _leftovers(home):
    return sorted(fn for fn in os.listdir(home) if fn.endswith(".part") or fn.startswith(".extract-"))


def _fetch(home, url, **kw):
    kw.setdefault("verbose", False)
    kw.setdefault("timeout", 5)
    return fetch_librispeech("dev-clean", home, base_url=url, **kw)


# ----------------------------------------------------------------------------------------------------------------
# happy path, no-network second call, resuming
# ----------------------------------------------------------------------------------------------------------------

def test_end_to_end_download_verify_extract_load(tmp_path, serve, archive):
    server = serve({"dev-clean.tar.gz": archive})
    home = tmp_path / "home"
    data = _fetch(home, server.url, md5=_md5(archive))
    assert server.requests == [("/resources/12/dev-clean.tar.gz", None)]
    assert len(data.filenames) == 4
    assert sorted(set(zip(data.speaker, data.gender))) == [("19", "F"), ("26", "M")]
    assert data.frame["duration"].tolist() == pytest.approx([0.1] * 4)
    assert data.frame["transcript"].iloc[0] == "HELLO WORLD 0"
    assert all(p.startswith(str(home / "LibriSpeech" / "dev-clean")) for p in data.filenames)
    assert (home / "LibriSpeech" / "SPEAKERS.TXT").is_file() and (home / "LibriSpeech" / "LICENSE.TXT").is_file()
    assert not (home / "dev-clean.tar.gz").exists()  # deleted after extraction by default
    assert _leftovers(home) == []
    # load_kwargs are forwarded
    X, y = _fetch(home, server.url, return_X_y=True, target="speaker", max_per_speaker=1)
    assert list(y) == ["19", "26"] and len(X) == 2


def test_second_call_does_no_network(tmp_path, serve, archive):
    server = serve({"dev-clean.tar.gz": archive})
    home = tmp_path / "home"
    first = _fetch(home, server.url, md5=_md5(archive), keep_archive=True)
    assert (home / "dev-clean.tar.gz").is_file()
    server.stop()
    n_requests = len(server.requests)
    second = _fetch(home, server.url, md5=_md5(archive), download_if_missing=False)
    third = _fetch(home, server.url)  # not even the published-md5 lookup matters once extracted
    assert len(server.requests) == n_requests == 1
    assert list(first.filenames) == list(second.filenames) == list(third.filenames)


def test_resume_after_interrupted_download(tmp_path, serve, archive):
    cut = len(archive) // 2
    server = serve({"dev-clean.tar.gz": archive}, cut=cut)
    home = tmp_path / "home"
    data = _fetch(home, server.url, md5=_md5(archive))
    assert server.requests == [("/resources/12/dev-clean.tar.gz", None),
                               ("/resources/12/dev-clean.tar.gz", f"bytes={cut}-")]
    assert len(data.filenames) == 4 and _leftovers(home) == []


def test_resume_partial_file_left_by_an_earlier_call(tmp_path, serve, archive):
    server = serve({"dev-clean.tar.gz": archive}, cut=200, cut_times=10)
    home = tmp_path / "home"
    with pytest.raises(DownloadError, match="call fetch_librispeech again to resume") as err:
        _fetch(home, server.url, md5=_md5(archive))
    assert not isinstance(err.value, (OfflineError, ChecksumError))
    part = home / "dev-clean.tar.gz.part"
    assert part.is_file() and 0 < part.stat().st_size < len(archive)
    assert not (home / "LibriSpeech").exists()
    size = part.stat().st_size
    good = serve({"dev-clean.tar.gz": archive})
    data = _fetch(home, good.url, md5=_md5(archive))
    assert good.requests == [("/resources/12/dev-clean.tar.gz", f"bytes={size}-")]
    assert len(data.filenames) == 4 and _leftovers(home) == []


def test_server_without_range_support_restarts_from_scratch(tmp_path, serve, archive):
    home = get_data_home(tmp_path / "home")
    with open(os.path.join(home, "dev-clean.tar.gz.part"), "wb") as fh:
        fh.write(b"garbage that must not be kept" * 10)
    server = serve({"dev-clean.tar.gz": archive}, range_support=False)
    data = _fetch(home, server.url, md5=_md5(archive))  # MD5 passes only if the garbage prefix was dropped
    assert len(server.requests) == 1 and server.requests[0][1] == "bytes=290-"
    assert len(data.filenames) == 4 and _leftovers(home) == []


def test_http_416_restarts_from_scratch(tmp_path, serve, archive):
    home = get_data_home(tmp_path / "home")
    with open(os.path.join(home, "dev-clean.tar.gz.part"), "wb") as fh:
        fh.write(b"x" * (len(archive) + 10))
    server = serve({"dev-clean.tar.gz": archive})
    data = _fetch(home, server.url, md5=_md5(archive))
    assert [r[1] for r in server.requests] == [f"bytes={len(archive) + 10}-", None]
    assert len(data.filenames) == 4


# ----------------------------------------------------------------------------------------------------------------
# checksums
# ----------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("md5", [None, "0" * 32])
def test_checksum_mismatch_leaves_nothing(tmp_path, serve, archive, md5):
    # md5=None checks against the published openslr sum, which our tiny archive cannot match
    server = serve({"dev-clean.tar.gz": archive})
    home = tmp_path / "home"
    with pytest.raises(ChecksumError, match="MD5") as err:
        _fetch(home, server.url, md5=md5)
    assert isinstance(err.value, OSError)
    expected = LIBRISPEECH_MD5["dev-clean"] if md5 is None else md5
    assert expected in str(err.value) and _md5(archive) in str(err.value)
    assert not (home / "LibriSpeech").exists()
    assert not (home / "dev-clean.tar.gz").exists() and _leftovers(home) == []


def test_md5_false_skips_verification(tmp_path, serve, archive):
    server = serve({"dev-clean.tar.gz": archive})
    assert len(_fetch(tmp_path / "home", server.url, md5=False).filenames) == 4


def test_corrupt_local_archive_is_replaced(tmp_path, serve, archive):
    home = get_data_home(tmp_path / "home")
    with open(os.path.join(home, "dev-clean.tar.gz"), "wb") as fh:
        fh.write(archive[:-50])
    server = serve({"dev-clean.tar.gz": archive})
    data = _fetch(home, server.url, md5=_md5(archive))
    assert server.requests == [("/resources/12/dev-clean.tar.gz", None)] and len(data.filenames) == 4


def test_local_archive_is_extracted_without_network(tmp_path, archive, closed_url):
    home = get_data_home(tmp_path / "home")
    with open(os.path.join(home, "dev-clean.tar.gz"), "wb") as fh:
        fh.write(archive)
    data = _fetch(home, closed_url, md5=_md5(archive), download_if_missing=False)
    assert len(data.filenames) == 4


def test_several_subsets_with_md5_dict(tmp_path, tmp_path_factory, serve, archive):
    other = _make_archive(tmp_path_factory.mktemp("src2"), "test-other")
    server = serve({"dev-clean.tar.gz": archive, "test-other.tar.gz": other})
    data = fetch_librispeech(["dev-clean", "test-other"], tmp_path / "home", base_url=server.url, verbose=False,
                             md5={"dev-clean": _md5(archive), "test-other": _md5(other)})
    assert sorted(data.frame["subset"].unique()) == ["dev-clean", "test-other"] and len(data.filenames) == 8
    with pytest.raises(ValueError, match="dict"):
        fetch_librispeech(["dev-clean", "test-other"], tmp_path / "home", md5=_md5(archive), verbose=False)


# ----------------------------------------------------------------------------------------------------------------
# safe extraction
# ----------------------------------------------------------------------------------------------------------------

def _unsafe_cases(outside):
    ok = [(_info("LibriSpeech", tarfile.DIRTYPE), None), (_info("LibriSpeech/SPEAKERS.TXT"), SPEAKERS.encode())]
    return {
        "dotdot": ok + [(_info("LibriSpeech/../../evil.txt"), b"pwned")],
        "absolute": ok + [(_info(str(outside / "evil.txt")), b"pwned")],
        "symlink_escape": ok + [(_info("LibriSpeech/link", tarfile.SYMTYPE, "../../.."), None),
                                (_info("LibriSpeech/link/evil.txt"), b"pwned")],
        "symlink_absolute": ok + [(_info("LibriSpeech/link", tarfile.SYMTYPE, str(outside)), None)],
        "symlink_chain": ok + [(_info("LibriSpeech/up", tarfile.SYMTYPE, ".."), None),
                               (_info("LibriSpeech/up/up2", tarfile.SYMTYPE, "../.."), None),
                               (_info("LibriSpeech/up/up2/evil.txt"), b"pwned")],
        "hardlink_escape": ok + [(_info("LibriSpeech/hard", tarfile.LNKTYPE, "../../outside_target.txt"), None)],
        "device": ok + [(_info("LibriSpeech/null", tarfile.CHRTYPE), None)],
        "fifo": ok + [(_info("LibriSpeech/fifo", tarfile.FIFOTYPE), None)],
    }


@pytest.mark.parametrize("case", ["dotdot", "absolute", "symlink_escape", "symlink_absolute", "symlink_chain",
                                  "hardlink_escape", "device", "fifo"])
def test_unsafe_archive_members_are_refused(tmp_path, closed_url, case):
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "outside_target.txt").write_text("secret")
    data = _tar_bytes(_unsafe_cases(outside)[case])
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:  # the hostile names really are in the archive
        assert len(tar.getmembers()) == len(_unsafe_cases(outside)[case])
    home = get_data_home(tmp_path / "home")
    with open(os.path.join(home, "dev-clean.tar.gz"), "wb") as fh:
        fh.write(data)
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    with pytest.raises(UnsafeArchiveError, match="Refusing"):
        _fetch(home, closed_url, md5=_md5(data))
    after = sorted(str(p) for p in tmp_path.rglob("*") if p.suffix != ".lock")
    assert after == before  # nothing written anywhere, and the temporary extraction folder is gone
    assert not list(tmp_path.rglob("evil.txt"))
    assert (tmp_path / "outside_target.txt").read_text() == "secret"


def test_data_filter_strips_dangerous_modes_and_allows_internal_links(tmp_path):
    data = _tar_bytes([(_info("LibriSpeech", tarfile.DIRTYPE), None),
                       (_info("LibriSpeech/tool", mode=0o4755), b"#!/bin/sh\n"),
                       (_info("LibriSpeech/alias", tarfile.SYMTYPE, "tool"), None)])
    path = tmp_path / "a.tar.gz"
    path.write_bytes(data)
    dest = tmp_path / "dest"
    dest.mkdir()
    _safe_extract(str(path), str(dest))
    assert not os.stat(dest / "LibriSpeech" / "tool").st_mode & 0o4000
    assert os.readlink(dest / "LibriSpeech" / "alias") == "tool"


@pytest.mark.parametrize("kind", ["no_speakers", "not_gzip"])
def test_malformed_archive(tmp_path, closed_url, archive, kind):
    if kind == "no_speakers":
        data = _tar_bytes([(_info("LibriSpeech/dev-clean", tarfile.DIRTYPE), None)])
    else:
        data = b"this is not a tar.gz archive at all" * 20
    home = get_data_home(tmp_path / "home")
    with open(os.path.join(home, "dev-clean.tar.gz"), "wb") as fh:
        fh.write(data)
    with pytest.raises(ArchiveError, match="LibriSpeech layout" if kind == "no_speakers" else "readable"):
        _fetch(home, closed_url, md5=False)
    assert not (tmp_path / "home" / "LibriSpeech" / "dev-clean").exists() and _leftovers(home) == []


# ----------------------------------------------------------------------------------------------------------------
# offline, missing data, bad parameters
# ----------------------------------------------------------------------------------------------------------------

def test_offline_connection_refused_is_clear_and_fast(tmp_path, closed_url):
    start = time.perf_counter()
    with pytest.raises(OfflineError) as err:
        _fetch(tmp_path / "home", closed_url)
    assert time.perf_counter() - start < 5
    msg = str(err.value)
    assert isinstance(err.value, OSError)
    assert "offline" in msg and "SKVOICE_LIBRISPEECH" in msg and "load_librispeech(root=" in msg
    assert not (tmp_path / "home" / "LibriSpeech").exists() and _leftovers(tmp_path / "home") == []


def test_offline_silent_server_times_out(tmp_path):
    with socket.socket() as listener:  # accepts TCP connections (backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/resources/12"
        start = time.perf_counter()
        with pytest.raises(OfflineError, match="offline"):
            _fetch(tmp_path / "home", url, timeout=0.3)
        assert time.perf_counter() - start < 5


def test_skvoice_offline_env_prevents_any_request(tmp_path, serve, archive, monkeypatch):
    server = serve({"dev-clean.tar.gz": archive})
    monkeypatch.setenv("SKVOICE_OFFLINE", "1")
    with pytest.raises(OfflineError, match="SKVOICE_OFFLINE"):
        _fetch(tmp_path / "home", server.url)
    assert server.requests == []


def test_offline_reason_classification():
    assert _is_offline_reason(socket.gaierror(-2, "Name or service not known"))
    assert _is_offline_reason(ConnectionRefusedError(111, "refused"))
    assert _is_offline_reason(TimeoutError("timed out"))
    assert _is_offline_reason(OSError(101, "Network is unreachable"))
    assert not _is_offline_reason(OSError(13, "Permission denied"))
    assert not _is_offline_reason("some ssl problem")


def test_download_if_missing_false_raises_file_not_found(tmp_path, serve, archive):
    server = serve({"dev-clean.tar.gz": archive})
    home = tmp_path / "home"
    with pytest.raises(FileNotFoundError) as err:
        _fetch(home, server.url, download_if_missing=False)
    msg = str(err.value)
    assert "SKVOICE_LIBRISPEECH" in msg and str(home / "dev-clean.tar.gz") in msg
    assert f"{server.url}/dev-clean.tar.gz" in msg
    assert server.requests == []


def test_http_error_is_not_reported_as_offline(tmp_path, serve):
    server = serve({})
    with pytest.raises(DownloadError, match="HTTP 404") as err:
        _fetch(tmp_path / "home", server.url, md5="0" * 32)
    assert not isinstance(err.value, OfflineError)


@pytest.mark.parametrize("kwargs, match", [
    ({"subset": "../etc"}, "Invalid LibriSpeech subset"),
    ({"subset": "a/b"}, "Invalid LibriSpeech subset"),
    ({"subset": []}, "at least one"),
    ({"subset": "my-subset"}, "No published MD5"),
    ({"md5": "xyz"}, "32-hex-digit"),
    ({"md5": True}, "32-hex-digit"),
    ({"base_url": "ftp://example.org/x"}, "http"),
    ({"timeout": 0}, "timeout"),
])
def test_bad_parameters(tmp_path, closed_url, kwargs, match):
    kwargs = {"subset": "dev-clean", "base_url": closed_url, **kwargs}
    with pytest.raises(ValueError, match=match):
        fetch_librispeech(data_home=tmp_path / "home", verbose=False, **kwargs)


# ----------------------------------------------------------------------------------------------------------------
# concurrency, verbosity, data home
# ----------------------------------------------------------------------------------------------------------------

def test_concurrent_fetches_download_once(tmp_path, serve, archive):
    server = serve({"dev-clean.tar.gz": archive}, delay=0.3)
    home = tmp_path / "home"
    results, errors = [None, None], []

    def run(i):
        try:
            results[i] = _fetch(home, server.url, md5=_md5(archive))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == [] and len(server.requests) == 1
    assert list(results[0].filenames) == list(results[1].filenames)


def test_verbose_progress(tmp_path, serve, archive, capsys):
    server = serve({"dev-clean.tar.gz": archive}, cut=100)
    _fetch(tmp_path / "home", server.url, md5=_md5(archive), verbose=True)
    err = capsys.readouterr().err
    assert "Downloading" in err and "dev-clean.tar.gz" in err and "resuming" in err.lower()


def test_get_and_clear_data_home(tmp_path, monkeypatch):
    target = tmp_path / "from_env"
    monkeypatch.setenv("SKVOICE_DATA", str(target))
    assert get_data_home() == str(target) and target.is_dir()
    assert get_data_home(tmp_path / "explicit") == str(tmp_path / "explicit")
    monkeypatch.delenv("SKVOICE_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert get_data_home() == str(tmp_path / "user" / "skvoice_data")
    (target / "junk.txt").write_text("x")
    clear_data_home(target)
    assert not target.exists()


def test_matches_load_librispeech_on_the_extracted_tree(tmp_path, serve, archive):
    server = serve({"dev-clean.tar.gz": archive})
    fetched = _fetch(tmp_path / "home", server.url, md5=_md5(archive))
    loaded = load_librispeech(str(tmp_path / "home" / "LibriSpeech"), "dev-clean")
    assert fetched.frame.equals(loaded.frame)
