"""The ratingKey grammar, the only place it lives (plex-provider-spec §1.3, §8.1). Pure: the domain stores these
keys (pins, review items) and ``plexapi.ratingkeys`` serves them; neither side builds or parses them by hand.

PMS stores the GUID forever and asks for ``/library/metadata/<ratingKey>`` later, so these formats never change.
Collections (movie libraries, spec §3.3, §3.8) are keyed by the level and the site's own slug, which is ours and never
changes once stored, so a collection keeps its key when TPDB renames the site.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Literal

Kind = Literal["site", "season", "scene", "movie", "collection"]
# A site collection (a site's scenes, and a parent site's sub-sites') or a network collection (a network's sites).
CollectionLevel = Literal["site", "network"]

MAX_RATING_KEY_CHARS = 200
MIN_YEAR = 1900
MAX_YEAR = 2100
# Season 0 holds a site's scenes without a release date; Plex shows season 0 as "Specials" and sorts it first.
UNDATED_SEASON = 0

_CHARSET = re.compile(r"[A-Za-z0-9_-]+")
_SLUG = re.compile(r"[A-Za-z0-9_-]+")
_YEAR = re.compile(r"0|\d{4}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_COLLECTION_PREFIXES: tuple[tuple[str, CollectionLevel], ...] = (
    ("tpdb-collection-site-", "site"),
    ("tpdb-collection-network-", "network"),
)
_PREFIXES: tuple[tuple[str, Kind], ...] = (
    ("tpdb-site-", "site"),
    ("tpdb-season-", "season"),
    ("tpdb-scene-", "scene"),
    ("tpdb-movie-", "movie"),
)


class MalformedRatingKey(ValueError):
    """Not one of our ratingKeys; the message is safe to show (it quotes at most a bounded, checked key)."""


@dataclass(frozen=True)
class RatingKey:
    """A parsed ratingKey. ``value`` is the site slug/id/uuid (site, season, collection) or the lower-case uuid (scene,
    movie); ``level`` is set for a collection only."""

    kind: Kind
    value: str
    year: int | None = None
    level: CollectionLevel | None = None

    @property
    def uuid(self) -> uuid.UUID | None:
        return uuid.UUID(self.value) if is_uuid(self.value) else None

    def __str__(self) -> str:
        if self.kind == "season":
            return season_key(self.value, self.year or UNDATED_SEASON)
        if self.kind == "collection":
            return collection_key(self.level or "site", self.value)
        return f"tpdb-{self.kind}-{self.value}"


def is_uuid(value: str) -> bool:
    return _UUID.fullmatch(value) is not None


def site_key(slug: str) -> str:
    return f"tpdb-site-{slug}"


def season_key(slug: str, year: int) -> str:
    return f"tpdb-season-{slug}-{year}"


def scene_key(tpdb_id: uuid.UUID | str) -> str:
    return f"tpdb-scene-{str(tpdb_id).lower()}"


def movie_key(tpdb_id: uuid.UUID | str) -> str:
    return f"tpdb-movie-{str(tpdb_id).lower()}"


def collection_key(level: CollectionLevel, slug: str) -> str:
    return f"tpdb-collection-{level}-{slug}"


def parse(rating_key: str) -> RatingKey:
    """Parse a ratingKey or raise ``MalformedRatingKey``; nothing malformed ever reaches a query."""
    if not isinstance(rating_key, str) or len(rating_key) > MAX_RATING_KEY_CHARS or not _CHARSET.fullmatch(rating_key):
        raise MalformedRatingKey("Malformed ratingKey.")
    for prefix, level in _COLLECTION_PREFIXES:
        if rating_key.startswith(prefix):
            site = _parse_tail("site", rating_key[len(prefix) :], rating_key)
            return RatingKey(kind="collection", value=site.value, level=level)
    for prefix, kind in _PREFIXES:
        if rating_key.startswith(prefix):
            return _parse_tail(kind, rating_key[len(prefix) :], rating_key)
    raise MalformedRatingKey(f"Unknown ratingKey '{rating_key}'.")


def parse_or_none(rating_key: str) -> RatingKey | None:
    try:
        return parse(rating_key)
    except MalformedRatingKey:
        return None


def _parse_tail(kind: Kind, tail: str, rating_key: str) -> RatingKey:
    if kind in ("scene", "movie"):
        if not is_uuid(tail):
            raise MalformedRatingKey(f"Unknown ratingKey '{rating_key}'.")
        return RatingKey(kind=kind, value=tail.lower())
    if kind == "site":
        if not _SLUG.fullmatch(tail):
            raise MalformedRatingKey(f"Unknown ratingKey '{rating_key}'.")
        return RatingKey(kind="site", value=tail.lower() if is_uuid(tail) else tail)
    # Season: slugs may contain "-", so the year is whatever follows the LAST "-".
    slug, sep, year_text = tail.rpartition("-")
    if not sep or not slug or not _SLUG.fullmatch(slug) or not _YEAR.fullmatch(year_text):
        raise MalformedRatingKey(f"Unknown ratingKey '{rating_key}'.")
    year = int(year_text)
    if year_text != str(UNDATED_SEASON) and not MIN_YEAR <= year <= MAX_YEAR:
        raise MalformedRatingKey(f"Unknown ratingKey '{rating_key}'.")
    return RatingKey(kind="season", value=slug, year=year)
