# tpdbprovider: every command a person or CI needs. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run worker beat test test-sqlite test-postgres bench lint fmt typecheck imports dupes up down migrations-check check env

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

# The suite runs twice. First on SQLite with nothing else reachable, as `make run` serves a new user (no Redis: the
# Redis URL points at a closed port; as root, inside a network namespace with loopback only). Then on PostgreSQL with
# Redis, when PostgreSQL answers (REQUIRE_POSTGRES=1, as .ci/run sets, fails instead of skipping that leg). Each leg
# recreates its test database and flushes its Redis database (TEST_REDIS_URL, db 15 by default).
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# pytest exits 5 when it collected nothing: say so and fail, an empty suite proves nothing.
PYTEST_RUN = $(PY) -m pytest --create-db $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests (exit 5)" >&2; exit 1; fi; exit $$rc

test: test-sqlite test-postgres

test-sqlite: install
	@echo "== tests on SQLite, no Redis, nothing else reachable =="
	@if [ "$$(id -u)" = 0 ] && command -v ip >/dev/null && unshare -n true 2>/dev/null; then \
	  TEST_DATABASE_URL=sqlite:///tpdbprovider-test.sqlite3 TEST_REDIS_URL=redis://127.0.0.1:1/0 \
	    unshare -n sh -c 'ip link set lo up && $(PYTEST_RUN)'; \
	else \
	  TEST_DATABASE_URL=sqlite:///tpdbprovider-test.sqlite3 TEST_REDIS_URL=redis://127.0.0.1:1/0 sh -c '$(PYTEST_RUN)'; \
	fi

test-postgres: install
	@echo "== tests on PostgreSQL ($(TEST_POSTGRES_URL)) with Redis ($(TEST_REDIS_URL)) =="
	@if ! $(PY) -c "import psycopg,sys; psycopg.connect('$(TEST_POSTGRES_URL)', dbname='postgres', connect_timeout=2).close()" 2>/dev/null; then \
	  if [ -n "$(REQUIRE_POSTGRES)" ]; then echo "PostgreSQL is not reachable at $(TEST_POSTGRES_URL)" >&2; exit 1; fi; \
	  echo "skipped: no PostgreSQL server at $(TEST_POSTGRES_URL) (set TEST_POSTGRES_URL, or REQUIRE_POSTGRES=1 to fail)"; exit 0; \
	fi; \
	TEST_DATABASE_URL=$(TEST_POSTGRES_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) sh -c '$(PYTEST_RUN)'

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
