"""Every real TPDB capture (tests/fixtures/tpdb/real_*.json) is stored and served through both providers."""

from __future__ import annotations

import pytest

from movies.models import Movie, Performer
from movies.services import movie_upsert_from_tpdb
from scenes.models import MetadataPolicy, Scene
from scenes.policy import metadata_policy_invalidate
from scenes.services import scene_upsert_from_tpdb
from sites.models import Site
from sites.services import site_upsert_from_tpdb
from tests.recipes import tpdb_json
from tpdbprovider.tpdb.schemas import TPDBScene, TPDBSite

pytestmark = pytest.mark.django_db

WRATH_UUID = "eecd5455-c436-4ad5-afdc-9863519c908c"
SCENE_ITEMS = {
    "real_scene_item_2023_0.json": ("f9a03313-f581-48a0-a5d0-57176d31e045", "Mary & Eve", "Tamed Teens"),
    "real_scene_item_2023_1.json": ("879a239c-4f35-4b50-8a89-be98a484265e", "Ellie", "Tamed Teens"),
    "real_scene_item_2023_2.json": (
        "5538b9cf-37dc-4320-9161-75fe710bcbae",
        "Tramp Stamp Teen Gets Tagged Teamed",
        None,
    ),
}
MOVIE_ITEMS = {
    "real_movie_item_2023_0.json": ("21e5de62-972f-4cd7-8b0a-640218086dd2", 2006),
    "real_movie_item_2023_1.json": ("5b97a04a-78fb-46c1-8a54-d5f70892f93d", 2005),
}


def _item(api, provider: str, rating_key: str) -> dict:
    response = api.get(f"/{provider}/library/metadata/{rating_key}")
    assert response.status_code == 200, response.content
    (item,) = response.json()["MediaContainer"]["Metadata"]
    return item


@pytest.mark.parametrize("fixture", sorted(SCENE_ITEMS))
def test_a_real_2023_scene_is_fetched_stored_and_served_on_both_providers(api, fake_tpdb, fixture):
    tpdb_id, title, site_name = SCENE_ITEMS[fixture]
    body = tpdb_json(fixture)
    fake_tpdb.serve("GET", f"/scenes/{tpdb_id}", body)

    episode = _item(api, "tv", f"tpdb-scene-{tpdb_id}")
    movie = _item(api, "movie", f"tpdb-scene-{tpdb_id}")

    scene = Scene.objects.select_related("site").get(tpdb_id=tpdb_id)
    site_name = site_name or body["data"]["site"]["name"]
    assert (scene.title, scene.site.name, scene.site.tpdb_numeric_id) == (title, site_name, body["data"]["site_id"])
    assert scene.duration_s == body["data"]["duration"] and scene.poster_url == body["data"]["posters"]["large"]
    assert episode["type"] == "episode" and episode["title"] == title and episode["grandparentTitle"] == site_name
    assert episode["thumb"] == body["data"]["background"]["full"]
    assert episode["duration"] == body["data"]["duration"] * 1000
    assert movie["type"] == "movie" and movie["title"] == title and movie["studio"] == site_name
    assert movie["thumb"] == body["data"]["posters"]["large"]
    assert [r["tag"] for r in movie["Role"]] == [p["name"] for p in body["data"]["performers"]]
    assert {g["tag"] for g in movie["Genre"]} <= {t["name"] for t in body["data"]["tags"]}


def test_the_real_2023_scene_list_is_stored_and_its_site_served_as_a_show(api, fake_tpdb):
    for item in tpdb_json("real_scenes_list_2023.json")["data"]:
        scene_upsert_from_tpdb(data=TPDBScene.from_json(item))
    scene_upsert_from_tpdb(data=TPDBScene.from_json(tpdb_json("real_scenes_list_2023.json")["data"][0]))

    assert Scene.objects.count() == 3
    site = Site.objects.get(tpdb_numeric_id=1127)
    assert not site.is_complete  # stored under a stand-in uuid until TPDB sends the real one
    show = _item(api, "tv", f"tpdb-site-{site.slug}")
    assert show["title"] == "Tamed Teens"
    seasons = api.get(f"/tv/library/metadata/tpdb-site-{site.slug}/children").json()["MediaContainer"]["Metadata"]
    assert [s["title"] for s in seasons] == ["2007"]
    assert fake_tpdb.count(path_prefix="/") == 0


def test_the_real_site_list_then_adopts_the_site_stored_from_a_scene(api, fake_tpdb):
    scene_upsert_from_tpdb(data=TPDBScene.from_json(tpdb_json("real_scene_item_2023_0.json")["data"]))
    site_upsert_from_tpdb(data=TPDBSite.from_json(tpdb_json("real_sites_list_2023.json")["data"][0]))

    site = Site.objects.get(tpdb_numeric_id=1127)
    assert str(site.tpdb_id) == "b6caaaa9-c855-4cb2-841f-e428bd0ea2b5" and site.is_complete
    assert site.scenes.count() == 1
    assert _item(api, "tv", "tpdb-site-b6caaaa9-c855-4cb2-841f-e428bd0ea2b5")["title"] == "Tamed Teens"


