"""Writes for sites mirrored from TPDB."""

from __future__ import annotations

import re
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from sites.models import Site, SiteAlias, SiteListSync
from sites.selectors import site_get_by_ref, site_list_synced_at, site_ref_is_tpdb_id
from tpdbprovider.core.cache import SITE_LIST, cache_service
from tpdbprovider.core.db import retry_on_conflict
from tpdbprovider.core.exceptions import ItemNotFoundError
from tpdbprovider.core.fetching import fetch_and_store
from tpdbprovider.core.models import fit_to_column
from tpdbprovider.core.tasks import enqueue
from tpdbprovider.matching.parser import normalize_key
from tpdbprovider.matching.sites import SiteEntry, SiteIndex, load_default_aliases
from tpdbprovider.tpdb.client import TPDBClient, tpdb_client
from tpdbprovider.tpdb.schemas import TPDBSite

SLUG_MAX_LENGTH = 100  # leaves room for "-<numeric id>" inside Site.slug's 120 characters
# A site embedded without a uuid (legacy bodies) is stored under a stable stand-in until TPDB sends the real one.
LEGACY_SITE_NAMESPACE = uuid.UUID("7f0e4a52-9c1b-4d53-8a8e-2b5f6c1d0e91")
SITES_SYNC_QUEUED_KEY = "sites-sync-queued"
SITES_SYNC_REQUEUE_S = 10 * 60
# Bumped when the stored sites or aliases change in bulk (a finished sync): every process's site index rebuilds on
# its next match instead of within _INDEX_RECHECK_S.
SITE_INDEX_GENERATION_KEY = "site-index-generation"


