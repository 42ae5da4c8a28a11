# Fresh-clone entry points. Each target creates .venv and installs what it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.skvoice-installed
export KERAS_BACKEND ?= torch

.PHONY: demo test test-fast test-min-deps docs bench clean

# $(call install_venv,VENV,PIP ARGUMENTS FOR SKVOICE): a venv with the pinned torch first, then skvoice
define install_venv
	test -x $(1)/bin/python || $(PYTHON) -m venv $(1)
	$(1)/bin/python -m pip install --quiet --upgrade pip
	# the exact torch pin takes the local CPU wheel; never let a resolver pick a CUDA build
	$(1)/bin/python -m pip install --quiet "torch==2.13.0"
	$(1)/bin/python -m pip install --quiet $(2)
	touch $(1)/.skvoice-installed
endef

$(STAMP): pyproject.toml
	$(call install_venv,$(VENV),-e ".[all]")

# the main job: reproduce the study's tables on real speech: the LibriSpeech root in SKVOICE_LIBRISPEECH when set,
# else the real LibriSpeech sample bundled with skvoice (no download; `skvoice reproduce --download` fetches dev-clean)
demo: $(STAMP)
	$(BIN)/skvoice reproduce

# two pytest workers on two cores: keep each single-threaded, or every BLAS/OpenMP/torch call oversubscribes
TEST_ENV := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

test: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest -n 2 -m "slow or not slow" $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# the same suite on the lowest versions pyproject.toml allows (requirements/minimum.txt pins them), in its own venv
MIN_VENV := .venv-min
MIN_STAMP := $(MIN_VENV)/.skvoice-installed
MIN_EXTRAS := torch,keras,embeddings,vad,io,dask,augment,denoise,test

$(MIN_STAMP): pyproject.toml requirements/minimum.txt
	$(call install_venv,$(MIN_VENV),-c requirements/minimum.txt -e ".[$(MIN_EXTRAS)]")

test-min-deps: $(MIN_STAMP)
	$(TEST_ENV) $(MIN_VENV)/bin/python -m pytest -n 2 -m "slow or not slow" $(PYTEST_ARGS)

docs: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) $(MIN_VENV) docs/_build docs/auto_examples docs/generated docs/sg_execution_times.rst skvoice_report
