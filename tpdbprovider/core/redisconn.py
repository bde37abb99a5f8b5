"""One Redis connection pool per process, and one outage policy for everything that uses it.

The Django cache (django-redis, through ``SharedPoolConnectionFactory``), the TPDB limiter and breaker, the locks and
the incoming throttles all talk to Redis through ``shared_pool()``: one timeout (``REDIS_TIMEOUT_S``) and one guard.

The guard is a breaker around Redis itself, kept in this process (Redis cannot hold its own outage state). The first
connection error or timeout marks Redis unreachable; for the next ``REDIS_RETRY_INTERVAL_S`` every command fails at
once with ``RedisUnavailableError`` (a ``redis.ConnectionError``, so django-redis ignores it like a refused
connection) instead of waiting on a socket; then one caller probes. A hung Redis therefore costs at most one timeout
per interval. The outage is logged once when it starts, summarised while it lasts, and once when it ends, instead of
one traceback per ignored call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import redis
from django.conf import settings
from django_redis.pool import ConnectionFactory

logger = logging.getLogger(__name__)

SUMMARY_INTERVAL_S = 60.0
REDIS_FAILURES = (redis.ConnectionError, redis.TimeoutError)  # Redis down or hung (the guard has reported it)
_FAILURES = REDIS_FAILURES


class RedisUnavailableError(redis.ConnectionError):
    """Redis is marked unreachable: the command was not sent."""


class RedisGuard:
    """Per-process outage state for Redis (see the module docstring)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._skipped = 0
        self._skipped_total = 0
        self._last_summary = 0.0
        self._prober: int | None = None  # the thread whose command is the probe (connect, send, read all pass)
        self.outages = 0  # outages seen by this process since it started (each one counted when it begins)

    @staticmethod
    def _interval_s() -> float:
        return float(settings.REDIS_RETRY_INTERVAL_S)

    @property
    def is_down(self) -> bool:
        return self._down_since is not None

    def check(self) -> None:
        """Raise ``RedisUnavailableError`` while Redis is marked unreachable; let one probe through per interval."""
        if self._down_since is None:  # the common case: no lock
            return
        with self._lock:
            if self._down_since is None:
                return
            now = self._clock()
            if now >= self._retry_at:
                self._retry_at = now + self._interval_s()  # this caller probes; the others keep skipping
                self._prober = threading.get_ident()
                return
            if self._prober == threading.get_ident():
                return
            self._skipped += 1
            self._skipped_total += 1
            down_for_s = now - self._down_since
            if now - self._last_summary >= SUMMARY_INTERVAL_S:
                logger.warning(
                    "Redis still unreachable after %.0f s; %d calls skipped since the last report",
                    down_for_s,
                    self._skipped,
                )
                self._last_summary, self._skipped = now, 0
        raise RedisUnavailableError(f"Redis marked unreachable {down_for_s:.1f} s ago; command not sent")

    def record_failure(self, exc: BaseException) -> None:
        with self._lock:
            now = self._clock()
            self._retry_at = now + self._interval_s()
            self._prober = None
            if self._down_since is not None:
                return
            self._down_since, self._last_summary, self._skipped, self._skipped_total = now, now, 0, 0
            self.outages += 1
        logger.error(
            "Redis unreachable (%s: %s): serving without the cache, locks, throttles and TPDB calls; retrying every "
            "%g s",
            exc.__class__.__name__,
            exc,
            self._interval_s(),
        )

    def record_success(self) -> None:
        if self._down_since is None:
            return
        with self._lock:
            if self._down_since is None:
                return
            down_for_s = self._clock() - self._down_since
            skipped = self._skipped_total
            self._down_since, self._skipped, self._skipped_total, self._prober = None, 0, 0, None
        logger.warning("Redis reachable again after %.1f s; %d calls were skipped", down_for_s, skipped)

    def state(self) -> dict[str, Any]:
        down_since = self._down_since
        if down_since is None:
            return {"reachable": True}
        return {"reachable": False, "down_for_s": round(self._clock() - down_since, 1)}

    def reset(self) -> None:
        """Forget any outage (tests)."""
        with self._lock:
            self._down_since, self._retry_at, self._skipped, self._skipped_total = None, 0.0, 0, 0
            self._prober, self.outages = None, 0


redis_guard = RedisGuard()


class _Guarded:
    """Connection mixin: fail fast while the guard says Redis is down; report failures and recoveries to it."""

    def connect(self) -> None:
        redis_guard.check()
        try:
            super().connect()  # type: ignore[misc]
        except _FAILURES as exc:
            _report(exc)
            raise

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        redis_guard.check()
        try:
            super().send_packed_command(command, check_health)  # type: ignore[misc]
        except _FAILURES as exc:
            _report(exc)
            raise

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            response = super().read_response(*args, **kwargs)  # type: ignore[misc]
        except _FAILURES as exc:
            _report(exc)
            raise
        redis_guard.record_success()
        return response


def _report(exc: BaseException) -> None:
    if not isinstance(exc, RedisUnavailableError):
        redis_guard.record_failure(exc)


class GuardedConnection(_Guarded, redis.Connection):
    pass


class GuardedSSLConnection(_Guarded, redis.SSLConnection):
    pass


class GuardedUnixConnection(_Guarded, redis.UnixDomainSocketConnection):
    pass


_CONNECTION_CLASSES: dict[str, type[Any]] = {
    "rediss": GuardedSSLConnection,
    "unix": GuardedUnixConnection,
}
_pools: dict[tuple[str, float], redis.ConnectionPool] = {}
_pools_lock = threading.Lock()


def shared_pool(url: str | None = None) -> redis.ConnectionPool:
    """This process's pool for ``url`` (default ``REDIS_URL``), with the one timeout and the guard."""
    url = url or settings.REDIS_URL
    timeout_s = float(settings.REDIS_TIMEOUT_S)
    key = (url, timeout_s)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            connection_class = _CONNECTION_CLASSES.get(urlparse(url).scheme, GuardedConnection)
            pool = redis.ConnectionPool.from_url(
                url, connection_class=connection_class, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
            )
            _pools[key] = pool
        return pool


def redis_client(url: str | None = None) -> redis.Redis:
    """A client on the shared pool (replies are bytes, as django-redis needs them)."""
    return redis.Redis(connection_pool=shared_pool(url))


class SharedPoolConnectionFactory(ConnectionFactory):  # type: ignore[misc,unused-ignore]
    """django-redis connection factory handing out the shared pool (``CACHES[...]["OPTIONS"]["CONNECTION_FACTORY"]``)."""

    def get_or_create_connection_pool(self, params: dict[str, Any]) -> redis.ConnectionPool:
        return shared_pool(params["url"])
