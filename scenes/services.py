"""Writes for scenes mirrored from TPDB (the performer and credit writes both kinds share are ``movies.media``), and
the refresh of what is stale."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from movies.media import (
    credits_replace,
    media_mark_missing_upstream,
    media_refresh_from_tpdb,
    media_values_from_tpdb,
    site_for_tpdb_media,
)
from movies.models import Movie
from scenes.models import MatchPin, Scene, ScenePerformer
from scenes.selectors import media_stale
from tpdbprovider.core.db import retry_on_conflict
from tpdbprovider.core.exceptions import UpstreamError, UpstreamNotFoundError
from tpdbprovider.matching.parser import tpdb_ref_id
from tpdbprovider.tpdb.client import tpdb_client
from tpdbprovider.tpdb.schemas import TPDBScene


@retry_on_conflict
def scene_upsert_from_tpdb(*, data: TPDBScene) -> Scene:
    """Create or update one scene with its site, performers and credits. Safe to repeat: keyed on tpdb_id.

    The site row is locked before the scene's, the order episode numbering takes (its site, then the site's scenes):
    the other way round a match storing its candidate and another numbering that site deadlocked on PostgreSQL."""
    site = site_for_tpdb_media(data=data)
    existing = Scene.objects.select_for_update().filter(tpdb_id=data.id).first()
    values = media_values_from_tpdb(data=data, model=Scene, existing=existing)
    if site is not None or existing is None:
        values["site"] = site
    scene, _ = Scene.objects.update_or_create(tpdb_id=data.id, defaults=values)
    if data.performers or existing is None or not existing.is_complete:
        credits_replace(credit_model=ScenePerformer, owner={"scene": scene}, data=data)
    return scene


def scene_mark_missing_upstream(*, scene: Scene) -> None:
    media_mark_missing_upstream(item=scene)


def scene_fetch_from_tpdb(*, ref: str, lane: str = "interactive") -> Scene:
    """Fetch one scene by uuid, numeric id, slug or TPDB URL and store it (the scene row is its cache)."""
    ref = tpdb_ref_id(ref)
    data = tpdb_client(lane=lane).get_scene(ref)
    return scene_upsert_from_tpdb(data=data)


def scene_refresh_from_tpdb(*, scene: Scene, lane: str = "background") -> Scene:
    return media_refresh_from_tpdb(item=scene, fetch=scene_fetch_from_tpdb, lane=lane)


def pins_flag_needs_rematch(*, tpdb_id: uuid.UUID) -> int:
    """TPDB lost the item these pins name: the review queue lists them for a rematch (``movies.media``'s
    ``media_lost_upstream``, connected in ``scenes.apps``)."""
    return MatchPin.objects.filter(tpdb_id=tpdb_id).update(is_needs_rematch=True, updated_at=timezone.now())


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
