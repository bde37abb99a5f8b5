"""The site-year prefetch trigger: once a third file of a site's year matched, store that whole site-year."""

from __future__ import annotations

import datetime
import logging

from django.core.cache import cache

from movies.models import Movie
from scenes.catalog import site_year_prefetch
from scenes.models import Scene
from scenes.tasks import site_year_prefetch_task
from sites.models import Site, SiteYearSync
from tpdbprovider.core.tasks import enqueue
from tpdbprovider.tpdb.errors import TPDBError

logger = logging.getLogger(__package__)

PREFETCH_FRESH = datetime.timedelta(days=7)
# Prefetch a site's year once this many files of it were matched within a day: a stray file or two is not a library
# (scan benchmark: after 2 files the page fetches cost more calls than they saved, 1.23 per file; after 3, 1.18).
PREFETCH_AFTER_MATCHES = 3
INLINE_PREFETCH_PAGES = 1


def is_site_year_fresh(*, tpdb_site_id: int, year: int) -> bool:
    """True when every scene of that site-year was stored within ``PREFETCH_FRESH`` (no stored rival can be missing)."""
    fresh_after = datetime.datetime.now(tz=datetime.UTC) - PREFETCH_FRESH
    return SiteYearSync.objects.filter(
        site__tpdb_numeric_id=tpdb_site_id, year=year, synced_at__gte=fresh_after
    ).exists()


def prefetch_site_year(item: Site | tuple[Site, int] | Scene | Movie) -> None:
    """Once a third file of a site's year matched, store that whole site-year so the next files match locally.

    One page (100 scenes) is fetched at once, in this request and the interactive lane: during a scan Plex keeps the
    bucket empty, so a background prefetch would starve until the scan ends (measured by the scan benchmark), and one
    page costs the same single call as the parse search it saves. Larger years finish in a background task.
    """
    if not isinstance(item, Scene) or item.site is None or item.release_date is None:
        return
    year = item.release_date.year
    counter = f"site-year-matches:{item.site_id}:{year}"
    cache.add(counter, 0, timeout=24 * 3600)
    try:
        matches = cache.incr(counter)
    except ValueError:  # the counter expired or was evicted between add and incr
        matches = None
    if not isinstance(matches, int) or matches < PREFETCH_AFTER_MATCHES:  # None: Redis unreachable, a miss
        return
    fresh_after = datetime.datetime.now(tz=datetime.UTC) - PREFETCH_FRESH
    synced = SiteYearSync.objects.filter(site=item.site, year=year, synced_at__gte=fresh_after)
    if synced.exists() or not cache.add(f"prefetch-queued:{item.site_id}:{year}", 1, timeout=3600):
        return
    try:
        site_year_prefetch(site=item.site, year=year, lane="interactive", max_pages=INLINE_PREFETCH_PAGES)
    except TPDBError as exc:
        logger.warning("Site-year prefetch failed (%s); queued for the worker", exc.__class__.__name__)
    if not synced.exists():
        enqueue(site_year_prefetch_task, site_id=item.site_id, year=year)
