"""
==================================================
Scaling out feature extraction with dask
==================================================

Every per-file step of skvoice -- decoding, MFCCs, wav2vec 2.0 chunk loading, speaker
embedding front ends -- runs through :class:`joblib.Parallel`. joblib's backend is
chosen by the *caller*, so the same estimator runs sequentially, on local processes
(``n_jobs=-1``, the default ``loky`` backend) or on a cluster, without any change to
skvoice code:

.. code-block:: python

    with joblib.parallel_config(backend="dask"):
        frames = MFCCExtractor().fit_transform(paths)   # files are spread over the dask workers

This example starts a small local dask cluster (two worker processes, one thread each,
on the loopback interface), extracts MFCCs on it and checks that the result is exactly
the sequential one.

.. note::

   Worker processes are started with ``spawn``, which re-imports this script in each
   worker. Everything that does work therefore sits under
   ``if __name__ == "__main__":`` -- necessary when you run a script that creates a
   cluster, harmless in a notebook.
"""

# %%
# Data
# ----
# The 60 real LibriSpeech ``test-other`` files (7.4 minutes of speech): from
# ``SKVOICE_LIBRISPEECH`` when it is set, else from the sample bundled with skvoice
# (:func:`~skvoice.datasets.load_sample`).
import time

import joblib
import numpy as np

from skvoice.datasets import load_speech
from skvoice.features import MFCCExtractor


def load_recordings():
    """Audio file paths and a description of the source."""
    data = load_speech("test-other")
    return data.filenames, f"{data.source} ({len(data.filenames)} files)"


if __name__ == "__main__":
    X, source = load_recordings()
    extractor = MFCCExtractor(n_mfcc=13, deltas=True)

    start = time.perf_counter()
    local = extractor.fit_transform(X)
    local_seconds = time.perf_counter() - start
    print(f"{source}: sequential extraction in {local_seconds:.1f} s")

# %%
# A local cluster
# ---------------
# ``processes=True`` gives each worker its own Python process (no GIL contention);
# ``dashboard_address=None`` skips the web dashboard and ``host="127.0.0.1"`` keeps
# everything on the loopback interface. On a real cluster, connect a
# :class:`distributed.Client` to the scheduler's address instead.
from distributed import Client, LocalCluster

if __name__ == "__main__":
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                           host="127.0.0.1")
    client = Client(cluster)
    print(f"{len(client.scheduler_info()['workers'])} workers at {cluster.scheduler_address}")

# %%
# The same estimator on the cluster
# ---------------------------------
# Inside ``parallel_config(backend="dask")`` every ``joblib.Parallel`` call -- here the
# one inside :meth:`~skvoice.features.MFCCExtractor.transform` -- submits its tasks to the
# dask workers. Files are read by the workers, so on a real cluster they must see the
# same paths (shared storage).
if __name__ == "__main__":
    start = time.perf_counter()
    with joblib.parallel_config(backend="dask"):
        distributed_frames = extractor.fit_transform(X)
    dask_seconds = time.perf_counter() - start

    identical = len(local) == len(distributed_frames) and all(
        np.array_equal(a, b) for a, b in zip(local, distributed_frames))
    print(f"dask extraction in {dask_seconds:.1f} s; identical to the sequential result: {identical}")
    assert identical

# %%
# On two cores and a few dozen short files, the cluster's start-up and scheduling
# overhead far exceeds the work itself; the backend pays off with many
# long files and many machines. The same ``parallel_config`` block distributes a whole
# ``GridSearchCV`` or ``cross_val_score`` (their own ``n_jobs`` loops), with skvoice's
# per-file loops running inside each task.
#
# Error handling is unchanged: with ``on_error="warn"`` or ``"skip"`` a file that fails
# on a worker leaves an empty recording and an entry in ``failures_``, exactly as
# locally.
if __name__ == "__main__":
    client.close()
    cluster.close()

# %%
# Ray
# ---
# Ray provides a joblib backend too (``pip install "ray[default]"``, not a skvoice
# dependency):
#
# .. code-block:: python
#
#     import joblib
#     import ray
#     from ray.util.joblib import register_ray
#
#     ray.init()              # or ray.init(address="auto") to join a running cluster
#     register_ray()
#     with joblib.parallel_config(backend="ray"):
#         frames = MFCCExtractor().fit_transform(paths)
#
# See :doc:`/user_guide/scaling` for caching features with ``Pipeline(memory=...)`` and
# persisting them to disk.
