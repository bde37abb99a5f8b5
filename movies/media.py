"""Writes both media kinds share: performers and credits, the media column values, the site of an item, and the
refresh with its missing-upstream rule. ``movies.services`` and ``scenes.services`` build their upserts on these; they
live in the lower media app so that imports flow one way (scenes -> movies)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model
from django.dispatch import Signal
from django.utils import timezone

from movies.edits import PERFORMERS, is_locked, values_without_locked
from movies.models import MediaFields, Performer
from sites.models import Site
from sites.selectors import site_get_by_tpdb_numeric_id
from sites.services import site_upsert_from_tpdb
from tpdbprovider.core.models import fit_to_column
from tpdbprovider.tpdb.errors import TPDBNotFoundError
from tpdbprovider.tpdb.schemas import TPDBPerformer, TPDBPerformerCredit, TPDBScene

DETAIL_ONLY_FIELDS = ("tags", "directors")

#: Sent with ``item=`` when a refresh finds a scene or movie gone from TPDB (after it is flagged missing upstream).
#: The match app, above this one, flags the pins on it for a rematch (``scenes.apps``).
media_lost_upstream = Signal()

M = TypeVar("M", bound=MediaFields)


def performer_upsert_from_tpdb(*, data: TPDBPerformer) -> Performer:
    """Create or update one canonical performer. Keys absent from the JSON (aliases on embedded parents) are kept."""
    values: dict[str, Any] = {
        "tpdb_numeric_id": data.numeric_id,
        "slug": data.slug[:255],
        "name": data.name[:255],
        "disambiguation": data.disambiguation[:255],
        "gender": (data.gender or "")[:32],
        "birthdate": data.birthdate,
        "height": data.height[:32],
        "weight": data.weight[:32],
        "image_url": fit_to_column(value=data.image, model=Performer, field_name="image_url"),
        "thumbnail_url": fit_to_column(value=data.thumbnail, model=Performer, field_name="thumbnail_url"),
        "face_url": fit_to_column(value=data.face, model=Performer, field_name="face_url"),
        "is_parent": data.is_parent,
        "is_missing_upstream": False,
    }
    if "aliases" in data.raw:  # only /performers answers carry aliases: the richer record
        values.update(aliases=list(data.aliases), is_complete=True, fetched_at=timezone.now())
    performer, _ = Performer.objects.update_or_create(tpdb_id=data.id, defaults=values)
    return performer


def performer_credit_upsert_from_tpdb(*, data: TPDBPerformerCredit, parent: Performer | None = None) -> Performer:
    """The site-specific credit record, pointing at its canonical parent (``parent`` when the caller stored it, else
    stored first here) when TPDB linked one."""
    if parent is None and data.parent:
        parent = performer_upsert_from_tpdb(data=data.parent)
    values: dict[str, Any] = {
        "tpdb_numeric_id": data.numeric_id,
        "slug": data.slug[:255],
        "name": data.name[:255],
        "gender": (data.gender or "")[:32],
        "image_url": fit_to_column(value=data.image, model=Performer, field_name="image_url"),
        "thumbnail_url": fit_to_column(value=data.thumbnail, model=Performer, field_name="thumbnail_url"),
        "face_url": fit_to_column(value=data.face, model=Performer, field_name="face_url"),
        "is_parent": False,
        "parent": parent,
        "is_missing_upstream": False,
    }
    performer, _ = Performer.objects.update_or_create(tpdb_id=data.id, defaults=values)
    return performer


def media_values_from_tpdb(
    *, data: TPDBScene, model: type[MediaFields], existing: MediaFields | None
) -> dict[str, Any]:
    """Column values shared by scenes and movies (``model``). A thin search item never downgrades a complete row."""
    values: dict[str, Any] = {
        "tpdb_numeric_id": data.numeric_id,
        "title": data.title[:500],
        "slug": data.slug[:500],
        "description": data.description,
        "release_date": data.date,
        "duration_s": data.duration_s if data.duration_s and data.duration_s > 0 else None,
        "poster_url": fit_to_column(value=data.poster_url, model=model, field_name="poster_url"),
        "background_url": fit_to_column(value=data.background_url, model=model, field_name="background_url"),
        "image_url": fit_to_column(value=data.image, model=model, field_name="image_url"),
        "trailer_url": fit_to_column(value=data.trailer, model=model, field_name="trailer_url"),
        "url": fit_to_column(value=data.url, model=model, field_name="url"),
        "tags": list(data.tags),
        "directors": list(data.directors),
        "external_id": data.external_id[:255],
    }
    is_downgrade = existing is not None and existing.is_complete and not data.is_detail
    if is_downgrade:
        for name in DETAIL_ONLY_FIELDS:
            values.pop(name)
        values = {name: value for name, value in values.items() if value not in ("", None)}
    values.update(
        is_complete=data.is_detail or bool(existing and existing.is_complete),
        fetched_at=timezone.now(),
        is_missing_upstream=False,
    )
    return values_without_locked(values=values, existing=existing)


def site_for_tpdb_media(*, data: TPDBScene) -> Site | None:
    """The scene's or movie's site: upserted from the embedded object, else looked up by ``site_id``."""
    if data.site is not None:
        return site_upsert_from_tpdb(data=data.site)
    if data.site_id is not None:
        return site_get_by_tpdb_numeric_id(tpdb_numeric_id=data.site_id)
    return None


def credits_from_tpdb(*, data: TPDBScene) -> list[tuple[Performer, str]]:
    """(credit performer, credited name) in TPDB order, one per performer record.

    Rows are written in one order whatever TPDB's: every canonical parent first, then every credit record, each in
    uuid order, so two transactions storing scenes that share performers lock those rows in the same order and cannot
    deadlock. (Credit by credit, each parent before its credit, two scenes crediting the same two performers through
    other sites' records locked the parents in opposite orders: PostgreSQL's log showed these deadlocks under 4 clients.)
    """
    parents = {c.parent.id: c.parent for c in data.performers if c.parent is not None}
    stored_parents = {pid: performer_upsert_from_tpdb(data=parents[pid]) for pid in sorted(parents)}
    stored = {
        c.id: performer_credit_upsert_from_tpdb(data=c, parent=stored_parents.get(c.parent.id) if c.parent else None)
        for c in sorted(data.performers, key=lambda c: c.id)
    }
    credits: list[tuple[Performer, str]] = []
    seen: set[int] = set()
    for credit in data.performers:
        performer = stored[credit.id]
        if performer.pk not in seen:
            seen.add(performer.pk)
            credits.append((performer, credit.name[:255]))
    return credits


def credits_replace(*, credit_model: type[Model], owner: dict[str, Any], data: TPDBScene) -> None:
    """Make the owner's credit rows (ScenePerformer or MoviePerformer) exactly TPDB's, in TPDB's order, unless a
    person locked the owner's performers."""
    if any(is_locked(item=item, field_name=PERFORMERS) for item in owner.values()):
        return
    credits = credits_from_tpdb(data=data)
    credit_model._default_manager.filter(**owner).exclude(performer__in=[p for p, _ in credits]).delete()
    for order, (performer, credited_name) in enumerate(credits):
        credit_model._default_manager.update_or_create(
            **owner, performer=performer, defaults={"credited_name": credited_name, "order": order}
        )


def media_mark_missing_upstream(*, item: MediaFields) -> None:
    """TPDB answered 404 for this scene or movie: flag it and keep the last good data."""
    type(item)._default_manager.filter(pk=item.pk).update(is_missing_upstream=True, updated_at=timezone.now())
    item.is_missing_upstream = True


def media_refresh_from_tpdb(*, item: M, fetch: Callable[..., M], lane: str) -> M:
    """Refetch a stored scene or movie. A 404 keeps its data, flags it missing upstream and tells
    ``media_lost_upstream`` (its pins need a rematch), then re-raises so tasks and commands can count it."""
    try:
        return fetch(ref=str(item.tpdb_id), lane=lane)
    except TPDBNotFoundError:
        media_mark_missing_upstream(item=item)
        media_lost_upstream.send(sender=type(item), item=item)
        raise
