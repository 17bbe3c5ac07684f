# One-command dev loop. `make run` starts the service; `make test` runs what CI runs.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
SHARED  ?= ../shared

.PHONY: run test lint format check score bench setup clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,ocr]'
	touch $(STAMP)

setup: $(STAMP)
	@scripts/system-deps.sh fonts-wqy-zenhei fonts-hanazono fonts-babelstone-han

## Start the watched inbox on the embedded SQLite default (Ctrl-C stops it cleanly).
run: setup
	$(BIN)/letters watch --web

## Lint and tests: exactly what CI runs.
test: setup lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python scripts/check_imports.py

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Score extraction on the shared sample letters (every format), when ../shared is present.
score: $(STAMP)
	$(PY) $(SHARED)/tools/score_extraction.py $(SHARED)/samples/cases --cmd "$(BIN)/letters extract --json {file}"
	$(PY) $(SHARED)/tools/score_extraction.py $(SHARED)/samples/formats --cmd "$(BIN)/letters extract --json {file}"
	$(BIN)/python scripts/read_every_file.py $(SHARED)/samples/ofd-real --limit 5

bench: $(STAMP)
	$(BIN)/python bench/extract.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
