"""TPDB faults through the real provider endpoints: stored items keep being served, new matches answer empty with a
log line (never a 5xx), nothing is sent inside a Retry-After window, and every refresh queued during the outage
completes after recovery.

The fake TPDB runs over real HTTP. Celery is eager in tests, so the "queue" is the list of on-commit callbacks
``enqueue()`` registered while the fault was on; after recovery the test runs them, as a worker would, and counts.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from movies.models import Movie
from plexapi.responsecache import response_cache_reset
from scenes.models import Scene
from tests.fake_tpdb import FakeTPDB
from tpdbprovider.core.breaker import reset_breaker
from tpdbprovider.core.tasks import _dispatch

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

STORED_SCENES = (  # in tests/fixtures/tpdb, each with its site
    "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c",
    "8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d",
    "0c1d2e3f-4a5b-4c6d-8e7f-8a9b0c1d2e3f",
)
STORED_MOVIE = "3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b"
UNSTORED_SCENE = "9b0c1d2e-3f4a-4b5c-9d6e-7f8a9b0c1d2e"
NEW_MATCH = {  # "Rainy Day Board Games" (UNSTORED_SCENE): only TPDB knows it or its site
    "type": 4,
    "grandparentTitle": "Sample Studio Two",
    "date": "2022-02-14",
    "filename": "Sample Studio Two/Sample Studio Two - 2022-02-14 - Rainy Day Board Games.mp4",
}
RETRY_AFTER_S = 2
SLACK_S = 0.05  # the fake stamps arrival; the client starts its block when the 429 arrives, a hair later


def _down(fake: FakeTPDB, settings) -> Callable[[], None]:
    fake.pause()
    return fake.resume


def _status_503(fake: FakeTPDB, settings) -> Callable[[], None]:
    fake.set_faults(status=503)
    return fake.reset


def _slower_than_read_timeout(fake: FakeTPDB, settings) -> Callable[[], None]:
    settings.TPDB_READ_TIMEOUT_S = 0.2
    fake.set_faults(latency_s=0.6)
    return fake.reset


def _html_with_200(fake: FakeTPDB, settings) -> Callable[[], None]:
    fake.set_faults(html=True)
    return fake.reset


def _storm_of_429(fake: FakeTPDB, settings) -> Callable[[], None]:
    fake.set_faults(force_429=True, retry_after=RETRY_AFTER_S)

    def recover() -> None:
        fake.reset()
        time.sleep(RETRY_AFTER_S)  # the shared limiter holds every caller until the window closes

    return recover


FAULTS = {
    "down": _down,
    "503": _status_503,
    "read_timeout": _slower_than_read_timeout,
    "html_200": _html_with_200,
    "429_storm": _storm_of_429,
}


@pytest.fixture
def tpdb(fake_tpdb, settings) -> FakeTPDB:
    settings.TPDB_MAX_RETRIES = 1
    settings.TPDB_WEB_BUDGET_S = 1.0  # a Plex request never waits out a Retry-After: it answers from what is stored
    settings.TPDB_BREAKER_COOLDOWN_S = 0.3
    rates = {"plex": "100000/min", "plex_search": "100000/min"}  # our own incoming limits are not under test
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    reset_breaker()
    cache.clear()
    return fake_tpdb


def _rating_keys() -> list[tuple[str, str]]:
    keys = [("tv", f"tpdb-scene-{tpdb_id}") for tpdb_id in STORED_SCENES]
    return [*keys, ("movie", f"tpdb-movie-{STORED_MOVIE}")]


def _get(api: APIClient, provider: str, rating_key: str):
    return api.get(f"/{provider}/library/metadata/{rating_key}")


def _titles(api: APIClient) -> dict[str, str]:
    titles = {}
    for provider, rating_key in _rating_keys():
        response = _get(api, provider, rating_key)
        assert response.status_code == 200, response.content[:300]
        titles[rating_key] = response.json()["MediaContainer"]["Metadata"][0]["title"]
    return titles


def _age_everything(days: int = 3) -> None:
    """Stand-in for days passing: rows fetched long ago, and cached answers expired (they never outlive freshness)."""
    old = timezone.now() - datetime.timedelta(days=days)
    Scene.objects.update(fetched_at=old)
    Movie.objects.update(fetched_at=old)
    response_cache_reset()


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
def test_a_tpdb_fault_serves_stored_items_answers_new_matches_empty_and_loses_no_refresh(
    tpdb, settings, caplog, django_capture_on_commit_callbacks, fault
):
    api = APIClient()
    with django_capture_on_commit_callbacks(execute=True):
        before = _titles(api)  # fetched from TPDB and stored
    _age_everything()
    # Scene and Movie primary keys are separate sequences (both start at 1 on SQLite): count pairs, not bare ids.
    stale_ids = {("scene", pk) for pk in Scene.objects.values_list("pk", flat=True)} | {
        ("movie", pk) for pk in Movie.objects.values_list("pk", flat=True)
    }
    recover = FAULTS[fault](tpdb, settings)

    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=False) as queued:
        assert _titles(api) == before  # stale, but served, with a refresh queued for each
        assert _titles(api) == before  # served again: no second refresh inside the guard window
        new_match = api.post("/tv/library/metadata/matches", NEW_MATCH, format="json")
        unstored = _get(api, "tv", f"tpdb-scene-{UNSTORED_SCENE}")

    assert new_match.status_code == 200
    assert new_match.json()["MediaContainer"]["Metadata"] == []
    assert any("TPDB failed" in r.getMessage() for r in caplog.records if r.name == "scenes.matching")
    assert unstored.status_code == 503
    assert unstored.json()["code"] == "tpdb_unavailable"
    # The item refreshes; not the cache invalidations, nor the site-list sync a first unmatched file queues.
    refreshes = [
        c
        for c in queued
        if getattr(c, "func", None) is _dispatch and c.args[0].name.endswith(("scene_refresh", "movie_refresh"))
    ]
    assert len(refreshes) == len(_rating_keys())

    recover()
    recovered_at = time.monotonic()
    time.sleep(settings.TPDB_BREAKER_COOLDOWN_S)  # the breaker lets its probe through
    for refresh in refreshes:
        refresh()

    assert len(refreshes) == len(stale_ids)
    fresh_after = timezone.now() - datetime.timedelta(minutes=5)
    assert Scene.objects.filter(fetched_at__gte=fresh_after).count() == len(STORED_SCENES)
    assert Movie.objects.filter(fetched_at__gte=fresh_after).count() == 1
    refreshed = {r.path for r in tpdb.requests if r.status == 200 and r.t > recovered_at}
    assert refreshed >= {f"/scenes/{tpdb_id}" for tpdb_id in STORED_SCENES} | {f"/movies/{STORED_MOVIE}"}


def test_no_tpdb_call_goes_out_inside_a_retry_after_window(tpdb, settings):
    api = APIClient()
    tpdb.set_faults(force_429=True, retry_after=RETRY_AFTER_S)
    deadline = time.monotonic() + 2.5 * RETRY_AFTER_S
    statuses = []
    while time.monotonic() < deadline:  # a scan: new matches back to back, through two windows and more
        statuses.append(api.post("/tv/library/metadata/matches", NEW_MATCH, format="json").status_code)
        time.sleep(0.05)
    calls = tpdb.requests

    assert set(statuses) == {200}
    assert len(statuses) >= 10  # a scan: many matches per window (fewer on a loaded machine, never one per window)
    refused = [r for r in calls if r.status == 429]
    assert 2 <= len(refused) <= 4  # one probe per window, never the whole scan
    for window in refused:
        inside = [r for r in calls if window.t < r.t < window.t + RETRY_AFTER_S - SLACK_S]
        assert inside == [], f"{len(inside)} TPDB call(s) inside the Retry-After window opened at {window.t:.3f}"


def test_after_a_429_storm_the_next_match_reaches_tpdb_again(tpdb, settings):
    api = APIClient()
    tpdb.set_faults(force_429=True, retry_after=RETRY_AFTER_S, times=1)
    assert api.post("/tv/library/metadata/matches", NEW_MATCH, format="json").json()["MediaContainer"]["Metadata"] == []
    time.sleep(RETRY_AFTER_S + SLACK_S)
    cache.clear()  # the scene search answer is not cached after a failure; clear throttle counters too
    response = api.post("/tv/library/metadata/matches", NEW_MATCH, format="json")
    assert [item["ratingKey"] for item in response.json()["MediaContainer"]["Metadata"]] == [
        f"tpdb-scene-{UNSTORED_SCENE}"
    ]
