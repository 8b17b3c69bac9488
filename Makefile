# Cancellation Review: one command each for set-up, run, test, lint and benchmark.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install install-test assets migrate demo run test test-browser lint format check-deploy bench docs clean serve-prod serve-worker loadtest

help:
	@echo "make run     set everything up (venv, Python and npm packages, database, demo data) and serve on http://$(HOST):$(PORT), with a worker for background jobs"
	@echo "make test    install what the tests need and run the whole suite (DATABASE_URL selects PostgreSQL)"
	@echo "make lint    ruff, the architecture contract, a check that every model change has its migration, and that docs/performance.md is generated"
	@echo "make bench   national-scale benchmarks on PostgreSQL (BENCH_DATABASE_URL); figures in bench/results/"
	@echo "make loadtest  gunicorn on PostgreSQL (LOADTEST_DATABASE_URL) under 20 auditors and 5 supervisors for 60 s; figures in bench/results/"
	@echo "make serve-prod  serve the production way (gunicorn and a jobs worker, PostgreSQL, collected static files) on http://$(HOST):$(PORT)"
	@echo "make serve-worker  one more background-jobs worker with the production settings, on the same database"

# The virtual environment is rebuilt only when requirements change; pip itself is idempotent.
$(BIN)/.requirements: requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.requirements-dev: requirements-dev.txt $(BIN)/.requirements
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

build/static/.built: node_modules/.package-lock.json $(wildcard assets/scss/*.scss assets/css/* assets/js/* assets/images/*)
	rm -rf build/static
	mkdir -p build/static/css build/static/js build/static/images build/static/govuk/assets
	npm run --silent build:css
	cp -R node_modules/govuk-frontend/dist/govuk/assets/images build/static/govuk/assets/
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js build/static/govuk/
	cp assets/js/* build/static/js/
	cp assets/css/* build/static/css/
	cp assets/images/* build/static/images/
	touch $@

install: $(BIN)/.requirements build/static/.built

assets: build/static/.built

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

# The development server and a worker for the background jobs (imports uploaded in the browser), side by side;
# Ctrl-C stops both.
run: demo
	DJANGO_DEBUG=true $(PY) -m config.serve --development $(HOST):$(PORT)

# Debian's Chromium drives the browser tests; Playwright's own browser download is not used.
install-test: install $(BIN)/.requirements-dev
	@command -v chromium >/dev/null || { apt-get update && apt-get install -y chromium; }

test: install-test
	$(BIN)/pytest

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m bench.performance_page --check

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check-deploy: install
	DJANGO_ENV=production DJANGO_SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	DJANGO_ALLOWED_HOSTS=reviews.example.org $(PY) manage.py check --deploy --fail-level WARNING

# The production way on this computer: production settings over plain HTTP on 127.0.0.1 (so no HTTPS redirect
# and no secure-only cookies), PostgreSQL (created if missing), collected static files, gunicorn, and a worker for
# the background jobs beside it (Ctrl-C stops both). `make serve-worker` starts one more worker, alone.
# A secret key is generated for each start unless DJANGO_SECRET_KEY is set; sessions end when it changes.
PROD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cancellation_review
PROD_ENVIRONMENT = export DJANGO_ENV=production DJANGO_DEBUG=false \
	  DJANGO_ALLOWED_HOSTS="$${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost}" \
	  DJANGO_SECURE_SSL_REDIRECT=false DJANGO_SECURE_COOKIES=false \
	  DATABASE_URL="$${DATABASE_URL:-$(PROD_DATABASE_URL)}" \
	  DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')}"
serve-prod: install
	@set -e; \
	$(PROD_ENVIRONMENT); \
	$(PY) -m config.ensure_database; \
	$(PY) manage.py migrate --noinput; \
	$(PY) manage.py collectstatic --noinput --clear -v0; \
	exec $(PY) -m config.serve $(HOST):$(PORT)

serve-worker: install
	@set -e; \
	$(PROD_ENVIRONMENT); \
	exec $(PY) manage.py jobs_worker

# Benchmarks use their own PostgreSQL database, never the tests' or the application's.
bench: install-test
	$(PY) -m bench $(BENCH)
	$(PY) -m bench.performance_page

# docs/performance.md, written from the benchmarks' figures in bench/results/*.json.
docs: install-test
	$(PY) -m bench.performance_page

# gunicorn with the production settings on 127.0.0.1, on a PostgreSQL database of its own, driven from this
# computer only; LOADTEST_SECONDS (at most 600), LOADTEST_PORT, LOADTEST_WORKERS and LOADTEST_THREADS adjust it.
loadtest: install-test
	$(PY) -m bench.loadtest

clean:
	rm -rf $(VENV) node_modules build staticfiles .pytest_cache
