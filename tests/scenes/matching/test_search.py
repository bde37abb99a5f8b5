"""The TPDB side of a match: the parse search, the movie search, their cache and learning unknown sites."""

from __future__ import annotations

import pytest

from scenes.matching import MatchRequest
from scenes.matching.candidates import Pool
from scenes.matching.search import fetch_candidates, learn_sites
from sites.models import Site
from tests.scenes.matching.conftest import PICNIC_FILE, picnic_request
from tpdbprovider.matching.parser import MatchInput, parse_request

pytestmark = pytest.mark.django_db


def parsed_for(req: MatchRequest):
    kind = "episode" if req.type == 4 else "movie"
    return parse_request(MatchInput(title=req.title, year=req.year, filename=req.filename, kind=kind))


def test_one_parse_search_brings_candidates_and_a_repeat_is_answered_from_the_cache(fake_tpdb):
    req = picnic_request()
    pool, again = Pool(), Pool()

    assert fetch_candidates(req, parsed_for(req), pool, kind="scene")
    assert fetch_candidates(req, parsed_for(req), again, kind="scene")

    assert "Sunny Afternoon Picnic" in {c.title for c in pool.candidates.values()}
    assert {c.kind for c in pool.candidates.values()} == {"scene"}
    assert again.candidates.keys() == pool.candidates.keys()
    assert fake_tpdb.count(route="GET /scenes") + fake_tpdb.count(route="GET /movies") == 1


def test_each_search_asks_its_own_collection_once(fake_tpdb):
    req = MatchRequest(
        provider="movie", type=1, title="Example Feature", year=2021, filename="Example Feature (2021).mkv"
    )
    assert fetch_candidates(req, parsed_for(req), Pool(), kind="scene")
    assert fake_tpdb.count(route="GET /movies") == 0
    pool = Pool()
    assert fetch_candidates(req, parsed_for(req), pool, kind="movie")
    assert fake_tpdb.count(route="GET /movies") == 1
    assert fake_tpdb.count(route="GET /scenes") == 1
    assert {c.kind for c in pool.candidates.values()} <= {"movie"}


def test_a_tpdb_failure_is_reported_and_leaves_the_pool_as_it_was(tpdb_down):
    req = MatchRequest(provider="tv", type=4, filename=PICNIC_FILE)
    pool = Pool()
    assert fetch_candidates(req, parsed_for(req), pool, kind="scene") is False
    assert pool.candidates == {}


def test_sites_of_fetched_candidates_are_learned_once(fake_tpdb):
    req = picnic_request()
    pool = Pool()
    fetch_candidates(req, parsed_for(req), pool, kind="scene")

    assert learn_sites(pool) is True
    assert Site.objects.filter(tpdb_numeric_id=4101, name="Example Studio").exists()
    assert learn_sites(pool) is False
