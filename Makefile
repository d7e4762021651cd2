# The commands a new user needs: `make demo`, `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo serve test lint bench clean

# the first run takes about two minutes: say so, and let pip show each package as it comes
$(STAMP): pyproject.toml
	@echo "Installing calendar-audit and its dependencies into $(VENV) (the first run takes about two minutes)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --progress-bar off -e '.[dev]'
	touch $(STAMP)
	@echo "Installed into $(VENV)"

demo: $(STAMP)
	$(BIN)/calendar-audit demo --out reports/demo

serve: $(STAMP)
	$(BIN)/calendar-audit serve --demo

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
