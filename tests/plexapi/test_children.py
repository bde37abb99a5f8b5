"""Children and grandchildren (spec §3.5, §8.6): ordering, episode numbering, paging from headers or query."""

from __future__ import annotations

import datetime
import uuid

import pytest

from scenes.episodes import episode_numbers_ensure
from scenes.models import Scene
from tests.plexapi.conftest import MOVIE_UUID, SCENE_UUID

pytestmark = pytest.mark.django_db

SHOW = "/tv/library/metadata/tpdb-site-example-site"
SEASON_2024 = "/tv/library/metadata/tpdb-season-example-site-2024"


def _page(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()["MediaContainer"]


def test_a_shows_children_are_its_years_in_order(api, spec_library):
    page = _page(api.get(f"{SHOW}/children"))
    assert (page["offset"], page["totalSize"], page["size"]) == (0, 2, 2)
    assert [(s["type"], s["index"], s["title"]) for s in page["Metadata"]] == [
        ("season", 2023, "2023"),
        ("season", 2024, "2024"),
    ]


EPISODES_2024 = [10201, 10901, 11601, 12301, 13001, 30501, 30502, 120101]  # MMDD * 100 + slot (scenes.episodes)


def test_a_seasons_children_are_its_scenes_by_date_then_uuid(api, spec_library):
    page = _page(api.get(f"{SEASON_2024}/children"))
    assert page["totalSize"] == 8
    dates = [e["originallyAvailableAt"] for e in page["Metadata"]]
    assert dates == sorted(dates)
    assert [e["index"] for e in page["Metadata"]] == EPISODES_2024
    # Two scenes on 2024-03-05: the smaller uuid comes first.
    same_day = [e["ratingKey"] for e in page["Metadata"] if e["originallyAvailableAt"] == "2024-03-05"]
    assert same_day == ["tpdb-scene-00000000-0000-4000-8000-000000000000", f"tpdb-scene-{SCENE_UUID}"]


def test_episode_numbers_agree_between_children_and_metadata(api, spec_library):
    for episode in _page(api.get(f"{SEASON_2024}/children"))["Metadata"]:
        (item,) = _page(api.get(f"/tv/library/metadata/{episode['ratingKey']}"))["Metadata"]
        assert item["index"] == episode["index"]


def test_grandchildren_list_every_episode_by_season_then_index(api, spec_library):
    page = _page(api.get(f"{SHOW}/grandchildren", {"X-Plex-Container-Size": 100}))
    assert page["totalSize"] == page["size"] == 10
    assert [(e["parentIndex"], e["index"]) for e in page["Metadata"]] == [(2023, 10401), (2023, 60101)] + [
        (2024, n) for n in EPISODES_2024
    ]


@pytest.mark.parametrize("via", ["headers", "query"])
def test_paging_reads_headers_or_query_parameters(api, spec_library, via):
    paging = {"X-Plex-Container-Start": "2", "X-Plex-Container-Size": "3"}
    if via == "headers":
        response = api.get(f"{SEASON_2024}/children", headers=paging)
    else:
        response = api.get(f"{SEASON_2024}/children", paging)
    page = _page(response)
    assert (page["offset"], page["size"], page["totalSize"]) == (2, 3, 8)
    assert [e["index"] for e in page["Metadata"]] == EPISODES_2024[2:5]


def test_the_default_page_is_the_first_twenty(api, spec_library, make_scene):
    for day in range(1, 29):
        make_scene(spec_library.site, datetime.date(2024, 2, day))
    page = _page(api.get(f"{SEASON_2024}/children"))
    assert (page["offset"], page["size"], page["totalSize"]) == (0, 20, 36)


def test_a_page_past_the_end_is_empty_with_the_right_total(api, spec_library):
    page = _page(api.get(f"{SEASON_2024}/children", {"X-Plex-Container-Start": 50}))
    assert (page["offset"], page["size"], page["totalSize"], page["Metadata"]) == (50, 0, 8, [])


def test_negative_start_is_clamped_to_zero(api, spec_library):
    page = _page(api.get(f"{SEASON_2024}/children", headers={"X-Plex-Container-Start": "-5"}))
    assert (page["offset"], page["Metadata"][0]["index"]) == (0, EPISODES_2024[0])


def test_size_zero_reports_only_the_total(api, spec_library):
    page = _page(api.get(f"{SHOW}/grandchildren", {"X-Plex-Container-Size": 0}))
    assert (page["size"], page["totalSize"]) == (0, 10)


def test_huge_sizes_are_capped(api, spec_library, make_scene):
    Scene.objects.bulk_create(
        Scene(site=spec_library.site, tpdb_id=uuid.uuid4(), title="x", release_date=datetime.date(2024, 5, 1))
        for _ in range(600)
    )
    page = _page(api.get(f"{SEASON_2024}/children", {"X-Plex-Container-Size": "99999999999999999999999"}))
    assert (page["size"], page["totalSize"]) == (500, 608)


@pytest.mark.parametrize("value", ["abc", "1.5", "0x10"])
def test_a_non_integer_paging_value_is_a_400_naming_it(api, spec_library, value):
    response = api.get(f"{SEASON_2024}/children", headers={"X-Plex-Container-Size": value})
    assert response.status_code == 400
    assert response.json()["message"].startswith("X-Plex-Container-Size:")


def test_undated_scenes_form_season_zero(api, spec_library, make_scene):
    undated = make_scene(spec_library.site, None, title="When?")
    seasons = _page(api.get(f"{SHOW}/children"))["Metadata"]
    assert (seasons[0]["index"], seasons[0]["title"], seasons[0]["originallyAvailableAt"]) == (0, "Undated", "")
    (episode,) = _page(api.get(f"/tv/library/metadata/tpdb-scene-{undated.tpdb_id}"))["Metadata"]
    assert (episode["parentIndex"], episode["index"], episode["parentRatingKey"]) == (
        0,
        1,
        "tpdb-season-example-site-0",
    )
    assert _page(api.get("/tv/library/metadata/tpdb-season-example-site-0/children"))["totalSize"] == 1


def test_leaves_have_no_children(api, spec_library):
    for url in (f"/tv/library/metadata/tpdb-scene-{SCENE_UUID}", f"/movie/library/metadata/tpdb-movie-{MOVIE_UUID}"):
        assert _page(api.get(f"{url}/children"))["Metadata"] == []
        assert _page(api.get(f"{url}/grandchildren"))["Metadata"] == []


def test_children_of_an_unknown_item_are_a_404(api, db):
    assert api.get(f"/tv/library/metadata/tpdb-scene-{SCENE_UUID}/children").status_code == 404
    assert api.get("/tv/library/metadata/tpdb-site-nope/children").status_code == 404


def test_season_children_run_a_fixed_number_of_queries(api, spec_library, django_assert_num_queries):
    episode_numbers_ensure(site=spec_library.site)  # what the first read of each season does, once
    # site / catalog years stored (the season is not stored whole: its inline fetch finds TPDB unreachable here, and the
    # catalog walk is queued) / COUNT (and unnumbered COUNT) / page / credits (+performers)
    with django_assert_num_queries(5):
        _page(api.get(f"{SEASON_2024}/children"))


def test_show_children_run_a_fixed_number_of_queries(api, spec_library, django_assert_num_queries):
    # site / catalog years stored / any scene stored (the catalog walk is queued) / seasons GROUP BY
    with django_assert_num_queries(4):
        _page(api.get(f"{SHOW}/children"))


def test_grandchildren_run_a_fixed_number_of_queries(api, spec_library, django_assert_num_queries):
    episode_numbers_ensure(site=spec_library.site)
    # site / COUNT (and unnumbered COUNT) / page / credits
    with django_assert_num_queries(4):
        _page(api.get(f"{SHOW}/grandchildren"))


def test_a_site_with_ten_thousand_scenes_pages_in_constant_queries(
    api, spec_library, django_assert_num_queries, django_assert_max_num_queries
):
    start = datetime.date(2000, 1, 1)
    Scene.objects.bulk_create(
        Scene(
            site=spec_library.site,
            tpdb_id=uuid.uuid4(),
            title=f"Bulk {n}",
            release_date=start + datetime.timedelta(days=n // 3),
        )
        for n in range(10_000)
    )
    with django_assert_num_queries(4):  # the first read of the show queues its catalog walk (2 queries)
        seasons = _page(api.get(f"{SHOW}/children", {"X-Plex-Container-Size": 100}))
    assert seasons["totalSize"] == 12  # 2000-2009 plus 2023, 2024
    # The first read numbers all 10,010 episodes in batches (500 rows on PostgreSQL, fewer under SQLite's parameter
    # limit), never one statement per scene.
    with django_assert_max_num_queries(120):
        _page(api.get(f"{SHOW}/grandchildren", {"X-Plex-Container-Size": 1}))
    with django_assert_num_queries(4):
        page = _page(api.get(f"{SHOW}/grandchildren", {"X-Plex-Container-Start": 9990, "X-Plex-Container-Size": 20}))
    assert (page["totalSize"], page["size"]) == (10_010, 20)
    assert page["Metadata"][-1]["ratingKey"] != page["Metadata"][0]["ratingKey"]
    last = (
        Scene.objects.filter(site=spec_library.site, release_date__year=2009).order_by("release_date", "tpdb_id").last()
    )
    with django_assert_num_queries(3):  # a thin row: is its site-year stored by a catalog walk?
        (item,) = _page(api.get(f"/tv/library/metadata/tpdb-scene-{last.tpdb_id}"))["Metadata"]
    same_day = Scene.objects.filter(site=spec_library.site, release_date=last.release_date).count()
    assert item["index"] == (last.release_date.month * 100 + last.release_date.day) * 100 + same_day  # last that day


def _whole_season(api, url: str, size: int) -> tuple[list[dict], int]:
    """Every episode of a season read page by page as Plex does, and the totalSize the pages reported."""
    episodes: list[dict] = []
    start, totals = 0, set()
    while True:
        page = _page(
            api.get(
                f"{url}/children", headers={"X-Plex-Container-Start": str(start), "X-Plex-Container-Size": str(size)}
            )
        )
        totals.add(page["totalSize"])
        episodes += page["Metadata"]
        start += size
        if start >= page["totalSize"]:
            break
    (total,) = totals
    return episodes, total


def test_an_episodes_index_is_unchanged_after_100_more_scenes_of_its_season_are_stored(api, spec_library, make_scene):
    served, _ = _whole_season(api, SEASON_2024, size=3)
    before = {e["ratingKey"]: e["index"] for e in served}
    sunny = f"tpdb-scene-{SCENE_UUID}"
    assert before[sunny] == 30502
    site, day = spec_library.site, spec_library.scene.release_date
    for n in range(100):
        # Earlier, same-day (with uuids sorting before every stored one) and later scenes, read between the stores.
        if n % 3 == 0:
            make_scene(site, datetime.date(2024, 1, 1) + datetime.timedelta(days=n % 60))
        elif n % 3 == 1:
            make_scene(site, day, tpdb_id=uuid.UUID(f"00000000-0000-4000-8000-{n:012d}"))
        else:
            make_scene(site, datetime.date(2024, 6, 1) + datetime.timedelta(days=n))
        if n % 10 == 9:
            (item,) = _page(api.get(f"/tv/library/metadata/{sunny}"))["Metadata"]
            assert item["index"] == before[sunny]

    episodes, total = _whole_season(api, SEASON_2024, size=7)
    assert total == len(episodes) == 108
    indexes = [e["index"] for e in episodes]
    assert indexes == sorted(set(indexes))  # unique, ascending, no page overlapped or skipped
    assert {e["ratingKey"]: e["index"] for e in episodes if e["ratingKey"] in before} == before
    dates = [e["originallyAvailableAt"] for e in episodes]
    assert dates == sorted(dates)
    assert [e["index"] for e in episodes if e["originallyAvailableAt"] == day.isoformat()] == [
        30501 + n for n in range(2 + 33)
    ]
    grand = _page(api.get(f"{SHOW}/grandchildren", {"X-Plex-Container-Size": 500}))["Metadata"]
    assert {e["ratingKey"]: e["index"] for e in grand if e["parentIndex"] == 2024} == {
        e["ratingKey"]: e["index"] for e in episodes
    }
    match = {"type": 4, "grandparentTitle": "Example Site", "date": "2024-03-05", "filename": "Sunny Afternoon.mp4"}
    (matched,) = _page(api.post("/tv/library/metadata/matches", match, format="json"))["Metadata"]
    assert (matched["ratingKey"], matched["index"]) == (sunny, before[sunny])
