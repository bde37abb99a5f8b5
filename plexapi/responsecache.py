"""Process-local cache of rendered Plex answers, valid while a shared generation number stands.

A warm Plex request (the same match, metadata or children request again) is answered from memory, without the
database. Invalidation has one home: a database execute wrapper (``invalidate_on_writes_to``) sees every INSERT,
UPDATE or DELETE on the tables answers are built from (model saves, bulk updates, raw SQL alike) and bumps the
generation when the statement runs and once more when its transaction commits. The generation lives in the default
cache (Redis when configured), so every web process drops its entries at once. ``PLEX_RESPONSE_CACHE_TTL_S`` bounds the rest: the
time-based behaviour (the 10-minute decision reuse, queueing a stale item's refresh) and writes made where the
generation cannot reach (another process in the embedded mode, which has no shared cache).
Only 200 answers built without asking TPDB are kept, so a failure or a fallback is never replayed, and none for longer
than the code that built it said it stays true (``tpdbprovider.core.answers``).
A write made while Redis was unreachable could not bump the generation; so the first cacheable request after an outage
this process saw bumps it once, and every process drops what it kept from before the outage.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.http import HttpResponse
from django.http.response import HttpResponseBase

from tpdbprovider.core.answers import answer_validity
from tpdbprovider.core.logging import request_tpdb_activity
from tpdbprovider.core.redisconn import redis_guard

logger = logging.getLogger(__name__)

GENERATION_KEY = "plex-response-generation"
STATUS_HEADER = "X-Response-Cache"  # "hit" or "miss" on cacheable endpoints
MAX_ENTRY_SHARE = 16  # one answer may use at most 1/16 of the budget, so a huge page cannot flush the rest


@dataclass(frozen=True, slots=True)
class _Entry:
    generation: int
    expires_at: float
    body: bytes


class ResponseCache:
    """A byte-bounded LRU of response bodies keyed by request, each stamped with the generation it was built under."""

    def __init__(self, *, max_bytes: int, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_bytes, self.ttl_s, self._clock = max_bytes, ttl_s, clock
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.size_bytes = 0

    def get(self, key: bytes, generation: int) -> bytes | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.generation != generation or entry.expires_at <= self._clock():
                if entry is not None:
                    self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry.body

    def put(self, key: bytes, generation: int, body: bytes, *, ttl_s: float | None = None) -> None:
        """Keep ``body`` for the cache's TTL, or for ``ttl_s`` if that is shorter."""
        ttl_s = self.ttl_s if ttl_s is None else min(ttl_s, self.ttl_s)
        if ttl_s <= 0 or len(body) * MAX_ENTRY_SHARE > self.max_bytes:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = _Entry(generation, self._clock() + ttl_s, body)
            self.size_bytes += len(body)
            while self.size_bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size_bytes = 0

    def _drop(self, key: bytes) -> None:
        self.size_bytes -= len(self._entries.pop(key).body)


_state: dict[str, ResponseCache | None] = {}
_outages_seen = {"count": 0}  # redis_guard.outages when this process last made sure the generation moved on


def response_cache() -> ResponseCache | None:
    """This process's cache, built from the settings on first use; None when PLEX_RESPONSE_CACHE_TTL_S is 0."""
    if "cache" not in _state:
        ttl_s, max_mb = settings.PLEX_RESPONSE_CACHE_TTL_S, settings.PLEX_RESPONSE_CACHE_MAX_MB
        _state["cache"] = ResponseCache(max_bytes=max_mb * 1024 * 1024, ttl_s=ttl_s) if ttl_s > 0 else None
    return _state["cache"]


def response_cache_reset() -> None:
    """Forget this process's cache and rebuild it from the settings on next use (settings changed, tests)."""
    _state.clear()
    _outages_seen["count"] = redis_guard.outages


def request_key(*parts: object) -> bytes:
    """A fixed-size key for any request parts (bodies and query strings may be long)."""
    return hashlib.blake2b(repr(parts).encode("utf-8", "backslashreplace"), digest_size=16).digest()


