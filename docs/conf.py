"""Sphinx configuration for the skvoice documentation.

Build with ``make docs`` (``python -m sphinx -W --keep-going -b html docs docs/_build/html``).
The build is offline: intersphinx is not used, no model or dataset is downloaded, and
the gallery examples use ``SKVOICE_LIBRISPEECH`` when it is set, the LibriSpeech sample bundled
with skvoice otherwise.
"""

import os
import re
import sys
import time
import warnings

# The gallery examples are small; one thread per native pool (OpenMP, OpenBLAS, torch) avoids the
# oversubscription that makes k-means / GMM / boosting fits crawl when the build shares its cores
# (tests running alongside, the dask example's worker processes). Override by exporting OMP_NUM_THREADS.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("KERAS_BACKEND", "torch")
# never reach for the network while building: models are local folders, data is local (bundled sample)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("SKVOICE_OFFLINE", "1")

sys.path.insert(0, os.path.abspath(".."))  # a source checkout builds without installing skvoice

import skvoice  # noqa: E402

# -- Project -----------------------------------------------------------------------------------------------------
project = "skvoice"
author = "skvoice developers"
copyright = f"{time.strftime('%Y')}, {author}"
version = release = skvoice.__version__

# -- General -----------------------------------------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
# intersphinx is deliberately not enabled: the build machine is offline and -W would turn a failed
# inventory download into an error. References to numpy/scikit-learn objects render as plain code.

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json", "auto_examples/*.md5"]
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"

# -- autodoc / autosummary / numpydoc ---------------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- sphinx-gallery ----------------------------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",       # execute every plot_*.py example
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,     # a failing example fails the build
    "only_warn_on_example_error": False,
    "plot_gallery": True,
    "doc_module": ("skvoice",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"skvoice": None},
    "download_all_examples": False,
    "show_memory": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "min_reported_time": 1,
}

# -- HTML --------------------------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skvoice {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": True,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"install": [], "quickstart": []}
html_show_sourcelink = False

# a dependency's import chain still touches setuptools' deprecated pkg_resources; not a skvoice problem
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)


# -- Checks and hooks --------------------------------------------------------------------------------------------
API_MODULES = ("skvoice", "skvoice.features", "skvoice.classifiers", "skvoice.datasets", "skvoice.analysis",
               "skvoice.metrics", "skvoice.io", "skvoice.pretrained", "skvoice.recipes",
               "skvoice.utils.estimator_checks")


# Inherited members shown on class pages are the scikit-learn API a user calls (fit_transform, score,
# get_params, set_params...). Metadata-routing and set_output plumbing is left out: those docstrings
# point at scikit-learn's own user guide labels, which do not exist in this documentation.
_SKIPPED_MEMBERS = {"get_metadata_routing", "set_output"}


def _skip_member(app, what, name, obj, skip, options):
    if name in _SKIPPED_MEMBERS or (name.startswith("set_") and name.endswith("_request")):
        return True
    return None


_HEADER = re.compile(r"^(\s*[*\w][\w, *]* : )(.+)$")
_TRAILING_UNDERSCORE = re.compile(r"(?<![`\w])([A-Za-z][A-Za-z0-9_]*_)(?![`\w])")


def _quote_fitted_names_in_types(app, what, name, obj, options, lines):
    """Quote ``name_`` identifiers in numpydoc type specs, e.g. ``ndarray of shape (n_features_in_,)``.

    In reStructuredText a bare word ending in ``_`` is a hyperlink reference, so an unquoted fitted
    attribute name in a parameter/attribute type is an "Unknown target name" error. scikit-learn writes
    such types as ``(`n_features_in_`,)``; this does it for docstrings that do not.
    """
    for i, line in enumerate(lines):
        m = _HEADER.match(line)
        if m and "`" not in m.group(2):
            lines[i] = m.group(1) + _TRAILING_UNDERSCORE.sub(r"`\1`", m.group(2))


_REF_WITH_TEXT = re.compile(r":ref:`([^`<]+?)\s*<[^`>]+>`")
_REF_BARE = re.compile(r":ref:`([^`]+)`")


def _unlink_foreign_refs(app, what, name, obj, options, lines):
    """Turn ``:ref:`` roles in docstrings inherited from scikit-learn/scikeras into plain text.

    They point at labels of those projects' own documentation (e.g. ``accuracy_score``), which
    are unresolvable here without intersphinx -- and intersphinx is off because the build is offline.
    """
    module = getattr(obj, "__module__", None) or ""
    if not module.startswith(("sklearn", "scikeras")):
        return
    for i, line in enumerate(lines):
        if ":ref:" in line:
            lines[i] = _REF_BARE.sub(r"``\1``", _REF_WITH_TEXT.sub(r"\1", line))


def _check_api_coverage(app):
    """Fail the build (a warning under -W) when a public name is missing from api.rst."""
    import importlib
    import re

    from sphinx.util import logging

    logger = logging.getLogger("skvoice.api")
    path = os.path.join(app.srcdir, "api.rst")
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    documented = set()
    current = None
    for line in text.splitlines():
        m = re.match(r"\.\. currentmodule:: (\S+)", line)
        if m:
            current = m.group(1)
        elif current and re.match(r"^   [A-Za-z_][A-Za-z0-9_]*$", line):
            documented.add(f"{current}.{line.strip()}")
        elif current and re.match(r"^\.\. (data|function|class|exception):: ", line):
            documented.add(f"{current}.{line.split('::')[1].strip()}")
    for modname in API_MODULES:
        mod = importlib.import_module(modname)
        for name in getattr(mod, "__all__", ()):
            if f"{modname}.{name}" not in documented:
                logger.warning(f"{modname}.{name} is in {modname}.__all__ but not documented in api.rst")


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
    # before numpydoc (priority 500) turns the sections into field lists
    app.connect("autodoc-process-docstring", _quote_fitted_names_in_types, priority=400)
    app.connect("autodoc-process-docstring", _unlink_foreign_refs, priority=400)
    app.connect("builder-inited", _check_api_coverage)
