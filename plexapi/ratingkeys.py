"""Plex's side of the ratingKey grammar: the GUIDs and library paths built from our keys, and ``parse()`` as a 404.

The grammar itself (kinds, builders, the parser) is ``tpdbprovider.matching.ratingkeys``, which the domain uses too;
this module re-exports it so views and serializers have one import (plex-provider-spec §1.3, §8.1).
"""

from __future__ import annotations

import re
from typing import Literal

from django.http import Http404

from tpdbprovider.matching import ratingkeys as grammar
from tpdbprovider.matching.ratingkeys import (
    UNDATED_SEASON,
    CollectionLevel,
    RatingKey,
    collection_key,
    is_uuid,
    movie_key,
    scene_key,
    season_key,
    site_key,
)

__all__ = [
    "UNDATED_SEASON",
    "CollectionLevel",
    "PlexType",
    "RatingKey",
    "build_guid",
    "collection_key",
    "collection_path",
    "is_uuid",
    "metadata_key",
    "movie_key",
    "parse",
    "parse_guid",
    "scene_key",
    "season_key",
    "site_key",
]

PlexType = Literal["movie", "show", "season", "episode", "collection"]

_GUID = re.compile(r"(?P<scheme>[A-Za-z0-9.]+)://(?P<type>movie|show|season|episode)/(?P<rk>[A-Za-z0-9_-]+)")


def metadata_key(rating_key: str, *, with_children: bool = False) -> str:
    """The relative ``key`` of an item; shows and seasons point at their children (spec §3.2)."""
    return f"/library/metadata/{rating_key}/children" if with_children else f"/library/metadata/{rating_key}"


def collection_path(rating_key: str) -> str:
    """The relative ``key`` of a collection: the collection feature's path (spec §1.2, §3.8)."""
    return f"/library/collections/{rating_key}"


def build_guid(identifier: str, plex_type: PlexType, rating_key: str) -> str:
    return f"{identifier}://{plex_type}/{rating_key}"


def parse(rating_key: str) -> RatingKey:
    """Parse a ratingKey or raise Http404 (the exception handler's JSON 404); nothing malformed reaches a query."""
    try:
        return grammar.parse(rating_key)
    except grammar.MalformedRatingKey as exc:
        raise Http404(str(exc)) from None


def parse_guid(guid: str, *, identifiers: tuple[str, ...]) -> RatingKey | None:
    """Our own GUID (``<identifier>://<type>/<ratingKey>``) back to a RatingKey; None for any other scheme."""
    match = _GUID.fullmatch(guid.strip()) if isinstance(guid, str) else None
    if match is None or match["scheme"] not in identifiers:
        return None
    return grammar.parse_or_none(match["rk"])
