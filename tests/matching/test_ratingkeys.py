"""The ratingKey grammar is pure: it raises its own ValueError, and plexapi.ratingkeys turns that into the 404."""

from __future__ import annotations

import uuid

import pytest
from django.http import Http404

from plexapi import ratingkeys as plex_ratingkeys
from tpdbprovider.matching import ratingkeys
from tpdbprovider.matching.ratingkeys import MalformedRatingKey, RatingKey

UUID = "6b1f0c2e-9a4d-4c1e-8f00-1a2b3c4d5e6f"


@pytest.mark.parametrize("rating_key", ["", "tpdb-scene-nope", "tpdb-season-x-1899", "tpdb-performer-1", "a" * 300])
def test_malformed_keys_raise_a_value_error_not_an_http_error(rating_key: str) -> None:
    with pytest.raises(MalformedRatingKey) as raised:
        ratingkeys.parse(rating_key)
    assert isinstance(raised.value, ValueError)
    assert not isinstance(raised.value, Http404)
    assert ratingkeys.parse_or_none(rating_key) is None


def test_parse_or_none_returns_the_key_when_it_parses() -> None:
    assert ratingkeys.parse_or_none(f"tpdb-movie-{UUID.upper()}") == RatingKey("movie", UUID)
    assert ratingkeys.parse_or_none("tpdb-season-my-site-0") == RatingKey("season", "my-site", 0)


def test_builders_round_trip() -> None:
    tpdb_id = uuid.UUID(UUID)
    for built in (ratingkeys.scene_key(tpdb_id), ratingkeys.movie_key(UUID), ratingkeys.season_key("a-b", 2020)):
        assert str(ratingkeys.parse(built)) == built


def test_site_and_network_collections_of_one_slug_are_different_keys() -> None:
    site, network = ratingkeys.collection_key("site", "brazzers"), ratingkeys.collection_key("network", "brazzers")
    assert (site, network) == ("tpdb-collection-site-brazzers", "tpdb-collection-network-brazzers")
    assert ratingkeys.parse(site) != ratingkeys.parse(network)
    assert ratingkeys.parse(network) == RatingKey("collection", "brazzers", level="network")
    assert plex_ratingkeys.collection_key is ratingkeys.collection_key


def test_the_plex_wrapper_keeps_the_grammar_message_in_its_404() -> None:
    with pytest.raises(Http404, match="Unknown ratingKey 'tpdb-scene-nope'"):
        plex_ratingkeys.parse("tpdb-scene-nope")
    assert plex_ratingkeys.parse is not ratingkeys.parse
    assert plex_ratingkeys.scene_key is ratingkeys.scene_key  # one grammar, re-exported, not a copy
