"""The match's side of the site catalog (``scenes.catalog``): when a site is "in the library", and the wait for a walk.

A site is in the library once ``PREFETCH_AFTER_MATCHES`` files of it matched within a day: its whole catalog is then
walked in the background lane, newest year first, and the next files of that site are matched from stored scenes with
no TPDB call. A match whose year the walk is on right now waits for it (``wait_for_catalog``) instead of searching.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Iterable

from django.core.cache import cache

from movies.models import Movie
from scenes.catalog import CATALOG_FRESH, catalog_walk_year, is_site_year_fresh, site_catalog_start
from scenes.models import Scene
from sites.models import Site
from tpdbprovider.core.budget import remaining_budget_s
from tpdbprovider.matching.ratingkeys import UNDATED_SEASON

logger = logging.getLogger(__package__)

__all__ = ["PREFETCH_FRESH", "is_site_year_fresh", "prefetch_after_match", "wait_for_catalog"]

PREFETCH_FRESH = CATALOG_FRESH
# A site is in the library once this many of its files matched within a day: a stray file is not a library. Scan
# benchmark, calls to match per matched file after the 1st/2nd/3rd file: 0.37/0.42/0.46; the 1st would walk the whole
# catalog of every site a single stray file belongs to (README "A library-like first scan").
PREFETCH_AFTER_MATCHES = 2
# A match waits at most this long for a walk on its year, and never into the last seconds of its TPDB budget, which
# stay for its own search should the year not bring a clear answer.
CATALOG_WAIT_S = 3.0
SEARCH_RESERVE_S = 3.0
WAIT_POLL_S = 0.2


def prefetch_after_match(item: Site | tuple[Site, int] | Scene | Movie) -> None:
    """Count a matched file for its site; the ``PREFETCH_AFTER_MATCHES``-th starts the site's catalog walk."""
    if not isinstance(item, Scene) or item.site is None:
        return
    counter = f"site-matches:{item.site_id}"
    cache.add(counter, 0, timeout=24 * 3600)
    try:
        matches = cache.incr(counter)
    except ValueError:  # the counter expired or was evicted between add and incr
        matches = None
    if not isinstance(matches, int) or matches < PREFETCH_AFTER_MATCHES:  # None: Redis unreachable, a miss
        return
    site_catalog_start(site=item.site)


def _pending(tpdb_site_ids: Iterable[int], years: Iterable[int]) -> list[tuple[int, int]]:
    return [(s, y) for s in tpdb_site_ids for y in years if not is_site_year_fresh(tpdb_site_id=s, year=y)]


def wait_for_catalog(*, tpdb_site_ids: Iterable[int], dates: Iterable[datetime.date]) -> bool:
    """Wait (within this request's budget) while a catalog walk of these sites is on the years of these dates;
    True when every one of those site-years is stored now (so the local candidates are complete)."""
    budget_s = remaining_budget_s()
    max_wait_s = min(CATALOG_WAIT_S, (CATALOG_WAIT_S if budget_s is None else budget_s) - SEARCH_RESERVE_S)
    years = {d.year for d in dates}
    pending = _pending(set(tpdb_site_ids), years)
    if max_wait_s <= 0 or not pending:
        return False
    for site_id, year in pending:
        walk_year = catalog_walk_year(tpdb_site_id=site_id)
        # No walk, one not started (it begins at the newest year), one still far above that year, or one past it (that
        # year has no scene there): nothing is coming soon.
        if walk_year is None or walk_year == UNDATED_SEASON or not 0 <= walk_year - year <= 1:
            return False
    deadline = time.monotonic() + max_wait_s
    while pending and time.monotonic() < deadline:
        time.sleep(WAIT_POLL_S)
        pending = _pending({s for s, _ in pending}, {y for _, y in pending})
    if pending:
        logger.info("Catalog walk did not reach %s within %.1fs; searching", pending, max_wait_s)
    return not pending
