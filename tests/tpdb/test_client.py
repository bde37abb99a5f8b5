"""The TPDB client at the HTTP boundary: real fixture JSON served by ``responses``."""

from __future__ import annotations

import json
import logging
import re
import traceback

import pytest
import requests
import responses
from responses import matchers

from tests.fake_clock import FakeClock
from tests.recipes import FIXTURES_DIR, tpdb_json
from tpdbprovider.core.breaker import InProcessCircuitBreaker, get_breaker
from tpdbprovider.core.ratelimit import InProcessTokenBucket, get_limiter
from tpdbprovider.tpdb.client import TPDBClient, parse_retry_after, tpdb_client
from tpdbprovider.tpdb.errors import (
    TPDBConfigurationError,
    TPDBError,
    TPDBNotFoundError,
    TPDBRateLimitError,
    TPDBUnavailableError,
)

BASE = "https://tpdb.test"
KEY = "test-api-key-0123456789"
SCENE_ID = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"
HEADERS_429 = json.loads((FIXTURES_DIR / "error_429.headers.json").read_text())["headers"]


def fake_clock_client(clock: FakeClock, **overrides) -> TPDBClient:
    options = {
        "api_key": KEY,
        "base_url": BASE,
        "budget_s": 60.0,
        "limiter": InProcessTokenBucket(rate=100, burst=100, clock=clock, sleep=clock.sleep),
        "breaker": InProcessCircuitBreaker(threshold=50, cooldown_s=30, clock=clock),
        "connect_timeout_s": 1.0,
        "read_timeout_s": 5.0,
        "max_retries": 2,
        "default_retry_after_s": 30.0,
        "clock": clock,
        "sleep": clock.sleep,
        "jitter": lambda: 0.5,  # backoff multiplier exactly 1
    }
    return TPDBClient(**{**options, **overrides})


def serve(path: str, fixture: str, status: int = 200, **kwargs) -> responses.BaseResponse:
    return responses.get(f"{BASE}{path}", json=tpdb_json(fixture), status=status, **kwargs)


# --- every method -----------------------------------------------------------------------------------------------


@responses.activate
def test_search_scenes_sends_the_query_and_auth_headers_and_parses_the_page():
    serve(
        "/scenes",
        "scene_parse_search.json",
        match=[matchers.query_param_matcher({"parse": "examplestudio.2022-01-03", "page": "1", "per_page": "25"})],
    )

    page = tpdb_client().search_scenes(parse="examplestudio.2022-01-03")

    sent = responses.calls[0].request.headers
    assert sent["Authorization"] == f"Bearer {KEY}"
    assert sent["Accept"] == "application/json"
    assert sent["User-Agent"].startswith("tpdbprovider/")
    assert [s.id for s in page.items] == [SCENE_ID, "1d2e3f4a-5b6c-4d7e-9f8a-9b0c1d2e3f4a"]
    assert page.meta.total == 2


@responses.activate
def test_search_scenes_drops_empty_filters_and_formats_dates():
    import datetime as dt

    serve(
        "/scenes",
        "scenes_search.json",
        match=[
            matchers.query_param_matcher(
                {"q": "picnic", "site_id": "4101", "date": "2022-01-03", "page": "2", "per_page": "5"}
            )
        ],
    )

    page = tpdb_client().search_scenes(q="picnic", site_id=4101, date=dt.date(2022, 1, 3), page=2, per_page=5)

    assert len(page.items) == 5


@responses.activate
def test_get_scene_returns_the_detail_form():
    serve(f"/scenes/{SCENE_ID}", "scene_detail.json")

    scene = tpdb_client().get_scene(SCENE_ID)

    assert scene.is_detail and scene.tags == ("Outdoor", "Kitchen", "4K")


@responses.activate
def test_get_scene_quotes_the_id_into_one_path_segment():
    responses.get(f"{BASE}/scenes/..%2Fsites", json=tpdb_json("scene_detail.json"))

    assert tpdb_client().get_scene("../sites").id == SCENE_ID


