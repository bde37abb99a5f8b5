"""Get this movie, fetching and storing it if needed: the one home of that use case for the Plex views, the review
and ``sync_movie``. The shared rules (TPDB 404s remembered, the unknown-item share) are tpdbprovider.core.fetching."""

from __future__ import annotations

import logging

from movies.models import Movie
from movies.selectors import movie_with_credits
from movies.services import movie_fetch_from_tpdb
from movies.tasks import movie_refresh
from tpdbprovider.core.fetching import MediaKind, media_get_or_fetch
from tpdbprovider.matching.ratingkeys import is_uuid

logger = logging.getLogger(__name__)
MOVIES: MediaKind[Movie] = MediaKind(
    name="movie",
    find=movie_with_credits,
    fetch=movie_fetch_from_tpdb,
    refresh_task=movie_refresh,
    refresh_task_arg="movie_id",
    ttl_setting="CACHE_TTL_MOVIE_DETAIL",
)


def movie_get_or_fetch(*, ref: str, is_forced: bool = False, lane: str = "interactive") -> Movie:
    """The movie ``ref`` names: a TPDB uuid, or a TPDB slug (the match service's ``[tpdbid=…]`` refs; ``sync_movie``
    also passes numeric ids, always fetched), with its credits loaded.

    A stored movie is served as it is, except that a thin one (stored from a search) is completed on its first read
    and a stale one queues one background refresh. ``is_forced`` fetches even a stored movie (``sync_movie``). Raises
    ItemNotFoundError and ItemUnavailableError (tpdbprovider.core.exceptions)."""
    return media_get_or_fetch(MOVIES, ref=ref, is_uuid=is_uuid(ref), is_forced=is_forced, lane=lane)
