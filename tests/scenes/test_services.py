"""Scene and performer upserts: idempotent, credits with parents, never downgraded by thin search items."""

from __future__ import annotations

import datetime as dt

import pytest

from movies.media import performer_upsert_from_tpdb
from movies.models import Performer
from scenes.models import Scene, ScenePerformer
from scenes.selectors import scene_get, scene_with_credits, scenes_for_site_dates
from scenes.services import scene_mark_missing_upstream, scene_upsert_from_tpdb
from sites.models import Site
from tests.recipes import scene_with_performers, tpdb_json
from tpdbprovider.tpdb.schemas import TPDBPerformer, TPDBScene

pytestmark = pytest.mark.django_db

SCENE_ID = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"


def detail(fixture: str = "scene_detail.json") -> TPDBScene:
    return TPDBScene.from_json(tpdb_json(fixture)["data"])


def search_item(index: int = 0) -> TPDBScene:
    return TPDBScene.from_json(tpdb_json("scenes_search.json")["data"][index])


def counts() -> tuple[int, int, int, int]:
    return Scene.objects.count(), Site.objects.count(), Performer.objects.count(), ScenePerformer.objects.count()


def test_it_stores_a_scene_with_site_performers_and_credits():
    scene = scene_upsert_from_tpdb(data=detail())

    assert counts() == (1, 1, 6, 3)  # 3 credit records + 3 canonical parents
    assert str(scene.tpdb_id) == SCENE_ID and scene.tpdb_numeric_id == 900001
    assert scene.site.tpdb_numeric_id == 4101
    assert scene.release_date == dt.date(2022, 1, 3)
    assert scene.duration_s == 2302
    assert scene.tags == ["Outdoor", "Kitchen", "4K"]
    assert scene.poster_url == "https://cdn.example.test/thumb/large/scenes/900001/poster.webp"
    assert scene.background_url == "https://cdn.example.test/scenes/900001/background.webp"
    assert scene.is_complete is True
    credits = list(scene.credits.select_related("performer__parent"))
    assert [(c.order, c.credited_name) for c in credits] == [
        (0, "Alex Sample"),
        (1, "Jordan E."),
        (2, "Casey Placeholder"),
    ]
    jordan = credits[1].performer
    assert jordan.is_parent is False
    assert jordan.parent.name == "Jordan Example" and jordan.parent.disambiguation == "II"
    assert jordan.parent.is_parent is True


def test_a_second_identical_upsert_changes_nothing():
    first = scene_upsert_from_tpdb(data=detail())
    before = counts()

    second = scene_upsert_from_tpdb(data=detail())

    assert counts() == before
    assert second.pk == first.pk
    assert list(second.credits.values_list("credited_name", "order")) == list(
        first.credits.values_list("credited_name", "order")
    )


def test_the_legacy_and_current_shapes_land_on_the_same_rows():
    scene_upsert_from_tpdb(data=detail("scene_detail_legacy_2023.json"))
    scene = scene_upsert_from_tpdb(data=detail())

    assert counts() == (1, 1, 6, 3)
    assert str(scene.site.tpdb_id) == "5e1f0a2b-3c4d-4e5f-8a6b-7c8d9e0f4101"


def test_a_thin_search_item_never_downgrades_a_complete_scene():
    scene_upsert_from_tpdb(data=detail())

    scene = scene_upsert_from_tpdb(data=search_item(0))

    scene.refresh_from_db()
    assert scene.is_complete is True
    assert scene.tags == ["Outdoor", "Kitchen", "4K"]
    assert scene.credits.count() == 3


def test_a_search_item_is_stored_incomplete_then_completed_by_the_detail():
    thin = scene_upsert_from_tpdb(data=search_item(0))
    assert thin.is_complete is False
    assert thin.tags == []

    full = scene_upsert_from_tpdb(data=detail())

    assert full.pk == thin.pk
    assert full.is_complete is True
    assert full.tags == ["Outdoor", "Kitchen", "4K"]


def test_credits_that_left_the_scene_are_removed():
    scene_upsert_from_tpdb(data=detail())
    data = tpdb_json("scene_detail.json")["data"]
    data["performers"] = data["performers"][:1]

    scene = scene_upsert_from_tpdb(data=TPDBScene.from_json(data))

    assert list(scene.credits.values_list("credited_name", flat=True)) == ["Alex Sample"]


def test_an_unlinked_credit_is_stored_without_parent():
    scene = scene_upsert_from_tpdb(data=search_item(3))

    newcomer = scene.credits.get(credited_name="Unlinked Newcomer").performer
    assert newcomer.parent is None
    assert scene.duration_s is None
    assert scene.site.parent is None


def test_marking_missing_keeps_the_data_and_a_refresh_clears_it():
    scene = scene_upsert_from_tpdb(data=detail())
    scene_mark_missing_upstream(scene=scene)
    assert scene_get(tpdb_id=SCENE_ID).is_missing_upstream is True

    scene_upsert_from_tpdb(data=detail())

    assert scene_get(tpdb_id=SCENE_ID).is_missing_upstream is False


def test_performer_details_add_aliases_that_embedded_parents_do_not_erase():
    performer_upsert_from_tpdb(data=TPDBPerformer.from_json(tpdb_json("performer_detail.json")["data"]))

    scene_upsert_from_tpdb(data=detail())

    alex = Performer.objects.get(tpdb_id="6c5d4e3f-2a1b-4c0d-9e8f-7a6b5c4d3e2f")
    assert alex.aliases == ["Alexis Sample", "A. Sample"]
    assert alex.is_complete is True
    assert alex.birthdate == dt.date(1994, 8, 5)
    assert alex.credits.count() == 1


def test_scene_selectors():
    scene = scene_upsert_from_tpdb(data=detail())

    assert scene_get(tpdb_id="not-a-uuid") is None
    assert scene_get(scene_id=scene.pk) == scene
    assert scene_with_credits(tpdb_id=SCENE_ID) == scene
    assert list(
        scenes_for_site_dates(site_ids=[scene.site_id], dates_from=dt.date(2022, 1, 1), dates_to=dt.date(2022, 1, 31))
    ) == [scene]
    assert not scenes_for_site_dates(
        site_ids=[scene.site_id], dates_from=dt.date(2023, 1, 1), dates_to=dt.date(2023, 2, 1)
    )


def test_the_scene_with_performers_recipe_builds_credits():
    scene = scene_with_performers.make()

    scene_mark_missing_upstream(scene=scene)

    assert scene.credits.count() == 2
    assert Scene.objects.get(pk=scene.pk).is_missing_upstream is True
