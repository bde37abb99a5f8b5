"""Metadata endpoints (spec §3, §8.5-§8.8): the JSON examples field by field, provider boundaries, TPDB fallbacks."""

from __future__ import annotations

import datetime

import pytest

from scenes.episodes import episode_numbers_ensure
from scenes.models import Scene, TagRule
from scenes.policy import metadata_policy_invalidate
from scenes.selectors import SHOW_TAG_SCENES
from sites.models import Site
from tests.plexapi.conftest import CDN, MOVIE_UUID, SCENE_UUID, SPEC_SITE_COLLECTIONS

pytestmark = pytest.mark.django_db

TV = "tv.plex.agents.custom.tpdb.tv"
MOVIE = "tv.plex.agents.custom.tpdb.movie"
FIXTURE_SCENE = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"


def _container(identifier: str, *items: dict) -> dict:
    return {
        "MediaContainer": {
            "offset": 0,
            "totalSize": len(items),
            "identifier": identifier,
            "size": len(items),
            "Metadata": list(items),
        }
    }


SHOW_8_5 = {
    "type": "show",
    "ratingKey": "tpdb-site-example-site",
    "key": "/library/metadata/tpdb-site-example-site/children",
    "guid": f"{TV}://show/tpdb-site-example-site",
    "title": "Example Site",
    "summary": "Short description of the site.",
    "studio": "Example Network",
    "contentRating": "X",
    "isAdult": True,
    "originallyAvailableAt": "2023-01-04",
    "year": 2023,
    "thumb": f"{CDN}/sites/example-site/poster.png",
    "art": f"{CDN}/sites/example-site/background.jpg",
    "Image": [
        {"type": "coverPoster", "url": f"{CDN}/sites/example-site/poster.png", "alt": "Example Site"},
        {"type": "background", "url": f"{CDN}/sites/example-site/background.jpg", "alt": "Example Site"},
        {"type": "clearLogo", "url": f"{CDN}/sites/example-site/logo.png", "alt": "Example Site"},
    ],
    "Genre": [{"tag": "Outdoor"}, {"tag": "Romantic"}],  # its scenes' tags (§8.5 has none: TPDB sites have no tags)
    "Network": [{"tag": "Example Network"}],
    "Studio": [{"tag": "Example Network"}],
    "Guid": [{"id": "tpdb://site/1234"}],
}


def season_8_6(year: int, first: str) -> dict:
    return {
        "type": "season",
        "ratingKey": f"tpdb-season-example-site-{year}",
        "key": f"/library/metadata/tpdb-season-example-site-{year}/children",
        "guid": f"{TV}://season/tpdb-season-example-site-{year}",
        "title": str(year),
        "index": year,
        "originallyAvailableAt": first,
        "year": year,
        "parentRatingKey": "tpdb-site-example-site",
        "parentKey": "/library/metadata/tpdb-site-example-site",
        "parentGuid": f"{TV}://show/tpdb-site-example-site",
        "parentType": "show",
        "parentTitle": "Example Site",
        "parentThumb": f"{CDN}/sites/example-site/poster.png",
        "thumb": f"{CDN}/sites/example-site/poster.png",
        # Beyond the example (spec §3.4 lists Image[] for seasons): the show poster as the season cover.
        "Image": [{"type": "coverPoster", "url": f"{CDN}/sites/example-site/poster.png", "alt": str(year)}],
    }


