"""Metadata routing for skvoice's meta-estimators (``sklearn.set_config(enable_metadata_routing=True)``), and
the methods of a Pipeline's last step.

With routing off, a meta-estimator passes its ``**fit_params`` to every
wrapped estimator (the behaviour of skvoice 0.2). With routing on, each wrapped
estimator gets only the metadata it requested (``set_fit_request``), as in
scikit-learn's own meta-estimators, and a request left unset raises
scikit-learn's usual error instead of being dropped silently.
"""

from __future__ import annotations

from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping, process_routing

from ._sklearn_compat import routing_enabled

__all__ = ["fit_router", "route_fit_params", "final_step_method"]


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


def fit_router(owner, children):
    """A ``MetadataRouter`` sending ``fit`` metadata to the ``fit`` of each named child.

    ``children`` maps a name to an (unfitted) estimator; the owner's own
    requests (e.g. ``score``'s ``sample_weight``, ``fit``'s ``groups``) are
    part of the router too.
    """
    router = MetadataRouter(owner=owner).add_self_request(owner)
    for name, child in children.items():
        router.add(**{name: child}, method_mapping=MethodMapping().add(caller="fit", callee="fit"))
    return router


def route_fit_params(owner, fit_params, names):
    """``{name: params}`` for each child's ``fit``: routed by request, or all of ``fit_params`` to each."""
    if not routing_enabled():
        return {name: dict(fit_params) for name in names}
    routed = process_routing(owner, "fit", **fit_params)
    return {name: dict(routed[name].fit) for name in names}