def site_slug_from_name(*, name: str, tpdb_numeric_id: int) -> str:
    """Lower-case letters, digits and ``-``; ``site-<id>`` when the name has none of them."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:SLUG_MAX_LENGTH].strip("-")
    return slug or f"site-{tpdb_numeric_id}"


def _unique_slug(*, name: str, tpdb_numeric_id: int) -> str:
    slug = site_slug_from_name(name=name, tpdb_numeric_id=tpdb_numeric_id)
    if not Site.objects.filter(slug=slug).exists():
        return slug
    slug = f"{slug}-{tpdb_numeric_id}"
    if not Site.objects.filter(slug=slug).exists():
        return slug
    return f"{slug}-{uuid.uuid4().hex[:6]}"


@retry_on_conflict
def site_upsert_from_tpdb(*, data: TPDBSite) -> Site:
    """Create or update one site, keyed on its uuid (or numeric id when TPDB sent none). The slug never changes."""
    site = None
    if data.uuid:
        site = Site.objects.select_for_update().filter(tpdb_id=data.uuid).first()
    if site is None:
        site = Site.objects.select_for_update().filter(tpdb_numeric_id=data.id).first()
    name = data.name or (site.name if site else f"Site {data.id}")
    values: dict[str, Any] = {
        "tpdb_numeric_id": data.id,
        "name": name[:255],
        "short_name": data.short_name,
        "url": fit_to_column(value=data.url, model=Site, field_name="url"),
        "description": data.description,
        "logo": fit_to_column(value=data.logo, model=Site, field_name="logo"),
        "favicon": fit_to_column(value=data.favicon, model=Site, field_name="favicon"),
        "poster": fit_to_column(value=data.poster, model=Site, field_name="poster"),
        "parent_tpdb_id": data.parent_id,
        "network_tpdb_id": data.network_id,
        "parent": _related_site(tpdb_numeric_id=data.parent_id, own_id=data.id),
        "network": _related_site(tpdb_numeric_id=data.network_id, own_id=data.id),
        "fetched_at": timezone.now(),
        "is_missing_upstream": False,
    }
    if site is None:
        tpdb_id = data.uuid or str(uuid.uuid5(LEGACY_SITE_NAMESPACE, str(data.id)))
        slug = _unique_slug(name=name, tpdb_numeric_id=data.id)
        site = Site.objects.create(tpdb_id=tpdb_id, slug=slug, is_complete=data.uuid is not None, **values)
    else:
        if data.uuid:
            values.update(tpdb_id=data.uuid, is_complete=True)
        for name, value in values.items():
            setattr(site, name, value)
        site.save()
    # Children stored before this site now get their foreign keys (a sync visits sites in any order).
    Site.objects.filter(parent_tpdb_id=data.id, parent__isnull=True).exclude(pk=site.pk).update(parent=site)
    Site.objects.filter(network_tpdb_id=data.id, network__isnull=True).exclude(pk=site.pk).update(network=site)
    return site


def _related_site(*, tpdb_numeric_id: int | None, own_id: int) -> Site | None:
    """The stored parent/network site; None for a self-reference (tpdb-api.md §7 quirk 8) or one not stored yet."""
    if tpdb_numeric_id is None or tpdb_numeric_id == own_id:
        return None
    return Site.objects.filter(tpdb_numeric_id=tpdb_numeric_id).first()


def site_fetch_from_tpdb(*, ref: str, lane: str = "interactive") -> Site:
    """Fetch one site by TPDB numeric id or uuid and store it."""
    return site_upsert_from_tpdb(data=tpdb_client(lane=lane).get_site(ref))


def site_get_or_fetch(*, ref: str, is_fetched: bool = True, lane: str = "interactive") -> Site:
    """The site ``ref`` names (our slug, its TPDB numeric id or uuid), fetched from TPDB and stored when it is not.

    ``is_fetched=False`` only looks (a season key names a show we must already have). Raises ItemNotFoundError (unknown here and at TPDB, or not a TPDB id) and
    ItemUnavailableError (not stored, TPDB failing); see ``tpdbprovider.core.fetching.fetch_and_store``."""
    ref = ref.strip()
    site = site_get_by_ref(ref=ref) if ref else None
    if site is not None:
        return site
    if not is_fetched or not site_ref_is_tpdb_id(ref=ref):
        raise ItemNotFoundError(f"Unknown site '{ref[:120]}'.")
    fetched: Site = fetch_and_store("site", ref, lambda: site_fetch_from_tpdb(ref=ref, lane=lane), is_stored=False)
    return fetched


def site_mark_missing_upstream(*, site: Site) -> None:
    """TPDB answered 404 for this site: flag it and keep the last good data."""
    Site.objects.filter(pk=site.pk).update(is_missing_upstream=True, updated_at=timezone.now())
    site.is_missing_upstream = True


@dataclass(frozen=True)
class SyncSummary:
    fetched: int = 0
    created: int = 0
    updated: int = 0
    pages: int = 0


ProgressFn = Callable[[int, int], None]  # (items done, items total)


def sites_sync_from_tpdb(*, is_dry_run: bool = False, progress: ProgressFn | None = None) -> SyncSummary:
    """Fetch every TPDB site (pages of 100, cached for CACHE_TTL_SITE_LIST) and upsert them; then seed aliases.

    Each page is stored in one short transaction (a few hundred ms on SQLite at most), never the whole list in one,
    so Plex's requests and the task thread write in between. A finished sync is recorded (``SiteListSync``) and the
    matcher's site index sees it at once, in every process."""
    client = tpdb_client(lane="background")
    fetched = created = updated = pages = 0
    page_no, last_page = 1, 1
    while page_no <= last_page:
        raw = cache_service.get_or_fetch(
            SITE_LIST, {"page": page_no, "per_page": 100}, partial(_site_page_json, client, page_no)
        )
        last_page = max(1, int(raw["last_page"]))
        pages += 1
        items = [TPDBSite.from_json(item) for item in raw["data"]]
        known = set(
            Site.objects.filter(tpdb_numeric_id__in=[d.id for d in items]).values_list("tpdb_numeric_id", flat=True)
        )
        fetched += len(items)
        new = sum(1 for d in items if d.id not in known)
        created, updated = created + new, updated + len(items) - new
        if not is_dry_run:
            with transaction.atomic():
                for data in items:
                    site_upsert_from_tpdb(data=data)
        if progress:
            progress(fetched, int(raw.get("total") or fetched))
        page_no += 1
    if not is_dry_run:
        site_aliases_seed_defaults()
        SiteListSync.objects.create(finished_at=timezone.now(), site_count=fetched, pages=pages)
        site_index_changed()
    return SyncSummary(fetched=fetched, created=created, updated=updated, pages=pages)


def site_list_sync_is_due() -> bool:
    """True when TPDB's site list was never stored, or not within CACHE_TTL_SITE_LIST."""
    synced_at = site_list_synced_at()
    return synced_at is None or timezone.now() - synced_at > timedelta(seconds=settings.CACHE_TTL_SITE_LIST)


