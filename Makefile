# Two commands for a fresh machine with only Python (3.10+):
#   make demo   -- set up .venv and run the main job (trains, leaves models and plots in runs/)
#   make test   -- set up .venv and run lint and the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
DEEPSTEP_DATA ?= $(abspath ../shared/data/catvnoncat)
export DEEPSTEP_DATA

.PHONY: demo test lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/deepstep demo --out runs

lint: $(BIN)/.installed
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache .hypothesis

# make bench [BENCH_ARGS="--quick"] -- deepstep vs PyTorch (CPU) and scikit-learn; see benchmarks/README.md.
# The peers live in their own venv, never in $(VENV) (the test environment).
BENCH_VENV ?= .venv-bench
BENCH_ARGS ?=
$(BENCH_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install -q -e '.[cluster]' torch==2.13.0 scikit-learn h5py
	touch $@

# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE pin some shared machines to older OpenBLAS kernels (Haswell,
# AVX2): they are unset for the benchmark alone, so that NumPy runs the kernels it would pick by
# itself on this processor, as it does for any user (the table's notes name the kernels used).
bench: $(BENCH_VENV)/.installed
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BENCH_VENV)/bin/python benchmarks/bench.py $(BENCH_ARGS)
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BENCH_VENV)/bin/python benchmarks/sweep_bench.py $(filter --quick,$(BENCH_ARGS))