@responses.activate
def test_get_scene_by_hash_returns_the_single_scene():
    serve(
        "/scenes/hash/1a2b3c4d5e6f7a8b",
        "scene_hash_lookup.json",
        match=[matchers.query_param_matcher({"hashType": "OSHASH"})],
    )

    assert tpdb_client().get_scene_by_hash("1a2b3c4d5e6f7a8b").numeric_id == 900001


@pytest.mark.parametrize(
    "reply",
    [
        {"status": 404, "json": tpdb_json("error_404.json")},
        {"status": 200, "json": {"data": None}},
        {"status": 200, "json": {"data": []}},
    ],
    ids=["404", "data-null", "data-empty-list"],
)
@responses.activate
def test_get_scene_by_hash_reports_an_unknown_hash_as_not_found(reply):
    responses.get(f"{BASE}/scenes/hash/ffffffffffffffff", **reply)

    with pytest.raises(TPDBNotFoundError):
        tpdb_client().get_scene_by_hash("ffffffffffffffff")


@responses.activate
def test_search_sites_and_list_sites_page_through_sites():
    serve(
        "/sites",
        "sites_search.json",
        match=[matchers.query_param_matcher({"q": "example", "page": "1", "per_page": "25"})],
    )
    serve("/sites", "sites_search.json", match=[matchers.query_param_matcher({"page": "3", "per_page": "100"})])

    client = tpdb_client(lane="background")
    found = client.search_sites("example")
    listed = client.list_sites(page=3)

    assert [s.id for s in found.items] == [4101, 5120, 4102, 4103]
    assert listed.items == found.items


@pytest.mark.parametrize("key", [4101, "5e1f0a2b-3c4d-4e5f-8a6b-7c8d9e0f4101"])
@responses.activate
def test_get_site_accepts_numeric_id_or_uuid(key):
    serve(f"/sites/{key}", "site_detail.json")

    assert tpdb_client().get_site(key).name == "Example Studio"


@responses.activate
def test_get_site_scenes_filters_by_numeric_site_id_and_bounds_the_year():
    serve(
        "/scenes",
        "scenes_by_site.json",
        match=[
            matchers.query_param_matcher(
                {
                    "site_id": "4101",
                    "page": "1",
                    "per_page": "100",
                    "year": "2022",
                    "date": "2022-01-01",
                    "date_operation": ">=",
                }
            )
        ],
    )

    page = tpdb_client(lane="background").get_site_scenes(4101, year=2022)

    assert {s.site_id for s in page.items} == {4101}


@responses.activate
def test_search_movies_and_get_movie():
    serve(
        "/movies",
        "movies_search.json",
        match=[matchers.query_param_matcher({"q": "long road", "year": "2016", "page": "1", "per_page": "25"})],
    )
    serve("/movies/3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b", "movie_detail.json")

    client = tpdb_client()
    found = client.search_movies("long road", year=2016)
    movie = client.get_movie(found.items[0].id)

    assert {m.type for m in found.items} == {"Movie"}
    assert movie.directors == ("Dana Director",)


@responses.activate
def test_search_performers_and_get_performer():
    serve("/performers", "performers_search.json")
    serve("/performers/6c5d4e3f-2a1b-4c0d-9e8f-7a6b5c4d3e2f", "performer_detail.json")

    client = tpdb_client()
    names = [p.name for p in client.search_performers("sample").items]
    performer = client.get_performer("6c5d4e3f-2a1b-4c0d-9e8f-7a6b5c4d3e2f")

    assert names[:2] == ["Alex Sample", "Jordan Example"]
    assert performer.aliases == ("Alexis Sample", "A. Sample")


# --- error mapping ----------------------------------------------------------------------------------------------


@pytest.fixture
def no_retries(settings):
    settings.TPDB_MAX_RETRIES = 0


