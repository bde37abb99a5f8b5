"""The TPDB call quota: one token bucket (``TPDB_RATE_LIMIT`` tokens/s, ``TPDB_RATE_BURST`` deep) for every process.

Lanes, in priority order: ``manual`` (Fix Match), ``interactive`` (automatic matches, admin), ``read`` (metadata
reads), ``background`` (Celery, commands, catalog fetches). A caller that has to wait marks its lane as waiting for
``WAITER_TTL_S``; while a lane is waiting, every lane below it leaves one token in the bucket for it, so the next token
goes to the highest waiting lane whatever the order the callers poll in.

The background lane normally takes a token only while ``TPDB_BACKGROUND_RESERVE`` tokens remain after taking it (a
sync job never drains the bucket a Plex request needs; the reserve is clamped to ``burst - tokens``). But it has a
guaranteed share, ``TPDB_BACKGROUND_SHARE`` of the rate: once it has waited one share period (``1 / (rate * share)``)
since its last token, it is *owed* one: it needs no reserve, and every other lane leaves a token for it. So a Plex
scan that keeps the bucket empty cannot starve the catalog fetches that end the scan's TPDB calls, and the total
never exceeds ``rate * t + burst``: the share is carved out of the same bucket.

``block_for(seconds)`` empties the bucket for everyone until then (TPDB answered 429 with Retry-After); refill
restarts from zero when the block ends, so no process sends a request inside the window.

``RedisTokenBucket`` keeps the state in one Redis hash and changes it with one atomic Lua script that reads the
clock from Redis ``TIME``; ``InProcessTokenBucket`` is the same math under a lock, correct for one process only.
Redis unreachable: taking a token raises ``RedisUnavailableError`` (the client reports "TPDB unavailable"), because a
bucket per process would let every process spend the whole quota.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Literal

import redis
from django.conf import settings

from tpdbprovider.core.redisconn import RedisUnavailableError, redis_client

logger = logging.getLogger(__name__)

Lane = Literal["manual", "interactive", "read", "background"]
LANES: tuple[str, ...] = ("manual", "interactive", "read", "background")  # highest priority first
BACKGROUND_RANK = LANES.index("background")
# A waiting caller re-polls at least this often, so its "waiting" mark (kept WAITER_TTL_S) never lapses while it waits.
MAX_POLL_S = 0.25
WAITER_TTL_S = 1.0
KEY_PREFIX = "tpdbprovider:ratelimit"
EPSILON = 1e-9  # float slack: a refill that lands a hair under a whole token still counts as one
MIN_SLEEP_S = 0.001  # never spin on a wait too small to move the clock


class RateLimitTimeout(Exception):
    """The wait for a token would exceed the caller's ``max_wait_s``; ``wait_s`` is how long it would have been."""

    def __init__(self, wait_s: float, max_wait_s: float) -> None:
        super().__init__(f"no rate-limit token within {max_wait_s:.2f}s (needs {wait_s:.2f}s)")
        self.wait_s = wait_s
        self.max_wait_s = max_wait_s


def _rank(lane: str) -> int:
    if lane not in LANES:
        raise ValueError(f"unknown lane {lane!r}")
    return LANES.index(lane)


