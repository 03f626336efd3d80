# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed
PORT ?= 8000

.PHONY: demo test lint bench soak chromium prometheus clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(RUNTIME): $(BIN)/python pyproject.toml requirements.txt
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(DEV): $(RUNTIME) requirements-dev.txt
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

chromium:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || \
		(apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)

prometheus:
	@command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || \
		(apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends prometheus)

demo: $(RUNTIME)
	$(BIN)/peakwatch demo --serve --port $(PORT)

lint: $(DEV)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy

test: $(DEV) chromium prometheus lint
	$(BIN)/python -m pytest

bench: $(DEV)
	$(BIN)/python -m bench

soak: $(DEV)
	PEAKWATCH_SOAK=1 $(BIN)/python -m pytest tests/test_reliability.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