@responses.activate
def test_404_is_not_found_and_not_retried():
    serve(f"/scenes/{SCENE_ID}", "error_404.json", status=404)

    with pytest.raises(TPDBNotFoundError):
        tpdb_client().get_scene(SCENE_ID)
    assert len(responses.calls) == 1


@responses.activate
def test_429_with_retry_after_raises_rate_limit_and_blocks_the_shared_limiter(no_retries):
    serve("/scenes", "error_429.json", status=429, headers={"Retry-After": HEADERS_429["Retry-After"]})

    with pytest.raises(TPDBRateLimitError) as caught:
        tpdb_client().search_scenes(q="x")

    assert caught.value.retry_after == 37.0
    assert get_limiter().blocked_until is not None
    assert get_limiter().available_tokens == 0


@responses.activate
def test_429_without_retry_after_uses_the_default(no_retries, settings):
    settings.TPDB_DEFAULT_RETRY_AFTER_S = 12.5
    serve("/scenes", "error_429.json", status=429)

    with pytest.raises(TPDBRateLimitError) as caught:
        tpdb_client().search_scenes(q="x")

    assert caught.value.retry_after == 12.5


@pytest.mark.parametrize(("status", "fixture"), [(401, "error_401.json"), (403, "error_403.json")])
@responses.activate
def test_rejected_token_is_a_configuration_error_and_not_retried(status, fixture):
    serve("/scenes", fixture, status=status)

    with pytest.raises(TPDBConfigurationError, match="rejected the API token") as caught:
        tpdb_client().search_scenes(q="x")

    assert caught.value.status_code == status
    assert len(responses.calls) == 1


@responses.activate
def test_422_is_a_plain_tpdb_error_with_the_server_message():
    serve("/scenes", "error_422.json", status=422)

    with pytest.raises(TPDBError) as caught:
        tpdb_client().search_scenes(q="x")

    assert type(caught.value) is TPDBError
    assert "per page field must be an integer" in caught.value.message
    assert len(responses.calls) == 1


@pytest.mark.parametrize(
    ("reply", "says"),
    [
        ({"status": 500, "json": tpdb_json("error_500.json")}, "server error (HTTP 500)"),
        ({"status": 502, "body": "<html><body>502 Bad Gateway</body></html>"}, "server error (HTTP 502)"),
        ({"body": requests.exceptions.ReadTimeout("read timed out")}, "timed out"),
        ({"body": requests.exceptions.ConnectTimeout("connect timed out")}, "timed out"),
        ({"body": requests.exceptions.ConnectionError("refused")}, "Could not connect"),
        ({"status": 200, "body": "<!DOCTYPE html><html>This domain is parked</html>"}, "non-JSON body"),
        ({"status": 200, "json": {"message": "hello"}}, "without a 'data' key"),
        ({"status": 200, "json": ["not", "an", "object"]}, "without a 'data' key"),
    ],
    ids=["500", "502-html", "read-timeout", "connect-timeout", "refused", "html-200", "data-missing", "list-body"],
)
@responses.activate
def test_outages_and_foreign_bodies_are_unavailable_and_say_which(no_retries, reply, says):
    responses.get(f"{BASE}/scenes", **reply)

    with pytest.raises(TPDBUnavailableError, match=re.escape(says)):
        tpdb_client().search_scenes(q="x")


@responses.activate
def test_a_list_endpoint_answering_an_object_is_unavailable(no_retries):
    serve("/scenes", "scene_detail.json")

    with pytest.raises(TPDBUnavailableError, match="list was expected"):
        tpdb_client().search_scenes(q="x")


@responses.activate
def test_missing_api_key_fails_without_any_http(settings):
    settings.TPDB_API_KEY = ""

    with pytest.raises(TPDBConfigurationError, match="TPDB_API_KEY is not set"):
        tpdb_client().get_scene(SCENE_ID)
    assert len(responses.calls) == 0


# --- retries, backoff, Retry-After, budget ----------------------------------------------------------------------


