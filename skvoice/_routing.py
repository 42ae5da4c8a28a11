"""Metadata routing for skvoice's meta-estimators (``sklearn.set_config(enable_metadata_routing=True)``), and
the methods of a Pipeline's last step.

With routing off, a meta-estimator passes its ``**fit_params`` to every
wrapped estimator (the behaviour of skvoice 0.2). With routing on, each wrapped
estimator gets only the metadata it requested (``set_fit_request``), as in
scikit-learn's own meta-estimators, and a request left unset raises
scikit-learn's usual error instead of being dropped silently.
"""

from __future__ import annotations

from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping, get_routing_for_object, process_routing
from sklearn.utils.validation import has_fit_parameter

from ._sklearn_compat import own_fit_request, routing_enabled

__all__ = ["fit_router", "route_fit_params", "final_step_method", "groups_parameter", "request_groups"]


def final_step_method(estimator, name):
    """``estimator.<name>``, or for a fitted Pipeline whose last step has it, that method after the other steps'
    ``transform`` (a Pipeline has no ``speaker_scores``); None when neither has it."""
    from sklearn.pipeline import Pipeline

    method = getattr(estimator, name, None)
    if method is None and isinstance(estimator, Pipeline) and hasattr(estimator[-1], name):
        last = getattr(estimator[-1], name)

        def through_the_steps(X):
            # step by step, as Pipeline.predict does: a sliced Pipeline's transform asks its last step to look
            # fitted, and stateless steps (ScoreFusion keeps them unfitted) have no fitted attributes
            for _, step in estimator.steps[:-1]:
                if step is not None and not isinstance(step, str):
                    X = step.transform(X)
            return last(X)

        return through_the_steps
    return method


def fit_router(owner, children, methods=("fit",)):
    """A ``MetadataRouter`` sending the metadata of each of ``methods`` (``fit``; ``score`` for a wrapper whose
    ``score`` is its child's) to the same method of each named child.

    ``children`` maps a name to an (unfitted) estimator; the owner's own
    requests (e.g. ``score``'s ``sample_weight``, ``fit``'s ``groups``) are
    part of the router too.
    """
    router = MetadataRouter(owner=owner).add_self_request(owner)
    for name, child in children.items():
        mapping = MethodMapping()
        for method in methods:
            mapping.add(caller=method, callee=method)
        router.add(**{name: child}, method_mapping=mapping)
    return router


def route_fit_params(owner, fit_params, children):
    """``{name: params}`` for each child's ``fit``: routed by request, or all of ``fit_params`` to each.

    ``children`` maps each name to its (unfitted) estimator. With routing off, ``sample_weight`` for a
    :class:`~sklearn.pipeline.Pipeline` whose ``fit`` does not take it goes to its final step as
    ``<last step>__sample_weight`` (as ``groups`` do, see :func:`groups_parameter`), so that a wrapper that
    names ``sample_weight`` in its own ``fit`` (seen by ``CalibratedClassifierCV``) can wrap a Pipeline.
    """
    if not routing_enabled():
        return {name: _weights_to_final_step(owner, name, child, dict(fit_params)) for name, child in children.items()}
    routed = process_routing(owner, "fit", **fit_params)
    return {name: dict(routed[name].fit) for name in children}


def _takes(estimator, param):
    """Whether ``estimator.fit`` names ``param`` or takes any keyword (``**fit_params``)."""
    import inspect

    try:
        parameters = inspect.signature(estimator.fit).parameters.values()
    except (TypeError, ValueError):  # no signature to read: let fit decide
        return True
    return any(p.name == param or p.kind is p.VAR_KEYWORD for p in parameters)


def _fit_target(estimator, param):
    """``(estimator that takes param, key to pass it under)``: the estimator itself, or for a
    :class:`~sklearn.pipeline.Pipeline` whose ``fit`` does not name ``param``, its final step under
    ``<last step>__<param>`` (the step may be None or "passthrough")."""
    from sklearn.pipeline import Pipeline

    if isinstance(estimator, Pipeline) and estimator.steps and not has_fit_parameter(estimator, param):
        name, last = estimator.steps[-1]
        return last, f"{name}__{param}"
    return estimator, param


def _weights_to_final_step(owner, child_name, estimator, params):
    if "sample_weight" not in params:
        return params
    target, key = _fit_target(estimator, "sample_weight")
    if target in (None, "passthrough") or not _takes(target, "sample_weight"):
        # as VotingClassifier does: weights one model cannot take are refused, never dropped for it alone
        raise TypeError(f"{type(owner).__name__}: {child_name!r} ({type(target).__name__}) does not take "
                        "sample_weight, so the weights cannot be used. Leave them out, or with "
                        "sklearn.set_config(enable_metadata_routing=True) request them "
                        "(set_fit_request(sample_weight=True)) only from the models that take them.")
    params[key] = params.pop("sample_weight")
    return params


def groups_parameter(estimator):
    """The ``fit`` parameter that takes cross-fitting groups: ``"groups"``, ``"<last step>__groups"`` or None.

    With routing off: ``"groups"`` when ``estimator.fit`` has it, and for a
    :class:`~sklearn.pipeline.Pipeline` whose final step's ``fit`` has it
    (e.g. ending in :class:`~skvoice.classifiers.ScoreFusion`), that step's
    ``<name>__groups``. With routing on: ``"groups"`` when the estimator (or
    what it routes to) requested them (``set_fit_request(groups=True)``; see
    :func:`request_groups`).
    """
    if routing_enabled():
        if has_fit_parameter(estimator, "groups") and not hasattr(estimator, "get_metadata_routing"):
            return "groups"
        return "groups" if get_routing_for_object(estimator).consumes("fit", ["groups"]) else None
    target, key = _fit_target(estimator, "groups")
    return key if target not in (None, "passthrough") and has_fit_parameter(target, "groups") else None


def request_groups(estimator):
    """With routing on, request ``groups`` in ``fit`` wherever that request is unset, in ``estimator`` and in
    everything nested in it; an explicit ``set_fit_request(groups=False)`` is kept. Returns ``estimator``.

    For groups a meta-estimator makes itself and that are never the user's to route (the clean and degraded
    copies of one recording, which must share a cross-fitting fold): without a request, routing would drop them
    silently and copies would leak across folds. Call it on a clone the caller owns.
    """
    if not routing_enabled():
        return estimator
    nested = [estimator] + [v for v in estimator.get_params(deep=True).values() if hasattr(v, "get_params")]
    for est in nested:
        if not (hasattr(est, "set_fit_request") and has_fit_parameter(est, "groups")):
            continue
        if own_fit_request(est, "groups") is None:
            est.set_fit_request(groups=True)
    return estimator
