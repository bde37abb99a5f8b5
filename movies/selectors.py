"""Read-only queries on movies."""

from __future__ import annotations

import uuid

from movies.models import Movie


def movie_get(*, tpdb_id: str | uuid.UUID | None = None, movie_id: int | None = None) -> Movie | None:
    """A movie by TPDB uuid or by our primary key; None when absent or the uuid is malformed."""
    if movie_id is not None:
        return Movie.objects.select_related("site").filter(pk=movie_id).first()
    try:
        key = tpdb_id if isinstance(tpdb_id, uuid.UUID) else uuid.UUID(str(tpdb_id))
    except ValueError:
        return None
    return Movie.objects.select_related("site").filter(tpdb_id=key).first()
