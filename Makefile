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
	$(BIN)/python examples/demo.py

lint: $(BIN)/.installed
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache .hypothesis

bench: $(BIN)/.installed
	@echo "bench: not written yet" && exit 1
