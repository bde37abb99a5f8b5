"""Per-client request limits: "plex" on every provider endpoint, "plex_search" on top for matches."""

from __future__ import annotations

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
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


def test_clients_are_counted_per_ip(api, rates):
    rates("1/min", "100/min")
    assert api.get("/tv", REMOTE_ADDR="10.0.0.1").status_code == 200
    assert api.get("/tv", REMOTE_ADDR="10.0.0.1").status_code == 429
    assert api.get("/tv", REMOTE_ADDR="10.0.0.2").status_code == 200


def test_health_is_not_throttled(api, rates):
    rates("1/min", "1/min")
    assert [api.get("/health").status_code != 429 for _ in range(3)] == [True] * 3