class TokenBucket(ABC):
    """A shared token bucket; see the module docstring for the lane rule."""

    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        reserve: int = 0,
        share: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        if not 0 <= share <= 1:
            raise ValueError("share must be between 0 and 1")
        self.rate = float(rate)
        self.burst = int(burst)
        self.reserve = max(int(reserve), 0)
        self.share = float(share)
        self._sleep = sleep

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(rate={self.rate}, burst={self.burst}, reserve={self.reserve}, "
            f"share={self.share})"
        )

    @property
    def share_period_s(self) -> float:
        """How long after its last token the background lane is owed the next one (-1: no guaranteed share).

        One refill interval early, so that the token held for it has refilled when its share period is up."""
        return max(1.0 / (self.rate * self.share) - 1.0 / self.rate, 0.0) if self.share > 0 else -1.0

    @abstractmethod
    def _take(self, tokens: int, lane: str, *, is_taking: bool, is_waiting: bool = False) -> float:
        """Refill, then take ``tokens`` (when ``is_taking``) and return 0.0, or return the seconds to wait (marking
        the lane as waiting when ``is_waiting``)."""

    @property
    @abstractmethod
    def available_tokens(self) -> float:
        """Tokens in the bucket now (refill applied), without taking any."""

    @property
    @abstractmethod
    def blocked_until(self) -> float | None:
        """Unix time until which ``block_for`` holds the bucket empty, or None."""

    @abstractmethod
    def block_for(self, seconds: float) -> None:
        """Empty the bucket for every caller for ``seconds`` (a later deadline always wins)."""

    def _check(self, tokens: int) -> None:
        if tokens < 1 or tokens > self.burst:
            raise ValueError(f"tokens must be between 1 and burst ({self.burst})")

    def acquire(self, tokens: int = 1, *, lane: str = "interactive", max_wait_s: float | None = None) -> float:
        """Block until ``tokens`` are taken; return the seconds waited. Raises ``RateLimitTimeout`` beyond max_wait_s."""
        self._check(tokens)
        waited_s = 0.0
        while True:
            wait_s = self._take(tokens, lane, is_taking=True, is_waiting=True)
            if wait_s <= 0:
                return waited_s
            if max_wait_s is not None and waited_s + wait_s > max_wait_s:
                raise RateLimitTimeout(waited_s + wait_s, max_wait_s)
            wait_s = min(max(wait_s, MIN_SLEEP_S), MAX_POLL_S)
            self._sleep(wait_s)
            waited_s += wait_s

    def try_acquire(self, tokens: int = 1, *, lane: str = "interactive") -> bool:
        """Take ``tokens`` if they are there now; never waits."""
        self._check(tokens)
        return self._take(tokens, lane, is_taking=True) <= 0


def _lane_rule(
    bucket: TokenBucket, *, rank: int, want: int, tokens: float, now: float, background_at: float, waiting: list[float]
) -> tuple[float, float]:
    """(tokens needed now, longest useful wait) for a caller of lane ``rank``: the lane rule of the module docstring.

    ``waiting[r]`` is when a caller of lane r last had to wait; ``background_at`` when the background lane last took."""
    period_s = bucket.share_period_s
    is_owed = period_s >= 0 and now - background_at >= period_s
    if rank == BACKGROUND_RANK:
        if is_owed:
            return float(want), float("inf")
        until_owed_s = background_at + period_s - now if period_s >= 0 else float("inf")
        return float(want + min(bucket.reserve, max(bucket.burst - want, 0))), until_owed_s
    held = sum(1 for r in range(rank) if waiting[r] > now - WAITER_TTL_S)
    held += is_owed and waiting[BACKGROUND_RANK] > now - WAITER_TTL_S
    return float(min(want + held, bucket.burst)), float("inf")


