"""Tests: real Postgres/Redis when reachable (see tests/conftest.py), eager Celery, fast hashing."""

import hashlib
import tempfile
from pathlib import Path

from tpdbprovider.env import BASE_DIR, database_config, sqlite_options, test_database_url

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-secret-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DATABASES = {"default": database_config("TEST_DATABASE_URL", test_database_url())}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, as users run it (WAL, busy timeout, BEGIN IMMEDIATE), never in-memory: threads and subprocesses in the
    # concurrency and load tests share it. One per checkout, recreated by `make test` (--create-db).
    checkout = hashlib.sha1(str(BASE_DIR).encode()).hexdigest()[:8]
    DATABASES["default"]["OPTIONS"] = sqlite_options(busy_timeout_s=30.0)
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"tpdbprovider-test-{checkout}.sqlite3")}
REDIS_URL = ""
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
TASKS_IN_BACKGROUND_THREAD = False  # tests see queued work done when the transaction commits
TPDB_BASE_URL = "https://tpdb.test"
TPDB_API_KEY = "test-api-key-0123456789"
TPDB_MAX_RETRIES = 2
TPDB_DEFAULT_RETRY_AFTER_S = 1.0
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "test-admin-password"
LOG_JSON = False
PLEX_SERVER_ADDRESSES = list[str]()  # the test client is 127.0.0.1: throttle tests need it counted like any client
