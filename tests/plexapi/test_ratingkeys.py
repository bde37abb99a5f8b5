"""ratingKey and GUID formats (spec §1.3, §8.1): builders and parsers agree, junk is a 404."""

from __future__ import annotations

import uuid

import pytest
from django.http import Http404

from plexapi import ratingkeys
from plexapi.ratingkeys import RatingKey

UUID = "6b1f0c2e-9a4d-4c1e-8f00-1a2b3c4d5e6f"


@pytest.mark.parametrize(
    ("rating_key", "expected"),
    [
        ("tpdb-site-example-site", RatingKey("site", "example-site")),
        ("tpdb-site-4101", RatingKey("site", "4101")),
        (f"tpdb-site-{UUID.upper()}", RatingKey("site", UUID)),
        ("tpdb-season-example-site-2024", RatingKey("season", "example-site", 2024)),
        ("tpdb-season-site-2024-2024", RatingKey("season", "site-2024", 2024)),
        ("tpdb-season-example-site-0", RatingKey("season", "example-site", 0)),
        (f"tpdb-scene-{UUID}", RatingKey("scene", UUID)),
        (f"tpdb-scene-{UUID.upper()}", RatingKey("scene", UUID)),
        (f"tpdb-movie-{UUID}", RatingKey("movie", UUID)),
        ("tpdb-collection-site-example-site", RatingKey("collection", "example-site", level="site")),
        ("tpdb-collection-site-4101", RatingKey("collection", "4101", level="site")),
        ("tpdb-collection-network-example-network", RatingKey("collection", "example-network", level="network")),
        (f"tpdb-collection-network-{UUID.upper()}", RatingKey("collection", UUID, level="network")),
        ("tpdb-collection-site-collection-network-x", RatingKey("collection", "collection-network-x", level="site")),
    ],
)
def test_it_parses_every_kind(rating_key, expected):
    assert ratingkeys.parse(rating_key) == expected


@pytest.mark.parametrize(
    "rating_key",
    [
        "",
        "tpdb-site-",
        "tpdb-site-a/b",
        "tpdb-site-a.b",
        "tpdb-site-a b",
        "tpdb-site-..%2F..",
        "tpdb-site-" + "a" * 300,
        "tpdb-season-example-site",
        "tpdb-season-example-site-1899",
        "tpdb-season-example-site-2101",
        "tpdb-season-example-site-0000",
        "tpdb-season-example-site-24",
        "tpdb-season--2024",
        "tpdb-scene-not-a-uuid",
        f"tpdb-scene-{UUID}0",
        f"tpdb-scene-{UUID[:-1]}g",
        f"tpdb-movie-{UUID}-x",
        "tpdb-performer-1",
        "tpdb-scene-\x00",
        "TPDB-SITE-x",
        "tpdb-collection-site-",
        "tpdb-collection-network-",
        "tpdb-collection-example-site",
        "tpdb-collection-studio-example-site",
        "tpdb-collection-site-a/b",
        "tpdb-collection-site-ä",
        "tpdb-collection-site-" + "a" * 300,
    ],
)
def test_it_rejects_malformed_keys_with_http404(rating_key):
    with pytest.raises(Http404):
        ratingkeys.parse(rating_key)


def test_builders_round_trip_through_the_parser():
    tpdb_id = uuid.UUID(UUID)
    for built in (
        ratingkeys.site_key("my-site-2"),
        ratingkeys.season_key("my-site-2", 2019),
        ratingkeys.scene_key(tpdb_id),
        ratingkeys.movie_key(tpdb_id),
        ratingkeys.collection_key("site", "my-site-2"),
        ratingkeys.collection_key("network", "my-network"),
    ):
        assert str(ratingkeys.parse(built)) == built


def test_guids_have_the_documented_shape_and_parse_back():
    guid = ratingkeys.build_guid("tv.plex.agents.custom.tpdb.tv", "season", "tpdb-season-a-b-2020")
    assert guid == "tv.plex.agents.custom.tpdb.tv://season/tpdb-season-a-b-2020"
    assert ratingkeys.parse_guid(guid, identifiers=("tv.plex.agents.custom.tpdb.tv",)) == RatingKey(
        "season", "a-b", 2020
    )


@pytest.mark.parametrize(
    "guid",
    [
        "tvdb://12345",
        "imdb://tt0111161",
        "tv.plex.agents.custom.other.tv://episode/tpdb-scene-" + UUID,
        "tv.plex.agents.custom.tpdb.tv://tpdb-scene-" + UUID,
        "tv.plex.agents.custom.tpdb.tv://episode/tpdb-scene-nope",
        "tv.plex.agents.custom.tpdb.tv://clip/tpdb-scene-" + UUID,
        "",
    ],
)
def test_foreign_or_broken_guids_parse_to_none(guid):
    assert ratingkeys.parse_guid(guid, identifiers=("tv.plex.agents.custom.tpdb.tv",)) is None


def test_metadata_keys_point_shows_and_seasons_at_their_children():
    assert ratingkeys.metadata_key("tpdb-site-x", with_children=True) == "/library/metadata/tpdb-site-x/children"
    assert ratingkeys.metadata_key("tpdb-site-x") == "/library/metadata/tpdb-site-x"
