"""Client tests: a roomy in-process limiter and a fresh breaker for every test."""

from __future__ import annotations

import pytest

from tpdbprovider.core.breaker import reset_breaker
from tpdbprovider.core.ratelimit import reset_limiter


@pytest.fixture(autouse=True)
def fresh_limiter_and_breaker(settings):
    settings.TPDB_RATE_LIMIT = 1000.0
    settings.TPDB_RATE_BURST = 1000
    reset_limiter()
    reset_breaker()
    yield
    reset_limiter()
    reset_breaker()