class InProcessTokenBucket(TokenBucket):
    """Token bucket for a single process (threading.Lock, monotonic clock)."""

    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        reserve: int = 0,
        share: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(rate=rate, burst=burst, reserve=reserve, share=share, sleep=sleep)
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = float(self.burst)
        self._refilled_at = clock()
        self._blocked_until = 0.0
        self._background_at = float("-inf")
        self._waiting = [float("-inf")] * len(LANES)

    def _refill(self, now: float) -> None:
        if now > self._refilled_at:
            self._tokens = min(float(self.burst), self._tokens + (now - self._refilled_at) * self.rate)
            self._refilled_at = now

    def _take(self, tokens: int, lane: str, *, is_taking: bool, is_waiting: bool = False) -> float:
        rank = _rank(lane)
        with self._lock:
            now = self._clock()
            self._refill(now)
            needed, until_owed_s = _lane_rule(
                self,
                rank=rank,
                want=tokens,
                tokens=self._tokens,
                now=now,
                background_at=self._background_at,
                waiting=self._waiting,
            )
            if now >= self._blocked_until and self._tokens + EPSILON >= needed:
                if is_taking:
                    self._tokens = max(self._tokens - tokens, 0.0)
                    self._waiting[rank] = float("-inf")
                    if rank == BACKGROUND_RANK:
                        self._background_at = now
                return 0.0
            if is_waiting:
                self._waiting[rank] = now
            blocked_s = max(self._blocked_until - now, 0.0)
            return blocked_s + min(max(needed - self._tokens, 0.0) / self.rate, max(until_owed_s, 0.0))

    @property
    def available_tokens(self) -> float:
        with self._lock:
            now = self._clock()
            self._refill(now)
            return 0.0 if now < self._blocked_until else self._tokens

    @property
    def blocked_until(self) -> float | None:
        with self._lock:
            remaining_s = self._blocked_until - self._clock()
        return time.time() + remaining_s if remaining_s > 0 else None

    def block_for(self, seconds: float) -> None:
        with self._lock:
            until = self._clock() + max(seconds, 0.0)
            if until > self._blocked_until:
                self._blocked_until = until
                self._tokens = 0.0
                self._refilled_at = until  # refill restarts from empty when the block ends


# One script for every operation so the read-refill-write is atomic across processes; the lane rule is
# ``_lane_rule``'s, line for line. KEYS[1] bucket hash. ARGV: op ("take" | "wait" | "peek" | "block"), rate, burst,
# tokens, reserve, block seconds, lane rank, share period (-1: none), waiter ttl. "wait" is "take" that marks the lane as
# waiting when it cannot take. Returns {taken 0/1, wait seconds, tokens left, blocked_until} as strings (Lua numbers
# would be truncated).
_LUA = """
local key = KEYS[1]
local op = ARGV[1]
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local reserve = tonumber(ARGV[5])
local block_s = tonumber(ARGV[6])
local rank = tonumber(ARGV[7])
local period = tonumber(ARGV[8])
local ttl = tonumber(ARGV[9])
local bg_rank = 3
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', key, 'tokens', 'ts', 'blocked', 'bg', 'w0', 'w1', 'w2', 'w3')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
local blocked = tonumber(state[3]) or 0
local bg_at = tonumber(state[4]) or -1e18
local waiting = {}
for r = 0, 3 do
  waiting[r] = tonumber(state[5 + r]) or -1e18
end
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate)
  ts = now
end
local taken = 0
local wait = 0
local changed = {}
if op == 'block' then
  local until_ts = now + block_s
  if until_ts > blocked then
    blocked = until_ts
    tokens = 0
    ts = until_ts
  end
else
  local owed = period >= 0 and now - bg_at >= period
  local needed = want
  local until_owed = 1e18
  if rank == bg_rank then
    if not owed then
      needed = want + math.min(reserve, math.max(burst - want, 0))
      if period >= 0 then
        until_owed = bg_at + period - now
      end
    end
  else
    local held = 0
    for r = 0, rank - 1 do
      if waiting[r] > now - ttl then
        held = held + 1
      end
    end
    if owed and waiting[bg_rank] > now - ttl then
      held = held + 1
    end
    needed = math.min(want + held, burst)
  end
  if now >= blocked and tokens + 1e-9 >= needed then
    if op ~= 'peek' then
      tokens = math.max(tokens - want, 0)
      taken = 1
      changed['w' .. rank] = '-1e18'
      if rank == bg_rank then
        changed['bg'] = string.format('%.6f', now)
      end
    end
  else
    wait = math.max(blocked - now, 0) + math.min(math.max(needed - tokens, 0) / rate, math.max(until_owed, 0))
    if op == 'wait' then
      changed['w' .. rank] = string.format('%.6f', now)
    end
  end
end
if op ~= 'peek' then
  redis.call('HSET', key, 'tokens', string.format('%.9f', tokens), 'ts', string.format('%.6f', ts),
    'blocked', string.format('%.6f', blocked))
  for field, value in pairs(changed) do
    redis.call('HSET', key, field, value)
  end
  local ttl_s = math.ceil(math.max(burst / rate, blocked - now, 0) + 60)
  redis.call('EXPIRE', key, ttl_s)
end
local left = tokens
if now < blocked then
  left = 0
end
return {taken, string.format('%.9f', wait), string.format('%.9f', left), string.format('%.6f', blocked)}
"""


