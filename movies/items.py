"""Get this movie, fetching and storing it if needed: the one home of that use case for the Plex views, the review
and ``sync_movie``. The shared rules (TPDB 404s remembered, the unknown-item share) are tpdbprovider.core.fetching."""

from __future__ import annotations

import logging

from django.conf import settings

from movies.models import Movie
from movies.selectors import movie_with_credits
from movies.services import movie_fetch_from_tpdb
from movies.tasks import movie_refresh
from tpdbprovider.core.exceptions import ItemUnavailableError
from tpdbprovider.core.fetching import complete_if_thin, fetch_and_store, queue_refresh_if_stale
from tpdbprovider.matching.ratingkeys import is_uuid

logger = logging.getLogger(__name__)


def movie_get_or_fetch(*, ref: str, is_forced: bool = False, lane: str = "interactive") -> Movie:
    """The movie ``ref`` names: a TPDB uuid, or a TPDB slug (the match service's ``[tpdbid=…]`` refs; ``sync_movie``
    also passes numeric ids, always fetched), with its credits loaded.

    A stored movie is served as it is, except that a thin one (stored from a search) is completed on its first read
    and a stale one queues one background refresh. ``is_forced`` fetches even a stored movie (``sync_movie``). Raises
    ItemNotFoundError and ItemUnavailableError (tpdbprovider.core.exceptions)."""
    found = movie_with_credits(tpdb_id=ref) if is_uuid(ref) else movie_with_credits(slug=ref)
    if found is not None and not is_forced:
        if complete_if_thin("movie", found, lambda: movie_fetch_from_tpdb(ref=ref, lane=lane)):
            found = movie_with_credits(tpdb_id=found.tpdb_id)
        if found is not None:
            ttl_s = settings.CACHE_TTL_MOVIE_DETAIL
            queue_refresh_if_stale("movie", found, ttl_s=ttl_s, task=movie_refresh, movie_id=found.pk)
            return found
    fetched: Movie = fetch_and_store(
        "movie",
        ref,
        lambda: movie_fetch_from_tpdb(ref=ref, lane=lane),
        is_stored=found is not None,
        is_forced=is_forced,
    )
    stored = movie_with_credits(tpdb_id=ref if is_uuid(ref) else fetched.tpdb_id)
    if stored is None:  # TPDB answered about another id: nothing is stored under ours
        logger.warning("TPDB answered the movie %s with another item; treated as unavailable", ref)
        raise ItemUnavailableError(f"TPDB answered the movie '{ref}' with another item; try again later.")
    return stored