EPISODE_8_7 = {
    "type": "episode",
    "ratingKey": f"tpdb-scene-{SCENE_UUID}",
    "key": f"/library/metadata/tpdb-scene-{SCENE_UUID}",
    "guid": f"{TV}://episode/tpdb-scene-{SCENE_UUID}",
    "title": "Sunny Afternoon",
    "summary": "Scene description.",
    "originallyAvailableAt": "2024-03-05",
    "year": 2024,
    "duration": 1934000,
    "contentRating": "X",
    "isAdult": True,
    "index": 30502,  # 2024-03-05, the second scene of that day (scenes.episodes)
    "parentIndex": 2024,
    "parentRatingKey": "tpdb-season-example-site-2024",
    "parentKey": "/library/metadata/tpdb-season-example-site-2024",
    "parentGuid": f"{TV}://season/tpdb-season-example-site-2024",
    "parentType": "season",
    "parentTitle": "2024",
    "grandparentRatingKey": "tpdb-site-example-site",
    "grandparentKey": "/library/metadata/tpdb-site-example-site",
    "grandparentGuid": f"{TV}://show/tpdb-site-example-site",
    "grandparentType": "show",
    "grandparentTitle": "Example Site",
    "grandparentThumb": f"{CDN}/sites/example-site/poster.png",
    "thumb": f"{CDN}/scenes/6b1f/background.jpg",
    "Image": [
        {"type": "snapshot", "url": f"{CDN}/scenes/6b1f/background.jpg", "alt": "Sunny Afternoon"},
        {"type": "coverPoster", "url": f"{CDN}/scenes/6b1f/poster.jpg", "alt": "Sunny Afternoon"},
    ],
    "Genre": [{"tag": "Outdoor"}, {"tag": "Romantic"}],
    "Role": [
        {"tag": "Performer One", "role": "Performer", "thumb": f"{CDN}/performers/p1.jpg", "order": 1},
        {"tag": "Performer Two", "role": "Performer", "thumb": f"{CDN}/performers/p2.jpg", "order": 2},
    ],
    "Director": [{"tag": "Some Director"}],
    "Guid": [{"id": f"tpdb://scene/{SCENE_UUID}"}],
}

# Spec §8.8 minus "tagline": TPDB has no tagline field, so we never send one.
MOVIE_8_8 = {
    "type": "movie",
    "ratingKey": f"tpdb-movie-{MOVIE_UUID}",
    "key": f"/library/metadata/tpdb-movie-{MOVIE_UUID}",
    "guid": f"{MOVIE}://movie/tpdb-movie-{MOVIE_UUID}",
    "title": "Example Feature",
    "summary": "Movie synopsis.",
    "studio": "Example Studio",
    "contentRating": "X",
    "isAdult": True,
    "originallyAvailableAt": "2022-11-18",
    "year": 2022,
    "duration": 7260000,
    "thumb": f"{CDN}/movies/0c9e/front.jpg",
    "art": f"{CDN}/movies/0c9e/background.jpg",
    "Image": [
        {"type": "coverPoster", "url": f"{CDN}/movies/0c9e/front.jpg", "alt": "Example Feature"},
        {"type": "background", "url": f"{CDN}/movies/0c9e/background.jpg", "alt": "Example Feature"},
    ],
    "Genre": [{"tag": "Feature"}],
    "Role": [{"tag": "Performer One", "role": "Performer", "order": 1}],
    "Director": [{"tag": "Some Director"}],
    "Studio": [{"tag": "Example Studio"}],
    "Guid": [{"id": f"tpdb://movie/{MOVIE_UUID}"}],
}


def test_show_metadata_reproduces_spec_8_5(api, spec_library):
    response = api.get("/tv/library/metadata/tpdb-site-example-site")
    assert response.status_code == 200
    assert response.json() == _container(TV, SHOW_8_5)


def test_show_metadata_with_include_children_embeds_every_season(api, spec_library):
    response = api.get("/tv/library/metadata/tpdb-site-example-site", {"includeChildren": "1"})
    (show,) = response.json()["MediaContainer"]["Metadata"]
    assert show["Children"] == {
        "size": 2,
        "Metadata": [season_8_6(2023, "2023-01-04"), season_8_6(2024, "2024-01-02")],
    }
    assert {k: v for k, v in show.items() if k != "Children"} == SHOW_8_5


def test_show_metadata_sends_no_counts(api, spec_library):
    (show,) = api.get("/tv/library/metadata/tpdb-site-example-site").json()["MediaContainer"]["Metadata"]
    assert not {"leafCount", "childCount", "Media", "addedAt", "rating"} & set(show)


def test_season_metadata_carries_every_parent_field(api, spec_library):
    response = api.get("/tv/library/metadata/tpdb-season-example-site-2024")
    assert response.json() == _container(TV, season_8_6(2024, "2024-01-02"))


