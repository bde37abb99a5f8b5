"""Circuit breaker transitions (closed → open → half-open → closed/open), in-process and on a real Redis."""

from __future__ import annotations

import time

import pytest

from tpdbprovider.core.breaker import (
    CircuitBreaker,
    InProcessCircuitBreaker,
    RedisCircuitBreaker,
    get_breaker,
    reset_breaker,
)
from tpdbprovider.core.redisconn import RedisUnavailableError


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def open_it(breaker: CircuitBreaker, threshold: int) -> None:
    for _ in range(threshold):
        assert breaker.allow()
        breaker.record_failure("TPDB server error (HTTP 500)")


def test_it_stays_closed_below_the_threshold_and_success_resets_the_count():
    breaker = InProcessCircuitBreaker(threshold=3, cooldown_s=30, clock=FakeClock())
    breaker.record_failure("x")
    breaker.record_failure("x")
    breaker.record_success()
    breaker.record_failure("x")
    breaker.record_failure("x")

    assert breaker.allow() is True
    assert breaker.state() == {"state": "closed", "failures": 2, "opened_until": None}


def test_threshold_failures_open_it_for_the_cooldown():
    clock = FakeClock()
    breaker = InProcessCircuitBreaker(threshold=3, cooldown_s=30, clock=clock)
    open_it(breaker, 3)

    assert breaker.allow() is False
    assert breaker.state() == {"state": "open", "failures": 3, "opened_until": clock.now + 30}
    clock.now += 29.9
    assert breaker.allow() is False


def test_after_the_cooldown_exactly_one_probe_goes_through_and_success_closes():
    clock = FakeClock()
    breaker = InProcessCircuitBreaker(threshold=2, cooldown_s=30, clock=clock)
    open_it(breaker, 2)
    clock.now += 30

    assert breaker.allow() is True
    assert breaker.allow() is False
    assert breaker.state()["state"] == "half_open"
    breaker.record_success()
    assert breaker.state()["state"] == "closed"
    assert breaker.allow() is True


def test_a_failed_probe_reopens_it():
    clock = FakeClock()
    breaker = InProcessCircuitBreaker(threshold=2, cooldown_s=30, clock=clock)
    open_it(breaker, 2)
    clock.now += 30
    assert breaker.allow() is True

    breaker.record_failure("still down")

    assert breaker.allow() is False
    assert breaker.state()["state"] == "open"
    assert breaker.state()["opened_until"] == clock.now + 30


def test_a_lost_probe_is_replaced_after_a_cooldown():
    clock = FakeClock()
    breaker = InProcessCircuitBreaker(threshold=1, cooldown_s=10, clock=clock)
    open_it(breaker, 1)
    clock.now += 10
    assert breaker.allow() is True  # this probe never reports back

    clock.now += 10

    assert breaker.allow() is True


def test_recent_errors_are_newest_first_and_bounded():
    breaker = InProcessCircuitBreaker(threshold=100, cooldown_s=10, clock=FakeClock())
    for i in range(30):
        breaker.record_failure(f"error {i}")
    breaker.record_error("TPDB rate limit hit", kind="429")

    errors = breaker.recent_errors()

    assert len(errors) == 20
    assert errors[0]["kind"] == "429"
    assert errors[1]["message"] == "error 29"


def test_calls_last_hour_forgets_older_calls():
    clock = FakeClock()
    breaker = InProcessCircuitBreaker(threshold=3, cooldown_s=10, clock=clock)
    breaker.record_call()
    clock.now += 1800
    breaker.record_call()
    breaker.record_call()

    assert breaker.calls_last_hour() == 3
    clock.now += 1860
    assert breaker.calls_last_hour() == 2


def test_get_breaker_follows_settings(settings):
    settings.REDIS_URL = ""
    settings.TPDB_BREAKER_THRESHOLD = 4
    reset_breaker()

    assert isinstance(get_breaker(), InProcessCircuitBreaker) and get_breaker().threshold == 4
    settings.TPDB_BREAKER_THRESHOLD = 9
    assert get_breaker().threshold == 9
    reset_breaker()


@pytest.mark.redis
def test_redis_breaker_walks_every_transition_and_is_shared(redis_url):
    web = RedisCircuitBreaker(url=redis_url, threshold=2, cooldown_s=0.3, namespace="test-walk")
    worker = RedisCircuitBreaker(url=redis_url, threshold=2, cooldown_s=0.3, namespace="test-walk")

    web.record_failure("HTTP 500")
    assert worker.state()["state"] == "closed"
    worker.record_failure("HTTP 502")
    assert web.allow() is False
    assert web.state()["state"] == "open" and web.state()["failures"] == 2

    time.sleep(0.35)
    assert worker.allow() is True  # the single probe
    assert web.allow() is False
    worker.record_failure("still down")
    assert web.state()["state"] == "open"

    time.sleep(0.35)
    assert web.allow() is True
    web.record_success()
    assert worker.state() == {"state": "closed", "failures": 0, "opened_until": None}
    assert worker.allow() is True
    assert [e["message"] for e in worker.recent_errors()] == ["still down", "HTTP 502", "HTTP 500"]


@pytest.mark.redis
def test_redis_breaker_counts_calls_across_instances(redis_url):
    one = RedisCircuitBreaker(url=redis_url, threshold=2, cooldown_s=1, namespace="test-calls")
    two = RedisCircuitBreaker(url=redis_url, threshold=2, cooldown_s=1, namespace="test-calls")
    one.record_call()
    two.record_call()

    assert one.calls_last_hour() == 2


def test_an_unreachable_redis_breaker_refuses_tpdb_calls_and_skips_its_bookkeeping_quietly():
    breaker = RedisCircuitBreaker(url="redis://127.0.0.1:1/0", threshold=1, cooldown_s=1)
    breaker.record_failure("x")  # no exception: the shared pool's guard reports the outage
    breaker.record_call()

    with pytest.raises(RedisUnavailableError):  # the client turns this into "TPDB unavailable"
        breaker.allow()
    assert breaker.state()["state"] == "unknown"
    assert breaker.recent_errors() == []
