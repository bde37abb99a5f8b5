"""The site-year prefetch: the third matched file of a site's year stores the rest of that year."""

from __future__ import annotations

import datetime as dt

import pytest

from movies.models import Movie
from scenes.matching.prefetch import PREFETCH_AFTER_MATCHES, PREFETCH_FRESH, is_site_year_fresh, prefetch_site_year
from sites.models import SiteYearSync
from tests.scenes.matching.conftest import make_scene, make_site

pytestmark = pytest.mark.django_db


def test_a_site_year_is_fresh_only_within_the_prefetch_window():
    site = make_site("Alpha Studio", 7001)
    sync = SiteYearSync.objects.create(site=site, year=2024, synced_at=dt.datetime.now(tz=dt.UTC))
    assert is_site_year_fresh(tpdb_site_id=7001, year=2024)
    assert not is_site_year_fresh(tpdb_site_id=7001, year=2023)
    sync.synced_at = dt.datetime.now(tz=dt.UTC) - PREFETCH_FRESH - dt.timedelta(minutes=1)
    sync.save()
    assert not is_site_year_fresh(tpdb_site_id=7001, year=2024)


def site_year_calls(fake_tpdb) -> int:
    return sum(1 for r in fake_tpdb.requests if r.path == "/scenes" and "site_id=4101" in r.query)


def test_the_third_match_of_a_site_year_fetches_that_year_once(fake_tpdb):
    site = make_site("Example Studio", 4101, slug="example-studio")
    scene = make_scene(site, "Sunny Afternoon Picnic", dt.date(2022, 1, 3))

    for _ in range(PREFETCH_AFTER_MATCHES - 1):
        prefetch_site_year(scene)
    assert fake_tpdb.requests == []

    for _ in range(3):
        prefetch_site_year(scene)

    assert site_year_calls(fake_tpdb) == 1
    assert "year=2022" in fake_tpdb.requests[0].query


def test_only_dated_scenes_of_a_site_trigger_a_prefetch(fake_tpdb):
    undated = make_scene(make_site("Alpha Studio", 7001), "No date", None)
    for _ in range(PREFETCH_AFTER_MATCHES + 1):
        prefetch_site_year(undated)
        prefetch_site_year(make_scene(None, "No site", dt.date(2024, 1, 1)))
        prefetch_site_year(Movie(title="A movie"))
    assert fake_tpdb.requests == []
