"""Circuit breaker for TPDB, plus the recent-error log and call counters the health and admin pages show.

closed: calls pass; ``TPDB_BREAKER_THRESHOLD`` consecutive failures open it for ``TPDB_BREAKER_COOLDOWN_S``.
open: calls fail at once. When the cooldown ends the next caller gets the single probe (half_open); the probe's
success closes the breaker, its failure re-opens it. A probe that never reports is replaced after one cooldown.

State lives in Redis (one hash changed by one atomic Lua script, clock from Redis ``TIME``) when ``REDIS_URL`` is
set, so every process sees the same breaker; otherwise in this process. Redis unreachable: ``allow()`` raises
``RedisUnavailableError`` (the client turns it into "TPDB unavailable"); the bookkeeping calls skip quietly, since the
shared pool's guard already reports the outage.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings

from tpdbprovider.core.redisconn import RedisUnavailableError, redis_client

logger = logging.getLogger(__name__)

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
KEY_PREFIX = "tpdbprovider:breaker"
RECENT_ERRORS_MAX = 20
_MINUTE_S = 60


class CircuitBreaker(ABC):
    """Shared breaker state machine; subclasses store it."""

    def __init__(self, *, threshold: int, cooldown_s: float) -> None:
        self.threshold = max(int(threshold), 1)
        self.cooldown_s = float(cooldown_s)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(threshold={self.threshold}, cooldown_s={self.cooldown_s})"

    @abstractmethod
    def allow(self) -> bool:
        """True when a call may go out now (closed, or this caller holds the half-open probe)."""

    @abstractmethod
    def record_success(self) -> None:
        """TPDB answered: close the breaker and reset the failure count."""

    @abstractmethod
    def _record_failure(self) -> None: ...

    @abstractmethod
    def state(self) -> dict[str, Any]:
        """``{"state", "failures", "opened_until"}`` (opened_until is unix time or None) for /health."""

    @abstractmethod
    def _push_error(self, entry: dict[str, Any]) -> None: ...

    @abstractmethod
    def recent_errors(self) -> list[dict[str, Any]]:
        """The last few errors, newest first: ``{"at": unix time, "kind", "message"}``."""

    @abstractmethod
    def record_call(self) -> None:
        """Count one HTTP attempt towards ``calls_last_hour``."""

    @abstractmethod
    def calls_last_hour(self) -> int:
        """HTTP attempts in the last 60 minutes (minute resolution)."""

    def record_failure(self, message: str, *, kind: str = "unavailable") -> None:
        """TPDB is unavailable: count a consecutive failure (may open the breaker) and log the error."""
        self._record_failure()
        self.record_error(message, kind=kind)

    def record_error(self, message: str, *, kind: str) -> None:
        """Remember an error for the admin page without touching the breaker (429, 401, …)."""
        self._push_error({"at": round(time.time(), 3), "kind": kind, "message": message[:300]})


class InProcessCircuitBreaker(CircuitBreaker):
    """Breaker for one process, under a lock."""

    def __init__(self, *, threshold: int, cooldown_s: float, clock: Callable[[], float] = time.time) -> None:
        super().__init__(threshold=threshold, cooldown_s=cooldown_s)
        self._clock = clock
        self._lock = threading.Lock()
        self._state = CLOSED
        self._failures = 0
        self._opened_until = 0.0
        self._probe_until = 0.0
        self._errors: deque[dict[str, Any]] = deque(maxlen=RECENT_ERRORS_MAX)
        self._calls: dict[int, int] = {}

    def allow(self) -> bool:
        with self._lock:
            now = self._clock()
            if self._state == CLOSED:
                return True
            if self._state == OPEN and now < self._opened_until:
                return False
            if self._state == HALF_OPEN and now < self._probe_until:
                return False
            self._state = HALF_OPEN
            self._probe_until = now + self.cooldown_s
            return True

    def record_success(self) -> None:
        with self._lock:
            self._state, self._failures, self._opened_until, self._probe_until = CLOSED, 0, 0.0, 0.0

    def _record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._state == HALF_OPEN or self._failures >= self.threshold:
                if self._state != OPEN:
                    logger.warning("TPDB circuit breaker opened", extra={"failures": self._failures})
                self._state = OPEN
                self._opened_until = self._clock() + self.cooldown_s

    def state(self) -> dict[str, Any]:
        with self._lock:
            state = self._state
            if state == OPEN and self._clock() >= self._opened_until:
                state = HALF_OPEN  # the next call will be the probe
            return {
                "state": state,
                "failures": self._failures,
                "opened_until": self._opened_until if self._state != CLOSED else None,
            }

    def _push_error(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._errors.appendleft(entry)

    def recent_errors(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._errors)

    def record_call(self) -> None:
        minute = int(self._clock() // _MINUTE_S)
        with self._lock:
            self._calls[minute] = self._calls.get(minute, 0) + 1
            for old in [m for m in self._calls if m <= minute - 60]:
                del self._calls[old]

    def calls_last_hour(self) -> int:
        minute = int(self._clock() // _MINUTE_S)
        with self._lock:
            return sum(count for m, count in self._calls.items() if m > minute - 60)


# KEYS[1] state hash. ARGV: op ("allow" | "success" | "failure" | "state"), threshold, cooldown seconds.
# Returns {allowed 0/1, state, failures, opened_until} (numbers as strings so Lua cannot truncate them).
_LUA = """
local key = KEYS[1]
local op = ARGV[1]
local threshold = tonumber(ARGV[2])
local cooldown = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local h = redis.call('HMGET', key, 'state', 'failures', 'opened_until', 'probe_until')
local state = h[1] or 'closed'
local failures = tonumber(h[2]) or 0
local opened_until = tonumber(h[3]) or 0
local probe_until = tonumber(h[4]) or 0
local allowed = 0
if op == 'allow' then
  if state == 'closed' then
    allowed = 1
  elseif (state == 'open' and now < opened_until) or (state == 'half_open' and now < probe_until) then
    allowed = 0
  else
    state = 'half_open'
    probe_until = now + cooldown
    allowed = 1
  end