def test_season_metadata_with_include_children_embeds_brief_episodes(api, spec_library):
    response = api.get("/tv/library/metadata/tpdb-season-example-site-2024", {"includeChildren": 1})
    (season,) = response.json()["MediaContainer"]["Metadata"]
    children = season["Children"]
    assert children["size"] == len(children["Metadata"]) == 8
    assert [e["index"] for e in children["Metadata"]] == [10201, 10901, 11601, 12301, 13001, 30501, 30502, 120101]
    seventh = children["Metadata"][6]
    assert (seventh["ratingKey"], seventh["thumb"]) == (f"tpdb-scene-{SCENE_UUID}", f"{CDN}/scenes/6b1f/poster.jpg")
    assert "Role" not in seventh


def test_episode_metadata_reproduces_spec_8_7(api, spec_library):
    response = api.get(f"/tv/library/metadata/tpdb-scene-{SCENE_UUID}")
    assert response.json() == _container(TV, EPISODE_8_7)


def test_movie_metadata_reproduces_spec_8_8(api, spec_library):
    response = api.get(f"/movie/library/metadata/tpdb-movie-{MOVIE_UUID}")
    assert response.json() == _container(MOVIE, MOVIE_8_8)


def test_a_scene_on_the_movie_provider_is_a_movie_with_the_site_as_studio(api, spec_library):
    (item,) = api.get(f"/movie/library/metadata/tpdb-scene-{SCENE_UUID}").json()["MediaContainer"]["Metadata"]
    assert item == {
        "type": "movie",
        "ratingKey": f"tpdb-scene-{SCENE_UUID}",
        "key": f"/library/metadata/tpdb-scene-{SCENE_UUID}",
        "guid": f"{MOVIE}://movie/tpdb-scene-{SCENE_UUID}",
        "title": "Sunny Afternoon",
        "summary": "Scene description.",
        "studio": "Example Site",
        "contentRating": "X",
        "isAdult": True,
        "originallyAvailableAt": "2024-03-05",
        "year": 2024,
        "duration": 1934000,
        "thumb": f"{CDN}/scenes/6b1f/poster.jpg",
        "art": f"{CDN}/scenes/6b1f/background.jpg",
        "Image": [
            {"type": "coverPoster", "url": f"{CDN}/scenes/6b1f/poster.jpg", "alt": "Sunny Afternoon"},
            {"type": "background", "url": f"{CDN}/scenes/6b1f/background.jpg", "alt": "Sunny Afternoon"},
        ],
        "Genre": [{"tag": "Outdoor"}, {"tag": "Romantic"}],
        "Role": EPISODE_8_7["Role"],
        "Director": [{"tag": "Some Director"}],
        "Studio": [{"tag": "Example Site"}],
        # Movie libraries only (spec §3.3): the site's collection and its network's (issue #20).
        "Collection": SPEC_SITE_COLLECTIONS,
        "Guid": [{"id": f"tpdb://scene/{SCENE_UUID}"}],
    }


def test_the_identifier_setting_changes_every_guid(api, spec_library, settings):
    settings.PLEX_TV_IDENTIFIER = "tv.plex.agents.custom.mine"
    body = api.get(f"/tv/library/metadata/tpdb-scene-{SCENE_UUID}").json()["MediaContainer"]
    (item,) = body["Metadata"]
    assert body["identifier"] == "tv.plex.agents.custom.mine"
    assert item["guid"] == f"tv.plex.agents.custom.mine://episode/tpdb-scene-{SCENE_UUID}"
    assert item["parentGuid"].startswith("tv.plex.agents.custom.mine://season/")
    assert item["grandparentGuid"].startswith("tv.plex.agents.custom.mine://show/")


@pytest.mark.parametrize("alias", ["1234", "{uuid}", "{UUID}"])
def test_a_site_is_found_by_its_numeric_id_or_uuid_too(api, spec_library, alias):
    tpdb_id = str(spec_library.site.tpdb_id)
    key = "tpdb-site-" + alias.format(uuid=tpdb_id, UUID=tpdb_id.upper())
    (show,) = api.get(f"/tv/library/metadata/{key}").json()["MediaContainer"]["Metadata"]
    assert show["ratingKey"] == "tpdb-site-example-site"


def test_a_slug_that_is_also_a_number_resolves_to_the_slug_first(api, spec_library):
    spec_library.network.slug = "1234"
    spec_library.network.save()
    (show,) = api.get("/tv/library/metadata/tpdb-site-1234").json()["MediaContainer"]["Metadata"]
    assert show["title"] == "Example Network"


