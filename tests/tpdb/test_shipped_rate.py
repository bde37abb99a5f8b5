"""The shipped TPDB bucket against a TPDB that allows 4 calls a second (its reported 240 a minute), burst 4."""

from __future__ import annotations

import concurrent.futures
import contextlib

import pytest

from tests.fake_tpdb import FakeTPDB
from tpdbprovider.core.ratelimit import reset_limiter
from tpdbprovider.settings import base as shipped
from tpdbprovider.tpdb.client import tpdb_client
from tpdbprovider.tpdb.errors import TPDBError

CALLS = 12


def tpdb_429s(settings, *, rate: float, burst: int) -> int:
    """Send CALLS site-list calls, two at a time as Plex does, through a bucket of ``rate`` and ``burst``; TPDB's 429s."""
    with FakeTPDB(rate=4) as fake:
        settings.TPDB_BASE_URL = fake.base_url
        settings.TPDB_API_KEY = fake.token
        settings.TPDB_MAX_RETRIES = 0
        settings.TPDB_RATE_LIMIT = rate
        settings.TPDB_RATE_BURST = burst
        reset_limiter()

        def call(_: int) -> None:
            with contextlib.suppress(TPDBError):  # a 429 is counted by the fake
                tpdb_client(lane="background", budget_s=30).list_sites()

        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(call, range(CALLS)))
        return fake.stats()["rate_limited"]


@pytest.mark.slow
def test_the_shipped_rate_and_burst_never_meet_tpdbs_429(settings):
    assert tpdb_429s(settings, rate=shipped.TPDB_RATE_LIMIT, burst=shipped.TPDB_RATE_BURST) == 0


@pytest.mark.slow
def test_a_burst_deeper_than_one_second_of_tpdb_meets_its_429(settings):
    assert tpdb_429s(settings, rate=shipped.TPDB_RATE_LIMIT, burst=8) > 0
