"""Per-client (IP) request limits for the Plex provider endpoints; 429 + Retry-After via our exception handler.

Scopes and settings: ``plex`` = RATE_LIMIT_DEFAULT (every provider endpoint), ``plex_search`` = RATE_LIMIT_SEARCH
(match endpoints, on top of ``plex``; a refused match counts against neither). The counters live in the ``default``
cache (Redis when configured).

Sizing for a library scan: PMS is one client (one IP) and scans sequentially, roughly one match request per new item,
then one metadata request per matched item, plus ``children`` pages (20 items each) and ``images``/``extras`` per show
or movie. A first scan of N new files therefore sends about 2-3 x N requests, bounded in time by how fast TPDB answers
(the matcher's TPDB calls are themselves limited to TPDB_RATE_LIMIT, 2/s by default). So:

- ``plex_search`` ≥ the matches per minute TPDB can feed: with 2 TPDB calls/s and 1-2 calls per match, 60-120/min;
  below that the scan stalls on 429s instead of on TPDB. 30/min suits a small library or a trickle of new files.
- ``plex`` ≥ 4 x ``plex_search``: metadata/children/images are served from the database and are cheap, so a
  metadata refresh of a whole library (which sends no matches) can run at several requests per second, e.g. 600/min.

A 429 makes PMS skip the item until the next scan or refresh, so Plex's own address is never throttled at all:
PLEX_SERVER_ADDRESSES (default: loopback and the private ranges a home network or Docker uses) bypasses both scopes.
Its cost upstream is still bounded by the shared TPDB bucket (TPDB_RATE_LIMIT), which every request waits on. The
limits apply to every other client (a public address, or any client behind a proxy with DJANGO_NUM_PROXIES set), and
only guard against runaway or hostile clients. Rates are read on every request, so overriding REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] applies.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, ClassVar

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from tpdbprovider.core.redisconn import REDIS_FAILURES
from tpdbprovider.core.security import is_plex_server
from tpdbprovider.core.throttling import Limit, sliding_window_hit

logger = logging.getLogger(__name__)

_PERIODS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class PlexRateThrottle(BaseThrottle):
    """Every provider endpoint, keyed on the client IP (Plex sends no credentials).

    Sliding-window counters (``tpdbprovider.core.throttling``) instead of DRF's list of timestamps, which is read and
    rewritten whole on each request: a request now costs the same at 100/min as at 100,000/min, one Redis round trip
    however many scopes apply, and processes cannot lose each other's counts.
    """

    scopes: ClassVar[tuple[str, ...]] = ("plex",)
    timer: Callable[[], float] = time.time

    def allow_request(self, request: Request, view: APIView | None) -> bool:
        ident = self.get_ident(request)
        if is_plex_server(ident):
            return True  # Plex's own scan is never refused; the TPDB bucket still paces what it costs upstream
        limits = [limit for scope in self.scopes if (limit := _limit(scope, ident)) is not None]
        if not limits:
            return True
        try:
            self._verdict = sliding_window_hit(limits, now=self.timer())
        except REDIS_FAILURES:  # Redis unreachable (reported once by its guard): serving Plex matters more
            return True
        except Exception:  # anything else from the counters: serving Plex still matters more than counting it
            logger.warning("Throttle counters unreachable; request admitted uncounted", exc_info=True)
            return True
        return self._verdict.refused is None

    def wait(self) -> float | None:
        return self._verdict.wait_s


class PlexSearchRateThrottle(PlexRateThrottle):
    """Match endpoints: the ``plex`` limit plus ``plex_search``, since each match may call TPDB."""

    scopes = ("plex", "plex_search")


def _limit(scope: str, ident: str) -> Limit | None:
    """The scope's rate ("100/min") from the live settings (DRF binds them at import; overrides must apply)."""
    rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
    rate = rates.get(scope)
    if not rate:
        return None
    requests, period = str(rate).split("/")
    return Limit(key=f"throttle_{scope}_{ident}", requests=int(requests), period_s=_PERIODS_S[period[0]])
