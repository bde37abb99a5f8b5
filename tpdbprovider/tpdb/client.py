"""The only HTTP client for TPDB: one pooled Session, one ``_request()``, typed errors, retries inside a time budget.

Create one client per unit of work (a web request, a task): ``budget_s`` is the total time that client may spend
waiting on TPDB, limiter waits and retry sleeps included. Inside a web request every interactive client shares the
request's one budget (``tpdbprovider.core.budget``). Redis unreachable (no shared limiter or breaker) fails every call
as ``TPDBUnavailableError`` before any HTTP.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from tpdbprovider.core.breaker import CircuitBreaker, get_breaker
from tpdbprovider.core.budget import current_request_lane, remaining_budget_s
from tpdbprovider.core.logging import count_tpdb_ask, count_tpdb_call
from tpdbprovider.core.ratelimit import LANES, RateLimitTimeout, TokenBucket, get_limiter
from tpdbprovider.core.redisconn import RedisUnavailableError
from tpdbprovider.tpdb.errors import (
    TPDBConfigurationError,
    TPDBError,
    TPDBNotFoundError,
    TPDBRateLimitError,
    TPDBUnavailableError,
)
from tpdbprovider.tpdb.schemas import TPDBPage, TPDBPerformer, TPDBScene, TPDBSite, usable_or_raise

logger = logging.getLogger(__name__)

T = TypeVar("T")
BACKGROUND_BUDGET_S = 600.0  # Celery and commands can wait; web requests get settings.TPDB_WEB_BUDGET_S
BACKOFF_BASE_S = 1.0
BACKOFF_MAX_S = 120.0
RETRY_AFTER_MAX_S = 3600.0


def _new_session() -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)  # retries are ours, not urllib3's
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


_SESSION = _new_session()


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), clamped to [0, 1 h]; None if absent."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - dt.datetime.now(dt.UTC)).total_seconds()
    return min(max(seconds, 0.0), RETRY_AFTER_MAX_S)


def _error_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "no JSON message"
    message = body.get("message") if isinstance(body, dict) else None
    return str(message)[:200] if message else "no message"


class TPDBClient:
    """Typed TPDB calls. Never caches (services decide what to cache)."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        lane: str = "interactive",
        budget_s: float,
        limiter: TokenBucket,
        breaker: CircuitBreaker,
        connect_timeout_s: float,
        read_timeout_s: float,
        max_retries: int,
        default_retry_after_s: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if lane not in LANES:
            raise ValueError(f"unknown lane {lane!r}")
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.lane = lane
        self.budget_s = float(budget_s)
        self.limiter = limiter
        self.breaker = breaker
        self.connect_timeout_s = connect_timeout_s
        self.read_timeout_s = read_timeout_s
        self.max_retries = max_retries
        self.default_retry_after_s = default_retry_after_s
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter
        self._deadline: float | None = None

    def __repr__(self) -> str:
        return f"TPDBClient(base_url={self.base_url!r}, lane={self.lane!r}, budget_s={self.budget_s!r})"

    @property
    def remaining_budget_s(self) -> float:
        if self._deadline is None:
            return self.budget_s
        return max(self._deadline - self._clock(), 0.0)

    # --- scenes ---------------------------------------------------------------------------------------------------

    def search_scenes(
        self,
        q: str | None = None,
        parse: str | None = None,
        site: str | None = None,
        site_id: int | None = None,
        date: dt.date | str | None = None,
        year: int | None = None,
        page: int = 1,
        per_page: int = 25,
    ) -> TPDBPage[TPDBScene]:
        # Reference: https://api.theporndb.net/docs#scenes-GETscenes
        params = {"q": q, "parse": parse, "site": site, "site_id": site_id, "date": _iso(date), "year": year}
        return self._page("/scenes", {**params, "page": page, "per_page": per_page}, TPDBScene.from_json)

    def get_scene(self, id: str | int) -> TPDBScene:
        # Reference: https://api.theporndb.net/docs#scenes-GETscenes--id-
        path = f"/scenes/{_segment(id)}"
        return usable_or_raise(TPDBScene.from_json(self._detail(path)), path=path)

    def get_scene_by_hash(self, hash: str, hash_type: str = "OSHASH") -> TPDBScene:
        """A scene by file fingerprint; an unknown hash (404, ``data: null`` or ``[]``) raises TPDBNotFoundError."""
        # Reference: https://api.theporndb.net/docs#scenes-GETscenes-hash--hash-
        path = f"/scenes/hash/{_segment(hash)}"
        return usable_or_raise(TPDBScene.from_json(self._detail(path, {"hashType": hash_type})), path=path)

    def get_site_scenes(
        self,
        site_id: int,
        page: int = 1,
        per_page: int = 100,
        year: int | None = None,
        is_newest_first: bool = False,
        is_oldest_first: bool = False,
    ) -> TPDBPage[TPDBScene]:
        """A site's scenes via ``/scenes?site_id=`` (tpdb-api.md §2.5); ``year`` sends ``year`` plus a date floor;
        ``is_newest_first`` orders them by release date, newest first (``orderBy=recently_released``, §2.1),
        ``is_oldest_first`` oldest first (``former_released``)."""
        # Reference: https://api.theporndb.net/docs#scenes-GETscenes
        params: dict[str, Any] = {"site_id": site_id, "page": page, "per_page": per_page}
        if year is not None:
            params.update({"year": year, "date": f"{year:04d}-01-01", "date_operation": ">="})
        if is_newest_first:
            params["orderBy"] = "recently_released"
        elif is_oldest_first:
            params["orderBy"] = "former_released"
        return self._page("/scenes", params, TPDBScene.from_json)

    # --- sites ----------------------------------------------------------------------------------------------------

    def search_sites(self, q: str, page: int = 1, per_page: int = 25) -> TPDBPage[TPDBSite]:
        # Reference: https://api.theporndb.net/docs#sites-GETsites
        return self._page("/sites", {"q": q, "page": page, "per_page": per_page}, TPDBSite.from_json)

    def list_sites(self, page: int = 1, per_page: int = 100) -> TPDBPage[TPDBSite]:
        """Every site, one page at a time (for the site sync)."""
        # Reference: https://api.theporndb.net/docs#sites-GETsites
        return self._page("/sites", {"page": page, "per_page": per_page}, TPDBSite.from_json)

    def get_site(self, id: str | int) -> TPDBSite:
        """A site by numeric id or uuid."""
        # Reference: https://api.theporndb.net/docs#sites-GETsites--id-
        path = f"/sites/{_segment(id)}"
        return usable_or_raise(TPDBSite.from_json(self._detail(path)), path=path)

    # --- movies ---------------------------------------------------------------------------------------------------

    def search_movies(self, q: str, year: int | None = None, page: int = 1, per_page: int = 25) -> TPDBPage[TPDBScene]:
        # Reference: https://api.theporndb.net/docs#movies-GETmovies
        return self._page("/movies", {"q": q, "year": year, "page": page, "per_page": per_page}, TPDBScene.from_json)

    def get_movie(self, id: str | int) -> TPDBScene:
        # Reference: https://api.theporndb.net/docs#movies-GETmovies--id-
        path = f"/movies/{_segment(id)}"
        return usable_or_raise(TPDBScene.from_json(self._detail(path)), path=path)

    # --- performers -----------------------------------------------------------------------------------------------

    def search_performers(self, q: str, page: int = 1, per_page: int = 25) -> TPDBPage[TPDBPerformer]:
        # Reference: https://api.theporndb.net/docs#performers-GETperformers
        return self._page("/performers", {"q": q, "page": page, "per_page": per_page}, TPDBPerformer.from_json)

    def get_performer(self, id: str | int) -> TPDBPerformer:
        # Reference: https://api.theporndb.net/docs#performers-GETperformers--id-
        path = f"/performers/{_segment(id)}"
        return usable_or_raise(TPDBPerformer.from_json(self._detail(path)), path=path)

    # --- plumbing -------------------------------------------------------------------------------------------------

    def _page(self, path: str, params: Mapping[str, Any], parse_item: Callable[[dict[str, Any]], T]) -> TPDBPage[T]:
        body = self._request(path, params)
        if not isinstance(body["data"], list):
            raise TPDBUnavailableError(f"TPDB answered {path} with an object where a list was expected")
        return TPDBPage.from_json(body, parse_item)

    def _detail(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        data = self._request(path, params)["data"]
        if isinstance(data, dict) and data:
            return data
        if data in (None, [], {}):
            raise TPDBNotFoundError(f"TPDB has no {path} (empty data)")
        raise TPDBUnavailableError(f"TPDB answered {path} with a list where an object was expected")

    def _request(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """GET ``path``; returns the JSON body (a dict with ``data``). Maps every failure to a TPDBError."""
        count_tpdb_ask()
        if not self._api_key:
            raise TPDBConfigurationError("TPDB_API_KEY is not set")
        if self._deadline is None:
            self._deadline = self._clock() + self.budget_s
        if self.remaining_budget_s <= 0:
            raise TPDBUnavailableError("This request's TPDB time budget is spent; not calling TPDB")
        query = {k: v for k, v in (params or {}).items() if v is not None and v != ""}
        attempt = 0
        while True:
            self._admit(path)
            try:
                return self._send(path, query, attempt)
            except (TPDBRateLimitError, TPDBUnavailableError) as exc:
                wait_s = self._retry_wait(exc, attempt)
                if isinstance(exc, TPDBRateLimitError):
                    self.limiter.block_for(wait_s)  # every process backs off, not only this one
                if attempt >= self.max_retries:
                    raise
                if wait_s > self.remaining_budget_s:
                    logger.warning(
                        "TPDB retry would exceed the budget, giving up",
                        extra={"path": path, "wait_s": round(wait_s, 2), "budget_s": self.budget_s},
                    )
                    raise
                self._sleep(wait_s)
                attempt += 1

    def _admit(self, path: str) -> None:
        """Breaker first (fail fast, no HTTP), then one limiter token in this client's lane, within the budget."""
        try:
            if not self.breaker.allow():
                raise TPDBUnavailableError("TPDB circuit breaker is open after repeated failures; not calling TPDB")
            self.limiter.acquire(lane=self.lane, max_wait_s=self.remaining_budget_s)
        except RedisUnavailableError:
            raise TPDBUnavailableError("Redis is unreachable (no shared rate limit); not calling TPDB") from None
        except RateLimitTimeout as exc:
            logger.warning("No TPDB rate-limit token within the budget", extra={"path": path, "wait_s": exc.wait_s})
            raise TPDBRateLimitError(
                f"No TPDB rate-limit token within the {self.budget_s:g}s budget", retry_after=exc.wait_s
            ) from None

    def _retry_wait(self, exc: TPDBError, attempt: int) -> float:
        """max(Retry-After, jittered exponential backoff)."""
        backoff_s = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2.0**attempt) * (0.5 + self._jitter())
        retry_after_s = float(exc.retry_after) if isinstance(exc, TPDBRateLimitError) else 0.0
        return max(retry_after_s, backoff_s)

    def _send(self, path: str, query: Mapping[str, Any], attempt: int) -> dict[str, Any]:
        """One HTTP attempt."""
        count_tpdb_call()
        self.breaker.record_call()
        read_timeout_s = min(self.read_timeout_s, max(self.remaining_budget_s, 1.0))
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Accept": "application/json",
            "User-Agent": f"tpdbprovider/{settings.APP_VERSION}",
        }
        started = time.perf_counter()
        log_extra: dict[str, Any] = {"path": path, "attempt": attempt, "lane": self.lane}
        try:
            response = _SESSION.get(
                f"{self.base_url}{path}",
                params=query,
                headers=headers,
                timeout=(self.connect_timeout_s, read_timeout_s),
            )
        except requests.Timeout:
            raise self._unavailable(
                f"TPDB timed out (connect {self.connect_timeout_s}s / read {read_timeout_s:g}s)", log_extra
            ) from None
        except requests.ConnectionError:
            raise self._unavailable(
                "Could not connect to TPDB (connection refused or DNS failure)", log_extra
            ) from None
        except requests.RequestException as exc:
            raise self._unavailable(f"TPDB request failed ({exc.__class__.__name__})", log_extra) from None
        status = response.status_code
        log_extra.update(status=status, ms=round((time.perf_counter() - started) * 1000, 1))
        if status >= 500:
            raise self._unavailable(f"TPDB server error (HTTP {status})", log_extra, status)
        if status >= 300:
            self.breaker.record_success()  # TPDB is up; the request itself was refused
            raise self._client_error(response, path, log_extra)
        try:
            body = response.json()
        except ValueError:
            raise self._unavailable(
                f"TPDB answered HTTP {status} with a non-JSON body (an outage or parking page?)", log_extra, status
            ) from None
        if not isinstance(body, dict) or "data" not in body:
            raise self._unavailable(
                f"TPDB answered HTTP {status} without a 'data' key (not a TPDB response)", log_extra, status
            )
        self.breaker.record_success()
        logger.debug("TPDB %s", path, extra=log_extra)
        return body

    def _unavailable(self, message: str, log_extra: dict[str, Any], status: int | None = None) -> TPDBUnavailableError:
        self.breaker.record_failure(message)
        logger.warning("TPDB unavailable: %s", message, extra=log_extra)
        return TPDBUnavailableError(message, status)

    def _client_error(self, response: requests.Response, path: str, log_extra: dict[str, Any]) -> TPDBError:
        status = response.status_code
        error: TPDBError
        if status == 404:
            logger.info("TPDB has no %s", path, extra=log_extra)
            return TPDBNotFoundError(f"TPDB has no {path}")
        if status == 429:
            header = parse_retry_after(response.headers.get("Retry-After"))
            retry_after_s = self.default_retry_after_s if header is None else header
            error = TPDBRateLimitError(
                f"TPDB rate limit hit (HTTP 429); retry after {retry_after_s:g}s", retry_after=retry_after_s
            )
        elif status in (401, 403):
            error = TPDBConfigurationError(
                f"TPDB rejected the API token (HTTP {status}); check TPDB_API_KEY", status_code=status
            )
        else:
            error = TPDBError(f"TPDB refused the request (HTTP {status}): {_error_message(response)}", status)
        self.breaker.record_error(error.message, kind=str(status))
        logger.warning("TPDB error: %s", error.message, extra=log_extra)
        return error


