"""The candidate pool: stored scenes around the parsed dates, TPDB data stored only when it is the answer."""

from __future__ import annotations

import datetime as dt

import pytest

from scenes.matching.candidates import Pool, local_candidates, rating_key
from scenes.models import Scene
from sites.services import site_index_get
from tests.scenes.matching.conftest import FIXTURE_SCENE, make_scene, make_site, picnic_request
from tpdbprovider.matching.matcher import ScoredCandidate
from tpdbprovider.matching.parser import MatchInput, parse_request
from tpdbprovider.tpdb.client import tpdb_client

pytestmark = pytest.mark.django_db


def parsed_for(filename: str):
    return parse_request(MatchInput(title="", year=None, filename=filename, kind="episode"))


def test_local_candidates_are_the_sites_scenes_from_two_days_before_to_thirty_after():
    site, other = make_site("Alpha Studio", 7001), make_site("Beta Studio", 7002)
    inside = [make_scene(site, "Early", dt.date(2024, 3, 18)), make_scene(site, "Late", dt.date(2024, 4, 19))]
    make_scene(site, "Too early", dt.date(2024, 3, 17))
    make_scene(site, "Too late", dt.date(2024, 4, 20))
    make_scene(other, "Other site", dt.date(2024, 3, 20))
    parsed = parsed_for("Alpha Studio - 2024-03-20 - Something.mp4")
    assert parsed.dates == (dt.date(2024, 3, 20),)
    index = site_index_get(force=True)

    found = list(local_candidates(parsed, index.resolve(parsed.site_tokens), index))

    assert [s.title for s in found] == [s.title for s in inside]


def test_without_a_resolved_site_or_a_date_there_are_no_local_candidates():
    make_scene(make_site("Alpha Studio", 7001), "Early", dt.date(2024, 3, 8))
    index = site_index_get(force=True)
    no_date = parsed_for("Alpha Studio - Something.mp4")
    no_site = parsed_for("Nobody Knows - 2024-03-10 - Something.mp4")
    assert list(local_candidates(no_date, index.resolve(no_date.site_tokens), index)) == []
    assert list(local_candidates(no_site, index.resolve(no_site.site_tokens), index)) == []


def test_a_stored_scene_of_the_named_site_with_the_names_id_is_a_local_candidate_without_a_date():
    site, other = make_site("Alpha Studio", 7001), make_site("Beta Studio", 7002)
    wanted = make_scene(site, "Short Dance", dt.date(2019, 2, 23), external_id="1896966")
    make_scene(site, "Another", dt.date(2019, 2, 23), external_id="1896967")
    make_scene(other, "Same id elsewhere", dt.date(2019, 2, 23), external_id="1896966")
    parsed = parsed_for("Alpha Studio - 1896966.mp4")
    index = site_index_get(force=True)

    found = list(local_candidates(parsed, index.resolve(parsed.site_tokens), index))

    assert [s.pk for s in found] == [wanted.pk]


def test_a_stored_row_is_not_replaced_by_the_same_item_fetched_from_tpdb(fake_tpdb):
    data = tpdb_client(lane="interactive").get_scene(FIXTURE_SCENE)
    stored = make_scene(None, "Stored Title", dt.date(2022, 1, 3), tpdb_id=FIXTURE_SCENE)
    pool = Pool()
    pool.add_stored(stored)
    pool.add_fetched(data, "scene")
    (candidate,) = pool.candidates.values()
    assert (candidate.title, pool.fetched) == ("Stored Title", {})
    assert rating_key(candidate) == f"tpdb-scene-{FIXTURE_SCENE}"


def test_a_fetched_answer_is_stored_once_and_served_from_the_row_afterwards(fake_tpdb):
    data = tpdb_client(lane="interactive").get_scene(FIXTURE_SCENE)
    pool = Pool()
    pool.add_fetched(data, "scene")
    (candidate,) = pool.candidates.values()
    scored = ScoredCandidate(candidate, 90, {}, total=90.0)

    first = pool.result_for(scored, picnic_request())
    second = Pool()
    second.add_fetched(data, "scene")
    again = second.result_for(scored, picnic_request())

    assert (first.kind, first.score, first.item.title) == ("episode", 90, "Sunny Afternoon Picnic")
    assert again.item.pk == first.item.pk and Scene.objects.filter(tpdb_id=FIXTURE_SCENE).count() == 1
