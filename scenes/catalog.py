"""A site's scene catalog, fetched from TPDB year by year into the database so its files match locally.

Stores scenes, so it lives in scenes (sites sits below scenes in the import layers); the `sync_site` command and the
`sites.tasks.site_year_prefetch` task (its Celery name kept for messages already queued) call it."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from scenes.services import scene_upsert_from_tpdb
from sites.models import Site, SiteYearSync
from sites.services import ProgressFn
from tpdbprovider.tpdb.client import tpdb_client


def site_year_prefetch(
    *,
    site: Site,
    year: int | None,
    lane: str = "background",
    is_dry_run: bool = False,
    progress: ProgressFn | None = None,
    max_pages: int | None = None,
) -> int:
    """Fetch and store every scene of ``site`` released in ``year`` (every year when None); returns how many.

    With ``max_pages`` it stops early; a year counts as synced (``SiteYearSync``) only when every page was read."""
    if site.tpdb_numeric_id is None:
        return 0
    client = tpdb_client(lane=lane)
    seen = 0
    page_no, last_page = 1, 1
    while page_no <= last_page and (max_pages is None or page_no <= max_pages):
        result = client.get_site_scenes(site.tpdb_numeric_id, page=page_no, per_page=100, year=year)
        last_page = result.meta.last_page
        wanted = [
            data
            for data in result.items
            # TPDB may ignore the year filter; the date floor keeps later years out only partly
            if year is None or data.date is None or data.date.year == year
        ]
        seen += len(wanted)
        if not is_dry_run:
            with transaction.atomic():  # one short write per page, never the whole site-year
                for data in wanted:
                    scene_upsert_from_tpdb(data=data)
        if progress:
            progress(seen, result.meta.total)
        page_no += 1
    if not is_dry_run and year is not None and page_no > last_page:
        SiteYearSync.objects.update_or_create(
            site=site, year=year, defaults={"synced_at": timezone.now(), "scene_count": seen}
        )
    return seen