def current_generation() -> int | None:
    """The shared generation, created (at a random value, so a flushed Redis never revives old entries) if missing;
    None when the cache cannot be read, which turns response caching off for the request."""
    try:
        generation = cache.get(GENERATION_KEY)
        if generation is None:
            cache.add(GENERATION_KEY, secrets.randbits(48), timeout=None)
            generation = cache.get(GENERATION_KEY)
    except Exception:
        logger.warning("Response cache generation unreadable; answering without the response cache", exc_info=True)
        return None
    return int(generation) if generation is not None else None


def _bump_generation() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # no generation yet (or it was evicted): any new random value invalidates every entry
        cache.add(GENERATION_KEY, secrets.randbits(48), timeout=None)
    except Exception:
        logger.warning("Could not bump the response cache generation", exc_info=True)
    # This process never serves an entry built before the write, even if the shared bump failed.
    if (local := _state.get("cache")) is not None:
        local.clear()


_WRITE = re.compile(r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+[\"`]?(\w+)", re.IGNORECASE)
_watched: set[str] = set()


def _bump_after_write(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    """Run the statement; if it changed a watched table, drop every cached answer now and again when its transaction
    commits (a request that read the old rows between the two would otherwise keep them cached)."""
    result = execute(sql, params, many, context)
    if sql[:1] in "IUDiud\n " and (match := _WRITE.match(sql)) is not None and match.group(1) in _watched:
        if _changed_nothing(sql, context):
            return result
        connection: BaseDatabaseWrapper = context["connection"]
        _bump_generation()
        if connection.in_atomic_block and not any(item[1] is _bump_generation for item in connection.run_on_commit):
            connection.on_commit(_bump_generation)
    return result


def _changed_nothing(sql: str, context: dict[str, Any]) -> bool:
    """An UPDATE or DELETE that matched no row (an INSERT's count is unknown until its RETURNING rows are read)."""
    is_counted = sql.lstrip()[:1] not in "Ii" and "RETURNING" not in sql.upper()
    return is_counted and getattr(context.get("cursor"), "rowcount", -1) == 0


def _install(connection: BaseDatabaseWrapper) -> None:
    if _bump_after_write not in connection.execute_wrappers:
        connection.execute_wrappers.append(_bump_after_write)


def _connection_created(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    _install(connection)


def invalidate_on_writes_to(tables: Iterable[str]) -> None:
    """Watch these tables: any write to one of them, on any connection of this process, invalidates every answer."""
    _watched.update(tables)
    connection_created.connect(_connection_created, dispatch_uid="response-cache-writes")
    for connection in connections.all(initialized_only=True):
        _install(connection)


def serve(key: bytes | None, build: Callable[[], HttpResponseBase]) -> HttpResponseBase:
    """The cached body for ``key`` when its generation is current; otherwise ``build()``'s response, kept once
    rendered if it is a 200 and this request did not ask TPDB. ``key`` None (uncacheable request) only builds."""
    cached = response_cache()
    generation = current_generation() if cached is not None and key is not None else None
    if cached is None or key is None or generation is None:
        return build()
    if redis_guard.outages != _outages_seen["count"]:  # Redis is back (the generation was read) after an outage
        _outages_seen["count"] = redis_guard.outages
        _bump_generation()
        return build()
    body = cached.get(key, generation)
    if body is not None:
        hit = HttpResponse(body, content_type="application/json")
        hit[STATUS_HEADER] = "hit"
        return hit
    with answer_validity() as validity:
        response = build()
    activity = request_tpdb_activity()
    if response.status_code != 200 or activity is None:
        return response

    def store(rendered: Any) -> None:
        if activity.asks == 0:
            cached.put(key, generation, bytes(rendered.content), ttl_s=validity.seconds)

    if callable(getattr(response, "add_post_render_callback", None)) and not getattr(response, "is_rendered", True):
        response.add_post_render_callback(store)  # type: ignore[attr-defined]
    else:
        store(response)
    response[STATUS_HEADER] = "miss"
    return response
