"""Every private scikit-learn import skvoice relies on, in one place.

scikit-learn keeps these names private (leading underscore modules or
functions), so they may move between releases. When they do, this is the only
file to change. Public scikit-learn API is imported directly where it is used.
"""

from __future__ import annotations

from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import (  # noqa: F401  (re-exported)
    HasMethods,
    Interval,
    InvalidParameterError,
    RealNotInt,
    StrOptions,
    validate_params,
)
from sklearn.utils._set_output import ADAPTERS_MANAGER, _get_output_config
from sklearn.utils.metadata_routing import _routing_enabled
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import (
    _check_feature_names_in,
    _check_sample_weight,
    _is_arraylike_not_scalar,
    _num_samples,
)

__all__ = [
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "RealNotInt",
    "StrOptions",
    "validate_params",
    "check_feature_names_in",
    "check_sample_weight",
    "safe_indexing",
    "is_arraylike_not_scalar",
    "routing_enabled",
    "sklearn_num_samples",
    "output_container",
    "supported_outputs",
    "BaseComposition",
    "own_fit_request",
]

check_feature_names_in = _check_feature_names_in
check_sample_weight = _check_sample_weight
safe_indexing = _safe_indexing
is_arraylike_not_scalar = _is_arraylike_not_scalar
routing_enabled = _routing_enabled  # sklearn.set_config(enable_metadata_routing=True)
sklearn_num_samples = _num_samples  # raises TypeError for objects without a length
BaseComposition = _BaseComposition  # get_params / set_params of named sub-estimators (name__param)


def own_fit_request(estimator, param):
    """The estimator's own ``fit`` request for ``param`` (True, False, None when unset, or an alias), not what it
    routes to its children (``get_routing_for_object`` gives a router's routing, without its own requests)."""
    return estimator._get_metadata_request().fit.requests.get(param)


def supported_outputs():
    """Output containers ``set_output`` accepts here (``"default"``, ``"pandas"``, ``"polars"`` if installed)."""
    return sorted(ADAPTERS_MANAGER.supported_outputs)


def output_container(estimator, method="transform"):
    """The container (``"default"``, ``"pandas"``...) configured for ``method`` by ``set_output``/``set_config``."""
    return _get_output_config(method, estimator)["dense"]


def wrap_in_container(data, original_input, estimator, container):
    """Wrap a 2-D array in the ``container`` dataframe type with the estimator's feature names as columns."""
    adapter = ADAPTERS_MANAGER.adapters[container]
    return adapter.create_container(data, original_input, columns=estimator.get_feature_names_out)
