"""Per-client (IP) request limits for the Plex provider endpoints; 429 + Retry-After via our exception handler.

Scopes and settings: ``plex`` = RATE_LIMIT_DEFAULT (every provider endpoint), ``plex_search`` = RATE_LIMIT_SEARCH
(match endpoints, on top of ``plex``). The counters live in the ``default`` cache (Redis when configured).

Sizing for a library scan: PMS is one client (one IP) and scans sequentially, roughly one match request per new item,
then one metadata request per matched item, plus ``children`` pages (20 items each) and ``images``/``extras`` per show
or movie. A first scan of N new files therefore sends about 2-3 x N requests, bounded in time by how fast TPDB answers
(the matcher's TPDB calls are themselves limited to TPDB_RATE_LIMIT, 2/s by default). So:

- ``plex_search`` ≥ the matches per minute TPDB can feed: with 2 TPDB calls/s and 1-2 calls per match, 60-120/min;
  below that the scan stalls on 429s instead of on TPDB. 30/min suits a small library or a trickle of new files.
- ``plex`` ≥ 4 x ``plex_search``: metadata/children/images are served from the database and are cheap, so a
  metadata refresh of a whole library (which sends no matches) can run at several requests per second, e.g. 600/min.

A 429 makes PMS skip the item until the next scan or refresh, so size generously; the limits only guard against
runaway clients. Rates are read on every request, so overriding REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] applies.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView


class PlexRateThrottle(SimpleRateThrottle):
    """Every provider endpoint, keyed on the client IP (Plex sends no credentials)."""

    scope = "plex"

    def get_rate(self) -> str | None:
        # DRF binds THROTTLE_RATES at import; read the live setting instead so overrides (and tests) take effect.
        rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
        rate = rates.get(self.scope)
        return str(rate) if rate else None

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PlexSearchRateThrottle(PlexRateThrottle):
    """Match endpoints only: each match may call TPDB, so it gets a tighter budget of its own."""

    scope = "plex_search"
