"""Pins: a person's answer, or a TPDB id in the name, wins over the engine."""

from __future__ import annotations

import datetime as dt

import pytest

from movies.models import Movie
from scenes.matching import MatchRequest, match_episode, request_key_for
from scenes.matching.pins import pinned, resolve_ref
from scenes.models import MatchPin, Scene
from tests import recipes
from tests.scenes.matching.conftest import FIXTURE_SCENE, make_scene
from tpdbprovider.core.exceptions import ItemNotFoundError
from tpdbprovider.matching.parser import TpdbRef

FIXTURE_MOVIE = "3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b"  # tests/fixtures/tpdb/movie_detail.json
UNKNOWN = "00000000-0000-4000-8000-0000000000aa"
MOVIE_REQUEST = MatchRequest(provider="movie", type=1)

pytestmark = pytest.mark.django_db


def pin_for(req: MatchRequest, **fields) -> MatchPin:
    return MatchPin.objects.create(provider=req.provider, request_key=request_key_for(req), **fields)


def test_without_a_pin_or_an_id_the_engine_decides():
    assert pinned(MatchRequest(provider="tv", type=4, filename="Some Site - 2024-01-01 - A Title.mp4")) is None


def test_a_stored_pin_answers_with_full_confidence_without_asking_tpdb(fake_tpdb):
    scene = make_scene(None, "The Pinned One", dt.date(2023, 1, 1), is_complete=True)
    req = MatchRequest(provider="tv", type=4, filename="x/misleading.mp4")
    pin_for(req, tpdb_id=scene.tpdb_id, rating_key=f"tpdb-scene-{scene.tpdb_id}")

    (result,) = match_episode(req)

    assert (result.item, result.kind, result.score) == (scene, "episode", 100)
    assert fake_tpdb.requests == []


def test_a_not_in_tpdb_pin_answers_nothing(fake_tpdb):
    req = MatchRequest(provider="tv", type=4, filename="Example Studio - 2022-01-03 - Sunny Afternoon Picnic.mp4")
    pin_for(req, is_not_in_tpdb=True, rating_key="")
    assert match_episode(req) == []
    assert fake_tpdb.requests == []


def test_a_tpdb_id_in_the_file_name_is_fetched_and_stored_once(fake_tpdb):
    req = MatchRequest(provider="tv", type=4, filename=f"x/Anything [tpdbid={FIXTURE_SCENE}].mp4")

    (first,) = pinned(req) or []
    (again,) = pinned(req) or []

    assert isinstance(first.item, Scene) and str(first.item.tpdb_id) == FIXTURE_SCENE
    assert again.item == first.item
    assert fake_tpdb.count("/scenes/") == 1


def test_an_id_tpdb_does_not_know_is_a_clear_not_found_and_answers_nothing(fake_tpdb):
    missing = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(ItemNotFoundError, match=f"TPDB has no scene '{missing}'"):
        resolve_ref(TpdbRef(kind="scene", id=missing), MatchRequest(provider="tv", type=4))
    assert pinned(MatchRequest(provider="tv", type=4, title=missing)) == []


def test_a_movie_reference_never_answers_an_episode_request():
    assert resolve_ref(TpdbRef(kind="movie", id=FIXTURE_SCENE), MatchRequest(provider="tv", type=4)) is None


def test_tpdb_failing_while_fetching_a_pinned_item_answers_nothing(tpdb_down):
    assert pinned(MatchRequest(provider="tv", type=4, title=FIXTURE_SCENE)) == []


# --- resolve_ref: stored rows of both kinds first, then each kind's get-or-fetch service -------------------------


def test_a_stored_scene_is_resolved_without_asking_tpdb(fake_tpdb):
    scene = recipes.scene.make()

    assert resolve_ref(TpdbRef(kind=None, id=str(scene.tpdb_id)), MOVIE_REQUEST) == scene
    assert fake_tpdb.requests == []


def test_a_stored_movie_is_found_before_tpdb_is_asked_for_a_scene(fake_tpdb):
    movie = recipes.movie.make(is_complete=True)

    assert resolve_ref(TpdbRef(kind=None, id=str(movie.tpdb_id)), MOVIE_REQUEST) == movie
    assert fake_tpdb.requests == []  # the kind-less ref checked the movies too before any /scenes call


def test_a_stored_scene_is_found_by_its_slug(fake_tpdb):
    scene = recipes.scene.make(slug="example-studio-sunny-afternoon")

    assert resolve_ref(TpdbRef(kind=None, id="example-studio-sunny-afternoon"), MOVIE_REQUEST) == scene
    assert fake_tpdb.requests == []


def test_a_movie_not_stored_is_fetched_and_stored_with_one_tpdb_call(fake_tpdb):
    movie = resolve_ref(TpdbRef(kind="movie", id=FIXTURE_MOVIE), MOVIE_REQUEST)

    assert isinstance(movie, Movie) and str(movie.tpdb_id) == FIXTURE_MOVIE
    assert movie.is_complete and movie.credits.exists()
    assert [r.path for r in fake_tpdb.requests] == [f"/movies/{FIXTURE_MOVIE}"]
    assert resolve_ref(TpdbRef(kind="movie", id=FIXTURE_MOVIE), MOVIE_REQUEST) == movie
    assert len(fake_tpdb.requests) == 1


def test_an_unknown_id_of_either_kind_asks_each_kind_once_and_remembers_the_404s(fake_tpdb):
    ref = TpdbRef(kind=None, id=UNKNOWN)
    for _ in range(2):
        with pytest.raises(ItemNotFoundError, match=f"TPDB has no scene or movie '{UNKNOWN}'"):
            resolve_ref(ref, MOVIE_REQUEST)

    assert [r.path for r in fake_tpdb.requests] == [f"/scenes/{UNKNOWN}", f"/movies/{UNKNOWN}"]