elseif op == 'success' then
  state = 'closed'
  failures = 0
  opened_until = 0
  probe_until = 0
elseif op == 'failure' then
  failures = failures + 1
  if state == 'half_open' or failures >= threshold then
    state = 'open'
    opened_until = now + cooldown
  end
elseif op == 'state' then
  if state == 'open' and now >= opened_until then
    state = 'half_open'
  end
  return {0, state, tostring(failures), string.format('%.6f', opened_until)}
end
redis.call('HSET', key, 'state', state, 'failures', tostring(failures),
  'opened_until', string.format('%.6f', opened_until), 'probe_until', string.format('%.6f', probe_until))
return {allowed, state, tostring(failures), string.format('%.6f', opened_until)}
"""


class RedisCircuitBreaker(CircuitBreaker):
    """Breaker shared through Redis, on the process's shared pool (see the module docstring for an outage)."""

    def __init__(self, *, url: str, threshold: int, cooldown_s: float, namespace: str = "tpdb") -> None:
        super().__init__(threshold=threshold, cooldown_s=cooldown_s)
        self._prefix = f"{KEY_PREFIX}:{namespace}"
        self._redis = redis_client(url)
        self._script = self._redis.register_script(_LUA)

    def _run(self, op: str) -> list[str]:
        result = self._script(keys=[f"{self._prefix}:state"], args=[op, self.threshold, self.cooldown_s])
        return [item.decode() if isinstance(item, bytes) else str(item) for item in result]

    def allow(self) -> bool:
        try:
            return bool(int(self._run("allow")[0]))
        except redis.RedisError as exc:
            raise RedisUnavailableError(f"TPDB breaker state unreadable ({exc.__class__.__name__})") from exc

    def record_success(self) -> None:
        with contextlib.suppress(redis.RedisError):  # the guard reports the outage
            self._run("success")

    def _record_failure(self) -> None:
        try:
            state = self._run("failure")[1]
        except redis.RedisError:
            return
        if state == OPEN:
            logger.warning("TPDB circuit breaker open", extra={"cooldown_s": self.cooldown_s})

    def state(self) -> dict[str, Any]:
        try:
            _, state, failures, opened_until = self._run("state")
        except redis.RedisError as exc:
            return {"state": "unknown", "failures": None, "opened_until": None, "error": exc.__class__.__name__}
        until = float(opened_until)
        return {"state": state, "failures": int(failures), "opened_until": until if until > 0 else None}

    def _push_error(self, entry: dict[str, Any]) -> None:
        key = f"{self._prefix}:errors"
        with contextlib.suppress(redis.RedisError):
            pipe = self._redis.pipeline()
            pipe.lpush(key, json.dumps(entry))
            pipe.ltrim(key, 0, RECENT_ERRORS_MAX - 1)
            pipe.execute()

    def recent_errors(self) -> list[dict[str, Any]]:
        try:
            raw = self._redis.lrange(f"{self._prefix}:errors", 0, RECENT_ERRORS_MAX - 1)
        except redis.RedisError:
            return []
        return [json.loads(item) for item in raw]

    def _minute_key(self, minute: int) -> str:
        return f"{self._prefix}:calls:{minute}"

    def record_call(self) -> None:
        key = self._minute_key(int(time.time() // _MINUTE_S))
        with contextlib.suppress(redis.RedisError):
            pipe = self._redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, 3700)
            pipe.execute()

    def calls_last_hour(self) -> int:
        minute = int(time.time() // _MINUTE_S)
        try:
            values = self._redis.mget([self._minute_key(m) for m in range(minute - 59, minute + 1)])
        except redis.RedisError:
            return 0
        return sum(int(v) for v in values if v)


_breaker: tuple[tuple[Any, ...], CircuitBreaker] | None = None
_breaker_lock = threading.Lock()


def get_breaker() -> CircuitBreaker:
    """The process-wide TPDB breaker: Redis when ``REDIS_URL`` is set, else in-process. Rebuilt when settings change."""
    global _breaker
    config = (settings.REDIS_URL, settings.TPDB_BREAKER_THRESHOLD, settings.TPDB_BREAKER_COOLDOWN_S)
    with _breaker_lock:
        if _breaker is None or _breaker[0] != config:
            url, threshold, cooldown_s = config
            breaker: CircuitBreaker
            if url:
                breaker = RedisCircuitBreaker(url=url, threshold=threshold, cooldown_s=cooldown_s)
            else:
                breaker = InProcessCircuitBreaker(threshold=threshold, cooldown_s=cooldown_s)
            _breaker = (config, breaker)
        return _breaker[1]


def reset_breaker() -> None:
    """Forget the cached breaker (tests; after changing settings by hand)."""
    global _breaker
    with _breaker_lock:
        _breaker = None
