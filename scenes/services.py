"""Writes for scenes and performers mirrored from TPDB."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db.models import Model
from django.utils import timezone

from movies.models import Movie
from scenes.edits import PERFORMERS, is_locked, values_without_locked
from scenes.models import MatchPin, MediaFields, Performer, Scene, ScenePerformer
from scenes.selectors import media_stale
from sites.models import Site
from sites.selectors import site_get_by_tpdb_numeric_id
from sites.services import site_upsert_from_tpdb
from tpdbprovider.core.db import retry_on_conflict
from tpdbprovider.core.exceptions import UpstreamError, UpstreamNotFoundError
from tpdbprovider.core.models import fit_to_column
from tpdbprovider.matching.parser import tpdb_ref_id
from tpdbprovider.tpdb.client import tpdb_client
from tpdbprovider.tpdb.errors import TPDBNotFoundError
from tpdbprovider.tpdb.schemas import TPDBPerformer, TPDBPerformerCredit, TPDBScene

DETAIL_ONLY_FIELDS = ("tags", "directors")


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


def performer_credit_upsert_from_tpdb(*, data: TPDBPerformerCredit) -> Performer:
    """The site-specific credit record, pointing at its canonical parent (stored first) when TPDB linked one."""
    parent = performer_upsert_from_tpdb(data=data.parent) if data.parent else None
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


def media_values_from_tpdb(*, data: TPDBScene, existing: MediaFields | None) -> dict[str, Any]:
    """Column values shared by scenes and movies. A thin search item never downgrades a complete row."""
    model = type(existing) if existing is not None else Scene
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

    Rows are written in uuid order, not TPDB order, so two transactions storing scenes that share performers lock
    those rows in the same order and cannot deadlock.
    """
    stored = {c.id: performer_credit_upsert_from_tpdb(data=c) for c in sorted(data.performers, key=lambda c: c.id)}
    credits: list[tuple[Performer, str]] = []
    seen: set[int] = set()
    for credit in data.performers:
        performer = stored[credit.id]
        if performer.pk not in seen:
            seen.add(performer.pk)
            credits.append((performer, credit.name[:255]))
    return credits


@retry_on_conflict
def scene_upsert_from_tpdb(*, data: TPDBScene) -> Scene:
    """Create or update one scene with its site, performers and credits. Safe to repeat: keyed on tpdb_id."""
    existing = Scene.objects.select_for_update().filter(tpdb_id=data.id).first()
    values = media_values_from_tpdb(data=data, existing=existing)
    site = site_for_tpdb_media(data=data)
    if site is not None or existing is None:
        values["site"] = site
    scene, _ = Scene.objects.update_or_create(tpdb_id=data.id, defaults=values)
    if data.performers or existing is None or not existing.is_complete:
        credits_replace(credit_model=ScenePerformer, owner={"scene": scene}, data=data)
    return scene


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


def scene_mark_missing_upstream(*, scene: Scene) -> None:
    media_mark_missing_upstream(item=scene)


def scene_fetch_from_tpdb(*, ref: str, lane: str = "interactive") -> Scene:
    """Fetch one scene by uuid, numeric id, slug or TPDB URL and store it (the scene row is its cache)."""
    ref = tpdb_ref_id(ref)
    data = tpdb_client(lane=lane).get_scene(ref)
    return scene_upsert_from_tpdb(data=data)


def scene_refresh_from_tpdb(*, scene: Scene, lane: str = "background") -> Scene:
    return media_refresh_from_tpdb(item=scene, fetch=scene_fetch_from_tpdb, lane=lane)


M = TypeVar("M", bound=MediaFields)


def media_refresh_from_tpdb(*, item: M, fetch: Callable[..., M], lane: str) -> M:
    """Refetch a stored scene or movie. A 404 keeps its data, flags it missing upstream and its pins as needing a
    rematch, then re-raises so tasks and commands can count it."""
    try:
        return fetch(ref=str(item.tpdb_id), lane=lane)
    except TPDBNotFoundError:
        media_mark_missing_upstream(item=item)
        MatchPin.objects.filter(tpdb_id=item.tpdb_id).update(is_needs_rematch=True, updated_at=timezone.now())
        raise


STALE_BATCH = 1000  # per run and kind: well inside the background lane's share of 2 requests/s in an hour


@dataclass
class StaleRefreshSummary:
    scenes: int = 0  # due, at most ``limit``
    movies: int = 0
    refreshed: int = 0
    missing: int = 0  # TPDB answered 404: flagged missing upstream, pins flagged for a rematch
    failures: list[str] = field(default_factory=list)  # "<kind> <uuid>: <message>" per TPDB failure


def media_stale_refresh(
    *,
    refresh: Callable[[Scene | Movie], object] | None,
    older_than: datetime.timedelta | None = None,
    limit: int = STALE_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> StaleRefreshSummary:
    """Refresh what is stale: every scene and movie due by the policy of ``scenes.selectors.media_stale`` (or older
    than ``older_than``), at most ``limit`` of each, oldest fetch first, handed to ``refresh``.

    The hourly task's ``refresh`` queues one refresh task per item; ``refresh_stale``'s refetches in the process
    (``scenes.items.media_refresh_now``). ``refresh=None`` only counts (a dry run). TPDB failures are counted, never raised."""
    now = timezone.now()
    scenes = list(media_stale(model=Scene, now=now, older_than=older_than)[:limit])
    movies = list(media_stale(model=Movie, now=now, older_than=older_than)[:limit])
    summary = StaleRefreshSummary(scenes=len(scenes), movies=len(movies))
    if refresh is None:
        return summary
    items: list[Scene | Movie] = [*scenes, *movies]
    for done, item in enumerate(items, start=1):
        try:
            refresh(item)
            summary.refreshed += 1
        except UpstreamNotFoundError:
            summary.missing += 1
        except UpstreamError as exc:
            kind = "scene" if isinstance(item, Scene) else "movie"
            summary.failures.append(f"{kind} {item.tpdb_id}: {exc.message}")
        if progress:
            progress(done, len(items))
    return summary
