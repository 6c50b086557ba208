# Every target creates .venv and installs the project when needed: `make run` the sandbox alone (about
# 130 MB), the others with its test tools.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-stamp
STAMP := $(VENV)/.installed-stamp
DOCS_STAMP := $(VENV)/.docs-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
POSTGRES_SUITES := tests/api tests/control tests/webhooks tests/contract tests/ui tests/e2e/test_tenant_links.py \
	tests/reliability/test_replicas.py tests/unit/test_migrations.py

.PHONY: run test ensure-test-tools test-postgres test-plugin-door test-wheel-door test-clients container-smoke lint docs bench clean

$(RUN_STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(RUN_STAMP) ## serve the seeded world on http://127.0.0.1:8000
	$(BIN)/minted-sandbox serve --host $(HOST) --port $(PORT)

# pytest-xdist workers for test and test-postgres: each has session servers of its own. Two take about
# half the time of one on a 2-core machine (CI's); PYTEST_WORKERS=0 runs the suite in this process.
PYTEST_WORKERS ?= 2

# The suite reads the manual back (tests/unit/test_docs.py), so it needs the docs tools too.
test: ensure-test-tools $(DOCS_STAMP) ## the whole suite
	$(BIN)/pytest -n $(PYTEST_WORKERS)

# Chromium (the browser tests), curl (the Digest interop tests) and PostgreSQL's server (replicas,
# test-postgres): installed with apt-get where this user may, else one line saying what to install.
# `make run` does not need them.
ensure-test-tools:
	@scripts/ensure-test-tools

# The store's other engine: every server of these suites on a database of its own, on a PostgreSQL server
# the session starts in a throwaway directory (tests/support/postgres.py).
test-postgres: ensure-test-tools $(STAMP) ## the partner API, control, tenant, webhook and dashboard suites on PostgreSQL
	$(BIN)/pytest -n $(PYTEST_WORKERS) --store postgresql -m "not sqlite" $(POSTGRES_SUITES)

test-plugin-door: $(STAMP) ## tests/api again, its shared server served by the pytest plugin's fixtures
	$(BIN)/pytest tests/api --through-plugin -q

test-wheel-door: $(STAMP) ## build the wheel, install it in a fresh venv elsewhere, run a consumer suite (-n 0 and -n 2)
	scripts/wheel-door

test-clients: $(STAMP) ## generate a Python and a TypeScript client from /openapi.json; every operation typed
	$(BIN)/python scripts/client_door.py

container-smoke: $(STAMP) ## build the image, wait for its HEALTHCHECK, Digest request, compose up with a webhook
	scripts/container-smoke

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

$(DOCS_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP) ## build the manual (docs/, MkDocs) into site/; a broken link or an unknown table fails it
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

bench: $(STAMP) ## wrk load runs (S1-S4, FastAPI floor, Prism) and other measures -> bench/RESULTS.md (~7 min)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .sandbox .pytest_cache .ruff_cache .import_linter_cache .mypy_cache .hypothesis site
