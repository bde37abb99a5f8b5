"""The catalog trigger: a site's second matched file within a day starts its catalog walk, once."""

from __future__ import annotations

import datetime as dt

import pytest

from movies.models import Movie
from scenes.matching.prefetch import PREFETCH_AFTER_MATCHES, PREFETCH_FRESH, is_site_year_fresh, prefetch_after_match
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


def catalog_calls(fake_tpdb) -> int:
    return sum(1 for r in fake_tpdb.requests if r.path == "/scenes" and "site_id=4101" in r.query)


def test_the_site_walk_starts_at_the_nth_matched_file_and_only_once(fake_tpdb, django_capture_on_commit_callbacks):
    site = make_site("Example Studio", 4101, slug="example-studio")
    scene = make_scene(site, "Sunny Afternoon Picnic", dt.date(2022, 1, 3))
    older = make_scene(site, "Older Picnic", dt.date(2019, 1, 3))

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(PREFETCH_AFTER_MATCHES - 1):
            prefetch_after_match(scene)
    assert fake_tpdb.requests == []

    with django_capture_on_commit_callbacks(execute=True):
        prefetch_after_match(older)  # any year of the site counts: the walk covers them all
        for _ in range(3):
            prefetch_after_match(scene)

    assert catalog_calls(fake_tpdb) == 1  # the fixture site fits one page
    assert "orderBy=recently_released" in fake_tpdb.requests[0].query
    assert SiteYearSync.objects.filter(site=site, year=0).exists()  # the whole catalog is recorded


def test_only_scenes_of_a_site_trigger_a_walk(fake_tpdb, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(PREFETCH_AFTER_MATCHES + 1):
            prefetch_after_match(make_scene(None, "No site", dt.date(2024, 1, 1)))
            prefetch_after_match(Movie(title="A movie"))
    assert fake_tpdb.requests == []
