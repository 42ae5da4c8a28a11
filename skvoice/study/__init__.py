"""The study reproduction behind ``skvoice reproduce`` and ``skvoice demo``.

One module per concept:

- :mod:`~skvoice.study.config`: the run's options (:class:`ReproduceConfig`) and work :class:`Budget`;
- :mod:`~skvoice.study.data`: data sources (LibriSpeech, synthetic; :func:`register_data_source`), subsets, corpora;
- :mod:`~skvoice.study.feature_sets`: feature sets, extracted once per corpus;
- :mod:`~skvoice.study.models`: the models of each task (:class:`ModelSpec`);
- :mod:`~skvoice.study.evaluation`: protocols and cross-validation (``sklearn.model_selection.cross_validate``);
- :mod:`~skvoice.study.analyses`: outlier counts, per-recording PCA, PCA + k-means;
- :mod:`~skvoice.study.results`: typed results and the ``results.json`` layout;
- :mod:`~skvoice.study.figures`, :mod:`~skvoice.study.report`, :mod:`~skvoice.study.summary`: the outputs
  (report sections are registered with :func:`register_section`);
- :mod:`~skvoice.study.machine`, :mod:`~skvoice.study.progress`: where and how long it ran;
- :mod:`~skvoice.study.run`, :mod:`~skvoice.study.demo`: the two commands (:func:`run_reproduce`, :func:`run_demo`;
  further experiments are added with :func:`register_step`).

This package is the engine of the command line, not part of skvoice's estimator API.
"""

import importlib

# names resolved on first use (PEP 562), so ``import skvoice.study`` and the CLI's argument parsing
# stay cheap: the modules behind them import scikit-learn, matplotlib and friends
_EXPORTS = {
    "Budget": "config", "ReproduceConfig": "config", "DataError": "errors", "Skipped": "errors",
    "MODEL_KEYS": "models", "Progress": "progress", "StudyResults": "results", "run_reproduce": "run",
    "run_demo": "demo", "register_data_source": "data", "register_step": "run", "register_section": "report",
    "render_markdown": "report", "write_report": "report", "format_summary": "summary",
}
__all__ = list(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
