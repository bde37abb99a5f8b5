# tpdbprovider: every command a person or CI needs. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run worker beat test bench lint fmt typecheck imports dupes up down migrations-check check env

# A developer's or CI's environment: the runtime list plus the test and dev tools (the image installs only the first).
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

env: install
	$(PY) -m tpdbprovider.env --init .env

run: env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py ensure_admin
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py serve

worker: install
	$(VENV)/bin/celery -A tpdbprovider worker --loglevel=INFO

beat: install
	$(VENV)/bin/celery -A tpdbprovider beat --loglevel=INFO

# pytest exits 5 when it collected nothing: say so and fail, an empty suite proves nothing.
test: install
	@$(PY) -m pytest --create-db $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests (exit 5)" >&2; exit 1; fi; exit $$rc

# Accuracy on the in-project corpus, the shared limiter (needs Redis) and the load figures (needs wrk, PostgreSQL and
# Redis). tests/benchmarks/scan_benchmark.py (a first scan through a Celery worker, ~4 min) runs on its own.
bench: install
	$(PY) tests/benchmarks/match_benchmark.py --corpus tests/fixtures/match-corpus
	$(PY) tests/benchmarks/limiter_bench.py
	$(PY) tests/benchmarks/load_bench.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: install
	$(VENV)/bin/mypy tpdbprovider sites scenes movies plexapi

# The import rules (.importlinter): one direction between layers, no cycles between apps, plexapi imports no TPDB.
imports: install
	$(VENV)/bin/lint-imports

dupes:
	duplicates --most 40

migrations-check: install
	DJANGO_SETTINGS_MODULE=tpdbprovider.settings.test $(PY) manage.py makemigrations --check --dry-run

up:
	docker compose -f docker/compose.yml up -d --build

down:
	docker compose -f docker/compose.yml down

check: lint typecheck imports migrations-check test