class RedisTokenBucket(TokenBucket):
    """Token bucket shared by every process through Redis, on the process's shared pool."""

    def __init__(
        self,
        *,
        url: str,
        rate: float,
        burst: int,
        reserve: int = 0,
        share: float = 0.0,
        namespace: str = "tpdb",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(rate=rate, burst=burst, reserve=reserve, share=share, sleep=sleep)
        self.key = f"{KEY_PREFIX}:{namespace}:bucket"
        self._redis = redis_client(url)
        self._script = self._redis.register_script(_LUA)

    def _run(self, op: str, tokens: int = 1, rank: int = 0, block_s: float = 0.0) -> tuple[bool, float, float, float]:
        args: list[Any] = [
            op,
            repr(self.rate),
            self.burst,
            tokens,
            self.reserve,
            repr(float(block_s)),
            rank,
            repr(self.share_period_s),
            repr(WAITER_TTL_S),
        ]
        raw = self._script(keys=[self.key], args=args)
        return bool(int(raw[0])), float(raw[1]), float(raw[2]), float(raw[3])

    def _take(self, tokens: int, lane: str, *, is_taking: bool, is_waiting: bool = False) -> float:
        op = ("wait" if is_waiting else "take") if is_taking else "peek"
        try:
            _, wait_s, _, _ = self._run(op, tokens, _rank(lane))
        except redis.RedisError as exc:
            raise RedisUnavailableError(f"TPDB rate limiter unreachable ({exc.__class__.__name__})") from exc
        return wait_s

    @property
    def available_tokens(self) -> float:
        try:
            return self._run("peek")[2]
        except redis.RedisError:
            return 0.0

    @property
    def blocked_until(self) -> float | None:
        try:
            blocked = self._run("peek")[3]
        except redis.RedisError:
            return None
        return blocked if blocked > time.time() else None

    def block_for(self, seconds: float) -> None:
        with contextlib.suppress(
            redis.RedisError
        ):  # nothing is sent to TPDB while Redis is unreachable (taking a token fails)
            self._run("block", block_s=max(seconds, 0.0))


_limiter: tuple[tuple[Any, ...], TokenBucket] | None = None
_limiter_lock = threading.Lock()


def get_limiter() -> TokenBucket:
    """The process-wide TPDB bucket: Redis when ``REDIS_URL`` is set, else in-process. Rebuilt when settings change."""
    global _limiter
    config = (
        settings.REDIS_URL,
        settings.TPDB_RATE_LIMIT,
        settings.TPDB_RATE_BURST,
        settings.TPDB_BACKGROUND_RESERVE,
        settings.TPDB_BACKGROUND_SHARE,
    )
    with _limiter_lock:
        if _limiter is None or _limiter[0] != config:
            url, rate, burst, reserve, share = config
            bucket: TokenBucket
            if url:
                bucket = RedisTokenBucket(url=url, rate=rate, burst=burst, reserve=reserve, share=share)
            else:
                bucket = InProcessTokenBucket(rate=rate, burst=burst, reserve=reserve, share=share)
            _limiter = (config, bucket)
        return _limiter[1]


def reset_limiter() -> None:
    """Forget the cached bucket (tests; after changing settings by hand)."""
    global _limiter
    with _limiter_lock:
        _limiter = None
