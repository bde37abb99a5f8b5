"""Shared fixtures: the fake TPDB over real HTTP, a real Redis (skipped with the reason when absent)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.conf import settings
from django.core.cache import cache

from plexapi.responsecache import response_cache_reset
from sites.services import site_index_reset
from tests.fake_tpdb import Catalog, FakeTPDB
from tpdbprovider.core.breaker import reset_breaker
from tpdbprovider.core.cache import cache_service
from tpdbprovider.core.ratelimit import reset_limiter
from tpdbprovider.core.redisconn import redis_guard

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def pytest_report_header(config: pytest.Config) -> list[str]:
    db = settings.DATABASES["default"]
    where = f"{db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or ''}:{db.get('PORT') or ''}/{db.get('NAME')}"
    return [f"tpdbprovider tests: database = {where}", f"tpdbprovider tests: redis = {_redis_state()}"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which database and Redis the run used, also under -q (where the header is not shown)."""
    for line in pytest_report_header(terminalreporter.config):
        terminalreporter.write_line(line)


def _redis_state() -> str:
    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError as exc:
        return f"unreachable at {TEST_REDIS_URL} ({exc.__class__.__name__}): tests marked redis are skipped"
    return TEST_REDIS_URL


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A real Redis database, flushed before and after the test."""
    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis reachable at {TEST_REDIS_URL}: {exc}")
    client.flushdb()
    yield TEST_REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    """Limiter, breaker, Redis outage guard, the memory cache tier, the response cache and the default (locmem) cache
    are per process: every test starts clean. Counters keyed by primary keys (the prefetch's, per site) would
    otherwise carry over on SQLite, which reuses ids after a rollback."""
    cache.clear()
    reset_limiter()
    reset_breaker()
    redis_guard.reset()
    cache_service.reset_memory()
    site_index_reset()
    response_cache_reset()
    yield
    reset_limiter()
    reset_breaker()
    redis_guard.reset()
    cache_service.reset_memory()
    site_index_reset()
    response_cache_reset()


def serve_fake_tpdb(settings: Any, catalog: Catalog) -> Iterator[FakeTPDB]:
    """Run the fake TPDB on ``catalog`` with the client pointed at it (no retries, no rate limit of ours)."""
    with FakeTPDB(catalog) as fake:
        settings.TPDB_BASE_URL = fake.base_url
        settings.TPDB_API_KEY = fake.token
        settings.TPDB_MAX_RETRIES = 0
        settings.TPDB_RATE_LIMIT = 1000.0
        settings.TPDB_RATE_BURST = 1000
        reset_limiter()
        yield fake


@pytest.fixture
def fake_tpdb(settings) -> Iterator[FakeTPDB]:
    """The in-project fake TPDB on 127.0.0.1 serving tests/fixtures/tpdb; the client is pointed at it."""
    yield from serve_fake_tpdb(settings, Catalog.from_fixtures())
