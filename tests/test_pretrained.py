"""The model files shipped inside skvoice."""

import numpy as np
import pytest


def _n_jobs_values(obj, seen):
    """Every ``n_jobs`` parameter in ``obj``, fitted estimators (``estimator_``, ``steps``...) included."""
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    if isinstance(obj, (list, tuple)):
        return [v for item in obj for v in _n_jobs_values(item, seen)]
    if isinstance(obj, dict):
        return [v for item in obj.values() for v in _n_jobs_values(item, seen)]
    if not hasattr(obj, "get_params") or isinstance(obj, type):
        return []
    params = obj.get_params(deep=False)
    found = [params["n_jobs"]] if "n_jobs" in params else []
    return found + [v for item in list(params.values()) + list(vars(obj).values()) for v in _n_jobs_values(item, seen)]


def test_shipped_gender_model_predicts_in_one_process():
    # the file predicted with n_jobs=2 (the training machine's setting, left in the fitted estimator_): a one-file
    # predict started two worker processes
    pytest.importorskip("skops")
    from skvoice.features._embedding import resemblyzer_weights_path
    from skvoice.pretrained import gender_classifier

    try:
        resemblyzer_weights_path()
    except (ImportError, FileNotFoundError) as exc:
        pytest.skip(f"GE2E weights not installed: {exc}")

    model = gender_classifier()
    assert list(model.classes_) == ["F", "M"]
    values = _n_jobs_values(model, set())
    assert values and all(v is None for v in values)
    voices = np.random.default_rng(0).standard_normal((1, 32000)).astype("float32") * 0.05
    assert model.predict_proba(voices).shape == (1, 2)
