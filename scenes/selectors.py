"""Read-only queries on scenes and performers."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.db.models import QuerySet

from scenes.models import Performer, Scene


def _uuid_or_none(value: str | uuid.UUID) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def scene_get(*, tpdb_id: str | uuid.UUID | None = None, scene_id: int | None = None) -> Scene | None:
    """A scene by TPDB uuid or by our primary key; None when absent or the uuid is malformed."""
    if scene_id is not None:
        return Scene.objects.select_related("site").filter(pk=scene_id).first()
    key = _uuid_or_none(tpdb_id) if tpdb_id is not None else None
    return Scene.objects.select_related("site").filter(tpdb_id=key).first() if key else None


def scene_with_credits(*, tpdb_id: str | uuid.UUID) -> Scene | None:
    """A scene with its site and ordered credits (performer and parent) loaded in three queries."""
    key = _uuid_or_none(tpdb_id)
    if key is None:
        return None
    return (
        Scene.objects.select_related("site").prefetch_related("credits__performer__parent").filter(tpdb_id=key).first()
    )


def scenes_for_site_dates(*, site_ids: Iterable[int], dates_from: dt.date, dates_to: dt.date) -> QuerySet[Scene]:
    """Stored scenes of these sites (our pks) released between the two dates, inclusive."""
    return Scene.objects.filter(site_id__in=list(site_ids), release_date__range=(dates_from, dates_to))


def performer_get(*, tpdb_id: str | uuid.UUID) -> Performer | None:
    key = _uuid_or_none(tpdb_id)
    return Performer.objects.filter(tpdb_id=key).first() if key else None
