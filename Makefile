# The commands a new user needs: `make demo`, `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo serve test lint bench mutation clean

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

# -rs names each skipped test and why; tests/conftest.py ends the run with "skipped: N" (CI must show 0)
test: $(STAMP)
	$(BIN)/python -m ruff check calendar_audit tests bench
	$(BIN)/python -m pytest -rs

lint: $(STAMP)
	$(BIN)/python -m ruff check calendar_audit tests bench
	$(BIN)/python -m ruff format --check calendar_audit tests bench

bench: $(STAMP)
	$(BIN)/python bench/bench_metrics.py

# Mutation testing of the pure core with mutmut (tests/README.md: the score, the command, the equivalent mutants).
# A fresh run each time; mutants/ is git-ignored. Only the neutralising function of writers/tables.py is tested.
MUTATE := "calendar_audit.metrics.*" "calendar_audit.timeline.*" "calendar_audit.rules.*" "calendar_audit.slots.*" \
	"calendar_audit.suggest.*" "calendar_audit.privacy.*" \
	"calendar_audit.writers.columns.x_neutralise*" "calendar_audit.writers.columns.x__flags*" \
	"calendar_audit.writers.columns.x__csv_texts*" "calendar_audit.writers.columns.x_csv_quote*"
mutation: $(STAMP)
	rm -rf mutants
	nice -n 15 $(BIN)/mutmut run --max-children 2 $(MUTATE) > mutation.log 2>&1 || (tail -40 mutation.log; exit 1)
	$(BIN)/python tests/mutation_score.py --min 95 $(MUTATE)

clean:
	rm -rf $(VENV) reports/demo