@responses.activate
def test_it_retries_a_5xx_with_exponential_backoff_then_succeeds():
    clock = FakeClock()
    responses.get(f"{BASE}/scenes/{SCENE_ID}", status=500, json=tpdb_json("error_500.json"))
    responses.get(f"{BASE}/scenes/{SCENE_ID}", status=503, body="<html>down</html>")
    serve(f"/scenes/{SCENE_ID}", "scene_detail.json")

    scene = fake_clock_client(clock).get_scene(SCENE_ID)

    assert scene.id == SCENE_ID
    assert len(responses.calls) == 3
    assert clock.sleeps == [1.0, 2.0]


@responses.activate
def test_retries_stop_after_max_retries():
    clock = FakeClock()
    responses.get(f"{BASE}/scenes", status=500, json=tpdb_json("error_500.json"))

    with pytest.raises(TPDBUnavailableError):
        fake_clock_client(clock, max_retries=2).search_scenes(q="x")

    assert len(responses.calls) == 3


@responses.activate
def test_it_waits_for_retry_after_and_sends_nothing_inside_the_window():
    clock = FakeClock()
    sent_at: list[float] = []
    replies = iter(
        [
            (429, {"Retry-After": "3"}, json.dumps(tpdb_json("error_429.json"))),
            (200, {}, json.dumps(tpdb_json("scene_detail.json"))),
        ]
    )

    def reply(request):
        sent_at.append(clock())
        return next(replies)

    responses.add_callback(responses.GET, f"{BASE}/scenes/{SCENE_ID}", callback=reply)

    fake_clock_client(clock).get_scene(SCENE_ID)

    assert len(sent_at) == 2
    assert sent_at[1] - sent_at[0] >= 3.0


@responses.activate
def test_a_retry_after_longer_than_the_backoff_wins():
    clock = FakeClock()
    responses.get(f"{BASE}/scenes", status=429, headers={"Retry-After": "7"}, json=tpdb_json("error_429.json"))
    serve("/scenes", "scenes_search.json")

    fake_clock_client(clock).search_scenes(q="x")

    assert clock.sleeps[0] == 7.0


@responses.activate
def test_a_wait_beyond_the_budget_raises_instead_of_sleeping():
    clock = FakeClock()
    serve("/scenes", "error_429.json", status=429, headers={"Retry-After": "37"})

    with pytest.raises(TPDBRateLimitError) as caught:
        fake_clock_client(clock, budget_s=10.0).search_scenes(q="x")

    assert clock.sleeps == []
    assert len(responses.calls) == 1
    assert caught.value.retry_after == 37.0


@responses.activate
def test_another_client_waits_out_the_block_set_by_a_429():
    clock = FakeClock()
    limiter = InProcessTokenBucket(rate=100, burst=100, clock=clock, sleep=clock.sleep)
    serve("/scenes", "error_429.json", status=429, headers={"Retry-After": "5"})
    with pytest.raises(TPDBRateLimitError):
        fake_clock_client(clock, limiter=limiter, max_retries=0).search_scenes(q="x")
    blocked_at = clock()
    responses.replace(responses.GET, f"{BASE}/scenes", json=tpdb_json("scenes_search.json"))

    fake_clock_client(clock, limiter=limiter).search_scenes(q="x")

    assert clock() - blocked_at >= 5.0


@responses.activate
def test_an_exhausted_limiter_within_the_budget_raises_rate_limit_without_http():
    clock = FakeClock()
    limiter = InProcessTokenBucket(rate=0.1, burst=1, clock=clock, sleep=clock.sleep)
    assert limiter.try_acquire()

    with pytest.raises(TPDBRateLimitError, match="budget"):
        fake_clock_client(clock, limiter=limiter, budget_s=2.0).search_scenes(q="x")
    assert len(responses.calls) == 0


