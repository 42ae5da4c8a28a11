"""Build the documentation (Sphinx, warnings as errors, sphinx-gallery executing every example)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def test_docs_build_cleanly_with_gallery(tmp_path):
    pytest.importorskip("sphinx_gallery")
    env = dict(os.environ, OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    # build from a copy of docs/ so generated pages never land in the source tree of a parallel run
    import shutil

    src = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", src, ignore=shutil.ignore_patterns("_build", "auto_examples", "generated"))
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", str(src),
                           str(tmp_path / "html")], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    html = tmp_path / "html"
    assert (html / "index.html").exists() and (html / "api.html").exists()
    examples = sorted((ROOT / "examples").glob("plot_*.py"))
    rendered = list((html / "auto_examples").glob("plot_*.html"))
    assert len(examples) >= 10 and len(rendered) == len(examples)
