# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/calendar-audit demo --out reports/demo

test: $(STAMP)
	$(BIN)/python -m ruff check calendar_audit tests bench
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/python -m ruff check calendar_audit tests bench
	$(BIN)/python -m ruff format --check calendar_audit tests bench

bench: $(STAMP)
	$(BIN)/python bench/bench_metrics.py

clean:
	rm -rf $(VENV) reports/demo
