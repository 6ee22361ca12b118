# Two commands for a fresh machine with only Python (3.10+):
#   make demo   -- set up .venv with what the demo needs and run the main job (trains, leaves models and plots in runs/)
#   make test   -- set up .venv with the test tools too and run lint and the whole test suite
# For the edit-test loop: make test-fast (the suite without the tests marked slow, on two pytest-xdist workers:
# about 85 s on 2 cores).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
DEEPSTEP_DATA ?= $(abspath ../shared/data/catvnoncat)
export DEEPSTEP_DATA

.PHONY: demo test test-fast lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# the demo's needs: the cat pictures (h5py, Pillow), plots (matplotlib), the progress bar (tqdm)
$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[data,plot,progress]'
	touch $@

# everything: every extra and the test tools (pytest, hypothesis, ruff, playwright, ...)
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

demo: $(VENV)/.installed-demo
	$(BIN)/deepstep demo --out runs

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest

test-fast: $(VENV)/.installed-test
	DEEPSTEP_FAST=1 $(BIN)/python -m pytest -m "not slow" -q -n 2

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache .hypothesis

# make bench [BENCH_ARGS="--quick"] -- deepstep vs PyTorch (CPU) and scikit-learn; see benchmarks/README.md.
# The peers live in their own venv, never in $(VENV) (the test environment).
BENCH_VENV ?= .venv-bench
BENCH_ARGS ?=
$(BENCH_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install -q -e '.[cluster,sklearn,tables,fast]' torch==2.13.0 scikit-learn h5py palmerpenguins
	touch $@

# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE pin some shared machines to older OpenBLAS kernels (Haswell,
# AVX2): they are unset for the benchmark alone, so that NumPy runs the kernels it would pick by
# itself on this processor, as it does for any user (the table's notes name the kernels used).
bench: $(BENCH_VENV)/.installed
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BENCH_VENV)/bin/python benchmarks/bench.py $(BENCH_ARGS)
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BENCH_VENV)/bin/python benchmarks/sweep_bench.py $(filter --quick,$(BENCH_ARGS))
	$(BENCH_VENV)/bin/python benchmarks/tabular.py $(filter --quick,$(BENCH_ARGS))
	$(BENCH_VENV)/bin/python benchmarks/read_csv.py
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BENCH_VENV)/bin/python benchmarks/threads.py
