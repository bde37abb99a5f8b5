"""Writes for movies mirrored from TPDB."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone

from movies.models import Movie, MoviePerformer
from scenes.services import credits_from_tpdb, media_values_from_tpdb, site_for_tpdb_media
from tpdbprovider.tpdb.schemas import TPDBScene

_TRAILING_PARENTHETICAL_RE = re.compile(r"\s*\([^()]*\)\s*$")


def movie_studio_from_site_name(*, name: str) -> str:
    """``"Example Pictures (DVD)"`` → ``"Example Pictures"``: movie sites are labels with a format suffix."""
    return _TRAILING_PARENTHETICAL_RE.sub("", name).strip() or name.strip()


@transaction.atomic
def movie_upsert_from_tpdb(*, data: TPDBScene) -> Movie:
    """Create or update one movie with its site, cast and credits. Safe to repeat: keyed on tpdb_id."""
    existing = Movie.objects.select_for_update().filter(tpdb_id=data.id).first()
    values = media_values_from_tpdb(data=data, existing=existing)
    if data.date is not None:
        values["year"] = data.date.year
    site = site_for_tpdb_media(data=data)
    if site is not None or existing is None:
        values["site"] = site
    site_name = data.site.name if data.site else (site.name if site else "")
    if site_name:
        values["studio"] = movie_studio_from_site_name(name=site_name)[:255]
    movie, _ = Movie.objects.update_or_create(tpdb_id=data.id, defaults=values)
    if data.performers or existing is None or not existing.is_complete:
        credits = credits_from_tpdb(data=data)
        MoviePerformer.objects.filter(movie=movie).exclude(performer__in=[p for p, _ in credits]).delete()
        for order, (performer, credited_name) in enumerate(credits):
            MoviePerformer.objects.update_or_create(
                movie=movie, performer=performer, defaults={"credited_name": credited_name, "order": order}
            )
    return movie


def movie_mark_missing_upstream(*, movie: Movie) -> None:
    """TPDB answered 404 for this movie: flag it and keep the last good data."""
    Movie.objects.filter(pk=movie.pk).update(is_missing_upstream=True, updated_at=timezone.now())
    movie.is_missing_upstream = True