def test_the_real_2022_movie_detail_is_fetched_stored_and_served(api, fake_tpdb):
    fake_tpdb.serve("GET", f"/movies/{WRATH_UUID}", "real_movie_detail_2022.json")

    item = _item(api, "movie", f"tpdb-movie-{WRATH_UUID}")

    movie = Movie.objects.get(tpdb_id=WRATH_UUID)
    assert (movie.tpdb_numeric_id, movie.title, movie.year, movie.studio) == (231560, "Wrath of God", 2017, "MissaX")
    assert movie.is_complete and movie.duration_s == 13 * 60
    assert item["thumb"].endswith("missax-wrath-of-god-front.webp")
    assert item["duration"] == 13 * 60 * 1000 and item["year"] == 2017
    assert [r["tag"] for r in item["Role"]] == ["Adriana Chechik", "Kissa Sins", "Johnny Sins"]
    assert "Assorted Additional Tags" in {g["tag"] for g in item["Genre"]}
    assert api.get(f"/tv/library/metadata/tpdb-movie-{WRATH_UUID}").status_code == 404


def test_the_real_2022_movie_search_item_is_stored_and_served_without_tpdb(api, fake_tpdb):
    (item,) = tpdb_json("real_movies_search_2022.json")["data"]
    movie_upsert_from_tpdb(data=TPDBScene.from_json(item))
    Movie.objects.filter(tpdb_id=WRATH_UUID).update(is_complete=True)  # serve the search item as it was stored

    served = _item(api, "movie", f"tpdb-movie-{WRATH_UUID}")

    assert served["title"] == "Wrath of God" and served["thumb"].endswith("missax-wrath-of-god-front.webp")
    assert served["studio"] == "MissaX"
    assert fake_tpdb.count(path_prefix="/") == 0


@pytest.mark.parametrize("fixture", sorted(MOVIE_ITEMS))
def test_a_real_2023_movie_is_fetched_stored_and_served(api, fake_tpdb, fixture):
    tpdb_id, year = MOVIE_ITEMS[fixture]
    body = tpdb_json(fixture)
    fake_tpdb.serve("GET", f"/movies/{tpdb_id}", body)

    item = _item(api, "movie", f"tpdb-movie-{tpdb_id}")

    assert item["title"] == "Matchball in Die Feuchte Spalte" and item["year"] == year
    assert item["thumb"] == body["data"]["posters"]["large"] and item["art"] == body["data"]["background"]["full"]
    assert item["duration"] == body["data"]["duration"] * 1000 and item["studio"] == "Videorama"
    assert Movie.objects.get(tpdb_id=tpdb_id).site.tpdb_numeric_id == 8508


def test_the_real_2023_movie_list_is_stored(fake_tpdb):
    for item in tpdb_json("real_movies_list_2023.json")["data"]:
        movie_upsert_from_tpdb(data=TPDBScene.from_json(item))

    assert Movie.objects.count() == 2 and Site.objects.filter(tpdb_numeric_id=8508).count() == 1


def test_a_credit_with_unknown_gender_keeps_the_parents_gender_in_the_roles(api, fake_tpdb):
    tpdb_id = SCENE_ITEMS["real_scene_item_2023_2.json"][0]
    fake_tpdb.serve("GET", f"/scenes/{tpdb_id}", "real_scene_item_2023_2_gender_unknown.json")
    MetadataPolicy.objects.create(role_genders=["Male"])
    metadata_policy_invalidate()

    item = _item(api, "movie", f"tpdb-scene-{tpdb_id}")

    assert [r["tag"] for r in item["Role"]] == ["Boz", "Shane Diesel"]
    assert Performer.objects.get(name="Boz", is_parent=False).gender == "Male"  # not "Unknown"


def test_a_real_detail_without_a_usable_id_answers_503_not_500(api, fake_tpdb):
    body = tpdb_json("real_movie_detail_2022.json")
    del body["data"]["uuid"]
    fake_tpdb.serve("GET", f"/movies/{WRATH_UUID}", body)

    response = api.get(f"/movie/library/metadata/tpdb-movie-{WRATH_UUID}")

    assert response.status_code == 503 and response.json()["code"] == "tpdb_unavailable"


def test_a_movie_match_answered_by_the_real_2022_search_serves_the_movie(api, fake_tpdb):
    fake_tpdb.serve("GET", "/movies", "real_movies_search_2022.json")
    fake_tpdb.serve("GET", "/scenes", "scenes_search_empty.json")
    body = {"type": 1, "title": "Wrath of God", "year": 2017, "filename": "/m/Wrath of God (2017).mp4"}

    response = api.post("/movie/library/metadata/matches", body, format="json")

    assert response.status_code == 200
    (item,) = response.json()["MediaContainer"]["Metadata"]
    assert (item["ratingKey"], item["title"], item["year"]) == (f"tpdb-movie-{WRATH_UUID}", "Wrath of God", 2017)
    assert item["thumb"].endswith("missax-wrath-of-god-front.webp")


@pytest.mark.parametrize("provider", ["tv", "movie"])
def test_tpdb_answering_a_scene_with_another_scene_is_503_not_500(api, fake_tpdb, provider):
    asked = SCENE_ITEMS["real_scene_item_2023_0.json"][0]
    fake_tpdb.serve("GET", f"/scenes/{asked}", "real_scene_item_2023_1.json")

    response = api.get(f"/{provider}/library/metadata/tpdb-scene-{asked}")

    assert response.status_code == 503 and response.json()["code"] == "tpdb_unavailable"
