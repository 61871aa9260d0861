# The two commands of the README: `make demo` (the main job) and `make test`.
# Each creates a virtualenv in .venv and installs what it needs; nothing else is required
# but python3 (3.11+, with venv) and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: demo test lint bench notebooks clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "microgrand needs Python 3.11 or newer: $(PYTHON) is older"; exit 1; }
	$(PYTHON) -m venv $(VENV) || { echo "could not create a virtualenv: on Debian/Ubuntu run 'apt-get install python3-venv'"; exit 1; }
	$(PIP) --upgrade pip

$(VENV)/.installed-base: setup.cfg pyproject.toml | $(BIN)/python
	$(PIP) -e .
	@touch $@

$(VENV)/.installed-dev: setup.cfg pyproject.toml | $(BIN)/python
	$(PIP) -e '.[dev,notebooks]'
	@touch $@ $(VENV)/.installed-base

demo: $(VENV)/.installed-base
	$(BIN)/microgrand demo

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest --nbmake tests notebooks

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict

bench: $(VENV)/.installed-base
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/compiled.py

notebooks: $(VENV)/.installed-dev
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
