"""Read-only queries on scenes and performers."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from scenes.models import MediaFields, Performer, Scene


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


# Refresh policy: incomplete rows (seen only in a search) hourly, recent releases daily (TPDB fills them in over
# the first weeks), complete old rows monthly.
INCOMPLETE_REFRESH = dt.timedelta(hours=1)
RECENT_RELEASE = dt.timedelta(days=60)
RECENT_REFRESH = dt.timedelta(days=1)
COMPLETE_REFRESH = dt.timedelta(days=30)


def media_stale(*, model: type[MediaFields], now: dt.datetime, older_than: dt.timedelta | None = None) -> QuerySet[Any]:
    """Rows of ``model`` due for a refresh, oldest fetch first; ``older_than`` replaces the policy with one age."""
    rows = model._default_manager.filter(is_missing_upstream=False)
    if older_than is not None:
        return rows.filter(fetched_at__lt=now - older_than).order_by("fetched_at")
    due = (
        Q(is_complete=False, fetched_at__lt=now - INCOMPLETE_REFRESH)
        | Q(release_date__gte=(now - RECENT_RELEASE).date(), fetched_at__lt=now - RECENT_REFRESH)
        | Q(fetched_at__lt=now - COMPLETE_REFRESH)
    )
    return rows.filter(due).order_by("fetched_at")
