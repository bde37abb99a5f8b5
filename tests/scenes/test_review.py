"""Review services: pins win over search on Plex's next request, the queue's contents, re-runs and searches."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from model_bakery import baker
from rest_framework.test import APIClient

from movies.models import Movie
from scenes.matching import MatchRequest, match_episode, request_json, request_key_for
from scenes.models import MatchDecision, MatchPin, Scene
from scenes.review import (
    ReviewError,
    decision_rerun,
    item_refresh_now,
    match_request_from_decision,
    pin_approve,
    pin_not_in_tpdb,
    review_queue,
    review_search,
)
from tpdbprovider.core.breaker import reset_breaker
from tpdbprovider.core.exceptions import ItemNotFoundError, ItemUnavailableError, UpstreamNotFoundError
from tpdbprovider.core.ratelimit import reset_limiter
from tpdbprovider.tpdb.errors import TPDBNotFoundError

pytestmark = pytest.mark.django_db

MOVIE_MATCH = "/movie/library/metadata/matches"
TV_MATCH = "/tv/library/metadata/matches"
FIXTURE_SCENE = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"  # tests/fixtures/tpdb/scene_detail.json, TPDB id 900001
FIXTURE_MOVIE = "3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b"  # tests/fixtures/tpdb/movie_detail.json, TPDB id 950001
PICNIC_FILE = "Example Studio - 2022-01-03 - Sunny Afternoon Picnic.mp4"


def stored_scene(**fields: object) -> Scene:
    values: dict[str, object] = {
        "tpdb_id": uuid.uuid4(),
        "tpdb_numeric_id": 123456,
        "title": "Stored Scene",
        "release_date": dt.date(2023, 5, 6),
        "poster_url": "https://cdn.example.test/poster.jpg",
        "tags": [],
        "directors": [],
    }
    values.update(fields)
    return baker.make(Scene, site=None, **values)


def decision_for(req: MatchRequest, **fields: object) -> MatchDecision:
    values: dict[str, object] = {"state": MatchDecision.State.ABSTAINED, "candidates": [], "reason": "no_candidates"}
    values.update(fields)
    return MatchDecision.objects.create(
        provider=req.provider,
        request_type=req.type,
        request_key=request_key_for(req),
        request=request_json(req),
        **values,
    )


def plex_items(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["MediaContainer"]["Metadata"]


def chosen_title(decision: MatchDecision) -> str:
    return Scene.objects.get(tpdb_id=decision.chosen_rating_key.removeprefix("tpdb-scene-")).title


def point_tpdb_at_a_closed_port(settings) -> None:
    settings.TPDB_BASE_URL = "http://127.0.0.1:9"
    settings.TPDB_CONNECT_TIMEOUT_S = 0.5
    reset_breaker()
    reset_limiter()


# --- pins ---------------------------------------------------------------------------------------------------------


def test_an_approved_pin_wins_over_search_on_the_next_plex_movie_request(fake_tpdb):
    api = APIClient()
    body = {"type": 1, "title": "Nothing Like It", "filename": "/films/Nothing Like It (2031).mkv"}
    assert plex_items(api.post(MOVIE_MATCH, body, format="json")) == []
    decision = MatchDecision.objects.get(provider="movie")
    assert decision.state == MatchDecision.State.ABSTAINED
    scene = stored_scene(title="The Right Answer")

    pin_approve(decision=decision, rating_key=f"tpdb-scene-{scene.tpdb_id}")

    (item,) = plex_items(api.post(MOVIE_MATCH, body, format="json"))
    assert (item["ratingKey"], item["title"], item["score"]) == (f"tpdb-scene-{scene.tpdb_id}", "The Right Answer", 100)


def test_approving_stores_both_tpdb_ids_and_marks_the_decision_pinned():
    req = MatchRequest(provider="tv", type=4, filename="/tv/a.mp4")
    decision = decision_for(req)
    scene = stored_scene(tpdb_numeric_id=777)

    pin = pin_approve(decision=decision, rating_key=f"tpdb-scene-{scene.tpdb_id}", note="checked by hand")

    assert (pin.tpdb_id, pin.tpdb_numeric_id, pin.rating_key) == (scene.tpdb_id, 777, f"tpdb-scene-{scene.tpdb_id}")
    assert (pin.request_key, pin.note, pin.is_not_in_tpdb) == (decision.request_key, "checked by hand", False)
    decision.refresh_from_db()
    assert (decision.state, decision.chosen_rating_key) == (MatchDecision.State.PINNED, pin.rating_key)


def test_approving_a_candidate_that_is_not_stored_fetches_it_from_tpdb(fake_tpdb):
    decision = decision_for(MatchRequest(provider="tv", type=4, filename="picnic.mp4"))

    pin = pin_approve(decision=decision, rating_key=f"tpdb-scene-{FIXTURE_SCENE}")

    assert (str(pin.tpdb_id), pin.tpdb_numeric_id) == (FIXTURE_SCENE, 900001)
    assert Scene.objects.get(tpdb_id=FIXTURE_SCENE).title == "Sunny Afternoon Picnic"


def test_approving_again_replaces_the_pin_instead_of_adding_one():
    decision = decision_for(MatchRequest(provider="movie", type=1, title="x"))
    first, second = stored_scene(), stored_scene()
    pin_approve(decision=decision, rating_key=f"tpdb-scene-{first.tpdb_id}")
    pin_approve(decision=decision, rating_key=f"tpdb-scene-{second.tpdb_id}")
    assert list(MatchPin.objects.values_list("tpdb_id", flat=True)) == [second.tpdb_id]


@pytest.mark.parametrize("rating_key", ["tpdb-site-example", "junk", "tpdb-scene-not-a-uuid", "<script>"])
def test_approving_something_that_is_not_a_scene_or_movie_is_refused(rating_key):
    decision = decision_for(MatchRequest(provider="movie", type=1, title="x"))
    with pytest.raises(ReviewError):
        pin_approve(decision=decision, rating_key=rating_key)
    assert not MatchPin.objects.exists()


def test_the_tv_provider_cannot_pin_a_movie():
    movie = baker.make(Movie, tpdb_id=uuid.uuid4(), tpdb_numeric_id=5, title="A Movie", site=None)
    decision = decision_for(MatchRequest(provider="tv", type=4, filename="x.mp4"))
    with pytest.raises(ReviewError, match="only pin scenes"):
        pin_approve(decision=decision, rating_key=f"tpdb-movie-{movie.tpdb_id}")


def test_approving_an_item_tpdb_does_not_have_is_refused(fake_tpdb):
    decision = decision_for(MatchRequest(provider="tv", type=4, filename="x.mp4"))
    with pytest.raises(ReviewError, match="TPDB has no scene"):
        pin_approve(decision=decision, rating_key=f"tpdb-scene-{uuid.uuid4()}")


def test_not_in_tpdb_makes_plex_get_no_match_even_when_search_would_find_one(fake_tpdb):
    api = APIClient()
    body = {"type": 4, "grandparentTitle": "Example Studio", "filename": PICNIC_FILE}
    assert len(plex_items(api.post(TV_MATCH, body, format="json"))) == 1
    decision = MatchDecision.objects.get(provider="tv")

    pin_not_in_tpdb(decision=decision)

    assert plex_items(api.post(TV_MATCH, body, format="json")) == []
    decision.refresh_from_db()
    assert decision.state == MatchDecision.State.NOT_IN_TPDB
    assert MatchPin.objects.get().is_not_in_tpdb is True


# --- the queue ----------------------------------------------------------------------------------------------------


def test_the_queue_holds_abstained_weak_and_lost_matches_only(settings):
    settings.PLEX_MATCH_ACCEPT_THRESHOLD = 70

    def make(name: str, **fields: object) -> MatchDecision:
        return decision_for(MatchRequest(provider="tv", type=4, filename=f"{name}.mp4"), **fields)

    abstained = make("abstained")
    weak = make("weak", state=MatchDecision.State.AUTO, confidence=60)
    lost = make("lost", state=MatchDecision.State.NEEDS_REMATCH)
    make("sure", state=MatchDecision.State.AUTO, confidence=95)
    make("gone", state=MatchDecision.State.NOT_IN_TPDB)
    pinned = make("pinned", state=MatchDecision.State.PINNED)
    lost_pin = make("lost-pin", state=MatchDecision.State.PINNED)
    MatchPin.objects.create(provider="tv", request_key=pinned.request_key, rating_key="tpdb-scene-x")
    MatchPin.objects.create(provider="tv", request_key=lost_pin.request_key, is_needs_rematch=True)

    assert set(review_queue()) == {abstained, weak, lost, lost_pin}


def test_a_404_on_refresh_puts_the_pinned_item_back_in_the_queue(fake_tpdb):
    scene = stored_scene()
    decision = decision_for(MatchRequest(provider="tv", type=4, filename="x.mp4"))
    pin_approve(decision=decision, rating_key=f"tpdb-scene-{scene.tpdb_id}")
    assert not review_queue().exists()

    with pytest.raises(TPDBNotFoundError):
        item_refresh_now(rating_key=f"tpdb-scene-{scene.tpdb_id}")

    assert MatchPin.objects.get().is_needs_rematch is True
    assert list(review_queue()) == [decision]


def test_a_404_on_refreshing_a_movie_now_flags_it_and_its_pins_as_the_task_does(fake_tpdb):
    movie = baker.make(Movie, tpdb_id=uuid.uuid4(), title="Lost Movie", site=None, tags=[], directors=[])
    decision = decision_for(MatchRequest(provider="movie", type=1, filename="lost.mkv"))
    MatchPin.objects.create(
        provider="movie",
        request_key=decision.request_key,
        rating_key=f"tpdb-movie-{movie.tpdb_id}",
        tpdb_id=movie.tpdb_id,
    )

    with pytest.raises(UpstreamNotFoundError):
        item_refresh_now(rating_key=f"tpdb-movie-{movie.tpdb_id}")

    movie.refresh_from_db()
    assert movie.is_missing_upstream is True and movie.title == "Lost Movie"
    assert MatchPin.objects.get().is_needs_rematch is True
    assert list(review_queue()) == [decision]


def test_refreshing_a_stored_scene_now_keeps_the_fields_a_person_locked(fake_tpdb):
    stored_scene(tpdb_id=uuid.UUID(FIXTURE_SCENE), title="My Own Title", locked_fields=["title"], description="old")

    scene = item_refresh_now(rating_key=f"tpdb-scene-{FIXTURE_SCENE}")

    assert scene.title == "My Own Title"  # locked
    assert scene.description != "old" and scene.is_complete and scene.credits.exists()  # the rest is TPDB's
    assert fake_tpdb.count(f"/scenes/{FIXTURE_SCENE}") == 1


def test_refreshing_a_movie_not_stored_fetches_and_stores_it_once(fake_tpdb):
    movie = item_refresh_now(rating_key=f"tpdb-movie-{FIXTURE_MOVIE}")

    assert isinstance(movie, Movie) and Movie.objects.get(tpdb_id=FIXTURE_MOVIE) == movie
    assert fake_tpdb.count(f"/movies/{FIXTURE_MOVIE}") == 1


def test_refreshing_an_item_tpdb_never_had_is_not_found_and_stores_nothing(fake_tpdb):
    unknown = uuid.uuid4()
    with pytest.raises(ItemNotFoundError, match="TPDB has no scene"):
        item_refresh_now(rating_key=f"tpdb-scene-{unknown}")
    assert not Scene.objects.exists()


# --- re-runs ------------------------------------------------------------------------------------------------------


def test_the_request_is_rebuilt_with_the_same_identity():
    req = MatchRequest(
        provider="tv",
        type=4,
        title="Sunny",
        grandparent_title="Example Studio",
        parent_title="2022",
        year=2022,
        index=3,
        parent_index=2022,
        date=dt.date(2022, 1, 3),
    )
    decision = decision_for(req)
    rebuilt = match_request_from_decision(decision=decision)
    assert rebuilt == req
    assert request_key_for(rebuilt) == decision.request_key


def test_a_rerun_records_the_new_outcome_once_tpdb_answers(fake_tpdb, settings):
    req = MatchRequest(provider="tv", type=4, grandparent_title="Example Studio", filename=PICNIC_FILE)
    point_tpdb_at_a_closed_port(settings)
    assert match_episode(req) == []
    decision = MatchDecision.objects.get()
    assert decision.state == MatchDecision.State.ABSTAINED
    settings.TPDB_BASE_URL = fake_tpdb.base_url
    reset_breaker()

    decision = decision_rerun(decision=decision)

    assert decision.state == MatchDecision.State.AUTO
    assert chosen_title(decision) == "Sunny Afternoon Picnic"
    assert decision not in review_queue()


def test_a_rerun_drops_a_pin_that_points_at_a_lost_item(fake_tpdb):
    req = MatchRequest(provider="tv", type=4, grandparent_title="Example Studio", filename=PICNIC_FILE)
    decision = decision_for(req, state=MatchDecision.State.PINNED)
    MatchPin.objects.create(
        provider="tv", request_key=decision.request_key, rating_key="tpdb-scene-x", is_needs_rematch=True
    )

    decision = decision_rerun(decision=decision)

    assert not MatchPin.objects.exists()
    assert chosen_title(decision) == "Sunny Afternoon Picnic"


# --- search -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [FIXTURE_SCENE, f"https://theporndb.net/scenes/{FIXTURE_SCENE}", f"[tpdbid={FIXTURE_SCENE}]"],
    ids=["uuid", "url", "tag"],
)
def test_searching_by_uuid_url_or_tag_fetches_that_scene(fake_tpdb, query):
    (candidate,) = review_search(provider="tv", query=query)
    assert (candidate["rating_key"], candidate["title"], candidate["site"]) == (
        f"tpdb-scene-{FIXTURE_SCENE}",
        "Sunny Afternoon Picnic",
        "Example Studio",
    )
    assert candidate["poster_url"].startswith("https://")


def test_searching_by_a_movie_url_on_the_movie_provider_fetches_the_movie(fake_tpdb):
    (candidate,) = review_search(provider="movie", query=f"https://theporndb.net/movies/{FIXTURE_MOVIE}")
    assert (candidate["kind"], candidate["title"]) == ("movie", "The Long Road Home")


def test_searching_by_text_uses_the_match_service_in_manual_mode(fake_tpdb):
    results = review_search(provider="tv", query="Example Studio 2022-01-03 Sunny Afternoon Picnic")
    assert results[0]["title"] == "Sunny Afternoon Picnic"
    assert not MatchDecision.objects.exists()  # manual searches are not decisions


def test_searching_for_a_stored_scene_or_movie_asks_tpdb_nothing(fake_tpdb):
    scene = stored_scene(is_complete=True)
    movie = baker.make(Movie, tpdb_id=uuid.uuid4(), title="Stored Movie", site=None, is_complete=True)

    (found_scene,) = review_search(provider="movie", query=f"[tpdbid={scene.tpdb_id}]")
    (found_movie,) = review_search(provider="movie", query=str(movie.tpdb_id))

    assert (found_scene["rating_key"], found_movie["rating_key"]) == (
        f"tpdb-scene-{scene.tpdb_id}",
        f"tpdb-movie-{movie.tpdb_id}",
    )
    assert fake_tpdb.requests == []


def test_a_movie_url_finds_nothing_on_the_tv_provider(fake_tpdb):
    assert review_search(provider="tv", query=f"https://theporndb.net/movies/{FIXTURE_MOVIE}") == []
    assert fake_tpdb.requests == []


def test_searching_by_uuid_while_tpdb_is_down_raises_unavailable(settings):
    point_tpdb_at_a_closed_port(settings)
    with pytest.raises(ItemUnavailableError):
        review_search(provider="tv", query=str(uuid.uuid4()))


def test_an_unknown_uuid_finds_nothing(fake_tpdb):
    assert review_search(provider="movie", query=str(uuid.uuid4())) == []
