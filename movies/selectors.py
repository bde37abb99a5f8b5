"""Read-only queries on movies."""

from __future__ import annotations

import uuid

from django.db.models import Prefetch

from movies.models import Movie, MoviePerformer


def movie_get(*, tpdb_id: str | uuid.UUID | None = None, movie_id: int | None = None) -> Movie | None:
    """A movie by TPDB uuid or by our primary key; None when absent or the uuid is malformed."""
    if movie_id is not None:
        return Movie.objects.select_related("site").filter(pk=movie_id).first()
    try:
        key = tpdb_id if isinstance(tpdb_id, uuid.UUID) else uuid.UUID(str(tpdb_id))
    except ValueError:
        return None
    return Movie.objects.select_related("site").filter(tpdb_id=key).first()


def movie_with_credits(*, tpdb_id: str | uuid.UUID | None = None, slug: str | None = None) -> Movie | None:
    """A movie by TPDB uuid (or by its TPDB slug) with its site and ordered credits (performer, parent) loaded in two
    queries; None when absent or the uuid is malformed."""
    credits = MoviePerformer.objects.select_related("performer__parent").order_by("order", "id")
    movies = Movie.objects.select_related("site").prefetch_related(Prefetch("credits", queryset=credits))
    if slug is not None:
        return movies.filter(slug=slug).first() if slug else None
    try:
        key = tpdb_id if isinstance(tpdb_id, uuid.UUID) else uuid.UUID(str(tpdb_id))
    except ValueError:
        return None
    return movies.filter(tpdb_id=key).first()


def movie_exists(*, tpdb_id: str | uuid.UUID) -> bool:
    try:
        key = tpdb_id if isinstance(tpdb_id, uuid.UUID) else uuid.UUID(str(tpdb_id))
    except ValueError:
        return False
    return Movie.objects.filter(tpdb_id=key).exists()