@pytest.mark.parametrize(
    "url",
    [
        "/tv/library/metadata/tpdb-site-nope",
        "/tv/library/metadata/tpdb-season-example-site-1899",
        "/tv/library/metadata/tpdb-season-nope-2024",
        "/tv/library/metadata/tpdb-scene-not-a-uuid",
        "/tv/library/metadata/tpdb-thing-1",
        "/tv/library/metadata/" + "a" * 300,
        f"/tv/library/metadata/tpdb-movie-{MOVIE_UUID}",
        "/movie/library/metadata/tpdb-site-example-site",
        "/movie/library/metadata/tpdb-season-example-site-2024",
        "/tv/library/metadata/tpdb-site-example-site/nonsense",
    ],
)
def test_unknown_or_foreign_keys_are_a_json_404(api, spec_library, url):
    response = api.get(url)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert set(response.json()) == {"code", "message", "extra"}


def test_a_scene_that_is_not_stored_is_fetched_from_tpdb_and_stored(api, db, fake_tpdb):
    response = api.get(f"/tv/library/metadata/tpdb-scene-{FIXTURE_SCENE}")
    assert response.status_code == 200
    (item,) = response.json()["MediaContainer"]["Metadata"]
    assert (item["title"], item["grandparentTitle"], item["index"]) == (
        "Sunny Afternoon Picnic",
        "Example Studio",
        10301,
    )
    assert item["duration"] == 2302000
    assert Scene.objects.filter(tpdb_id=FIXTURE_SCENE).exists()


def test_a_site_that_is_not_stored_is_fetched_by_numeric_id(api, db, fake_tpdb):
    (show,) = api.get("/tv/library/metadata/tpdb-site-4101").json()["MediaContainer"]["Metadata"]
    assert show["title"] == "Example Studio"
    assert show["ratingKey"] == f"tpdb-site-{Site.objects.get(tpdb_numeric_id=4101).slug}"


def test_a_scene_tpdb_does_not_know_is_a_404(api, db, fake_tpdb):
    response = api.get("/tv/library/metadata/tpdb-scene-99999999-9999-4999-8999-999999999999")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_stored_scene_is_served_while_tpdb_is_down(api, spec_library, dead_tpdb):
    assert api.get(f"/tv/library/metadata/tpdb-scene-{SCENE_UUID}").status_code == 200


def test_a_scene_neither_stored_nor_reachable_is_a_503(api, db, dead_tpdb):
    response = api.get(f"/tv/library/metadata/tpdb-scene-{FIXTURE_SCENE}")
    assert response.status_code == 503
    assert response.json()["code"] == "tpdb_unavailable"


def test_extras_is_an_empty_container(api, spec_library):
    response = api.get(f"/tv/library/metadata/tpdb-scene-{SCENE_UUID}/extras")
    assert response.json() == _container(TV)


def test_images_lists_every_candidate_image(api, spec_library):
    body = api.get("/tv/library/metadata/tpdb-site-example-site/images").json()["MediaContainer"]
    assert body["identifier"] == TV
    assert body["size"] == body["totalSize"] == len(body["Image"])
    assert [(i["type"], i["url"]) for i in body["Image"]] == [
        ("coverPoster", f"{CDN}/sites/example-site/poster.png"),
        ("coverPoster", f"{CDN}/sites/example-site/logo.png"),
        ("background", f"{CDN}/sites/example-site/background.jpg"),
        ("clearLogo", f"{CDN}/sites/example-site/logo.png"),
    ]


@pytest.mark.parametrize(
    "url",
    [
        "http://cdn.example-tpdb.net/x.jpg",
        "https://192.168.1.50/x.jpg",
        "https://10.0.0.2/x.jpg",
        "https://127.0.0.1/x.jpg",
        "https://[::1]/x.jpg",
        "https://localhost/x.jpg",
        "https://nas.local/x.jpg",
        "/relative/x.jpg",
    ],
)
def test_lan_or_insecure_image_urls_are_never_sent(api, spec_library, url):
    Scene.objects.filter(tpdb_id=SCENE_UUID).update(poster_url=url, background_url=url)
    for path in (
        f"/tv/library/metadata/tpdb-scene-{SCENE_UUID}",
        f"/tv/library/metadata/tpdb-scene-{SCENE_UUID}/images",
    ):
        assert url not in api.get(path).content.decode()