def site_list_sync_queue_if_due() -> bool:
    """Queue the site-list sync when it is due and not queued in the last few minutes; True if it was queued.

    Called at start-up (web and worker) and by the first matches, so the first file finds its site stored. The guard
    is short: a sync that failed (TPDB down, no key yet) is queued again by the next match a few minutes later."""
    from sites.tasks import sites_sync  # sites.tasks imports this module

    if not settings.TPDB_API_KEY or cache.get(SITES_SYNC_QUEUED_KEY) is not None or not site_list_sync_is_due():
        return False
    if not cache.add(SITES_SYNC_QUEUED_KEY, 1, timeout=SITES_SYNC_REQUEUE_S):
        return False
    enqueue(sites_sync)
    return True


def _site_page_json(client: TPDBClient, page: int) -> dict[str, Any]:
    result = client.list_sites(page=page, per_page=100)
    return {"data": [s.raw for s in result.items], "last_page": result.meta.last_page, "total": result.meta.total}


def site_aliases_seed_defaults() -> int:
    """Store the shipped abbreviation codes for sites we know, once; a person's aliases are never touched."""
    by_key: dict[str, int] = {}
    for pk, name, short_name in Site.objects.values_list("pk", "name", "short_name"):
        by_key.setdefault(normalize_key(short_name or ""), pk)
        by_key.setdefault(normalize_key(name), pk)
    existing = set(SiteAlias.objects.values_list("alias", flat=True))
    rows = [
        SiteAlias(site_id=by_key[normalize_key(target)], alias=code, source=SiteAlias.Source.DEFAULT)
        for code, target in load_default_aliases().items()
        if code not in existing and normalize_key(target) in by_key
    ]
    SiteAlias.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


_INDEX_RECHECK_S = 10.0
_index_state: dict[str, Any] = {"index": None, "version": None, "checked": 0.0, "generation": None}
_index_lock = threading.Lock()


def site_index_get(*, force: bool = False) -> SiteIndex:
    """The matcher's site index over every stored site and alias; rebuilt in this process when they change.

    Whether they changed is checked at most every ``_INDEX_RECHECK_S`` seconds (two aggregate queries), so a warm
    match costs no site query at all.
    """
    now = time.monotonic()
    generation = _cache_int(SITE_INDEX_GENERATION_KEY)
    with _index_lock:
        index = _index_state["index"]
        is_same_generation = generation == _index_state["generation"]
        if index is not None and not force and is_same_generation and now - _index_state["checked"] < _INDEX_RECHECK_S:
            return index
        _index_state["generation"] = generation
        version = (
            tuple(Site.objects.aggregate(n=Count("id"), at=Max("updated_at")).values()),
            tuple(SiteAlias.objects.aggregate(n=Count("id"), at=Max("updated_at")).values()),
        )
        if index is None or version != _index_state["version"]:
            index = SiteIndex(_site_entries())
            _index_state["index"], _index_state["version"] = index, version
        _index_state["checked"] = now
        return index


def site_index_reset() -> None:
    """Forget the cached index (tests, and after bulk alias edits)."""
    with _index_lock:
        _index_state.update(index=None, version=None, checked=0.0, generation=None)


def site_index_changed() -> None:
    """Make every process rebuild its site index on its next match (after a sync stored sites in bulk)."""
    site_index_reset()
    try:
        if cache.add(SITE_INDEX_GENERATION_KEY, 1, timeout=None) is False:
            cache.incr(SITE_INDEX_GENERATION_KEY)
    except ValueError:  # expired between add and incr: the next add starts it again
        cache.add(SITE_INDEX_GENERATION_KEY, 1, timeout=None)


def _cache_int(key: str) -> int | None:
    """An integer from the default cache; None when missing or unreadable (a Redis outage reads as a miss)."""
    value = cache.get(key)
    return value if isinstance(value, int) else None


def _site_entries() -> list[SiteEntry]:
    aliases: dict[int, list[str]] = {}
    for site_id, alias in SiteAlias.objects.values_list("site_id", "alias"):
        aliases.setdefault(site_id, []).append(alias)
    return [
        SiteEntry(
            id=tpdb_numeric_id,
            name=name,
            short_name=short_name,
            parent_id=parent_tpdb_id,
            network_id=network_tpdb_id,
            aliases=tuple(aliases.get(pk, ())),
        )
        for pk, tpdb_numeric_id, name, short_name, parent_tpdb_id, network_tpdb_id in Site.objects.filter(
            tpdb_numeric_id__isnull=False
        ).values_list("pk", "tpdb_numeric_id", "name", "short_name", "parent_tpdb_id", "network_tpdb_id")
        if tpdb_numeric_id is not None  # the filter guarantees it; this tells the type checker
    ]
