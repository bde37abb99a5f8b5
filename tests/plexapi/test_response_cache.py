"""Repeated Plex requests are answered from the response cache, and no write, failure or deadline is hidden by it."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from plexapi import responsecache
from plexapi.responsecache import STATUS_HEADER, ResponseCache
from scenes.episodes import episode_numbers_ensure
from scenes.matching import MatchRequest, request_key_for
from scenes.models import MatchPin, Scene
from tests.fake_clock import FakeClock
from tests.plexapi.conftest import SCENE_UUID

pytestmark = pytest.mark.django_db

EPISODE = f"/tv/library/metadata/tpdb-scene-{SCENE_UUID}"
TV_MATCH = "/tv/library/metadata/matches"


def _title(response) -> str:
    return response.json()["MediaContainer"]["Metadata"][0]["title"]


def test_a_repeated_metadata_request_is_answered_from_memory_without_queries(
    api, spec_library, django_assert_num_queries
):
    episode_numbers_ensure(site=spec_library.site, year=2024)  # as the season's first serve does: a write
    first = api.get(EPISODE)
    with django_assert_num_queries(0):
        second = api.get(EPISODE)
    assert (first[STATUS_HEADER], second[STATUS_HEADER]) == ("miss", "hit")
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]


def test_a_changed_scene_is_served_on_the_very_next_request(api, spec_library):
    episode_numbers_ensure(site=spec_library.site, year=2024)
    api.get(EPISODE)
    assert api.get(EPISODE)[STATUS_HEADER] == "hit"
    scene = Scene.objects.get(tpdb_id=SCENE_UUID)
    scene.title = "Corrected In The Admin"
    scene.save()
    again = api.get(EPISODE)
    assert again[STATUS_HEADER] == "miss"
    assert _title(again) == "Corrected In The Admin"


def test_paging_headers_and_query_strings_are_part_of_the_key(api, spec_library):
    season = "/tv/library/metadata/tpdb-season-example-site-2024/children"
    first_page = api.get(season, HTTP_X_PLEX_CONTAINER_SIZE="1")
    second_page = api.get(season, HTTP_X_PLEX_CONTAINER_SIZE="1", HTTP_X_PLEX_CONTAINER_START="1")
    with_children = api.get("/tv/library/metadata/tpdb-site-example-site?includeChildren=1")
    without = api.get("/tv/library/metadata/tpdb-site-example-site")
    assert first_page.json()["MediaContainer"]["offset"] == 0
    assert second_page.json()["MediaContainer"]["offset"] == 1
    assert second_page[STATUS_HEADER] == "miss"
    assert "Children" in with_children.json()["MediaContainer"]["Metadata"][0]
    assert "Children" not in without.json()["MediaContainer"]["Metadata"][0]


def test_errors_are_never_cached(api, spec_library):
    missing = "/tv/library/metadata/tpdb-site-no-such-site"
    statuses = [api.get(missing).status_code for _ in range(2)]
    assert statuses == [404, 404]
    assert STATUS_HEADER not in api.get(missing)


def test_a_match_answered_while_tpdb_is_down_is_not_replayed(api, spec_library, dead_tpdb):
    body = {"type": 4, "grandparentTitle": "Nowhere Studio", "filename": "Nowhere Studio - 2021-02-03 - Gone.mp4"}
    answers = [api.post(TV_MATCH, body, format="json") for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    assert [a[STATUS_HEADER] for a in answers] == ["miss", "miss"]


def test_a_pin_made_after_a_cached_match_answers_the_next_match(api, spec_library):
    body = {"type": 4, "title": SCENE_UUID, "filename": "Example Site/Some Release.mp4"}  # answered without TPDB
    episode_numbers_ensure(site=spec_library.site)  # served before: numbering the episodes is a write
    api.post(TV_MATCH, body, format="json")
    assert api.post(TV_MATCH, body, format="json")[STATUS_HEADER] == "hit"
    other = Scene.objects.exclude(tpdb_id=SCENE_UUID).filter(release_date__year=2023).first()
    request = MatchRequest(provider="tv", type=4, title=SCENE_UUID, filename="Example Site/Some Release.mp4")
    MatchPin.objects.create(
        provider="tv", request_key=request_key_for(request), rating_key=f"tpdb-scene-{other.tpdb_id}",
        tpdb_id=other.tpdb_id,
    )  # fmt: skip
    items = api.post(TV_MATCH, body, format="json").json()["MediaContainer"]["Metadata"]
    assert [i["ratingKey"] for i in items] == [f"tpdb-scene-{other.tpdb_id}"]


def test_a_cached_answer_expires_when_its_item_goes_stale(api, spec_library, settings, monkeypatch):
    clock = FakeClock()
    monkeypatch.setitem(responsecache._state, "cache", ResponseCache(max_bytes=1 << 20, ttl_s=300, clock=clock))
    ttl_s = settings.CACHE_TTL_SCENE_DETAIL
    Scene.objects.filter(tpdb_id=SCENE_UUID).update(fetched_at=timezone.now() - datetime.timedelta(seconds=ttl_s - 30))
    episode_numbers_ensure(site=spec_library.site)
    api.get(EPISODE)
    clock.sleep(20)
    assert api.get(EPISODE)[STATUS_HEADER] == "hit"
    clock.sleep(15)  # past the moment the scene went stale: built again, so the refresh gets queued
    assert api.get(EPISODE)[STATUS_HEADER] == "miss"


def test_setting_the_ttl_to_zero_turns_the_cache_off(api, spec_library, settings):
    settings.PLEX_RESPONSE_CACHE_TTL_S = 0
    responses = [api.get(EPISODE) for _ in range(2)]
    assert [r.status_code for r in responses] == [200, 200]
    assert all(STATUS_HEADER not in r for r in responses)


def test_an_answer_built_after_tpdb_failed_is_not_replayed(api, spec_library, dead_tpdb):
    Scene.objects.filter(tpdb_id=SCENE_UUID).update(is_complete=False)  # Plex's first read tries to complete it
    first, second = api.get(EPISODE), api.get(EPISODE)
    assert [first.status_code, second.status_code] == [200, 200]
    assert [first["X-TPDB-Calls"], second["X-TPDB-Calls"]] == ["1", "0"]  # the retry waits out its 10 minutes
    assert second[STATUS_HEADER] == "miss"  # the fallback answer was not kept; this one asked nothing, so it is
    assert api.get(EPISODE)[STATUS_HEADER] == "hit"
