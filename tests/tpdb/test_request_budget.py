"""One TPDB time budget per web request: every interactive client created inside a request shares it."""

from __future__ import annotations

import time

import pytest
from django.http import HttpRequest, HttpResponse

from tests.fake_tpdb import FakeTPDB
from tpdbprovider.core.budget import RequestBudgetMiddleware, remaining_budget_s, request_budget
from tpdbprovider.tpdb.client import tpdb_client
from tpdbprovider.tpdb.errors import TPDBUnavailableError

SCENE = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"


def test_a_second_client_in_the_same_request_gets_what_is_left_not_a_fresh_budget(fake_tpdb: FakeTPDB, settings):
    settings.TPDB_READ_TIMEOUT_S = 5.0
    fake_tpdb.set_faults(latency_s=0.6)
    with request_budget(0.5):
        first = tpdb_client(lane="interactive")
        assert first.budget_s <= 0.5
        assert first.get_scene(SCENE).title  # took longer than the whole budget
        asked = len(fake_tpdb.requests)
        second = tpdb_client(lane="interactive")  # e.g. the inline prefetch after the search
        with pytest.raises(TPDBUnavailableError, match="budget is spent"):
            second.get_scene(SCENE)
    assert len(fake_tpdb.requests) == asked  # refused before any HTTP


def test_outside_a_request_and_in_the_background_lane_clients_keep_their_own_budget(settings):
    settings.TPDB_WEB_BUDGET_S = 7.0
    assert remaining_budget_s() is None
    assert tpdb_client(lane="interactive").budget_s == 7.0
    with request_budget(0.5):
        assert tpdb_client(lane="background").budget_s > 7.0  # a task queued from a request is not cut short
        assert tpdb_client(lane="interactive", budget_s=3.0).budget_s == 3.0  # an explicit budget wins


def test_a_nested_budget_keeps_the_tighter_deadline():
    with request_budget(5.0):
        with request_budget(0.2):
            assert remaining_budget_s() <= 0.2
        with request_budget(60.0):
            assert remaining_budget_s() <= 5.0
    assert remaining_budget_s() is None


def test_the_middleware_opens_one_budget_of_tpdb_web_budget_s_per_request(settings):
    settings.TPDB_WEB_BUDGET_S = 4.0
    seen: list[float | None] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(remaining_budget_s())
        time.sleep(0.05)
        seen.append(remaining_budget_s())
        return HttpResponse()

    RequestBudgetMiddleware(view)(HttpRequest())
    assert seen[0] is not None and 3.9 < seen[0] <= 4.0
    assert seen[1] is not None and seen[1] < seen[0]
    assert remaining_budget_s() is None
    assert "tpdbprovider.core.budget.RequestBudgetMiddleware" in settings.MIDDLEWARE


def test_a_web_request_names_its_limiter_lane_for_the_clients_it_creates():
    from tpdbprovider.core.budget import _lane_of, request_lane
    from tpdbprovider.tpdb.client import tpdb_client

    assert _lane_of("/tv/library/metadata/tpdb-scene-x") == "read"
    assert _lane_of("/tv/library/metadata/tpdb-season-x-2024/children") == "read"
    assert _lane_of("/movie/library/metadata/matches") == "interactive"
    assert _lane_of("/admin/sites/site/") == "interactive"
    assert tpdb_client().lane == "interactive"  # outside a request
    with request_lane("manual"):
        assert tpdb_client().lane == "manual"  # a Fix Match takes the first tokens
        assert tpdb_client(lane="background").lane == "background"  # an explicit background client stays there
