"""Scene tasks: refresh one scene, the hourly fan-out over everything due for a refresh, a site-year prefetch, and
the bounded runs of a site's catalog walk."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import TypeVar

from celery import Task, shared_task

from movies.models import Movie
from movies.tasks import movie_refresh
from scenes.catalog import site_catalog_abandon, site_catalog_continue, site_year_prefetch
from scenes.models import Scene
from scenes.selectors import scene_get
from scenes.services import STALE_BATCH, media_stale_refresh, scene_refresh_from_tpdb
from sites.models import Site
from sites.services import site_mark_missing_upstream
from sites.tasks import lock_held
from tpdbprovider.core.locks import single_flight
from tpdbprovider.core.tasks import TRANSIENT_RETRY, enqueue
from tpdbprovider.tpdb.errors import TPDBNotFoundError
from tpdbprovider.tpdb.retry import run_with_tpdb_retries

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, name="scenes.tasks.scene_refresh", **TRANSIENT_RETRY)
def scene_refresh(self: Task, scene_id: int) -> str:
    scene = scene_get(scene_id=scene_id)
    if scene is None:
        return "gone"
    try:
        run_with_tpdb_retries(self, lambda: scene_refresh_from_tpdb(scene=scene))
    except TPDBNotFoundError:
        return "missing upstream"
    return "refreshed"


@shared_task(name="scenes.tasks.stale_refresh", **TRANSIENT_RETRY)
def stale_refresh(older_than_s: int | None = None, limit: int = STALE_BATCH) -> str:
    """Queue one refresh task per scene and movie due (scenes.services.media_stale_refresh); returns a summary."""
    with single_flight("stale_refresh", ttl_s=3300) as is_acquired:
        if not is_acquired:
            return "skipped"
        older_than = datetime.timedelta(seconds=older_than_s) if older_than_s is not None else None
        summary = media_stale_refresh(refresh=_queue_refresh, older_than=older_than, limit=limit)
    logger.info("queued %s scene and %s movie refreshes", summary.scenes, summary.movies)
    return f"queued {summary.scenes} scenes, {summary.movies} movies"


def _queue_refresh(item: Scene | Movie) -> None:
    if isinstance(item, Movie):
        enqueue(movie_refresh, movie_id=item.pk)
    else:
        enqueue(scene_refresh, scene_id=item.pk)


T = TypeVar("T")


def _site_job(task: Task, site_id: int, lock: str, job: Callable[[Site], T]) -> T | str:
    """Run ``job(site)`` once at a time under ``lock``, with the TPDB retries; a summary string when it did not run."""
    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        return "gone"
    with single_flight(lock, ttl_s=1800) as is_acquired:
        if not is_acquired:
            return lock_held(task)
        try:
            return run_with_tpdb_retries(task, lambda: job(site))
        except TPDBNotFoundError:
            site_catalog_abandon(site=site)
            site_mark_missing_upstream(site=site)
            return "missing upstream"


# The name predates the move from sites.tasks: kept so messages queued by an older version still run.
@shared_task(bind=True, acks_late=True, name="sites.tasks.site_year_prefetch", **TRANSIENT_RETRY)
def site_year_prefetch_task(self: Task, site_id: int, year: int) -> str:
    count = _site_job(
        self, site_id, f"site_year:{site_id}:{year}", lambda site: site_year_prefetch(site=site, year=year)
    )
    return count if isinstance(count, str) else f"stored {count}"


@shared_task(bind=True, acks_late=True, name="scenes.tasks.site_catalog_fetch", **TRANSIENT_RETRY)
def site_catalog_fetch_task(self: Task, site_id: int, start_page: int = 1, walk_year: int | None = None) -> str:
    """A bounded run of a site's catalog walk (``scenes.catalog``); queues the next run until the last page."""
    outcome = _site_job(
        self,
        site_id,
        f"site_catalog:{site_id}",
        lambda site: site_catalog_continue(site=site, start_page=start_page, walk_year=walk_year),
    )
    if isinstance(outcome, str):
        return outcome
    run, is_over = outcome
    if not is_over:
        enqueue(site_catalog_fetch_task, site_id=site_id, start_page=run.next_page, walk_year=run.walk_year)
    return f"stored {run.stored}" + ("" if is_over else f", continues at page {run.next_page}")
