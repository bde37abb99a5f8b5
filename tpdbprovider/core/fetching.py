"""The rules every "get this item, fetching and storing it if needed" service shares, whatever the kind.

The domain services (``sites.services.site_get_or_fetch``, ``movies.items.movie_get_or_fetch``,
``scenes.items.scene_get_or_fetch``) look their row up and hand the fetch to ``fetch_and_store``, which remembers the
metadata source's 404s, caps what one client address may spend on items we do not store, and turns upstream failures
into core exceptions. ``complete_if_thin`` (or ``queue_completion_if_thin``) and ``queue_refresh_if_stale`` are the
rules for a row already stored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast

from celery import Task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from tpdbprovider.core.answers import answer_valid_for
from tpdbprovider.core.cache import cache_key
from tpdbprovider.core.exceptions import (
    ItemNotFoundError,
    ItemUnavailableError,
    UnknownItemShareSpentError,
    UpstreamError,
    UpstreamNotFoundError,
)
from tpdbprovider.core.redisconn import REDIS_FAILURES
from tpdbprovider.core.security import current_client_address, is_plex_server
from tpdbprovider.core.tasks import enqueue
from tpdbprovider.core.throttling import Limit, sliding_window_hit

logger = logging.getLogger(__name__)

T = TypeVar("T")
REFRESH_GUARD_S = 3600  # a stale item served again within this window queues no second refresh
# A thin row served as it is gets its detail this much later: during a first scan the background lane's share goes to
# the catalog walks that make the next files free, and only then to details (which only Plex's next refresh reads).
COMPLETION_DELAY_S = 60.0
COMPLETE_RETRY_S = 600  # a thin row whose completion failed is served as it is for this long before trying again


class StoredMedia(Protocol):
    """What the stored-row rules read of a scene or movie row (read-only: ``pk`` is a property on models)."""

    @property
    def pk(self) -> Any: ...
    @property
    def tpdb_id(self) -> Any: ...
    @property
    def fetched_at(self) -> Any: ...
    @property
    def is_complete(self) -> bool: ...
    @property
    def is_missing_upstream(self) -> bool: ...


def fetch_and_store(kind: str, tpdb_id: str, fetch: Callable[[], T], *, is_stored: bool, is_forced: bool = False) -> T:
    """Run ``fetch`` (fetch one item from TPDB and store it) and return its row.

    A 404 raises ItemNotFoundError and is remembered for CACHE_TTL_NOT_FOUND, so a repeat costs no call (``is_forced``
    asks anyway, for the sync commands); any other failure raises ItemUnavailableError. Fetching an item we have
    never stored spends the client's share (``_spend_unknown_item_share``)."""
    missing_key = cache_key("tpdb-missing", {"kind": kind, "id": tpdb_id.lower()})
    if not is_forced and cache.get(missing_key):
        raise ItemNotFoundError(f"TPDB has no {kind} '{tpdb_id}'.")
    if not is_stored:
        _spend_unknown_item_share()
    try:
        return fetch()
    except UpstreamNotFoundError as exc:
        cache.set(missing_key, 1, timeout=settings.CACHE_TTL_NOT_FOUND)
        raise ItemNotFoundError(f"TPDB has no {kind} '{tpdb_id}'.") from exc
    except UpstreamError as exc:
        logger.warning("Could not fetch %s %s from TPDB: %s", kind, tpdb_id, exc.__class__.__name__)
        raise ItemUnavailableError(f"The {kind} is not stored yet and TPDB is unreachable; try again later.") from exc


def complete_if_thin(kind: str, item: StoredMedia, fetch: Callable[[], object]) -> bool:
    """Fetch the detail of a row stored from a search item (no tags, no directors) before it is first read, since
    Plex keeps what it gets; True when the row was updated. TPDB failing (or a try in the last COMPLETE_RETRY_S)
    leaves the stored row as it is."""
    if item.is_complete or item.is_missing_upstream:
        return False
    if not cache.add(f"complete-tried:{kind}:{item.pk}", 1, COMPLETE_RETRY_S):
        return False
    try:
        fetch_and_store(kind, str(item.tpdb_id), fetch, is_stored=True)
    except (ItemNotFoundError, ItemUnavailableError):
        return False
    return True


def queue_completion_if_thin(kind: MediaKind[Any], item: StoredMedia) -> None:
    """Queue the detail fetch of a thin row once (at most once per REFRESH_GUARD_S), serving it as it is meanwhile."""
    if item.is_complete or item.is_missing_upstream:
        return
    if cache.add(f"refresh-queued:{kind.name}:{item.pk}", 1, timeout=REFRESH_GUARD_S):
        enqueue(kind.refresh_task, countdown_s=COMPLETION_DELAY_S, **{kind.refresh_task_arg: item.pk})


