"""The TPDB side of a match: one parse search, a movie search when a movie is possible, both cached."""

from __future__ import annotations

import logging
from typing import Any

from scenes.matching.candidates import Pool
from scenes.matching.request import MatchRequest
from sites.models import Site
from sites.services import site_list_sync_queue_if_due, site_upsert_from_tpdb
from tpdbprovider.core.cache import SCENE_SEARCH, cache_service
from tpdbprovider.matching.parser import ParsedScene
from tpdbprovider.tpdb.client import TPDBClient, tpdb_client
from tpdbprovider.tpdb.errors import TPDBError
from tpdbprovider.tpdb.schemas import TPDBScene, slim_scene_json

logger = logging.getLogger(__package__)


def fetch_candidates(
    req: MatchRequest, parsed: ParsedScene, pool: Pool, *, kind: str, site_key: str | None = None
) -> bool:
    """One TPDB search of ``kind`` (cached for CACHE_TTL_SCENE_SEARCH): the scene ``parse`` search (led by
    ``site_key``, the resolved site's short name, when there is one), or the movie search by title and year.

    Returns False when TPDB failed (the pool then holds only what was stored or fetched before the failure)."""
    client = tpdb_client(lane="interactive")
    try:
        if kind == "scene":
            query = parsed.to_search_query(site_key)[:500]
            if query:
                for raw in _cached_search(client, "scenes", {"parse": query}):
                    pool.add_fetched(TPDBScene.from_json(raw), "scene")
        else:
            movie_title = (parsed.title or req.title).strip()[:300]
            if movie_title:
                for raw in _cached_search(client, "movies", {"q": movie_title, "year": req.year or parsed.year}):
                    pool.add_fetched(TPDBScene.from_json(raw), "movie")
    except TPDBError as exc:
        # Answer from what is stored: the decision then only sees local rivals, which is why it stays conservative.
        logger.warning("Match search: TPDB failed (%s); deciding on stored scenes", exc.__class__.__name__)
        return False
    return True


def learn_sites(pool: Pool) -> bool:
    """Store the sites of fetched candidates we did not know (a library matched before any site sync); True if any.

    Also queues the full site sync once, so the next requests resolve sites locally.
    """
    known = set(Site.objects.values_list("tpdb_numeric_id", flat=True))
    new_sites = {d.site.id: d.site for d in pool.fetched.values() if d.site is not None and d.site.id not in known}
    for data in new_sites.values():
        site_upsert_from_tpdb(data=data)
    if new_sites:
        site_list_sync_queue_if_due()
    return bool(new_sites)


def _cached_search(client: TPDBClient, collection: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    def fetch() -> list[dict[str, Any]]:
        if collection == "scenes":
            page = client.search_scenes(parse=params["parse"])
        else:
            page = client.search_movies(q=params["q"], year=params["year"])
        return [slim_scene_json(item.raw) for item in page.items]

    result: list[dict[str, Any]] = cache_service.get_or_fetch(
        SCENE_SEARCH, {"collection": collection, **params}, fetch, stale_on=(TPDBError,)
    )
    return result
