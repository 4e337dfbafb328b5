# PlatformCoop — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 4
PYTEST_ARGS ?=
export FLASK_APP := platformcoop

.PHONY: install translations db demo run serve scheduler test test-pg lint format extract-messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,postgres,production]"
	touch $(STAMP)

install: $(STAMP)  ## Create .venv and install the project with its dev extras

# Each catalogue is compiled only when its .po changed, so that `make test` and `make test-pg` may run side by side.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po \
	plugins/*/translations/*/LC_MESSAGES/messages.po tests/sample_plugin/translations/*/LC_MESSAGES/messages.po))

translations: install $(MO_FILES)  ## Compile the gettext catalogues (.po -> .mo, never committed)

%.mo: %.po | install
	$(BIN)/pybabel --quiet compile -i $< -o $@.tmp && mv $@.tmp $@

extract-messages: install  ## Refresh the .pot files (core and each module's) and merge them into the catalogues
	$(BIN)/pybabel --quiet extract -F babel.cfg -k _l --no-location --sort-output -o translations/messages.pot platformcoop templates
	$(BIN)/pybabel --quiet update -i translations/messages.pot -d translations --no-fuzzy-matching
	@for dir in plugins/*/translations; do \
		module=$${dir%/translations}; \
		$(BIN)/pybabel --quiet extract -F babel.cfg -k _l --no-location --sort-output -o $$dir/messages.pot $$module; \
		$(BIN)/pybabel --quiet update -i $$dir/messages.pot -d $$dir --no-fuzzy-matching; \
	done

db: translations  ## Create or upgrade the SQLite database in instance/
	$(BIN)/flask db upgrade heads

demo: db  ## Load the demo territories and accounts (once)
	$(BIN)/flask pc demo

run: demo  ## Install, create the database with demo data, serve on http://127.0.0.1:5000
	@echo "PlatformCoop : http://$(HOST):$(PORT)/  (comptes de démonstration : voir README.md)"
	$(BIN)/flask run --host $(HOST) --port $(PORT)

serve: db  ## As in production: WORKERS gunicorn web processes, no scheduler inside (run `make scheduler` beside)
	@echo "PlatformCoop : http://$(HOST):$(PORT)/  ($(WORKERS) processus web ; lancez aussi « make scheduler »)"
	PLATFORMCOOP_SCHEDULER_IN_PROCESS=false $(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) \
		--access-logfile - "platformcoop:create_app()"

scheduler: db  ## The scheduler process (flask pc scheduler); start several: one acts, the others wait (PostgreSQL)
	$(BIN)/flask pc scheduler

test: translations  ## The whole suite on SQLite (browser tests when Chromium is installed)
	@command -v chromium >/dev/null 2>&1 || echo "*** Chromium absent : les tests dans le navigateur (tests/e2e) seront IGNORÉS. Installez-le : apt-get install chromium ***"
	$(BIN)/pytest $(PYTEST_ARGS)

test-pg: translations  ## The same suite against PostgreSQL ($$PLATFORMCOOP_TEST_DATABASE_URL)
	PLATFORMCOOP_TEST_DATABASE_URL=$${PLATFORMCOOP_TEST_DATABASE_URL:-$(PG_URL)} $(BIN)/pytest $(PYTEST_ARGS)

lint: install  ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
	find . -name '*.mo' -delete