def test_episode_metadata_runs_a_fixed_number_of_queries(api, spec_library, django_assert_num_queries):
    episode_numbers_ensure(site=spec_library.site, year=2024)  # as the season's first serve does (scenes.episodes)
    # scene (+site, network, parent) / credits (+performer, parent); the stored number costs nothing
    with django_assert_num_queries(2):
        assert api.get(f"/tv/library/metadata/tpdb-scene-{SCENE_UUID}").status_code == 200


def test_show_metadata_runs_a_fixed_number_of_queries(api, spec_library, django_assert_num_queries):
    # site / catalog years stored / any scene stored (the catalog walk is queued) / first release / art / seasons /
    # tags of the newest scenes
    with django_assert_num_queries(7):
        assert api.get("/tv/library/metadata/tpdb-site-example-site?includeChildren=1").status_code == 200


def test_movie_metadata_runs_a_fixed_number_of_queries(api, spec_library, django_assert_num_queries):
    with django_assert_num_queries(2):
        assert api.get(f"/movie/library/metadata/tpdb-movie-{MOVIE_UUID}").status_code == 200


def test_a_scene_stored_from_a_search_item_is_completed_from_tpdb_before_plex_reads_it(api, db, fake_tpdb):
    from scenes.services import scene_upsert_from_tpdb
    from tests.recipes import tpdb_json
    from tpdbprovider.tpdb.schemas import TPDBScene

    detail = tpdb_json("scene_detail.json")["data"]
    thin = {k: v for k, v in detail.items() if k not in {"tags", "markers", "directors", "scenes", "movies", "links"}}
    scene = scene_upsert_from_tpdb(data=TPDBScene.from_json(thin))
    assert not scene.is_complete and scene.tags == []

    item = api.get(f"/tv/library/metadata/tpdb-scene-{scene.tpdb_id}").json()["MediaContainer"]["Metadata"][0]
    scene.refresh_from_db()
    assert scene.is_complete
    assert item["Genre"] and fake_tpdb.count(path_prefix=f"/scenes/{scene.tpdb_id}") == 1


def test_an_incomplete_scene_is_still_served_when_tpdb_is_down(api, db, dead_tpdb):
    from scenes.models import Scene

    scene = Scene.objects.create(tpdb_id=SCENE_UUID, title="Thin", site=None, is_complete=False)
    response = api.get(f"/movie/library/metadata/tpdb-scene-{scene.tpdb_id}")
    assert response.status_code == 200
    assert response.json()["MediaContainer"]["Metadata"][0]["title"] == "Thin"


def test_a_show_gets_the_most_common_tags_of_its_scenes_and_episodes_keep_their_own(api, spec_library, make_scene):
    site = spec_library.site
    for n in range(4):
        make_scene(site, datetime.date(2024, 5, 1 + n), tags=[{"name": "Outdoor"}, "Blonde"] if n else ["Blonde"])
    make_scene(site, datetime.date(2020, 1, 1), tags=["Vintage"])
    TagRule.objects.create(tag="Blonde", action=TagRule.Action.RENAME, target="Blondes")
    metadata_policy_invalidate()  # as the admin does on saving a rule

    (show,) = api.get("/tv/library/metadata/tpdb-site-example-site").json()["MediaContainer"]["Metadata"]
    (episode,) = api.get(f"/tv/library/metadata/tpdb-scene-{SCENE_UUID}").json()["MediaContainer"]["Metadata"]

    # Blonde and Outdoor on four scenes each (ties by name), then Romantic and Vintage on one; the rename applies.
    assert show["Genre"] == [{"tag": "Blondes"}, {"tag": "Outdoor"}, {"tag": "Romantic"}, {"tag": "Vintage"}]
    assert episode["Genre"] == [{"tag": "Outdoor"}, {"tag": "Romantic"}]


def test_a_shows_tags_are_counted_over_its_newest_scenes_only(api, spec_library, make_scene):
    site = spec_library.site
    for n in range(SHOW_TAG_SCENES):
        make_scene(site, datetime.date(2025, 1, 1) + datetime.timedelta(days=n), tags=["Recent"])
    (show,) = api.get("/tv/library/metadata/tpdb-site-example-site").json()["MediaContainer"]["Metadata"]
    assert show["Genre"] == [{"tag": "Recent"}]
