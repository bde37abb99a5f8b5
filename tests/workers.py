"""A real Celery worker process for the end-to-end and fault tests: Redis broker, production settings, the test
database (PostgreSQL: a worker process cannot share the SQLite test file's open transaction)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection

from tests.fake_tpdb import FakeTPDB

ROOT = Path(__file__).resolve().parent.parent


def worker_database_url() -> str:
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs a database it can share with the test: PostgreSQL is not reachable")
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def celery_worker(
    *, redis_url: str, fake_tpdb: FakeTPDB, pool: list[str], env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[str]]:
    """Start ``celery worker`` with ``pool`` options (``["--pool=solo"]``) and stop it afterwards."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tpdbprovider.settings.production",
        "DJANGO_SECRET_KEY": "worker-test-secret",
        "ADMIN_USERNAME": "worker",
        "ADMIN_PASSWORD": "Worker-test-password-7",
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": redis_url,
        "TPDB_BASE_URL": fake_tpdb.base_url,
        "TPDB_API_KEY": fake_tpdb.token,
        "TPDB_RATE_LIMIT": "50",
        "DJANGO_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    command = [sys.executable, "-m", "celery", "-A", "tpdbprovider", "worker", *pool, "--loglevel=WARNING"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
