# Chromatic: `make demo` and `make test` set up everything they need, idempotently.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
APT_STAMP := $(VENV)/.apt-installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup demo test lint bench clean

setup: $(STAMP) $(APT_STAMP)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet pip==26.3

$(STAMP): $(VENV)/bin/python requirements.lock requirements-dev.txt pyproject.toml
	$(PY) -m pip install --quiet --no-deps -r requirements.lock
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# System packages (SoundFont synthesis); installed when root, skipped otherwise.
$(APT_STAMP): scripts/apt-packages.txt | $(VENV)/bin/python
	bash scripts/install-apt.sh scripts/apt-packages.txt
	touch $(APT_STAMP)

demo: setup
	$(VENV)/bin/chromatic run proposals/night_watch.yml --auto-approve --replace --out runs

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: setup
	$(PY) -m bench.run_all

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache
