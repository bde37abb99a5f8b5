"""Sliding-window request counters for the incoming throttles, kept in the default cache.

Each limit has two fixed-window counters, this window's and the last one's; the estimate is
``last x (share of the last window still inside the sliding window) + this``. A request is counted only when every limit
it is checked against admits it. On Redis all limits are checked and counted in one atomic script (one round trip, no
lost counts between processes); on other caches (locmem, embedded mode) with get_many/add/incr.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.core.cache import caches
from django_redis.cache import RedisCache

# KEYS: this window's and the last window's counter per limit. ARGV: the number of limits, then per limit its size,
# the elapsed share of this window and the counter TTL. Returns 0 when every limit admits (and counts) the request,
# else the 1-based index of the first limit that refuses; then the counts read, two per limit.
_LUA = """
local n = tonumber(ARGV[1])
local counts = {}
local refused = 0
for i = 1, n do
  local current = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
  local previous = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  counts[2 * i - 1], counts[2 * i] = current, previous
  local limit, elapsed = tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i])
  if refused == 0 and previous * (1 - elapsed) + current >= limit then refused = i end
end
if refused == 0 then
  for i = 1, n do
    redis.call('INCR', KEYS[2 * i - 1])
    redis.call('EXPIRE', KEYS[2 * i - 1], ARGV[3 * i + 1])
  end
end
table.insert(counts, 1, refused)
return counts
"""


@dataclass(frozen=True)
class Limit:
    """At most ``requests`` per ``period_s`` for one client and scope (``key``)."""

    key: str
    requests: int
    period_s: int


@dataclass(frozen=True)
class Verdict:
    """``refused`` is the first limit that refused the request (None: admitted and counted); ``wait_s`` is when it
    would admit one more."""

    refused: Limit | None
    wait_s: float = 0.0


def _window(limit: Limit, now: float) -> tuple[str, str, float]:
    index = math.floor(now / limit.period_s)
    return f"{limit.key}:{index}", f"{limit.key}:{index - 1}", now / limit.period_s - index


_script: dict[str, Any] = {}  # one redis-py Script (EVALSHA: the body is sent once per server)


def sliding_window_hit(limits: list[Limit], *, now: float) -> Verdict:
    """Count one request against every limit, or against none when any of them refuses it."""
    windows = [_window(limit, now) for limit in limits]
    counter_keys = [k for current, previous, _ in windows for k in (current, previous)]
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        client = backend.client
        keys = [client.make_key(k) for k in counter_keys]
        args: list[float | int] = [len(limits)]
        for limit, (_, _, elapsed) in zip(limits, windows, strict=True):
            args += [limit.requests, elapsed, 2 * limit.period_s]
        redis = client.get_client(write=True)
        script = _script.get("sliding_window") or _script.setdefault("sliding_window", redis.register_script(_LUA))
        refused, *counts = script(keys=keys, args=args, client=redis)
    else:
        found = backend.get_many(counter_keys)
        counts = [found.get(k, 0) for k in counter_keys]
        refused = next(
            (
                i + 1
                for i, (limit, (_, _, elapsed)) in enumerate(zip(limits, windows, strict=True))
                if counts[2 * i + 1] * (1 - elapsed) + counts[2 * i] >= limit.requests
            ),
            0,
        )
        if not refused:
            for limit, (current, _, _) in zip(limits, windows, strict=True):
                if not backend.add(current, 1, timeout=2 * limit.period_s):
                    try:
                        backend.incr(current)
                    except ValueError:  # expired between add and incr
                        backend.add(current, 1, timeout=2 * limit.period_s)
    if not refused:
        return Verdict(refused=None)
    i = int(refused) - 1
    limit, elapsed = limits[i], windows[i][2]
    wait_s = _wait_s(limit, int(counts[2 * i]), int(counts[2 * i + 1]), elapsed)
    return Verdict(refused=limit, wait_s=wait_s)


def _wait_s(limit: Limit, current: int, previous: int, elapsed: float) -> float:
    """Seconds until the estimate drops below the limit: within this window as the last one's weight decays, or in
    the next, where this window's count becomes the decaying one."""
    if current < limit.requests and previous > 0:
        fits_at = 1.0 - (limit.requests - current) / previous
        if fits_at < 1.0:
            return max(fits_at - elapsed, 0.0) * limit.period_s + 0.001
    to_next_window_s = (1.0 - elapsed) * limit.period_s
    if current < limit.requests:
        return to_next_window_s
    return to_next_window_s + (1.0 - limit.requests / current) * limit.period_s + 0.001