def queue_refresh_if_stale(kind: str, item: StoredMedia, *, ttl_s: float, task: Task[..., Any], **kwargs: Any) -> None:
    """Serve a stored item as it is, but past ``ttl_s`` queue ``task(**kwargs)`` once (at most once per
    REFRESH_GUARD_S). TPDB being down never delays or fails the answer: the task retries with backoff."""
    if item.is_missing_upstream:
        return
    fresh_for_s = (item.fetched_at - timezone.now()).total_seconds() + ttl_s
    if fresh_for_s > 0:
        answer_valid_for(fresh_for_s)  # a cached answer must not hide the moment the item goes stale
        return
    guard = f"refresh-queued:{kind}:{item.pk}"
    if not cache.add(guard, 1, timeout=REFRESH_GUARD_S):
        return
    try:
        enqueue(task, **kwargs)
    except Exception:  # a broker outage must not turn a servable answer into an error
        cache.delete(guard)
        logger.warning("Could not queue the refresh of %s %s", kind, item.pk, exc_info=True)


def _spend_unknown_item_share() -> None:
    """One client address may spend at most TPDB_UNKNOWN_ITEM_SHARE of the TPDB rate on items we do not store, so
    strangers asking for made-up keys cannot take the whole bucket from Plex. Outside a web request, or from Plex's
    own address: no limit."""
    address = current_client_address()
    share = settings.TPDB_UNKNOWN_ITEM_SHARE
    if not address or share >= 1 or is_plex_server(address):
        return  # Plex's own address (PLEX_SERVER_ADDRESSES) reads what it matched: never capped
    per_minute = max(1, int(settings.TPDB_RATE_LIMIT * 60 * share))
    limit = Limit(key=f"tpdb_unknown_{address}", requests=per_minute, period_s=60)
    try:
        verdict = sliding_window_hit([limit], now=time.time())
    except REDIS_FAILURES:  # Redis unreachable (reported once by its guard): serving Plex matters more
        return
    except Exception:  # anything else from the counters: serving still matters more than counting it
        logger.warning("Unknown-item share counters unreachable; fetch admitted uncounted", exc_info=True)
        return
    if verdict.refused is not None:
        wait_s = max(1, round(verdict.wait_s))
        raise UnknownItemShareSpentError(
            "Too many lookups of items that are not stored yet from this address; try again later.",
            extra={"retry_after": wait_s},
        )


M = TypeVar("M")  # a scene or movie row (a StoredMedia; model fields do not satisfy a Protocol bound in mypy)


@dataclass(frozen=True)
class MediaKind(Generic[M]):
    """How one kind of stored media (scenes, movies) is found, fetched and refreshed, for ``media_get_or_fetch``."""

    name: str  # "scene", "movie": in log lines and error texts
    find: Callable[..., M | None]  # find(tpdb_id=…) or find(slug=…): the stored row with what its answers read
    fetch: Callable[..., M]  # fetch(ref=…, lane=…): fetch one item from TPDB and store it
    refresh_task: Task[..., Any]
    refresh_task_arg: str  # the task's keyword for the row's primary key
    ttl_setting: str  # how old a stored row may get before a refresh is queued (a CACHE_TTL_* setting's name)


def media_get_or_fetch(
    kind: MediaKind[M],
    *,
    ref: str,
    is_uuid: bool,
    is_forced: bool,
    lane: str,
    serve_thin: Callable[[M], bool] | None = None,
) -> M:
    """The row ``ref`` (a TPDB uuid, or a slug) names. A stored row is served as it is, except that a thin one (stored
    from a search) is completed on its first read (unless ``serve_thin(row)``: then it is served thin and its
    completion queued in the background) and a stale one queues one background refresh; ``is_forced`` fetches even a
    stored row. Raises ItemNotFoundError and ItemUnavailableError."""
    found = kind.find(tpdb_id=ref) if is_uuid else kind.find(slug=ref)
    is_thin = found is not None and not cast(StoredMedia, found).is_complete
    if found is not None and not is_forced and is_thin and serve_thin is not None and serve_thin(found):
        queue_completion_if_thin(kind, cast(StoredMedia, found))
        return found
    if found is not None and not is_forced:
        if complete_if_thin(kind.name, cast(StoredMedia, found), lambda: kind.fetch(ref=ref, lane=lane)):
            found = kind.find(tpdb_id=cast(StoredMedia, found).tpdb_id)
        if found is not None:
            row = cast(StoredMedia, found)
            ttl_s = getattr(settings, kind.ttl_setting)
            queue_refresh_if_stale(
                kind.name, row, ttl_s=ttl_s, task=kind.refresh_task, **{kind.refresh_task_arg: row.pk}
            )
            return found
    fetched = fetch_and_store(
        kind.name, ref, lambda: kind.fetch(ref=ref, lane=lane), is_stored=found is not None, is_forced=is_forced
    )
    stored = kind.find(tpdb_id=ref if is_uuid else cast(StoredMedia, fetched).tpdb_id)
    if stored is None:  # TPDB answered about another id: nothing is stored under ours
        logger.warning("TPDB answered the %s %s with another item; treated as unavailable", kind.name, ref)
        raise ItemUnavailableError(f"TPDB answered the {kind.name} '{ref}' with another item; try again later.")
    return stored
