"""Scale-out: per-file work runs unchanged on a dask cluster via ``joblib.parallel_config(backend="dask")``.

A two-process ``distributed.LocalCluster`` (loopback only, no dashboard) stands in for a real cluster. The
features must be identical to the local (loky) run, the tasks must really execute on the dask workers, and
``on_error`` failures must be reported exactly as they are locally.
"""

import os
import warnings

import joblib
import numpy as np
import pytest

from skvoice import AudioError, SkippedRecordingsWarning
from skvoice.datasets import make_voices
from skvoice.features import MFCCExtractor

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow  # starting a process-based cluster takes several seconds on 2 cores


@pytest.fixture(scope="module")
def dask_client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                       host="127.0.0.1")
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.fixture(scope="module")
def voice_files(tmp_path_factory):
    return make_voices(n_speakers=2, n_utterances=3, duration=0.6, random_state=3,
                       out_dir=tmp_path_factory.mktemp("voices"))


def run_on_dask(client, func):
    """Run ``func`` under the dask joblib backend; return its result and the workers that executed tasks."""
    with distributed.get_task_stream(client) as stream, joblib.parallel_config(backend="dask"):
        out = func()
    return out, {task["worker"] for task in stream.data}


def assert_same_recordings(a, b):
    assert a.dtype == object and b.dtype == object and len(a) == len(b)
    for x, y in zip(a, b):
        assert x.dtype == y.dtype == np.float32
        np.testing.assert_array_equal(x, y)


def test_waveforms_on_dask_equal_local(dask_client, voice_files):
    ext = MFCCExtractor(n_jobs=2, deltas=True)
    local = ext.fit_transform(voice_files.waveforms)
    remote, workers = run_on_dask(dask_client, lambda: ext.fit_transform(voice_files.waveforms))
    assert workers and workers <= set(dask_client.scheduler_info()["workers"])  # really ran on the cluster
    assert_same_recordings(remote, local)
    assert ext.failures_ == []


def test_files_on_dask_equal_local(dask_client, voice_files):
    ext = MFCCExtractor(n_jobs=2)
    local = ext.fit_transform(voice_files.filenames)
    remote, workers = run_on_dask(dask_client, lambda: ext.fit_transform(voice_files.filenames))
    assert workers
    assert_same_recordings(remote, local)
    assert [len(x) for x in remote] == [61] * len(voice_files.filenames)  # 0.6 s at a 10 ms hop, centred


@pytest.fixture
def files_with_failures(tmp_path, voice_files):
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x10\x00\x00\x00WAVEnot really audio at all")
    empty = tmp_path / "empty.flac"
    empty.write_bytes(b"")
    good = [str(p) for p in voice_files.filenames[:3]]
    return [good[0], str(corrupt), good[1], str(tmp_path / "missing.wav"), str(empty), good[2]]


@pytest.mark.parametrize("on_error", ["skip", "warn"])
def test_failures_reported_the_same_through_dask(dask_client, files_with_failures, on_error):
    ext = MFCCExtractor(n_jobs=2, on_error=on_error)
    with warnings.catch_warnings(record=True) as local_warnings:
        warnings.simplefilter("always")
        local = ext.fit_transform(files_with_failures)
    local_failures = ext.failures_
    with warnings.catch_warnings(record=True) as remote_warnings:
        warnings.simplefilter("always")
        remote, workers = run_on_dask(dask_client, lambda: ext.fit_transform(files_with_failures))
    assert workers
    assert [f["index"] for f in local_failures] == [1, 3, 4]
    assert ext.failures_ == local_failures  # same indices, sources and reasons
    assert [f["source"] for f in ext.failures_] == [files_with_failures[i] for i in (1, 3, 4)]
    assert_same_recordings(remote, local)
    assert [len(remote[i]) for i in (1, 3, 4)] == [0, 0, 0]  # failed slots stay, empty, so y stays aligned
    assert all(len(remote[i]) > 0 for i in (0, 2, 5))

    def skipped(ws):
        return [str(w.message) for w in ws if issubclass(w.category, SkippedRecordingsWarning)]

    if on_error == "warn":
        assert len(skipped(remote_warnings)) == 1
        assert skipped(remote_warnings) == skipped(local_warnings)
        assert "3 of 6 recording(s) failed" in skipped(remote_warnings)[0]
    else:
        assert skipped(remote_warnings) == skipped(local_warnings) == []


def test_raise_names_the_file_through_dask(dask_client, files_with_failures):
    paths = files_with_failures[:3]  # one bad file, so which failure is raised first cannot depend on scheduling
    ext = MFCCExtractor(n_jobs=2, on_error="raise")
    with pytest.raises(AudioError, match="corrupt.wav") as local_exc:
        ext.fit_transform(paths)
    with pytest.raises(AudioError, match="corrupt.wav") as remote_exc:
        run_on_dask(dask_client, lambda: ext.fit_transform(paths))
    assert remote_exc.value.source == local_exc.value.source
    assert remote_exc.value.reason == local_exc.value.reason


def _torch_loaded(item, index):
    import os
    import sys

    return "torch" in sys.modules, os.getpid()


def test_workers_load_torch_before_their_first_recording_when_this_process_has():
    # loky restarts a worker that grows by 300 MB after its first task: a worker that first measured or decoded
    # audio, then imported torch for a model, was restarted and imported torch again (predict twice as slow)
    pytest.importorskip("torch")
    from skvoice._parallel import map_recordings

    with joblib.parallel_config(backend="loky", n_jobs=2):
        results, failures = map_recordings(_torch_loaded, list(range(6)), n_jobs=2)
    assert not failures and all(loaded for loaded, _ in results)
    assert {pid for _, pid in results} - {os.getpid()}  # they ran in worker processes
