"""Two-tier cache of TPDB answers: a per-process LRU in front of the ``CacheEntry`` table.

Tiers:

- **memory**: a bounded, thread-safe LRU per process (``CACHE_MEMORY_MAX_ENTRIES``). An entry lives for
  ``min(CACHE_MEMORY_TTL_S, its own ttl)`` and never past its persistent expiry, so processes disagree for at most
  ``CACHE_MEMORY_TTL_S``. A memory hit runs no query.
- **persistent**: the database (``CacheEntry``), chosen over Redis because
  1. expired rows are kept (until ``clear_expired`` drops those older than their endpoint's grace period) and served
     stale when TPDB is down, which a Redis TTL would have evicted;
  2. it survives Redis restarts: our Redis persists nothing;
  3. ``get_stats`` is exact across web and worker processes with one aggregate SQL query.

``CacheEntry.hits`` counts reads answered by the persistent tier (incremented with ``F("hits") + 1`` in one UPDATE).
Memory-tier hits stay in the per-process counters of ``get_stats`` so that they cost no query.

The table is capped at ``CACHE_MAX_MB`` of JSON: ``trim`` evicts the rows that expire soonest (expired ones first), in
the hourly cleanup and every ``TRIM_EVERY_WRITES`` writes of a process.

Values must be JSON (TPDB answers as dicts and lists). The memory tier keeps the canonical JSON text and parses it on
every read, so a caller that mutates a returned value never corrupts the cache, and both tiers return the same types.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.expressions import F
from django.utils import timezone

from tpdbprovider.core.models import CacheEntry

logger = logging.getLogger(__name__)

# Bump when the key recipe or the shape of cached values changes: old rows are then never read and age out.
CACHE_KEY_VERSION: Final = 1

SITE_LIST: Final = "site_list"
SCENE_SEARCH: Final = "scene_search"

# Endpoint name -> the setting that holds its TTL in seconds (read at call time, so overrides apply). Only TPDB
# answers with no row of their own are cached here: a scene, movie or site detail is stored as its row.
ENDPOINT_TTL_SETTINGS: Final[dict[str, str]] = {
    SITE_LIST: "CACHE_TTL_SITE_LIST",
    SCENE_SEARCH: "CACHE_TTL_SCENE_SEARCH",
}

# How long past expiry a row is kept to be served stale; settings.CACHE_STALE_GRACE_S overrides it.
DEFAULT_STALE_GRACE_S: Final = 30 * 24 * 3600
# Endpoints with their own grace. A search answer is large (a page of full scenes) and matters only for a short
# outage: a match then also decides on stored scenes, and everything already matched is served from its own rows.
ENDPOINT_STALE_GRACE_SETTINGS: Final[dict[str, str]] = {SCENE_SEARCH: "CACHE_STALE_GRACE_SEARCH_S"}
# A process checks the CACHE_MAX_MB cap after this many writes (besides the hourly cleanup).
TRIM_EVERY_WRITES: Final = 20
_TRIM_DELETE_BATCH: Final = 500
# A stale value served once is remembered in memory this long, so callers of a dead TPDB do not each wait on it.
STALE_MEMORY_TTL_S: Final = 10

_ENDPOINT_MAX_LENGTH: Final = 64  # CacheEntry.endpoint max_length
_MISSING: Final = object()


def cache_key(endpoint: str, params: dict[str, Any]) -> str:
    """The only key recipe: sha256 hex (64 chars) of the version, endpoint and params, independent of dict order."""
    if not endpoint or len(endpoint) > _ENDPOINT_MAX_LENGTH:
        raise ValueError(f"Cache endpoint must be 1-{_ENDPOINT_MAX_LENGTH} characters, got {endpoint!r}")
    payload = {"v": CACHE_KEY_VERSION, "endpoint": endpoint, "params": params}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def endpoint_ttl_s(endpoint: str) -> int:
    """The configured TTL of a known endpoint; ValueError for an unknown one."""
    setting_name = ENDPOINT_TTL_SETTINGS.get(endpoint)
    if setting_name is None:
        raise ValueError(
            f"Unknown cache endpoint {endpoint!r}: pass ttl= or use one of {sorted(ENDPOINT_TTL_SETTINGS)}"
        )
    return int(getattr(settings, setting_name))


def endpoint_stale_grace_s(endpoint: str) -> int:
    """Seconds past expiry a row of ``endpoint`` is kept to be served stale."""
    setting_name = ENDPOINT_STALE_GRACE_SETTINGS.get(endpoint, "CACHE_STALE_GRACE_S")
    return int(getattr(settings, setting_name, DEFAULT_STALE_GRACE_S))


def _to_json(value: Any) -> str:
    """Canonical JSON text of ``value``; TypeError if it is not JSON (NaN and infinities included)."""
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"Cache values must be JSON-serialisable: {exc}") from exc


@dataclass(slots=True)
class _MemoryEntry:
    text: str
    expires_at: datetime
    is_stale: bool


class _LRU:
    """A bounded, thread-safe LRU of JSON texts with per-entry expiry."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, _MemoryEntry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, now: datetime) -> _MemoryEntry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.expires_at <= now:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: _MemoryEntry, max_entries: int) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > max_entries:
                self._entries.popitem(last=False)

    def keys(self) -> list[str]:
        """Keys from least to most recently used."""
        with self._lock:
            return list(self._entries)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class _KeyLocks:
    """One lock per key, created on demand and dropped when nobody waits on it (single-flight in this process)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users == 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)


class CacheService:
    """Memory LRU + ``CacheEntry`` table. One instance per process (``cache_service``); see the module docstring."""

    def __init__(
        self,
        *,
        memory_max_entries: int | None = None,
        memory_ttl_s: int | None = None,
        clock: Callable[[], datetime] = timezone.now,
    ) -> None:
        """Limits left as None follow settings at call time; ``clock`` is injectable for tests."""
        self._memory_max_entries = memory_max_entries
        self._memory_ttl_s = memory_ttl_s
        self._clock = clock
        self._memory = _LRU()
        self._key_locks = _KeyLocks()
        self._counters_lock = threading.Lock()
        self._counters = self._zero_counters()
        self._writes = 0

    # --- public API -----------------------------------------------------------------------------------------------

    def get(self, endpoint: str, params: dict[str, Any]) -> Any | None:
        """The fresh value, or None when absent or expired. A persistent-tier hit is counted and promoted."""
        value = self._get_fresh(cache_key(endpoint, params))
        return None if value is _MISSING else value

    def set(self, endpoint: str, params: dict[str, Any], value: Any, ttl: int | None = None) -> None:
        """Store ``value`` for ``ttl`` seconds (the endpoint's TTL when None) in both tiers; TypeError if not JSON."""
        ttl_s = self._resolve_ttl(endpoint, ttl)
        self._store(cache_key(endpoint, params), endpoint, params, value, _to_json(value), ttl_s)

    def get_or_fetch(
        self,
        endpoint: str,
        params: dict[str, Any],
        fetch_func: Callable[[], Any],
        ttl: int | None = None,
        *,
        stale_on: tuple[type[BaseException], ...] = (Exception,),
        on_stale: Callable[[], None] | None = None,
    ) -> Any:
        """The fresh cached value, else ``fetch_func()`` stored and returned.

        If ``fetch_func`` raises one of ``stale_on`` and an expired row exists, that stale value is returned,
        ``on_stale`` is called (every time a stale value is returned: make it idempotent) and a warning is logged;
        with no row the error is re-raised. Concurrent callers of one key in this process fetch once.
        """
        ttl_s = self._resolve_ttl(endpoint, ttl)
        key = cache_key(endpoint, params)
        now = self._clock()
        entry = self._memory.get(key, now)
        if entry is not None and not entry.is_stale:
            self._count("memory_hits")
            return json.loads(entry.text)
        with self._key_locks.hold(key):
            value = self._get_fresh(key)  # another thread may have loaded it while we waited
            if value is not _MISSING:
                return value
            entry = self._memory.get(key, self._clock())
            if entry is not None:  # stale, remembered briefly after a failed fetch
                return self._serve_stale(endpoint, key, entry.text, on_stale, error=None)
            try:
                value = fetch_func()
            except stale_on as exc:
                text = self._stale_text(key)
                if text is None:
                    raise
                return self._serve_stale(endpoint, key, text, on_stale, error=exc)
            self._count("loads")
            text = _to_json(value)
            self._store(key, endpoint, params, value, text, ttl_s)
            return json.loads(text)  # the same types a cache hit returns (tuples become lists)

    def clear_expired(self, grace_s: int | None = None) -> int:
        """Delete persistent rows expired for longer than ``grace_s`` (default: each endpoint's grace, see
        ``endpoint_stale_grace_s``), then trim the table to ``CACHE_MAX_MB``; return how many rows went.
        Rows expired more recently are kept so they can still be served stale."""
        deleted, _ = CacheEntry.objects.filter(self._expired_filter(grace_s)).delete()
        trimmed = self.trim()
        logger.info("Cleared %s expired cache entries and trimmed %s to the size cap", deleted, trimmed)
        return deleted + trimmed

    def count_expired(self, grace_s: int | None = None) -> int:
        """How many rows ``clear_expired(grace_s)`` would delete as expired (the size cap aside)."""
        return CacheEntry.objects.filter(self._expired_filter(grace_s)).count()

    def trim(self, max_bytes: int | None = None) -> int:
        """Keep at most ``max_bytes`` (``CACHE_MAX_MB``) of cached JSON: the rows that expire latest stay, the
        others are deleted; return how many. One query reads (id, size) of every row, then batched deletes."""
        if max_bytes is None:
            max_bytes = int(settings.CACHE_MAX_MB) * 1_000_000
        rows = CacheEntry.objects.order_by("-expires_at", "-pk").values_list("pk", "size_bytes")
        kept_bytes = 0
        evicted: list[int] = []
        for pk, size_bytes in rows.iterator(chunk_size=2000):
            kept_bytes += size_bytes
            if kept_bytes > max_bytes:
                evicted.append(pk)
        for start in range(0, len(evicted), _TRIM_DELETE_BATCH):
            CacheEntry.objects.filter(pk__in=evicted[start : start + _TRIM_DELETE_BATCH]).delete()
        if evicted:
            logger.info("Evicted %s cache entries beyond CACHE_MAX_MB", len(evicted))
        return len(evicted)

    def _expired_filter(self, grace_s: int | None) -> Q:
        if grace_s is not None:
            return Q(expires_at__lt=self._expiry_cutoff(grace_s))
        special = list(ENDPOINT_STALE_GRACE_SETTINGS)
        condition = Q(expires_at__lt=self._expiry_cutoff(endpoint_stale_grace_s(SITE_LIST))) & ~Q(endpoint__in=special)
        for endpoint in special:
            condition |= Q(endpoint=endpoint, expires_at__lt=self._expiry_cutoff(endpoint_stale_grace_s(endpoint)))
        return condition

    def _expiry_cutoff(self, grace_s: int) -> datetime:
        if grace_s < 0:
            raise ValueError(f"grace_s must be >= 0, got {grace_s!r}")
        return self._clock() - timedelta(seconds=grace_s)

    def get_stats(self) -> dict[str, Any]:
        """Persistent-tier totals from one aggregate query (right across processes) plus this process's counters."""
        now = self._clock()
        rows = (
            CacheEntry.objects.values("endpoint")
            .annotate(entries=Count("id"), active=Count("id", filter=Q(expires_at__gt=now)), hits=Sum("hits"))
            .order_by("endpoint")
        )
        by_endpoint = {
            row["endpoint"]: {
                "entries": row["entries"],
                "active": row["active"],
                "expired": row["entries"] - row["active"],
                "hits": row["hits"] or 0,
            }
            for row in rows
        }
        with self._counters_lock:
            counters = dict(self._counters)
        return {
            "total_entries": sum(e["entries"] for e in by_endpoint.values()),
            "active_entries": sum(e["active"] for e in by_endpoint.values()),
            "expired_entries": sum(e["expired"] for e in by_endpoint.values()),
            "total_hits": sum(e["hits"] for e in by_endpoint.values()),
            "memory_entries": len(self._memory),
            "memory_max_entries": self._max_entries(),
            **counters,
            "by_endpoint": by_endpoint,
        }

    def reset_memory(self) -> None:
        """Empty this process's memory tier and zero its counters (tests; the persistent tier is untouched)."""
        self._memory.clear()
        with self._counters_lock:
            self._counters = self._zero_counters()

    def memory_keys(self) -> list[str]:
        """Keys in the memory tier, least recently used first."""
        return self._memory.keys()

    # --- internals ------------------------------------------------------------------------------------------------

    @staticmethod
    def _zero_counters() -> dict[str, int]:
        # memory_misses: lookups the memory tier could not answer; persistent_hits: answered by the table;
        # loads: successful fetch_func calls; stale_served: expired values returned because fetch_func failed.
        return {"memory_hits": 0, "memory_misses": 0, "persistent_hits": 0, "loads": 0, "stale_served": 0}

    def _count(self, name: str) -> None:
        with self._counters_lock:
            self._counters[name] += 1

    def _max_entries(self) -> int:
        return self._memory_max_entries or int(settings.CACHE_MEMORY_MAX_ENTRIES)

    def _memory_ttl(self) -> int:
        return self._memory_ttl_s or int(settings.CACHE_MEMORY_TTL_S)

    @staticmethod
    def _resolve_ttl(endpoint: str, ttl: int | None) -> int:
        ttl_s = endpoint_ttl_s(endpoint) if ttl is None else ttl
        if ttl_s < 1:
            raise ValueError(f"Cache ttl must be >= 1 second, got {ttl_s!r}")
        return ttl_s

    def _get_fresh(self, key: str) -> Any:
        """Memory, then the table (counting the hit and promoting it); ``_MISSING`` when neither is fresh."""
        now = self._clock()
        entry = self._memory.get(key, now)
        if entry is not None and not entry.is_stale:
            self._count("memory_hits")
            return json.loads(entry.text)
        self._count("memory_misses")
        row = CacheEntry.objects.filter(key=key, expires_at__gt=now).values_list("value", "expires_at").first()
        if row is None:
            return _MISSING
        value, expires_at = row
        CacheEntry.objects.filter(key=key).update(hits=F("hits") + 1)
        self._count("persistent_hits")
        memory_expires_at = min(expires_at, now + timedelta(seconds=self._memory_ttl()))
        self._memory.put(key, _MemoryEntry(_to_json(value), memory_expires_at, is_stale=False), self._max_entries())
        return value

    def _store(self, key: str, endpoint: str, params: dict[str, Any], value: Any, text: str, ttl_s: int) -> None:
        """Upsert the row in one ``INSERT … ON CONFLICT`` (hits are kept) and put the value in memory."""
        now = self._clock()
        expires_at = now + timedelta(seconds=ttl_s)
        size_bytes = len(text.encode())
        row = CacheEntry(
            key=key, endpoint=endpoint, params=params, value=value, expires_at=expires_at, size_bytes=size_bytes
        )
        CacheEntry.objects.bulk_create(
            [row],
            update_conflicts=True,
            unique_fields=["key"],
            update_fields=["endpoint", "params", "value", "expires_at", "size_bytes", "updated_at"],
        )
        memory_expires_at = now + timedelta(seconds=min(self._memory_ttl(), ttl_s))
        self._memory.put(key, _MemoryEntry(text, memory_expires_at, is_stale=False), self._max_entries())
        with self._counters_lock:
            self._writes += 1
            is_trim_due = self._writes % TRIM_EVERY_WRITES == 0
        if is_trim_due:
            self.trim()

    def _stale_text(self, key: str) -> str | None:
        """The JSON text of the row for ``key`` whatever its expiry, or None without a row."""
        row = CacheEntry.objects.filter(key=key).values_list("value", flat=True)[:1]
        values = list(row)
        return _to_json(values[0]) if values else None

    def _serve_stale(
        self,
        endpoint: str,
        key: str,
        text: str,
        on_stale: Callable[[], None] | None,
        *,
        error: BaseException | None,
    ) -> Any:
        self._count("stale_served")
        if error is not None:
            logger.warning("Serving stale %s %s: fetch failed with %s", endpoint, key[:12], error.__class__.__name__)
            stale_expires_at = self._clock() + timedelta(seconds=min(STALE_MEMORY_TTL_S, self._memory_ttl()))
            self._memory.put(key, _MemoryEntry(text, stale_expires_at, is_stale=True), self._max_entries())
        else:
            logger.debug("Serving stale %s %s: a fetch failed in the last %ss", endpoint, key[:12], STALE_MEMORY_TTL_S)
        if on_stale is not None:
            on_stale()
        return json.loads(text)


cache_service = CacheService()


def reset_cache_service() -> None:
    """Empty the shared service's memory tier and counters (for tests)."""
    cache_service.reset_memory()
