"""Per-client request limits: "plex" on every provider endpoint, "plex_search" on top for matches."""

from __future__ import annotations

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["locmem", pytest.param("redis", marks=pytest.mark.redis)])
def rates(request, settings):
    """Sets the two rates; each test runs on locmem and on the real test Redis (where one Lua script counts)."""
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        settings.CACHES = {
            "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": url, "KEY_PREFIX": "tpdbprovider"}
        }

    def set_rates(plex: str, plex_search: str) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"plex": plex, "plex_search": plex_search},
        }
        cache.clear()

    return set_rates


def test_a_provider_endpoint_answers_429_with_retry_after_past_the_limit(api, rates):
    rates("3/min", "100/min")
    statuses = [api.get("/tv").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api.get("/tv")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["code"] == "throttled"


def test_matches_have_their_own_tighter_limit(api, rates):
    rates("100/min", "2/min")
    body = {"type": 2, "title": ""}
    statuses = [api.post("/tv/library/metadata/matches", body, format="json").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert api.get("/tv").status_code == 200


def test_matches_count_against_the_general_limit_too_but_refused_ones_do_not(api, rates):
    rates("3/min", "100/min")
    body = {"type": 2, "title": ""}
    statuses = [api.post("/tv/library/metadata/matches", body, format="json").status_code for _ in range(2)]
    statuses += [api.get("/tv").status_code for _ in range(2)]
    assert statuses == [200, 200, 200, 429]


def test_clients_are_counted_per_ip(api, rates):
    rates("1/min", "100/min")
    assert api.get("/tv", REMOTE_ADDR="10.0.0.1").status_code == 200
    assert api.get("/tv", REMOTE_ADDR="10.0.0.1").status_code == 429
    assert api.get("/tv", REMOTE_ADDR="10.0.0.2").status_code == 200


def test_health_is_not_throttled(api, rates):
    rates("1/min", "1/min")
    assert [api.get("/health").status_code != 429 for _ in range(3)] == [True] * 3


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _throttle_at(clock: _Clock, rates, rate: str):
    from rest_framework.test import APIRequestFactory

    from plexapi.throttles import PlexRateThrottle

    rates(rate, "100/min")
    request = APIRequestFactory().get("/tv")

    def ask() -> tuple[bool, float | None]:
        throttle = PlexRateThrottle()
        throttle.timer = clock
        allowed = throttle.allow_request(request, None)
        return allowed, None if allowed else throttle.wait()

    return ask


def test_the_window_slides_so_a_burst_at_a_boundary_cannot_double_the_rate(rates):
    clock = _Clock(600.0 * 1000)  # the start of a one-minute window
    ask = _throttle_at(clock, rates, "10/min")
    clock.now += 50
    assert [ask()[0] for _ in range(11)] == [True] * 10 + [False]
    clock.now += 15  # 5 s into the next window: the last one still weighs 55/60, so only 1 more fits
    assert [ask()[0] for _ in range(2)] == [True, False]
    clock.now += 30  # 35 s in: the last window weighs 10 x 25/60 = 4.2, this one holds 1, so 5 more fit below 10
    assert [ask()[0] for _ in range(6)] == [True] * 5 + [False]


def test_retry_after_is_when_the_next_request_fits(rates):
    clock = _Clock(0.0)
    ask = _throttle_at(clock, rates, "10/min")
    for offset_s in (0.0, 20.0, 59.0, 90.0):  # bursts at several points of a window, some straddling two
        clock.now = 600.0 * 1000 + 600 * offset_s + offset_s
        while (answer := ask())[0]:
            clock.now += 0.5
        wait_s = answer[1]
        assert wait_s is not None and 0.05 < wait_s <= 120
        clock.now += wait_s - 0.05
        assert ask()[0] is False, offset_s
        clock.now += 0.05
        assert ask()[0] is True, offset_s


def test_with_redis_unreachable_requests_are_admitted_not_failed(api, spec_library, settings):
    """The throttle's own script bypasses django-redis's IGNORE_EXCEPTIONS, so it admits on its own."""
    from tests.plexapi.conftest import SCENE_UUID

    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2, "IGNORE_EXCEPTIONS": True},  # as base.py
        }
    }
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"plex": "1/min"}}
    statuses = [api.get(f"/tv/library/metadata/tpdb-scene-{SCENE_UUID}").status_code for _ in range(2)]
    assert statuses == [200, 200]


def test_the_plex_servers_address_is_never_refused_while_other_clients_are(api, rates, settings):
    rates("2/min", "1/min")
    settings.PLEX_SERVER_ADDRESSES = ["192.168.1.0/24", "::1"]
    body = {"type": 2, "title": ""}

    plex = [
        api.post("/tv/library/metadata/matches", body, format="json", REMOTE_ADDR="192.168.1.20") for _ in range(50)
    ]
    plex += [api.get("/tv", REMOTE_ADDR="::1") for _ in range(50)]
    stranger = [api.get("/tv", REMOTE_ADDR="203.0.113.7").status_code for _ in range(3)]

    assert {r.status_code for r in plex} == {200}
    assert stranger == [200, 200, 429]


def test_a_plex_address_on_a_dual_stack_socket_is_recognised(api, rates, settings):
    rates("1/min", "1/min")
    settings.PLEX_SERVER_ADDRESSES = ["10.0.0.0/8"]

    assert {api.get("/tv", REMOTE_ADDR="::ffff:10.1.2.3").status_code for _ in range(5)} == {200}
    assert [api.get("/tv", REMOTE_ADDR="::ffff:203.0.113.9").status_code for _ in range(2)] == [200, 429]


def test_a_forged_forwarded_for_does_not_make_a_stranger_the_plex_server(api, rates, settings):
    rates("1/min", "1/min")
    settings.PLEX_SERVER_ADDRESSES = ["192.168.1.0/24"]
    forged = {"REMOTE_ADDR": "203.0.113.7", "HTTP_X_FORWARDED_FOR": "192.168.1.20"}

    assert [api.get("/tv", **forged).status_code for _ in range(2)] == [200, 429]
