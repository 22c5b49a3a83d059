# forumwatch: every target works on a fresh machine (it builds .venv first when needed).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench bench-backfill bench-routine bench-serve bench-relevance bench-dedup bench-adaptive bench-alerts bench-search bench-api bench-extraction bench-dates clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: install
	$(BIN)/python -m tests.sites.demo

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install bench-extraction bench-dates bench-relevance bench-dedup bench-backfill bench-routine bench-serve bench-adaptive bench-alerts bench-search bench-api

bench-extraction: install
	$(BIN)/python bench/extraction.py

bench-dates: install
	$(BIN)/python bench/dates.py

bench-dedup: install
	$(BIN)/python bench/dedup.py

bench-relevance: install
	$(BIN)/python bench/relevance.py

bench-backfill: install
	$(BIN)/python bench/backfill.py

bench-routine: install
	$(BIN)/python bench/routine.py

bench-adaptive: install
	$(BIN)/python bench/adaptive.py

bench-serve: install
	$(BIN)/python bench/serve.py

bench-alerts: install
	$(BIN)/python bench/alert_latency.py

bench-search: install
	$(BIN)/python bench/search.py

bench-api: install
	$(BIN)/python bench/api_load.py

clean:
	rm -rf $(VENV) build *.egg-info demo-data