def _segment(value: str | int) -> str:
    return quote(str(value).strip(), safe="")


def _iso(value: dt.date | str | None) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else value


def tpdb_client(*, lane: str = "interactive", budget_s: float | None = None) -> TPDBClient:
    """A client for one unit of work. lane: "interactive" (Plex, admin; inside a web request, that request's own lane:
    ``manual``, ``interactive`` or ``read``) or "background" (Celery, commands)."""
    if lane == "interactive":
        lane = current_request_lane() or lane
    if budget_s is None and lane == "interactive":
        budget_s = remaining_budget_s()  # what is left of this web request's one budget
    if budget_s is None:
        budget_s = settings.TPDB_WEB_BUDGET_S if lane == "interactive" else BACKGROUND_BUDGET_S
    return TPDBClient(
        api_key=settings.TPDB_API_KEY,
        base_url=settings.TPDB_BASE_URL,
        lane=lane,
        budget_s=budget_s,
        limiter=get_limiter(),
        breaker=get_breaker(),
        connect_timeout_s=settings.TPDB_CONNECT_TIMEOUT_S,
        read_timeout_s=settings.TPDB_READ_TIMEOUT_S,
        max_retries=settings.TPDB_MAX_RETRIES,
        default_retry_after_s=settings.TPDB_DEFAULT_RETRY_AFTER_S,
    )
