import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def librispeech_root():
    """The shared real LibriSpeech subset; tests using it skip cleanly when it is not configured."""
    root = os.environ.get("SKVOICE_LIBRISPEECH")
    if not root:
        pytest.skip("SKVOICE_LIBRISPEECH is not set (real-data test)")
    if not os.path.isfile(os.path.join(root, "SPEAKERS.TXT")):
        pytest.skip(f"SKVOICE_LIBRISPEECH={root!r} holds no SPEAKERS.TXT")
    return root


@pytest.fixture(scope="module")
def one_torch_thread():
    """One intra-op torch thread for a module of tiny models (``pytestmark = pytest.mark.usefixtures(...)``).

    Threading only adds spin-wait time to networks this small, a lot of it on a busy 2-core machine.
    """
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def voices():
    from skvoice.datasets import make_voices

    return make_voices(n_speakers=4, n_utterances=4, duration=1.0, random_state=0)


@pytest.fixture
def ragged():
    rng = np.random.RandomState(0)
    X = np.empty(3, dtype=object)
    X[0], X[1], X[2] = rng.normal(size=(20, 4)), rng.normal(2, 3, size=(7, 4)), rng.normal(size=(1, 4))
    return X
