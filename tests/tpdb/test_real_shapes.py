"""Real TPDB answers captured by third parties (tests/fixtures/tpdb/real_*.json) through the client and the schemas."""

from __future__ import annotations

import copy
import json

import pytest
import responses

from tests.recipes import tpdb_json
from tpdbprovider.tpdb.client import tpdb_client
from tpdbprovider.tpdb.errors import TPDBUnavailableError, TPDBUnusableAnswerError
from tpdbprovider.tpdb.schemas import TPDBScene, slim_scene_json

BASE = "https://tpdb.test"
WRATH_UUID = "eecd5455-c436-4ad5-afdc-9863519c908c"
TRAMP_STAMP_UUID = "5538b9cf-37dc-4320-9161-75fe710bcbae"


def serve(path: str, body: dict) -> None:
    responses.get(f"{BASE}{path}", json=body)


@responses.activate
def test_a_2023_scene_list_with_a_numeric_site_uuid_keeps_the_site_by_its_numeric_id():
    serve("/scenes", tpdb_json("real_scenes_list_2023.json"))

    page = tpdb_client().search_scenes(parse="tamedteens 2007")

    assert [s.title for s in page.items] == ["Mary & Eve", "Ellie", "Tramp Stamp Teen Gets Tagged Teamed"]
    site = page.items[0].site
    assert site is not None
    assert (site.id, site.uuid, site.name) == (1127, None, "Tamed Teens")
    assert site.network is not None and site.network.uuid is None and site.network.id == 3525
    assert page.items[0].numeric_id == 794898 and page.items[0].duration_s == 2033


@responses.activate
def test_a_2023_movie_list_with_a_numeric_site_uuid_parses():
    serve("/movies", tpdb_json("real_movies_list_2023.json"))

    page = tpdb_client().search_movies(q="Matchball")

    assert [m.id for m in page.items] == [
        "21e5de62-972f-4cd7-8b0a-640218086dd2",
        "5b97a04a-78fb-46c1-8a54-d5f70892f93d",
    ]
    assert all(m.site is not None and m.site.uuid is None and m.site.id == 8508 for m in page.items)


@responses.activate
def test_a_2023_site_list_keeps_the_real_uuid():
    serve("/sites", tpdb_json("real_sites_list_2023.json"))

    (site,) = tpdb_client().list_sites().items

    assert (site.id, site.uuid) == (1127, "b6caaaa9-c855-4cb2-841f-e428bd0ea2b5")
    assert site.parent is not None and site.parent.uuid == "84ab429d-7a36-4d71-8b75-57eae119cfcd"


@responses.activate
def test_the_2022_movie_shape_is_found_by_its_uuid_with_covers_and_length():
    serve(f"/movies/{WRATH_UUID}", tpdb_json("real_movie_detail_2022.json"))

    movie = tpdb_client().get_movie(WRATH_UUID)

    assert (movie.id, movie.numeric_id) == (WRATH_UUID, 231560)
    assert movie.poster_url.startswith("https://thumb.metadataapi.net/W6fQdztDSHhLZRhl")
    assert movie.back_image == "" and movie.background_url == ""  # this capture's ``back`` is TPDB's default.png
    assert movie.duration_s == 13 * 60  # ``length`` is in minutes
    assert movie.is_detail and "Assorted Additional Tags" in movie.tags
    assert [p.name for p in movie.performers] == ["Adriana Chechik", "Kissa Sins", "Johnny Sins"]
    assert [p.gender for p in movie.performers] == ["Female", "Female", "Male"]


def test_a_real_2022_back_cover_becomes_the_background():
    body = tpdb_json("real_movie_detail_2022.json")["data"]
    body["back"] = body["front"].replace("-front.webp", "-back.webp")

    movie = TPDBScene.from_json(body)

    assert movie.back_image.endswith("-back.webp") and movie.background_url == movie.back_image


@responses.activate
def test_the_2022_movie_search_parses_the_same_movie():
    serve("/movies", tpdb_json("real_movies_search_2022.json"))

    (movie,) = tpdb_client().search_movies(q="Wrath of God").items

    assert (movie.id, movie.numeric_id, movie.title) == (WRATH_UUID, 231560, "Wrath of God")
    assert movie.poster_url.endswith("missax-wrath-of-god-front.webp")


def test_a_credit_with_unknown_gender_takes_the_parents_gender():
    scene = TPDBScene.from_json(tpdb_json("real_scene_item_2023_2_gender_unknown.json")["data"])

    boz = next(p for p in scene.performers if p.name == "Boz")
    assert boz.raw["extra"]["gender"] == "Unknown"
    assert boz.gender == "Male"


def test_a_credit_without_gender_and_without_parent_stays_unknown():
    scene = TPDBScene.from_json(tpdb_json("real_scene_item_2023_2.json")["data"])

    allie = next(p for p in scene.performers if p.name == "Allie")
    assert allie.gender is None and allie.parent is not None


@responses.activate
def test_a_detail_without_any_uuid_is_unavailable_not_a_crash(caplog):
    body = tpdb_json("real_movie_detail_2022.json")
    del body["data"]["uuid"]  # only the numeric id is left: nothing to store it by
    serve("/movies/231560", body)

    with pytest.raises(TPDBUnusableAnswerError) as caught:
        tpdb_client().get_movie(231560)

    assert isinstance(caught.value, TPDBUnavailableError)
    assert "no usable id" in caplog.text


@responses.activate
def test_list_items_without_a_uuid_are_left_out_and_logged(caplog):
    body = tpdb_json("real_scenes_list_2023.json")
    body["data"][1] = copy.deepcopy(body["data"][1]) | {"id": body["data"][1]["_id"]}
    serve("/scenes", body)

    page = tpdb_client().search_scenes(parse="tamedteens")

    assert [s.id for s in page.items] == ["f9a03313-f581-48a0-a5d0-57176d31e045", TRAMP_STAMP_UUID]
    assert "without a usable id" in caplog.text


def _every_scene_body() -> list[dict]:
    from tests.recipes import FIXTURES_DIR

    bodies = []
    for path in sorted(FIXTURES_DIR.glob("*.json")):
        data = tpdb_json(path.name).get("data")
        items = data if isinstance(data, list) else [data]
        bodies += [item for item in items if isinstance(item, dict) and "title" in item]
    return bodies


def test_the_slimmed_json_of_every_fixture_scene_parses_to_the_same_object():
    bodies = _every_scene_body()
    assert len(bodies) > 15

    for body in bodies:
        slim = slim_scene_json(body)
        assert TPDBScene.from_json(slim) == TPDBScene.from_json(body)
        assert TPDBScene.from_json(slim).performers == TPDBScene.from_json(body).performers
        # performer_upsert_from_tpdb reads the presence of "aliases" in the raw JSON
        has_aliases = [p.parent and "aliases" in p.parent.raw for p in TPDBScene.from_json(slim).performers]
        assert has_aliases == [p.parent and "aliases" in p.parent.raw for p in TPDBScene.from_json(body).performers]


def test_slimming_drops_what_no_parse_reads():
    body = tpdb_json("real_scenes_list_2023.json")["data"][0]

    slim = slim_scene_json(body)

    assert "hashes" not in slim and "bio" not in slim["performers"][0]
    assert set(slim["performers"][0]["extra"]) == {"gender", "birthday", "height", "weight"}
    assert len(json.dumps(slim)) < 0.8 * len(json.dumps(body))
