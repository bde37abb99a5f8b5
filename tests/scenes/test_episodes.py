"""Episode numbers (``scenes.episodes``): MMDD * 100 + a per-day slot, given once and kept, unique per season."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from django.db import connections

from scenes.episodes import (
    DAY_SLOTS,
    OVERFLOW_START,
    day_episode_index,
    episode_numbers_assign,
    episode_numbers_ensure,
    scene_episode_index,
)
from scenes.models import Scene
from tests import recipes
from tpdbprovider.matching.ratingkeys import UNDATED_SEASON

pytestmark = pytest.mark.django_db


def _scene(site, released: dt.date | None, tpdb_id: str | None = None) -> Scene:
    return recipes.scene.make(site=site, release_date=released, tpdb_id=uuid.UUID(tpdb_id) if tpdb_id else uuid.uuid4())


def _numbers(site, year: int) -> dict[uuid.UUID, int]:
    rows = Scene.objects.filter(site=site, episode_season=year).values_list("tpdb_id", "episode_index")
    return dict(rows)


def test_a_dated_scene_is_its_month_day_and_a_slot():
    assert day_episode_index(dt.date(2024, 3, 5), 1) == 30501
    assert day_episode_index(dt.date(2024, 12, 31), DAY_SLOTS) == 123199 < OVERFLOW_START


def test_same_day_scenes_keep_the_slot_they_were_first_served_with():
    site = recipes.site.make()
    later_uuid = _scene(site, dt.date(2024, 3, 5), "ffffffff-0000-4000-8000-000000000000")
    assert scene_episode_index(scene=later_uuid) == 30501
    smaller_uuid = _scene(site, dt.date(2024, 3, 5), "00000000-0000-4000-8000-000000000000")
    assert scene_episode_index(scene=smaller_uuid) == 30502
    later_uuid.refresh_from_db()
    assert scene_episode_index(scene=later_uuid) == 30501


def test_scenes_numbered_together_take_their_slots_in_uuid_order():
    site = recipes.site.make()
    b = _scene(site, dt.date(2021, 2, 1), "bbbbbbbb-0000-4000-8000-000000000000")
    a = _scene(site, dt.date(2021, 2, 1), "aaaaaaaa-0000-4000-8000-000000000000")
    assert episode_numbers_assign(site_id=site.pk, year=2021) == 2
    assert _numbers(site, 2021) == {a.tpdb_id: 20101, b.tpdb_id: 20102}
    assert episode_numbers_assign(site_id=site.pk, year=2021) == 0


def test_a_crowded_day_spills_into_numbers_after_every_day_of_the_year():
    site = recipes.site.make()
    day = dt.date(2022, 6, 1)
    Scene.objects.bulk_create(
        Scene(site=site, tpdb_id=uuid.uuid4(), title=f"Bulk {n}", release_date=day) for n in range(DAY_SLOTS + 2)
    )
    _scene(site, dt.date(2022, 12, 31))
    episode_numbers_ensure(site=site, year=2022)
    numbers = sorted(_numbers(site, 2022).values())
    assert numbers[:DAY_SLOTS] == [60101 + n for n in range(DAY_SLOTS)]
    assert numbers[DAY_SLOTS:] == [123101, OVERFLOW_START + 1, OVERFLOW_START + 2]


def test_undated_scenes_are_numbered_in_their_own_season_and_keep_their_numbers():
    site = recipes.site.make()
    first = _scene(site, None, "ffffffff-0000-4000-8000-000000000000")
    assert scene_episode_index(scene=first) == 1
    for _ in range(5):
        _scene(site, None, f"00000000-0000-4000-8000-{uuid.uuid4().int % 10**12:012d}")
    episode_numbers_ensure(site=site, year=UNDATED_SEASON)
    numbers = _numbers(site, UNDATED_SEASON)
    assert numbers[first.tpdb_id] == 1
    assert sorted(numbers.values()) == [1, 2, 3, 4, 5, 6]


def test_a_scene_moved_within_its_year_keeps_its_number_and_one_moved_to_another_year_gets_a_new_one():
    site = recipes.site.make()
    scene = _scene(site, dt.date(2023, 4, 1))
    assert scene_episode_index(scene=scene) == 40101
    Scene.objects.filter(pk=scene.pk).update(release_date=dt.date(2023, 4, 2))
    scene.refresh_from_db()
    assert scene_episode_index(scene=scene) == 40101
    Scene.objects.filter(pk=scene.pk).update(release_date=dt.date(2024, 1, 1))
    scene.refresh_from_db()
    assert (scene_episode_index(scene=scene), scene.episode_season) == (10101, 2024)
    # The freed 2023 number is not handed to a newcomer of that day: numbers only grow.
    assert scene_episode_index(scene=_scene(site, dt.date(2023, 4, 1))) == 40101


def test_numbering_a_whole_site_covers_every_season_in_one_call(django_assert_max_num_queries):
    site = recipes.site.make()
    for released in (dt.date(2020, 1, 1), dt.date(2021, 1, 1), None):
        _scene(site, released)
    with django_assert_max_num_queries(7):
        assert episode_numbers_ensure(site=site) == 3
    with django_assert_max_num_queries(1):
        assert episode_numbers_ensure(site=site) == 3


@pytest.mark.django_db(transaction=True)
def test_requests_numbering_one_season_at_once_give_every_scene_one_unique_number_that_stays():
    site = recipes.site.make()
    day = dt.date(2024, 3, 5)
    for _ in range(10):
        _scene(site, day)
    served: list[tuple[uuid.UUID, int]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)
    lock = threading.Lock()

    def serve(store_more: bool) -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(5):
                if store_more:
                    _scene(site, day)
                for scene in Scene.objects.filter(site=site).select_related("site"):
                    index = scene_episode_index(scene=scene)
                    with lock:
                        served.append((scene.tpdb_id, index))
        except BaseException as exc:  # asserted on below
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=serve, args=(n % 2 == 0,)) for n in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(w.is_alive() for w in workers), "a request hung"
    assert errors == []
    final = _numbers(site, 2024)
    assert len(final) == Scene.objects.filter(site=site).count() == 25
    assert sorted(final.values()) == [30501 + n for n in range(25)]
    assert all(final[tpdb_id] == index for tpdb_id, index in served)
