"""Get this scene, fetching and storing it if needed: the one home of that use case for the Plex views, the review,
the match service and ``sync_scene``. The shared rules (TPDB 404s remembered, the unknown-item share) are
tpdbprovider.core.fetching."""

from __future__ import annotations

import logging

from django.conf import settings

from movies.models import Movie
from movies.services import movie_refresh_from_tpdb
from scenes.models import Scene
from scenes.selectors import scene_with_credits
from scenes.services import scene_fetch_from_tpdb, scene_refresh_from_tpdb
from scenes.tasks import scene_refresh
from tpdbprovider.core.exceptions import ItemUnavailableError
from tpdbprovider.core.fetching import complete_if_thin, fetch_and_store, queue_refresh_if_stale
from tpdbprovider.matching.ratingkeys import is_uuid

logger = logging.getLogger(__name__)


def scene_get_or_fetch(*, ref: str, is_forced: bool = False, lane: str = "interactive") -> Scene:
    """The scene ``ref`` names: a TPDB uuid, or a TPDB slug (the match service's ``[tpdbid=…]`` refs; ``sync_scene``
    also passes numeric ids, always fetched), with its site and credits loaded.

    A stored scene is served as it is, except that a thin one (stored from a search) is completed on its first read
    and a stale one queues one background refresh. ``is_forced`` fetches even a stored scene (``sync_scene``). Raises
    ItemNotFoundError and ItemUnavailableError (tpdbprovider.core.exceptions)."""
    found = scene_with_credits(tpdb_id=ref) if is_uuid(ref) else scene_with_credits(slug=ref)
    if found is not None and not is_forced:
        if complete_if_thin("scene", found, lambda: scene_fetch_from_tpdb(ref=ref, lane=lane)):
            found = scene_with_credits(tpdb_id=found.tpdb_id)
        if found is not None:
            ttl_s = settings.CACHE_TTL_SCENE_DETAIL
            queue_refresh_if_stale("scene", found, ttl_s=ttl_s, task=scene_refresh, scene_id=found.pk)
            return found
    fetched: Scene = fetch_and_store(
        "scene",
        ref,
        lambda: scene_fetch_from_tpdb(ref=ref, lane=lane),
        is_stored=found is not None,
        is_forced=is_forced,
    )
    stored = scene_with_credits(tpdb_id=ref if is_uuid(ref) else fetched.tpdb_id)
    if stored is None:  # TPDB answered about another id: nothing is stored under ours
        logger.warning("TPDB answered the scene %s with another item; treated as unavailable", ref)
        raise ItemUnavailableError(f"TPDB answered the scene '{ref}' with another item; try again later.")
    return stored


def media_refresh_now(item: Scene | Movie) -> Scene | Movie:
    """Refetch one stored scene or movie in this process (``refresh_stale``); TPDB's errors propagate."""
    if isinstance(item, Movie):
        return movie_refresh_from_tpdb(movie=item)
    return scene_refresh_from_tpdb(scene=item)
