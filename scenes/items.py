"""Get this scene, fetching and storing it if needed: the one home of that use case for the Plex views, the review,
the match service and ``sync_scene``. The shared rules (TPDB 404s remembered, the unknown-item share) are
tpdbprovider.core.fetching."""

from __future__ import annotations

import logging

from movies.models import Movie
from movies.services import movie_refresh_from_tpdb
from scenes.catalog import is_site_year_fresh
from scenes.models import Scene
from scenes.selectors import scene_with_credits
from scenes.services import scene_fetch_from_tpdb, scene_refresh_from_tpdb
from scenes.tasks import scene_refresh
from tpdbprovider.core.fetching import MediaKind, media_get_or_fetch
from tpdbprovider.matching.ratingkeys import UNDATED_SEASON, is_uuid

logger = logging.getLogger(__name__)
SCENES: MediaKind[Scene] = MediaKind(
    name="scene",
    find=scene_with_credits,
    fetch=scene_fetch_from_tpdb,
    refresh_task=scene_refresh,
    refresh_task_arg="scene_id",
    ttl_setting="CACHE_TTL_SCENE_DETAIL",
)


def scene_get_or_fetch(
    *, ref: str, is_forced: bool = False, lane: str = "interactive", is_thin_served: bool = False
) -> Scene:
    """The scene ``ref`` names: a TPDB uuid, or a TPDB slug (the match service's ``[tpdbid=…]`` refs; ``sync_scene``
    also passes numeric ids, always fetched), with its site and credits loaded.

    A stored scene is served as it is, except that a thin one (stored from a search) is completed on its first read
    and a stale one queues one background refresh. ``is_forced`` fetches even a stored scene (``sync_scene``). Raises
    ItemNotFoundError and ItemUnavailableError (tpdbprovider.core.exceptions). ``is_thin_served`` serves a thin row of
    a site-year stored by a catalog walk as it is and queues its completion in the background lane (a Plex read during
    a first scan: the detail call per file would otherwise be most of the scan's TPDB calls)."""
    return media_get_or_fetch(
        SCENES,
        ref=ref,
        is_uuid=is_uuid(ref),
        is_forced=is_forced,
        lane=lane,
        serve_thin=_is_catalogued if is_thin_served else None,
    )


def _is_catalogued(scene: Scene) -> bool:
    """Its site-year was stored by a catalog walk within ``CATALOG_FRESH``."""
    site_id = scene.site.tpdb_numeric_id if scene.site else None
    year = scene.release_date.year if scene.release_date else UNDATED_SEASON
    return site_id is not None and is_site_year_fresh(tpdb_site_id=site_id, year=year)


def media_refresh_now(item: Scene | Movie, *, lane: str = "background") -> Scene | Movie:
    """Refetch one stored scene or movie in this process through its kind's refresh service, the one the refresh
    tasks run (``refresh_stale``; the admin's "refresh now" on the interactive lane); TPDB's errors propagate."""
    if isinstance(item, Movie):
        return movie_refresh_from_tpdb(movie=item, lane=lane)
    return scene_refresh_from_tpdb(scene=item, lane=lane)
