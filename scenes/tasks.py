"""Scene tasks: refresh one scene, and the hourly fan-out over everything due for a refresh."""

from __future__ import annotations

import datetime
import logging

from celery import Task, shared_task
from django.utils import timezone

from movies.models import Movie
from movies.tasks import movie_refresh
from scenes.models import Scene
from scenes.selectors import media_stale, scene_get
from scenes.services import scene_refresh_from_tpdb
from tpdbprovider.core.locks import single_flight
from tpdbprovider.core.tasks import TRANSIENT_RETRY, enqueue
from tpdbprovider.tpdb.errors import TPDBNotFoundError
from tpdbprovider.tpdb.retry import run_with_tpdb_retries

logger = logging.getLogger(__name__)
STALE_BATCH = 1000  # per hourly run: well inside the background lane's share of 2 requests/s


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
    """Queue one refresh per scene and movie due (see scenes.selectors.media_stale); returns a summary."""
    with single_flight("stale_refresh", ttl_s=3300) as is_acquired:
        if not is_acquired:
            return "skipped"
        now = timezone.now()
        older_than = datetime.timedelta(seconds=older_than_s) if older_than_s is not None else None
        scene_ids = list(media_stale(model=Scene, now=now, older_than=older_than).values_list("pk", flat=True)[:limit])
        movie_ids = list(media_stale(model=Movie, now=now, older_than=older_than).values_list("pk", flat=True)[:limit])
        for scene_id in scene_ids:
            enqueue(scene_refresh, scene_id=scene_id)
        for movie_id in movie_ids:
            enqueue(movie_refresh, movie_id=movie_id)
    logger.info("queued %s scene and %s movie refreshes", len(scene_ids), len(movie_ids))
    return f"queued {len(scene_ids)} scenes, {len(movie_ids)} movies"
