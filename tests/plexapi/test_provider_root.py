"""Provider roots (spec §1, §8.2, §8.3; the movie root adds the collection feature of §1.2)."""

from __future__ import annotations

import pytest

TV_ROOT = {
    "MediaProvider": {
        "identifier": "tv.plex.agents.custom.tpdb.tv",
        "title": "ThePornDB (TV)",
        "version": "1.0.0",
        "Types": [
            {"type": 2, "Scheme": [{"scheme": "tv.plex.agents.custom.tpdb.tv"}]},
            {"type": 3, "Scheme": [{"scheme": "tv.plex.agents.custom.tpdb.tv"}]},
            {"type": 4, "Scheme": [{"scheme": "tv.plex.agents.custom.tpdb.tv"}]},
        ],
        "Feature": [
            {"type": "metadata", "key": "/library/metadata"},
            {"type": "match", "key": "/library/metadata/matches"},
        ],
    }
}
MOVIE_ROOT = {
    "MediaProvider": {
        "identifier": "tv.plex.agents.custom.tpdb.movie",
        "title": "ThePornDB (Movies)",
        "version": "1.0.0",
        "Types": [{"type": 1, "Scheme": [{"scheme": "tv.plex.agents.custom.tpdb.movie"}]}],
        "Feature": [
            {"type": "metadata", "key": "/library/metadata"},
            {"type": "match", "key": "/library/metadata/matches"},
            {"type": "collection", "key": "/library/collections"},
        ],
    }
}


@pytest.mark.parametrize("url", ["/tv", "/tv/", "/tv?includePreferences=1", "/tv/?includePreferences=1&foo=bar"])
def test_the_tv_root_reproduces_spec_8_2(api, url):
    response = api.get(url)
    assert response.status_code == 200
    assert response.json() == TV_ROOT


@pytest.mark.parametrize("url", ["/movie", "/movie/", "/movie?includePreferences=1&X-Plex-Language=en-US"])
def test_the_movie_root_reproduces_spec_8_3(api, url):
    assert api.get(url).json() == MOVIE_ROOT


def test_the_movie_root_drops_the_collection_feature_when_every_level_is_off(api, settings):
    settings.PLEX_COLLECTION_LEVELS = []
    features = api.get("/movie").json()["MediaProvider"]["Feature"]
    assert [f["type"] for f in features] == ["metadata", "match"]


def test_identifiers_and_title_come_from_settings(api, settings):
    settings.PLEX_TV_IDENTIFIER = "tv.plex.agents.tpdb.tv"
    settings.APP_NAME = "My TPDB"
    root = api.get("/tv").json()["MediaProvider"]
    assert (root["identifier"], root["title"]) == ("tv.plex.agents.tpdb.tv", "My TPDB (TV)")
    assert {s["scheme"] for t in root["Types"] for s in t["Scheme"]} == {"tv.plex.agents.tpdb.tv"}


def test_the_feature_keys_are_relative_and_routable(api, db):
    for feature in api.get("/tv").json()["MediaProvider"]["Feature"]:
        assert not feature["key"].startswith("/tv")
    assert api.post("/tv" + "/library/metadata/matches", {"type": 2, "title": ""}, format="json").status_code == 200
    assert api.get("/tv" + "/library/metadata/tpdb-site-nope").status_code == 404


def test_the_movie_collection_feature_key_is_relative_and_routable(api, spec_library):
    (feature,) = [f for f in api.get("/movie").json()["MediaProvider"]["Feature"] if f["type"] == "collection"]
    response = api.get("/movie" + feature["key"] + "/tpdb-collection-site-example-site")
    assert response.status_code == 200
    assert response.json()["MediaContainer"]["Metadata"][0]["ratingKey"] == "tpdb-collection-site-example-site"


def test_health_is_still_served(api, db):
    assert api.get("/health").status_code in (200, 503)
