"""Fields a person edited in the admin are locked, like Plex locks them: TPDB refreshes and upserts leave them alone.

A scene's or movie's ``locked_fields`` lists the locked column names, plus ``"performers"`` for its credits. Unlocking a
field lets the next refresh bring TPDB's value back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from movies.models import MediaFields

PERFORMERS = "performers"
# What the admin can lock: TPDB-mirrored columns a person may want to correct, and the credits.
LOCKABLE_FIELDS = (
    "title",
    "description",
    "release_date",
    "duration_s",
    "poster_url",
    "background_url",
    "image_url",
    "tags",
    "directors",
    PERFORMERS,
)


def media_fields_lock(*, item: MediaFields, edited: Iterable[str], unlocked: Iterable[str] = ()) -> list[str]:
    """Set ``item.locked_fields`` (not saved): the edited lockable fields added, the unlocked ones removed."""
    unlocked_set = set(unlocked)
    locks = {name for name in (*(item.locked_fields or ()), *edited) if name in LOCKABLE_FIELDS}
    item.locked_fields = [name for name in LOCKABLE_FIELDS if name in locks - unlocked_set]
    return item.locked_fields


def values_without_locked(*, values: dict[str, Any], existing: MediaFields | None) -> dict[str, Any]:
    """The upsert's column values minus the fields a person locked on the stored row."""
    locked = set(existing.locked_fields or ()) if existing is not None else set()
    return {name: value for name, value in values.items() if name not in locked}


def is_locked(*, item: MediaFields, field_name: str) -> bool:
    return field_name in (item.locked_fields or ())
