"""Tests: real Postgres/Redis when reachable (see tests/conftest.py), eager Celery, fast hashing."""

from tpdbprovider.env import database_config, test_database_url

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-secret-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DATABASES = {"default": database_config("TEST_DATABASE_URL", test_database_url())}
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
