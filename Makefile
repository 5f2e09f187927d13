# dipaudit: the two commands of the quick start, and a few helpers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test
DEMO_DB ?= demo.db

.PHONY: run test demo lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# An editable install writes no .pyc for dipaudit's own modules, and where
# PYTHONDONTWRITEBYTECODE is set Python never writes them: compile them once so every
# command reads its modules rather than compiling them at start-up (a stale .pyc is
# simply recompiled in memory: never wrong, only slower).
COMPILE := $(BIN)/python -m compileall -q core notify tui

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(COMPILE)
	touch $@

$(TSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(COMPILE)
	touch $@ $(STAMP)

## make run: build the demo database and open the TUI on it
run: $(STAMP)
	$(BIN)/dipaudit --db $(DEMO_DB) demo

## make test: the whole suite (unit, CLI, TUI Pilot and snapshots, tmux, real SMTP/HTTPS)
test: $(TSTAMP)
	$(BIN)/python -m pytest -n auto -q

lint: $(TSTAMP)
	$(BIN)/ruff check core notify tui tests bench
	$(BIN)/lint-imports

## make bench [BENCH=import,growth]: every bench/bench_*.py (or those named) against its
## in-run baseline; exits non-zero when a goal is missed (never part of make test)
bench: $(STAMP)
	$(COMPILE)
	$(BIN)/python bench/run_all.py $(if $(BENCH),--only $(BENCH))

clean:
	rm -rf $(VENV) .pytest_cache $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
