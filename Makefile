# opsx developer commands. Needs only Python 3.11+ and make (and npm for the front-end assets).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
TOOLS := var/tools
UV := $(TOOLS)/bin/uv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.8
export UV_PROJECT_ENVIRONMENT := $(VENV)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install assets run serve migrate seed test test-fast lint format bench check smoke audit backup restore clean

help:
	@echo "make run    - set up everything (venv, deps, assets, database, demo data) and serve on http://$(HOST):$(PORT)"
	@echo "make test   - the whole test suite against PostgreSQL and Redis (DATABASE_URL / REDIS_URL override)"
	@echo "make lint   - ruff, Django system checks, missing migrations"
	@echo "make bench  - benchmarks (ratios against a baseline measured in the same run)"
	@echo "make audit  - known vulnerabilities in uv.lock and package-lock.json (says so when it cannot check)"
	@echo "make backup - back up the database to var/backups/ (FILE=... to choose); make restore FILE=... (docs/backups.md)"

$(UV):
	@mkdir -p var
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: $(VENV)/.installed

static/vendor/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed to install the front-end assets (apt-get install npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/@picocss/pico/css/pico.min.css static/vendor/pico.min.css
	@touch $@

assets: static/vendor/.installed

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# With no DATABASE_URL/REDIS_URL the app uses var/opsx.sqlite3 and a file-system Celery broker.
run: export DEBUG ?= 1
run: install assets seed
	@echo
	@echo "  opsx is starting on http://$(HOST):$(PORT)/  (sign in as: admin / opsx-demo, or alice / opsx-demo)"
	@echo
	@trap 'kill 0' EXIT INT TERM; \
	$(VENV)/bin/celery -A opsx worker --beat --loglevel=INFO --concurrency=2 --schedule var/celerybeat-schedule & \
	$(PY) manage.py runserver $(HOST):$(PORT)

serve: export DEBUG ?= 1
serve: install assets
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install assets
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DATABASE_URL=sqlite:///:memory: DJANGO_SETTINGS_MODULE=opsx.settings.test $(PY) manage.py check
	DATABASE_URL=sqlite:///:memory: DJANGO_SETTINGS_MODULE=opsx.settings.test $(PY) manage.py makemigrations --check --dry-run
	DATABASE_URL=sqlite:///:memory: DJANGO_SETTINGS_MODULE=opsx.settings.test $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install assets
	$(PY) -m bench

# pip-audit over uv.lock, npm audit over package-lock.json; fails only on a known vulnerability.
audit: install
	$(PY) scripts/audit.py

# SQLite + file-system broker path, as `make run` uses it, without serving forever.
smoke: install assets
	bash scripts/smoke.sh

# Whole-database backup and restore (pg_dump custom format / pg_restore; a file copy on SQLite). docs/backups.md
backup: export DEBUG ?= 1
backup: install
	$(PY) manage.py backup $(if $(FILE),--output "$(FILE)")

restore: export DEBUG ?= 1
restore: install
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backups/opsx-<time>.dump (into an empty database)"; exit 2; }
	$(PY) manage.py restore "$(FILE)" $(if $(REPLACE),--replace)

clean:
	rm -rf $(VENV) $(TOOLS) node_modules static/vendor staticfiles var/opsx.sqlite3 var/celery
