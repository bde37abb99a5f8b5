"""scene_get_or_fetch and media_stale_refresh: the one home of "get this scene" and of "refresh what is stale"."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from movies.models import Movie
from scenes.items import media_refresh_now, scene_get_or_fetch
from scenes.models import MatchPin, Scene
from scenes.services import media_stale_refresh
from tests import recipes
from tpdbprovider.core.exceptions import ItemNotFoundError, ItemUnavailableError

SCENE_UUID = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"
UNKNOWN = "99999999-9999-4999-8999-000000000077"
pytestmark = pytest.mark.django_db


def test_an_unknown_scene_is_fetched_stored_and_then_served_from_the_database(fake_tpdb) -> None:
    scene = scene_get_or_fetch(ref=SCENE_UUID)

    assert str(scene.tpdb_id) == SCENE_UUID and scene.is_complete
    assert scene.site is not None and [c.order for c in scene.credits.all()] == sorted(
        c.order for c in scene.credits.all()
    )
    assert scene_get_or_fetch(ref=SCENE_UUID) == scene
    assert fake_tpdb.count(f"/scenes/{SCENE_UUID}") == 1


def test_a_tpdb_404_is_remembered_and_a_forced_fetch_asks_again(fake_tpdb) -> None:
    for _ in range(2):
        with pytest.raises(ItemNotFoundError, match="TPDB has no scene"):
            scene_get_or_fetch(ref=UNKNOWN)
    assert fake_tpdb.count(f"/scenes/{UNKNOWN}") == 1

    with pytest.raises(ItemNotFoundError):
        scene_get_or_fetch(ref=UNKNOWN, is_forced=True)
    assert fake_tpdb.count(f"/scenes/{UNKNOWN}") == 2


def test_tpdb_failing_is_unavailable_for_an_unknown_scene_but_a_stored_one_is_served(fake_tpdb) -> None:
    stored = recipes.scene.make()
    fake_tpdb.set_faults(status=500)

    with pytest.raises(ItemUnavailableError):
        scene_get_or_fetch(ref=SCENE_UUID)
    assert scene_get_or_fetch(ref=str(stored.tpdb_id)) == stored
    assert not Scene.objects.filter(tpdb_id=SCENE_UUID).exists()


def test_a_thin_scene_is_completed_on_its_first_read_only(fake_tpdb) -> None:
    scene_get_or_fetch(ref=SCENE_UUID)
    Scene.objects.filter(tpdb_id=SCENE_UUID).update(is_complete=False, tags=[])

    scene = scene_get_or_fetch(ref=SCENE_UUID)

    assert scene.is_complete and scene.tags
    assert fake_tpdb.count(f"/scenes/{SCENE_UUID}") == 2
    scene_get_or_fetch(ref=SCENE_UUID)
    assert fake_tpdb.count(f"/scenes/{SCENE_UUID}") == 2


def test_a_thin_scene_whose_completion_fails_is_served_as_stored(fake_tpdb) -> None:
    thin = recipes.scene.make(is_complete=False)
    fake_tpdb.set_faults(status=500)

    assert scene_get_or_fetch(ref=str(thin.tpdb_id)) == thin
    assert Scene.objects.get(pk=thin.pk).is_complete is False


def test_a_stale_scene_is_served_and_queues_one_refresh_an_hour(fake_tpdb, django_capture_on_commit_callbacks):
    scene_get_or_fetch(ref=SCENE_UUID)
    old = timezone.now() - datetime.timedelta(days=30)
    Scene.objects.filter(tpdb_id=SCENE_UUID).update(fetched_at=old)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        served = scene_get_or_fetch(ref=SCENE_UUID)
        scene_get_or_fetch(ref=SCENE_UUID)

    assert served.fetched_at == old  # the answer does not wait for TPDB
    assert len(queued) == 1
    assert Scene.objects.get(tpdb_id=SCENE_UUID).fetched_at > old  # the queued refresh ran
    assert fake_tpdb.count(f"/scenes/{SCENE_UUID}") == 2


def test_sync_scene_s_forced_fetch_takes_a_numeric_id(fake_tpdb) -> None:
    numeric_id = str(recipes.tpdb_json("scene_detail.json")["data"]["_id"])

    scene = scene_get_or_fetch(ref=numeric_id, is_forced=True, lane="background")

    assert str(scene.tpdb_id) == SCENE_UUID


def test_stale_refresh_counts_refreshes_and_counts_misses_and_failures(fake_tpdb) -> None:
    old = timezone.now() - datetime.timedelta(days=90)
    scene_get_or_fetch(ref=SCENE_UUID)
    gone = recipes.scene.make(fetched_at=old)
    recipes.movie.make(fetched_at=old, tpdb_id=UNKNOWN)
    Scene.objects.filter(tpdb_id=SCENE_UUID).update(fetched_at=old)
    MatchPin.objects.create(provider="tv", request_key="k", rating_key="x", tpdb_id=gone.tpdb_id)

    due = media_stale_refresh(refresh=None)
    assert (due.scenes, due.movies, due.refreshed) == (2, 1, 0)
    assert media_stale_refresh(refresh=None, limit=1).scenes == 1

    summary = media_stale_refresh(refresh=media_refresh_now)

    assert (summary.refreshed, summary.missing, summary.failures) == (1, 2, [])
    assert Scene.objects.get(pk=gone.pk).is_missing_upstream
    assert MatchPin.objects.get(tpdb_id=gone.tpdb_id).is_needs_rematch
    assert Movie.objects.get(tpdb_id=UNKNOWN).is_missing_upstream
    assert media_stale_refresh(refresh=None).scenes == 0  # refreshed or flagged: nothing due any more


def test_stale_refresh_reports_tpdb_failures_without_raising(fake_tpdb) -> None:
    old = timezone.now() - datetime.timedelta(days=90)
    scene = recipes.scene.make(fetched_at=old)
    fake_tpdb.set_faults(status=500)

    summary = media_stale_refresh(refresh=media_refresh_now)

    assert summary.refreshed == 0 and len(summary.failures) == 1
    assert summary.failures[0].startswith(f"scene {scene.tpdb_id}: ")


def test_stale_refresh_older_than_replaces_the_policy() -> None:
    recent = recipes.scene.make(fetched_at=timezone.now() - datetime.timedelta(hours=2))
    seen: list[object] = []

    summary = media_stale_refresh(refresh=seen.append, older_than=datetime.timedelta(hours=1))

    assert seen == [recent] and summary.refreshed == 1
    assert media_stale_refresh(refresh=None).scenes == 0  # a complete scene of 2022 is not due by the policy


def test_a_stored_scene_is_found_by_its_tpdb_slug_too(fake_tpdb) -> None:
    scene = recipes.scene.make(slug="example-studio-a-scene")
    assert scene_get_or_fetch(ref="example-studio-a-scene") == scene
    assert fake_tpdb.count() == 0