@responses.activate
def test_background_lane_leaves_the_reserve_to_interactive_calls():
    clock = FakeClock()
    limiter = InProcessTokenBucket(rate=0.01, burst=3, reserve=2, clock=clock, sleep=clock.sleep)
    serve("/scenes", "scenes_search.json")

    with pytest.raises(TPDBRateLimitError):
        fake_clock_client(clock, limiter=limiter, lane="background", budget_s=1.0).search_scenes(q="x")
        fake_clock_client(clock, limiter=limiter, lane="background", budget_s=1.0).search_scenes(q="x")
    fake_clock_client(clock, limiter=limiter, lane="interactive", budget_s=1.0).search_scenes(q="x")
    fake_clock_client(clock, limiter=limiter, lane="interactive", budget_s=1.0).search_scenes(q="x")

    assert len(responses.calls) == 3


# --- circuit breaker --------------------------------------------------------------------------------------------


@responses.activate
def test_an_open_breaker_fails_fast_without_http(settings, no_retries):
    settings.TPDB_BREAKER_THRESHOLD = 2
    responses.get(f"{BASE}/scenes", status=500, json=tpdb_json("error_500.json"))
    for _ in range(2):
        with pytest.raises(TPDBUnavailableError, match="HTTP 500"):
            tpdb_client().search_scenes(q="x")

    with pytest.raises(TPDBUnavailableError, match="circuit breaker is open"):
        tpdb_client().search_scenes(q="x")

    assert len(responses.calls) == 2
    assert get_breaker().state()["state"] == "open"
    assert get_breaker().recent_errors()[0]["message"] == "TPDB server error (HTTP 500)"


@responses.activate
def test_each_attempt_is_counted():
    clock = FakeClock()
    breaker = InProcessCircuitBreaker(threshold=50, cooldown_s=30, clock=clock)
    responses.get(f"{BASE}/scenes", status=500, json=tpdb_json("error_500.json"))
    serve("/scenes", "scenes_search.json")

    fake_clock_client(clock, breaker=breaker).search_scenes(q="x")

    assert breaker.calls_last_hour() == 2


# --- the key never leaks ----------------------------------------------------------------------------------------


@responses.activate
def test_the_key_never_appears_in_logs_errors_or_reprs(caplog, no_retries, settings):
    settings.TPDB_DEFAULT_RETRY_AFTER_S = 0.01
    caplog.set_level(logging.DEBUG)
    serve("/scenes", "scenes_search.json")
    serve("/scenes/a", "error_404.json", status=404)
    serve("/scenes/b", "error_401.json", status=401)
    serve("/scenes/c", "error_429.json", status=429)
    serve("/scenes/d", "error_422.json", status=422)
    responses.get(f"{BASE}/scenes/e", status=500, body="<html>down</html>")
    responses.get(f"{BASE}/scenes/f", body=requests.exceptions.ConnectionError(f"refused with Bearer {KEY}"))
    client = tpdb_client()
    texts = [repr(client), str(client)]

    page = client.search_scenes(q="x")
    texts.append(repr(page))
    for key in "abcdef":
        with pytest.raises(TPDBError) as caught:
            client.get_scene(key)
        texts += [str(caught.value), repr(caught.value), "".join(traceback.format_exception(caught.value))]

    texts += [record.getMessage() + repr(record.__dict__) for record in caplog.records]
    assert caplog.records, "the client logged nothing to check"
    assert not [text for text in texts if KEY in text]


# --- helpers ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [("37", 37.0), ("0", 0.0), ("-5", 0.0), ("999999", 3600.0), ("soon", None), (None, None)],
)
def test_parse_retry_after(header, expected):
    assert parse_retry_after(header) == expected


def test_parse_retry_after_accepts_an_http_date():
    import email.utils
    import time

    seconds = parse_retry_after(email.utils.formatdate(time.time() + 60, usegmt=True))

    assert seconds is not None and 55 <= seconds <= 61


def test_an_unknown_lane_is_refused():
    with pytest.raises(ValueError, match="lane"):
        tpdb_client(lane="urgent")
