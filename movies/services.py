"""Writes for movies mirrored from TPDB."""

from __future__ import annotations

import re

from movies.media import (
    credits_replace,
    media_mark_missing_upstream,
    media_refresh_from_tpdb,
    media_values_from_tpdb,
    site_for_tpdb_media,
)
from movies.models import Movie, MoviePerformer
from tpdbprovider.core.db import retry_on_conflict
from tpdbprovider.matching.parser import tpdb_ref_id
from tpdbprovider.tpdb.client import tpdb_client
from tpdbprovider.tpdb.schemas import TPDBScene

_TRAILING_PARENTHETICAL_RE = re.compile(r"\s*\([^()]*\)\s*$")


def movie_studio_from_site_name(*, name: str) -> str:
    """``"Example Pictures (DVD)"`` → ``"Example Pictures"``: movie sites are labels with a format suffix."""
    return _TRAILING_PARENTHETICAL_RE.sub("", name).strip() or name.strip()


@retry_on_conflict
def movie_upsert_from_tpdb(*, data: TPDBScene) -> Movie:
    """Create or update one movie with its site, cast and credits. Safe to repeat: keyed on tpdb_id. Locks the site
    row before the movie's, as the scene upsert does."""
    site = site_for_tpdb_media(data=data)
    existing = Movie.objects.select_for_update().filter(tpdb_id=data.id).first()
    values = media_values_from_tpdb(data=data, model=Movie, existing=existing)
    if data.date is not None and "release_date" in values:  # a locked date keeps its year
        values["year"] = data.date.year
    if site is not None or existing is None:
        values["site"] = site
    site_name = data.site.name if data.site else (site.name if site else "")
    if site_name:
        values["studio"] = movie_studio_from_site_name(name=site_name)[:255]
    movie, _ = Movie.objects.update_or_create(tpdb_id=data.id, defaults=values)
    if data.performers or existing is None or not existing.is_complete:
        credits_replace(credit_model=MoviePerformer, owner={"movie": movie}, data=data)
    return movie


def movie_mark_missing_upstream(*, movie: Movie) -> None:
    media_mark_missing_upstream(item=movie)


def movie_fetch_from_tpdb(*, ref: str, lane: str = "interactive") -> Movie:
    """Fetch one movie by uuid, numeric id, slug or TPDB URL and store it (the movie row is its cache)."""
    data = tpdb_client(lane=lane).get_movie(tpdb_ref_id(ref))
    return movie_upsert_from_tpdb(data=data)


def movie_refresh_from_tpdb(*, movie: Movie, lane: str = "background") -> Movie:
    return media_refresh_from_tpdb(item=movie, fetch=movie_fetch_from_tpdb, lane=lane)
