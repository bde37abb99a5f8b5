"""A site's scene catalog, fetched from TPDB into the database so its files match locally, with no TPDB call.

Two fetches, both recording each finished year as a ``sites.models.SiteYearSync`` (not fetched again until stale):

- ``site_year_prefetch``: one site-year, page by page (``sync_site --year``, a season read inline, the match trigger).
- ``site_catalog_fetch``: the whole site, newest first (``orderBy=recently_released``), a bounded number of pages per
  run. Walking newest first, a year is complete as soon as a scene of an older year arrives, so the years are finished
  (and matched locally) one after the other, newest first, at one call per 100 scenes: the physical limit. The last
  page completes the oldest year and the undated season (year 0), whose record marks the whole catalog as stored.

``site_catalog_start`` queues the walk once per site (single-flight across processes through the cache); the task
(``scenes.tasks.site_catalog_fetch_task``) runs ``CATALOG_PAGES_PER_RUN`` pages on the background lane and queues
itself for the rest, so a 10,000-scene site never holds a worker (or the embedded task thread) for long, and its share
of the TPDB bucket is the background lane's (``core.ratelimit``). While it runs, ``catalog_walk_year`` tells a match
which year it is on, so a match for that year can wait for it instead of searching.

Stores scenes, so it lives in scenes (sites sits below scenes in the import layers); the `sync_site` command, the site
admin action, the match and show triggers and the tasks call it."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.core.cache import cache
from django.utils import timezone

from scenes.models import Scene
from scenes.services import scene_upsert_from_tpdb
from sites.models import Site, SiteYearSync
from sites.services import ProgressFn
from tpdbprovider.core.budget import remaining_budget_s
from tpdbprovider.matching.ratingkeys import UNDATED_SEASON
from tpdbprovider.tpdb.client import tpdb_client
from tpdbprovider.tpdb.errors import TPDBError

logger = logging.getLogger(__name__)

# A stored site-year is trusted this long: a match that finds its scene there asks TPDB nothing.
CATALOG_FRESH = datetime.timedelta(days=7)
PAGE_SIZE = 100
CATALOG_PAGES_PER_RUN = 10  # one background task run: then it queues itself, so other jobs interleave
# A season read fetches at most this much of its year itself, and no page once half its TPDB budget is spent (storing
# a page takes about as long as fetching it); the walk brings the rest.
INLINE_SEASON_PAGES = 3
CATALOG_RUN_TTL_S = 3600  # how long "a walk is under way" is believed without news (a worker died mid-walk)


def _fresh_after() -> datetime.datetime:
    return timezone.now() - CATALOG_FRESH


def is_site_year_fresh(*, tpdb_site_id: int, year: int) -> bool:
    """True when every scene of that site-year was stored within ``CATALOG_FRESH`` (no stored rival can be missing)."""
    return SiteYearSync.objects.filter(
        site__tpdb_numeric_id=tpdb_site_id, year=year, synced_at__gte=_fresh_after()
    ).exists()


def complete_catalog_sites(tpdb_site_ids: set[int]) -> set[int]:
    """Those of these sites whose whole catalog was walked within ``CATALOG_FRESH`` (the undated season is recorded
    last, when the walk is over): every scene they have is stored, so none can be missing from a local match."""
    rows = SiteYearSync.objects.filter(
        site__tpdb_numeric_id__in=tpdb_site_ids, year=UNDATED_SEASON, synced_at__gte=_fresh_after()
    ).values_list("site__tpdb_numeric_id", flat=True)
    return {site_id for site_id in rows if site_id is not None}


def _record_years(site: Site, years: set[int]) -> None:
    now = timezone.now()
    for year in sorted(years, reverse=True):
        scenes = Scene.objects.filter(site=site)
        scenes = (
            scenes.filter(release_date__isnull=True)
            if year == UNDATED_SEASON
            else scenes.filter(release_date__year=year)
        )
        SiteYearSync.objects.update_or_create(
            site=site, year=year, defaults={"synced_at": now, "scene_count": scenes.count()}
        )


def site_year_prefetch(
    *,
    site: Site,
    year: int | None,
    lane: str = "background",
    is_dry_run: bool = False,
    progress: ProgressFn | None = None,
    max_pages: int | None = None,
    is_budgeted: bool = False,
) -> int:
    """Fetch and store every scene of ``site`` released in ``year`` (every year when None); returns how many.

    With ``max_pages`` it stops early, and with ``is_budgeted`` (a web request) before a page once half the request's
    TPDB budget is spent; a year counts as synced (``SiteYearSync``) only when every page was read."""
    if site.tpdb_numeric_id is None:
        return 0
    if year is None:
        return site_catalog_fetch(site=site, lane=lane, is_dry_run=is_dry_run, progress=progress).stored
    client = tpdb_client(lane=lane)
    seen = 0
    page_no, last_page = 1, 1
    budget_s = remaining_budget_s() if is_budgeted else None
    while page_no <= last_page and (max_pages is None or page_no <= max_pages):
        left_s = remaining_budget_s()
        if page_no > 1 and budget_s is not None and left_s is not None and left_s < budget_s / 2:
            break
        result = client.get_site_scenes(site.tpdb_numeric_id, page=page_no, per_page=PAGE_SIZE, year=year)
        last_page = result.meta.last_page
        # TPDB may ignore the year filter; the date floor keeps later years out only partly
        wanted = [data for data in result.items if data.date is None or data.date.year == year]
        seen += len(wanted)
        if not is_dry_run:
            for data in wanted:  # one short transaction per scene, as in the walk
                scene_upsert_from_tpdb(data=data)
        if progress:
            progress(seen, result.meta.total)
        page_no += 1
    if not is_dry_run and page_no > last_page:
        _record_years(site, {year})
    return seen


@dataclass(frozen=True)
class CatalogRun:
    stored: int
    next_page: int | None  # None: the walk reached the last page
    walk_year: int | None  # the oldest dated year seen so far: the year the walk is on


def _walk_key(tpdb_site_id: int) -> str:
    return f"site-catalog-walk:{tpdb_site_id}"


def _page_key(tpdb_site_id: int) -> str:
    return f"site-catalog-page:{tpdb_site_id}"


def _oldest_key(tpdb_site_id: int) -> str:
    return f"site-catalog-oldest:{tpdb_site_id}"


def _walk_keys(tpdb_site_id: int) -> list[str]:
    return [_walk_key(tpdb_site_id), _page_key(tpdb_site_id), _oldest_key(tpdb_site_id)]


def catalog_pending_years(*, site: Site) -> set[int]:
    """Years a catalog walk under way has not reached yet: from the site's oldest release (asked of TPDB by the first
    read of the show) up to the year the walk is on. A show lists them as seasons before their scenes are stored, so
    Plex reads each one (and the read fetches it); a year with no scene drops out once the walk has passed it."""
    if site.tpdb_numeric_id is None:
        return set()
    oldest = cache.get(_oldest_key(site.tpdb_numeric_id))
    walk_year = catalog_walk_year(tpdb_site_id=site.tpdb_numeric_id)
    if not isinstance(oldest, int) or walk_year is None or walk_year == UNDATED_SEASON:
        return set()
    return set(range(oldest, walk_year))


def catalog_walk_year(*, tpdb_site_id: int) -> int | None:
    """The year a catalog walk of that site is on now (``UNDATED_SEASON`` before its first page); None: no walk."""
    year = cache.get(_walk_key(tpdb_site_id))
    return year if isinstance(year, int) else None


def site_catalog_fetch(
    *,
    site: Site,
    lane: str = "background",
    start_page: int = 1,
    walk_year: int | None = None,
    max_pages: int | None = None,
    is_dry_run: bool = False,
    progress: ProgressFn | None = None,
) -> CatalogRun:
    """Walk the site's scenes newest first from ``start_page`` (``walk_year``: the year an earlier run ended on), at
    most ``max_pages`` pages, storing each page and recording every year the walk has passed."""
    if site.tpdb_numeric_id is None:
        return CatalogRun(stored=0, next_page=None, walk_year=None)
    client = tpdb_client(lane=lane)
    seen: set[int] = set() if walk_year is None else {walk_year}
    oldest = walk_year  # every year seen that is newer than this one is complete
    done: set[int] = set()
    stored = 0
    page_no, last_page = start_page, start_page
    while page_no <= last_page and (max_pages is None or page_no < start_page + max_pages):
        result = client.get_site_scenes(site.tpdb_numeric_id, page=page_no, per_page=PAGE_SIZE, is_newest_first=True)
        last_page = result.meta.last_page
        if not is_dry_run:
            # One short transaction per scene (the upsert's own): a page-long one held the rows of shared performers
            # against concurrent matches, and PostgreSQL broke the deadlocks by failing the walk's page.
            for data in result.items:
                scene_upsert_from_tpdb(data=data)
        stored += len(result.items)
        for data in result.items:
            year = data.date.year if data.date else UNDATED_SEASON
            seen.add(year)
            if year != UNDATED_SEASON:
                oldest = year if oldest is None else min(oldest, year)
        page_no += 1
        is_last = page_no > last_page
        finished = {y for y in seen if y != UNDATED_SEASON and oldest is not None and y > oldest}
        if is_last:
            finished = seen | {UNDATED_SEASON}
        if not is_dry_run and finished - done:
            _record_years(site, finished - done)
            done |= finished
        if oldest is not None and not is_dry_run:
            cache.set(_walk_key(site.tpdb_numeric_id), oldest, timeout=CATALOG_RUN_TTL_S)
            cache.set(_page_key(site.tpdb_numeric_id), page_no, timeout=CATALOG_RUN_TTL_S)
        if progress:
            progress(stored, result.meta.total)
    if page_no > last_page and not is_dry_run:  # the walk is over: nothing to wait for or resume
        cache.delete_many(_walk_keys(site.tpdb_numeric_id))
    return CatalogRun(stored=stored, next_page=None if page_no > last_page else page_no, walk_year=oldest)


def _queued_key(site: Site) -> str:
    return f"site-catalog-queued:{site.pk}"


def site_catalog_start(
    *, site: Site, year: int | None = None, is_inline: bool = False, is_forced: bool = False
) -> bool:
    """Make sure the site's whole catalog is on its way: queue the walk unless it is fresh or already queued.

    With ``is_inline`` (a Plex read that needs the site now), a season ``year`` not stored whole (fresh) is fetched
    first, in this request and within its TPDB budget (the walk's first page and the site's oldest release when no year
    is named and the site has no scene stored). ``is_forced`` (an admin asking) walks even a fresh catalog. Returns True when it queued the walk. At most
    two queries when there is nothing to do."""
    from scenes.tasks import site_catalog_fetch_task  # the task module imports this one
    from tpdbprovider.core.tasks import enqueue

    is_queued = cache.get(_queued_key(site)) is not None
    if site.tpdb_numeric_id is None or (is_queued and (year is None or not is_inline)):
        return False
    fresh_years = set(
        SiteYearSync.objects.filter(site=site, synced_at__gte=_fresh_after()).values_list("year", flat=True)
    )
    if UNDATED_SEASON in fresh_years and not is_forced:  # the whole catalog was walked (undated season: recorded last)
        return False
    start = CatalogRun(stored=0, next_page=1, walk_year=None)
    if is_inline and year not in fresh_years:
        start = _inline_fetch(site, year)
    if is_queued or start.next_page is None:  # under way, or that one page was the whole site
        return False
    if not cache.add(_queued_key(site), 1, timeout=CATALOG_RUN_TTL_S):
        return False
    cache.add(_walk_key(site.tpdb_numeric_id), UNDATED_SEASON, timeout=CATALOG_RUN_TTL_S)
    enqueue(site_catalog_fetch_task, site_id=site.pk, start_page=start.next_page, walk_year=start.walk_year)
    return True


def _inline_fetch(site: Site, year: int | None) -> CatalogRun:
    """What a request fetches itself: a season not stored whole (a few pages at most, once per ``CATALOG_RUN_TTL_S``:
    Plex places the season's files against this one listing, and a walk's page or a match may have stored part of it),
    or, for a site with no scene stored, the walk's first page and its oldest release (``catalog_pending_years``).
    Returns where the background walk starts (``next_page`` None: nothing left).

    Every scene is stored in its own short transaction (the upsert's), never one held across a TPDB call: on SQLite a
    write transaction blocks every other writer, Plex's reads included."""
    from_start = CatalogRun(stored=0, next_page=1, walk_year=None)
    if year == UNDATED_SEASON:  # undated scenes are only found by walking the whole site
        return from_start
    if year is None and Scene.objects.filter(site=site).exists():
        return from_start
    inline_key = f"site-catalog-inline:{site.pk}:{year}"
    if not cache.add(inline_key, 1, timeout=60 if year is None else CATALOG_RUN_TTL_S):  # fetching, or fetched
        return from_start
    try:
        if year is not None:
            site_year_prefetch(
                site=site, year=year, lane="interactive", max_pages=INLINE_SEASON_PAGES, is_budgeted=True
            )
            return from_start
        run = site_catalog_fetch(site=site, lane="interactive", max_pages=1)
        if run.next_page is not None:
            _remember_oldest_year(site)
        return run
    except TPDBError as exc:
        cache.delete(inline_key)  # a later read tries again
        logger.warning("Inline catalog page failed (%s); the worker fetches it", exc.__class__.__name__)
        return from_start


def _remember_oldest_year(site: Site) -> None:
    """Ask TPDB for the site's oldest release (one scene) and keep its year while the walk is under way."""
    assert site.tpdb_numeric_id is not None
    try:
        oldest = tpdb_client(lane="interactive").get_site_scenes(
            site.tpdb_numeric_id, page=1, per_page=1, is_oldest_first=True
        )
    except TPDBError as exc:
        logger.warning("The site's oldest release could not be asked (%s)", exc.__class__.__name__)
        return
    dated = [data.date for data in oldest.items if data.date is not None]
    if dated:
        cache.set(_oldest_key(site.tpdb_numeric_id), dated[0].year, timeout=CATALOG_RUN_TTL_S)


def site_catalog_continue(*, site: Site, start_page: int, walk_year: int | None) -> tuple[CatalogRun, bool]:
    """One bounded run of the walk (the task's body); returns the run and whether the walk is over. A run retried after
    a failure resumes at the page the walk had reached, not at the run's first."""
    assert site.tpdb_numeric_id is not None
    reached = cache.get(_page_key(site.tpdb_numeric_id))
    if isinstance(reached, int) and reached > start_page:
        start_page, walk_year = reached, catalog_walk_year(tpdb_site_id=site.tpdb_numeric_id) or walk_year
    run = site_catalog_fetch(site=site, start_page=start_page, walk_year=walk_year, max_pages=CATALOG_PAGES_PER_RUN)
    is_over = run.next_page is None
    if is_over:
        cache.delete(_queued_key(site))
    return run, is_over


def site_catalog_abandon(*, site: Site) -> None:
    """The walk stopped for good (the site is gone upstream): a later trigger may start it again."""
    keys = [_queued_key(site)]
    if site.tpdb_numeric_id is not None:
        keys += _walk_keys(site.tpdb_numeric_id)
    cache.delete_many(keys)
