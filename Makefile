# One-command dev loop. `make run` starts the service; `make test` runs what CI runs.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
SHARED  ?= ../shared

# What the service needs outside Python, and what the tests need beside it (the same list CI uses:
# .ci/run calls `make test`). scripts/system-deps.sh installs only what is missing.
RUN_DEPS  := fonts-wqy-zenhei fonts-hanazono fonts-babelstone-han
TEST_DEPS := $(RUN_DEPS) fonts-arphic-uming fonts-noto-cjk libreoffice-writer-nogui libreoffice-calc-nogui \
             antiword poppler-utils postgresql chromium
# One worker more than the machine has cores: a fifth of a test's time is spent waiting (on a child
# process, a browser, a file left to settle), and the extra worker fills it; worksteal hands the last
# long tests to whichever worker is free (2 cores, same hour: -n 2 loadscope 293-303 s, -n 3
# worksteal 280-286 s).
WORKERS   ?= $(shell echo $$(( $$(nproc) + 1 )))
PYTEST    := $(BIN)/pytest -n $(WORKERS) --dist worksteal
# What a developer runs on every change: no browser, no PostgreSQL, no LibreOffice, nothing slow.
FAST      := not browser and not slow and not postgres and not libreoffice

.PHONY: run test test-fast test-setup lint typecheck types-baseline format docs screenshots score bench setup clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --no-compile -e '.[dev,ocr]'  # modules compile when first imported
	touch $(STAMP)

setup: $(STAMP)
	@scripts/system-deps.sh $(RUN_DEPS)

test-setup: $(STAMP)
	@scripts/system-deps.sh $(TEST_DEPS)

## Start the watched inbox on the embedded SQLite default (Ctrl-C stops it cleanly).
run: setup
	$(BIN)/letters watch --web

## Lint and every test, on PostgreSQL too: exactly what CI runs (.ci/run calls this). The lint (one
## core for 12 s) runs beside the tests and reports after them; either failing fails the target.
test: test-setup
	@$(MAKE) --no-print-directory lint > .lint.log 2>&1 & lint=$$!; \
	LETTERS_TEST_PG_URL="$${LETTERS_TEST_PG_URL:-$$(scripts/test-postgres.sh)}" $(PYTEST) --durations=25; tests=$$?; \
	wait $$lint; linted=$$?; cat .lint.log; rm -f .lint.log; \
	[ $$linted -eq 0 ] || echo "make lint failed (above)" >&2; [ $$tests -eq 0 ] && [ $$linted -eq 0 ]

## The tests worth running on every change (under a minute): `make test` before you push.
test-fast: $(STAMP)
	$(PYTEST) -q -m "$(FAST)"

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python scripts/check_imports.py
	$(MAKE) --no-print-directory typecheck

## mypy: only findings not in mypy-baseline.txt fail (fix one, then `make types-baseline`).
typecheck: $(STAMP)
	@$(BIN)/mypy | $(BIN)/mypy-baseline filter --baseline-path mypy-baseline.txt --no-colors --hide-stats

types-baseline: $(STAMP)
	-$(BIN)/mypy | $(BIN)/mypy-baseline sync --baseline-path mypy-baseline.txt

## Regenerate docs/commands.md, docs/settings.md, the regression table and the diagrams.
docs: $(STAMP)
	$(BIN)/python scripts/reference_docs.py
	$(BIN)/python scripts/draw_diagrams.py

## Retake the console's screenshots in the browser tests and copy those docs/ shows.
screenshots: $(STAMP)
	rm -rf .screens
	LETTERS_SCREENSHOTS=$(CURDIR)/.screens $(PYTEST) -q -m browser tests/test_web.py
	$(BIN)/python scripts/doc_screenshots.py .screens

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
