"""The episode and movie use case end to end: pins, reuse, stored candidates, the TPDB search, the decision."""

from __future__ import annotations

import datetime as dt

import pytest

from scenes.matching import SITE_LIST_PENDING, TPDB_UNAVAILABLE, MatchRequest, match_episode, match_movie
from scenes.models import MatchDecision, Scene
from sites.models import SiteListSync, SiteYearSync
from tests.scenes.matching.conftest import PICNIC_FILE, make_scene, make_site, picnic_request

pytestmark = pytest.mark.django_db


def test_an_episode_is_found_with_one_search_stored_and_recorded(fake_tpdb):
    (result,) = match_episode(picnic_request())

    assert (result.kind, result.item.title) == ("episode", "Sunny Afternoon Picnic")
    assert Scene.objects.filter(pk=result.item.pk).exists()
    decision = MatchDecision.objects.get()
    assert (decision.state, decision.reason) == ("auto", "accepted")
    assert decision.chosen_rating_key == f"tpdb-scene-{result.item.tpdb_id}"


def test_the_same_plex_item_asked_again_is_answered_from_the_decision(fake_tpdb):
    (first,) = match_episode(picnic_request())
    calls = len(fake_tpdb.requests)
    assert match_episode(picnic_request()) == [first]
    assert len(fake_tpdb.requests) == calls


def test_a_sure_local_answer_in_a_freshly_prefetched_site_year_skips_tpdb(fake_tpdb):
    site = make_site("Example Studio", 4101)
    make_scene(site, "Sunny Afternoon Picnic", dt.date(2022, 1, 3))
    SiteYearSync.objects.create(site=site, year=2022, synced_at=dt.datetime.now(tz=dt.UTC))
    SiteListSync.objects.create(finished_at=dt.datetime.now(tz=dt.UTC))

    (result,) = match_episode(picnic_request())

    assert result.item.title == "Sunny Afternoon Picnic"
    assert fake_tpdb.requests == []


def test_a_manual_request_lists_candidates_and_records_no_decision(fake_tpdb):
    results = match_episode(picnic_request(manual=True))
    assert results and results[0].item.title == "Sunny Afternoon Picnic"
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    assert not MatchDecision.objects.exists()


def test_tpdb_down_answers_nothing_and_the_abstention_is_not_reused(tpdb_down):
    SiteListSync.objects.create(finished_at=dt.datetime.now(tz=dt.UTC))
    assert match_episode(MatchRequest(provider="tv", type=4, filename=PICNIC_FILE)) == []
    assert MatchDecision.objects.get().reason == TPDB_UNAVAILABLE


def test_before_the_first_site_list_sync_an_unknown_site_is_reported_as_pending(fake_tpdb):
    req = MatchRequest(provider="tv", type=4, filename="Nobody Knows - 2024-05-20 - Nothing Here.mp4")
    assert match_episode(req) == []
    assert MatchDecision.objects.get().reason == SITE_LIST_PENDING


def test_a_movie_request_may_be_answered_by_a_scene(fake_tpdb):
    req = MatchRequest(provider="movie", type=1, grandparent_title="Example Studio", filename=PICNIC_FILE)
    (result,) = match_movie(req)
    assert (result.kind, result.item.title) == ("scene_as_movie", "Sunny Afternoon Picnic")


def test_a_dateless_movie_library_name_settled_by_the_scene_search_asks_no_movie_search(fake_tpdb):
    make_site("Example Studio", 4101)
    SiteListSync.objects.create(finished_at=dt.datetime.now(tz=dt.UTC))
    req = MatchRequest(provider="movie", type=1, filename="Example Studio/Sunny Afternoon Picnic.mp4")

    (result,) = match_movie(req)

    assert (result.kind, result.item.title) == ("scene_as_movie", "Sunny Afternoon Picnic")
    assert fake_tpdb.count(route="GET /scenes") == 1
    assert fake_tpdb.count(route="GET /movies") == 0


def test_a_movie_like_name_that_the_movie_search_does_not_settle_also_asks_the_scene_search(fake_tpdb):
    SiteListSync.objects.create(finished_at=dt.datetime.now(tz=dt.UTC))
    req = MatchRequest(
        provider="movie", type=1, title="Nothing Like It", year=2021, filename="Nothing Like It (2021).mkv"
    )

    assert match_movie(req) == []

    assert [r.route for r in fake_tpdb.requests] == ["GET /movies", "GET /scenes"]
    assert MatchDecision.objects.get().state == "abstained"


def _store_the_fixture_scene() -> Scene:
    from scenes.services import scene_upsert_from_tpdb
    from tests.recipes import tpdb_json
    from tpdbprovider.tpdb.schemas import TPDBScene

    SiteListSync.objects.create(finished_at=dt.datetime.now(tz=dt.UTC))
    return scene_upsert_from_tpdb(data=TPDBScene.from_json(tpdb_json("scene_detail.json")["data"]))


def test_a_site_less_name_whose_stored_scene_of_that_day_is_near_certain_asks_tpdb_nothing(fake_tpdb):
    scene = _store_the_fixture_scene()
    request = MatchRequest(provider="movie", type=1, filename="Alex Sample - Sunny Afternoon Picnic (2022-01-03).mp4")

    (result,) = match_movie(request)

    assert result.item.pk == scene.pk
    assert fake_tpdb.requests == []


def test_a_site_less_name_that_only_shares_the_day_of_a_stored_scene_is_searched(fake_tpdb):
    _store_the_fixture_scene()
    request = MatchRequest(provider="movie", type=1, filename="Robin Other - Quiet Evening Walk (2022-01-03).mp4")

    match_movie(request)

    assert [r.path for r in fake_tpdb.requests if r.path in ("/scenes", "/movies")]


def test_a_dateless_file_of_a_complete_site_is_answered_from_its_rows_and_found_by_a_performer_alone(fake_tpdb):
    from scenes.matching.candidates import catalog_candidates
    from tpdbprovider.matching.parser import MatchInput, parse_request

    scene = _store_the_fixture_scene()
    site_number = scene.site.tpdb_numeric_id
    SiteYearSync.objects.create(site=scene.site, year=0, synced_at=dt.datetime.now(tz=dt.UTC))  # the whole catalog

    (result,) = match_movie(
        MatchRequest(provider="movie", type=1, filename="/media/Example Studio/Alex Sample/Sunny Afternoon Picnic.mp4")
    )
    assert result.item.pk == scene.pk
    assert fake_tpdb.requests == []

    by_performer = parse_request(MatchInput(filename="/media/Example Studio/Alex Sample/Other Words.mp4", kind="movie"))
    assert catalog_candidates(by_performer, {site_number}) == [scene]
    assert catalog_candidates(by_performer, {site_number + 1}) == []


def test_a_fix_match_of_a_dateless_file_of_a_complete_site_still_gets_tpdbs_list(fake_tpdb):
    scene = _store_the_fixture_scene()
    SiteYearSync.objects.create(site=scene.site, year=0, synced_at=dt.datetime.now(tz=dt.UTC))
    request = MatchRequest(
        provider="movie", type=1, manual=True, filename="/media/Example Studio/Alex Sample/Sunny Afternoon Picnic.mp4"
    )

    results = match_movie(request)

    assert results and results[0].item.pk == scene.pk
    assert [r.path for r in fake_tpdb.requests if r.path in ("/scenes", "/movies")]
