"""A site's catalog walk: newest first, each passed year recorded, bounded runs, its triggers, and the local matches
and season listings it makes possible (against the fake TPDB over real HTTP)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command

from scenes.catalog import catalog_walk_year, site_catalog_fetch, site_catalog_start, site_year_prefetch
from scenes.matching.candidates import catalog_candidates
from scenes.matching.prefetch import PREFETCH_AFTER_MATCHES, wait_for_catalog
from scenes.models import Scene
from sites.models import Site, SiteYearSync
from tests.conftest import serve_fake_tpdb
from tests.fake_tpdb import Catalog, FakeTPDB
from tests.scenes.plex_match import post_episode_match
from tpdbprovider.core.budget import request_budget
from tpdbprovider.matching.parser import MatchInput, parse_request
from tpdbprovider.matching.ratingkeys import UNDATED_SEASON, season_key

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tpdb"
SITE_ID = 7700
# 2024: 100 scenes, 2023: 80, 2022: 40, undated: 10 -> three pages of 100, newest first.
YEARS = {2024: 100, 2023: 80, 2022: 40, None: 10}
MATCH = "/tv/library/metadata/matches"


def _site() -> dict:
    return {
        "uuid": "7a7a7a7a-0000-4000-8000-000000007700",
        "id": SITE_ID,
        "parent_id": None,
        "network_id": None,
        "name": "Catalog Studio",
        "short_name": "catalogstudio",
        "url": None,
        "description": None,
        "rating": 0,
        "logo": None,
        "favicon": None,
        "poster": None,
        "network": None,
        "parent": None,
    }


def _scenes() -> Iterator[dict]:
    template = json.loads((FIXTURES / "scene_detail.json").read_text())["data"]
    number = 0
    for year, count in YEARS.items():
        for n in range(count):
            number += 1
            scene = copy.deepcopy(template)
            released = dt.date(year, 1, 1) + dt.timedelta(days=n * 3) if year else None
            scene.update(
                id=str(uuid.UUID(int=770000 + number)),
                _id=770000 + number,
                slug=f"catalog-studio-scene-{number}",
                title=f"Catalog Scene {number} {['Alpha', 'Beta', 'Gamma', 'Delta'][number % 4]}",
                date=released.isoformat() if released else None,
                site_id=SITE_ID,
                site=_site(),
                performers=[],
                hashes=[],
            )
            yield scene


@pytest.fixture
def catalog_tpdb(settings) -> Iterator[FakeTPDB]:
    catalog = Catalog.from_fixtures()
    catalog.add_site(_site())
    for scene in _scenes():
        catalog.add_scene(scene)
    yield from serve_fake_tpdb(settings, catalog)


def _walk_calls(fake: FakeTPDB) -> int:
    return sum(1 for r in fake.requests if r.path == "/scenes" and f"site_id={SITE_ID}" in r.query)


def _years(site: Site) -> set[int]:
    return set(SiteYearSync.objects.filter(site=site).values_list("year", flat=True))


def _stored_site() -> Site:
    call_command("sync_sites", verbosity=0)
    return Site.objects.get(tpdb_numeric_id=SITE_ID)


@pytest.mark.django_db
def test_the_walk_records_each_year_once_an_older_scene_arrives(catalog_tpdb):
    site = _stored_site()

    first = site_catalog_fetch(site=site, max_pages=1)
    assert (first.stored, first.next_page) == (100, 2)
    assert _years(site) == set()  # page 1 is all 2024: that year may go on on page 2
    assert catalog_walk_year(tpdb_site_id=SITE_ID) == 2024

    second = site_catalog_fetch(site=site, start_page=2, walk_year=first.walk_year, max_pages=1)
    assert _years(site) == {2024, 2023}  # page 2 reached 2022

    last = site_catalog_fetch(site=site, start_page=second.next_page or 0, walk_year=second.walk_year, max_pages=5)
    assert last.next_page is None
    assert _years(site) == {2024, 2023, 2022, UNDATED_SEASON}  # the last page completes the rest
    assert _walk_calls(catalog_tpdb) == 3  # one call per 100 scenes: the physical limit
    assert "orderBy=recently_released" in catalog_tpdb.requests[-1].query
    assert Scene.objects.filter(site=site).count() == sum(YEARS.values())


@pytest.mark.django_db
def test_starting_the_catalog_queues_one_walk_and_a_fresh_catalog_is_not_walked_again(
    catalog_tpdb, django_capture_on_commit_callbacks
):
    site = _stored_site()
    with django_capture_on_commit_callbacks(execute=True):
        assert site_catalog_start(site=site) is True
        assert site_catalog_start(site=site) is False  # already queued: single-flight

    assert _walk_calls(catalog_tpdb) == 3
    assert _years(site) == {2024, 2023, 2022, UNDATED_SEASON}
    assert catalog_walk_year(tpdb_site_id=SITE_ID) is None  # the walk is over
    with django_capture_on_commit_callbacks(execute=True):
        assert site_catalog_start(site=site) is False
    assert _walk_calls(catalog_tpdb) == 3


@pytest.mark.django_db
def test_sync_site_without_a_year_walks_the_whole_catalog(catalog_tpdb):
    site = _stored_site()

    call_command("sync_site", site.slug, verbosity=0)

    assert _years(site) == {2024, 2023, 2022, UNDATED_SEASON}
    assert _walk_calls(catalog_tpdb) == 3


def _match(client, filename: str) -> tuple[list[dict], int]:
    return post_episode_match(client, "Catalog Studio", filename)


@pytest.mark.django_db
def test_files_of_a_site_in_the_library_are_matched_from_stored_scenes_with_no_tpdb_call(
    client, catalog_tpdb, django_capture_on_commit_callbacks
):
    _stored_site()
    files = [
        "Catalog Studio - 2023-01-01 - Catalog Scene 101 Beta.mp4",
        "Catalog Studio - 2023-01-04 - Catalog Scene 102 Gamma.mp4",
        "Catalog Studio - 2022-01-07 - Catalog Scene 183 Delta.mp4",
    ]
    with django_capture_on_commit_callbacks(execute=True):
        for filename in files[:PREFETCH_AFTER_MATCHES]:
            found, calls = _match(client, filename)
            assert found and calls >= 1  # searched: the site is not in the library yet
    assert _walk_calls(catalog_tpdb) == 3  # the last of those matches started the walk

    found, calls = _match(client, files[2])

    assert found[0]["title"] == "Catalog Scene 183 Delta"
    assert calls == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "filename",
    [
        "Catalog Studio/Catalog Scene 183 Delta.mp4",  # the site's folder, the title
        "Catalog Studio - Catalog Scene 183 Delta.mp4",  # no date, no folder
    ],
)
def test_a_dateless_file_of_a_site_whose_whole_catalog_is_stored_is_matched_with_no_tpdb_call(
    client, catalog_tpdb, filename
):
    site_catalog_fetch(site=_stored_site())  # the whole walk: every year, then the undated season
    before = len(catalog_tpdb.requests)

    found, calls = _match(client, filename)

    assert [f["title"] for f in found] == ["Catalog Scene 183 Delta"]
    assert calls == 0 and len(catalog_tpdb.requests) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filename", "found"),
    [
        ("Catalog Studio - 770183.mp4", {"Catalog Scene 183 Delta"}),  # its TPDB id
        ("Catalog Studio - Delta.mp4", {f"Catalog Scene {n} Delta" for n in range(3, 231, 4)}),  # a title word
        ("Catalog Studio - Nobody Here.mp4", set()),
    ],
)
def test_catalog_candidates_are_the_stored_scenes_sharing_an_id_or_a_word(catalog_tpdb, filename, found):
    site = _stored_site()
    site_catalog_fetch(site=site)
    parsed = parse_request(MatchInput(title="", filename=filename, kind="movie"))

    assert {s.title for s in catalog_candidates(parsed, {SITE_ID}, site_words={"catalog", "studio"})} == found
    assert catalog_candidates(parsed, {SITE_ID + 1}) == []


@pytest.mark.django_db
def test_a_dateless_file_is_searched_while_its_sites_catalog_is_incomplete(client, catalog_tpdb):
    site_catalog_fetch(site=_stored_site(), max_pages=1)  # 2024 only: the scene could be in any year
    before = len(catalog_tpdb.requests)

    found, calls = _match(client, "Catalog Studio - Catalog Scene 183 Delta.mp4")

    assert calls >= 1 and len(catalog_tpdb.requests) > before
    assert [f["title"] for f in found] == ["Catalog Scene 183 Delta"]


@pytest.mark.django_db
def test_a_season_read_for_a_site_with_no_stored_scenes_fetches_that_season_then_the_rest(
    client, catalog_tpdb, django_capture_on_commit_callbacks
):
    site = _stored_site()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.get(f"/tv/library/metadata/{season_key(site.slug, 2023)}/children")
    assert response.status_code == 200
    assert response.json()["MediaContainer"]["totalSize"] == YEARS[2023]  # the whole season, fetched inline
    assert response["X-TPDB-Calls"] == "1"
    assert len(queued) == 1  # and the rest of the site queued for the worker
    queued[0]()

    seasons = client.get(f"/tv/library/metadata/tpdb-site-{site.slug}/children").json()["MediaContainer"]
    assert seasons["totalSize"] == len(YEARS)  # a later read finds every season


@pytest.mark.django_db
def test_a_show_match_starts_the_catalog(client, catalog_tpdb, django_capture_on_commit_callbacks):
    _stored_site()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            MATCH, {"type": 2, "title": "Catalog Studio", "includeChildren": 1}, content_type="application/json"
        )
    assert response.status_code == 200
    show = response.json()["MediaContainer"]["Metadata"][0]
    assert show["title"] == "Catalog Studio"
    assert show["Children"]["Metadata"]  # the newest page was fetched inline, so the show has a season at once
    assert _years(Site.objects.get(tpdb_numeric_id=SITE_ID)) == {2024, 2023, 2022, UNDATED_SEASON}


@pytest.mark.django_db(transaction=True)
def test_a_match_waits_for_the_walk_on_its_year_instead_of_searching(client, catalog_tpdb):
    site = _stored_site()
    site_catalog_fetch(site=site, max_pages=1)  # the walk is on 2024: page 1 stored, the year not finished
    assert catalog_walk_year(tpdb_site_id=SITE_ID) == 2024

    def walk_on() -> None:
        time.sleep(0.6)
        site_catalog_fetch(site=Site.objects.get(pk=site.pk), start_page=2, walk_year=2024, max_pages=1)

    walker = threading.Thread(target=walk_on)
    started = time.monotonic()
    walker.start()
    searches_before = sum(1 for r in catalog_tpdb.requests if "parse=" in r.query)
    found, _ = _match(client, "Catalog Studio - 2024-01-04 - Catalog Scene 2 Gamma.mp4")
    walker.join()

    assert found[0]["title"] == "Catalog Scene 2 Gamma"
    assert time.monotonic() - started >= 0.6
    assert sum(1 for r in catalog_tpdb.requests if "parse=" in r.query) == searches_before  # no search of its own


@pytest.mark.django_db
def test_no_wait_when_no_walk_is_near_the_year(catalog_tpdb):
    site = _stored_site()
    site_catalog_fetch(site=site, max_pages=1)  # on 2024

    started = time.monotonic()
    with request_budget(10.0):
        assert wait_for_catalog(tpdb_site_ids={SITE_ID}, dates=[dt.date(2019, 5, 1)]) is False
        assert wait_for_catalog(tpdb_site_ids={9999}, dates=[dt.date(2024, 5, 1)]) is False
    assert time.monotonic() - started < 0.5


@pytest.mark.django_db
def test_a_catalog_stored_scene_is_read_with_no_tpdb_call_and_its_detail_is_queued(
    client, catalog_tpdb, django_capture_on_commit_callbacks
):
    site = _stored_site()
    site_catalog_fetch(site=site)
    scene = Scene.objects.filter(site=site, release_date__year=2023).first()
    assert scene is not None and not scene.is_complete  # a list item: no tags yet

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.get(f"/movie/library/metadata/tpdb-scene-{scene.tpdb_id}")
    assert response.status_code == 200
    assert response["X-TPDB-Calls"] == "0", [(r.path, r.query) for r in catalog_tpdb.requests[-3:]]
    assert len(queued) == 1  # its detail, for the background lane
    queued[0]()
    scene.refresh_from_db()
    assert scene.is_complete


@pytest.mark.django_db
def test_a_catalog_page_with_tags_stores_complete_scenes_whose_read_queues_no_detail(
    client, catalog_tpdb, django_capture_on_commit_callbacks
):
    catalog_tpdb.catalog.list_tags = True  # list items as the real 2023 captures show them (tpdb-fixtures/real/)
    site = _stored_site()
    site_catalog_fetch(site=site)
    scene = Scene.objects.filter(site=site, release_date__year=2023).first()
    assert scene is not None and scene.is_complete
    assert scene.tags

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.get(f"/movie/library/metadata/tpdb-scene-{scene.tpdb_id}")
    assert response.status_code == 200
    assert response["X-TPDB-Calls"] == "0"
    assert queued == []  # nothing left to fetch: one catalog page per 100 scenes is all the site costs
    assert not [r for r in catalog_tpdb.requests if r.path.startswith("/scenes/")]


@pytest.mark.django_db
def test_the_hourly_refresh_leaves_unread_catalog_rows_to_the_walk(catalog_tpdb):
    from django.utils import timezone

    from scenes.selectors import media_stale

    site = _stored_site()
    site_catalog_fetch(site=site)
    Scene.objects.update(fetched_at=timezone.now() - dt.timedelta(hours=2))
    SiteYearSync.objects.filter(site=site, year=2022).delete()  # as if that year had not been walked

    due = media_stale(model=Scene, now=timezone.now())

    assert set(due.values_list("release_date__year", flat=True)) == {2022}


@pytest.mark.django_db
def test_the_site_admin_action_walks_even_a_fresh_catalog(
    admin_client, catalog_tpdb, django_capture_on_commit_callbacks
):
    site = _stored_site()
    site_catalog_fetch(site=site)  # fresh
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/sites/site/", {"action": "fetch_catalog", "_selected_action": [site.pk]}, follow=True
        )
    assert response.status_code == 200
    assert "Queued the catalog of 1 site" in response.content.decode()
    assert _walk_calls(catalog_tpdb) == 6  # the walk above, then the admin's


@pytest.mark.django_db
def test_a_show_match_lists_the_years_the_walk_has_not_reached_and_reading_one_fetches_it(
    client, catalog_tpdb, django_capture_on_commit_callbacks, settings
):
    settings.TPDB_WEB_BUDGET_S = 120.0  # storing a page takes seconds on a loaded machine; the pages are under test
    site = _stored_site()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(
            MATCH, {"type": 2, "title": "Catalog Studio", "includeChildren": 1}, content_type="application/json"
        )
    show = response.json()["MediaContainer"]["Metadata"][0]
    # the newest page holds 2024 only; TPDB's oldest release names 2022, so 2023 and 2022 are listed before the walk
    assert [s["index"] for s in show["Children"]["Metadata"]] == [2022, 2023, 2024]
    assert _walk_calls(catalog_tpdb) == 2  # the walk's first page and the oldest release
    assert len(queued) == 1  # the rest of the walk, for the worker

    episodes = client.get(f"/tv/library/metadata/{season_key(site.slug, 2022)}/children").json()["MediaContainer"]
    assert episodes["totalSize"] == YEARS[2022]  # the season read fetched its year itself
    assert 2022 in _years(site)

    queued[0]()  # the worker walks the rest: the listing is what is stored again
    seasons = client.get(f"/tv/library/metadata/tpdb-site-{site.slug}/children").json()["MediaContainer"]
    assert [s["index"] for s in seasons["Metadata"]] == [UNDATED_SEASON, 2022, 2023, 2024]


@pytest.mark.django_db
def test_a_season_partly_stored_by_the_walk_is_fetched_whole_by_its_read_once(client, catalog_tpdb, settings):
    settings.TPDB_WEB_BUDGET_S = 120.0
    site = _stored_site()
    site_catalog_fetch(site=site, start_page=2, max_pages=1)  # 2023 whole, the newest 20 of 2022's 40
    assert Scene.objects.filter(site=site, release_date__year=2022).count() == 20
    assert 2022 not in _years(site)
    calls = _walk_calls(catalog_tpdb)

    response = client.get(f"/tv/library/metadata/{season_key(site.slug, 2022)}/children")
    assert response.json()["MediaContainer"]["totalSize"] == YEARS[2022]  # not the 20 the walk had reached
    assert 2022 in _years(site)
    client.get(f"/tv/library/metadata/{season_key(site.slug, 2022)}/children")
    assert _walk_calls(catalog_tpdb) == calls + 1  # fetched once; the second read serves what is stored


@pytest.mark.django_db
def test_a_season_read_leaves_the_pages_past_half_its_budget_to_the_walk(catalog_tpdb, settings, monkeypatch):
    settings.TPDB_WEB_BUDGET_S = 6.0
    monkeypatch.setattr("scenes.catalog.PAGE_SIZE", 30)  # 2024's 100 scenes in four pages
    site = _stored_site()
    catalog_tpdb.set_faults(latency_s=3.5, path_prefix="/scenes", times=1)  # page 1 spends over half the budget
    with request_budget():
        stored = site_year_prefetch(site=site, year=2024, lane="interactive", max_pages=3, is_budgeted=True)
    assert (stored, _walk_calls(catalog_tpdb)) == (30, 1)  # no second page with less than half the budget left
    assert 2024 not in _years(site)  # not stored whole: the walk brings the rest
