"""The token bucket: math on a fake clock, the lane reserve, block_for, and the shared Redis bucket across processes."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections import Counter

import pytest

from tests.fake_clock import FakeClock
from tpdbprovider.core.ratelimit import (
    InProcessTokenBucket,
    RateLimitTimeout,
    RedisTokenBucket,
    TokenBucket,
    get_limiter,
    reset_limiter,
)


def bucket(
    clock: FakeClock, *, rate: float = 2.0, burst: int = 5, reserve: int = 0, share: float = 0.0
) -> InProcessTokenBucket:
    return InProcessTokenBucket(rate=rate, burst=burst, reserve=reserve, share=share, clock=clock, sleep=clock.sleep)


def attempt(limiter: TokenBucket, lane: str) -> bool:
    """One poll of a caller that keeps waiting (it marks its lane as waiting when it gets nothing)."""
    try:
        limiter.acquire(lane=lane, max_wait_s=0.0)
    except RateLimitTimeout:
        return False
    return True


def contend(limiter: TokenBucket, clock: FakeClock, lanes: list[str], seconds: float) -> Counter[str]:
    """Every lane in ``lanes`` polls every 10 ms for ``seconds`` in that order (the first polls first); tokens each got."""
    taken: Counter[str] = Counter()
    for _ in range(round(seconds / 0.01)):
        for lane in lanes:
            taken[lane] += attempt(limiter, lane)
        clock.now += 0.01
    return taken


def test_a_full_bucket_serves_the_burst_without_waiting():
    clock = FakeClock(start=500.0)
    limiter = bucket(clock)

    assert [limiter.acquire() for _ in range(5)] == [0.0] * 5
    assert clock.sleeps == []
    assert limiter.available_tokens == pytest.approx(0.0)


def test_after_the_burst_it_waits_one_interval_per_token():
    clock = FakeClock(start=500.0)
    limiter = bucket(clock, rate=2.0, burst=5)
    for _ in range(5):
        limiter.acquire()

    waited = [limiter.acquire() for _ in range(4)]

    assert waited == pytest.approx([0.5] * 4)
    assert clock.now - clock.start == pytest.approx(2.0)


def test_refill_is_capped_at_the_burst():
    clock = FakeClock(start=500.0)
    limiter = bucket(clock, burst=5)
    limiter.acquire()
    clock.now += 3600

    assert limiter.available_tokens == 5


def test_try_acquire_never_waits():
    clock = FakeClock(start=500.0)
    limiter = bucket(clock, burst=1)

    assert limiter.try_acquire() is True
    assert limiter.try_acquire() is False
    assert clock.sleeps == []


def test_available_tokens_reads_without_taking():
    clock = FakeClock(start=500.0)
    limiter = bucket(clock, burst=3)

    assert limiter.available_tokens == 3
    assert limiter.available_tokens == 3


def test_a_wait_beyond_max_wait_raises_without_sleeping():
    clock = FakeClock(start=500.0)
    limiter = bucket(clock, rate=0.5, burst=1)
    limiter.acquire()

    with pytest.raises(RateLimitTimeout) as caught:
        limiter.acquire(max_wait_s=1.0)

    assert caught.value.wait_s == pytest.approx(2.0)
    assert clock.sleeps == []


def test_background_keeps_the_reserve_for_interactive_calls():
    clock = FakeClock(start=500.0)
    limiter = bucket(clock, rate=1.0, burst=5, reserve=2)

    assert [limiter.try_acquire(lane="background") for _ in range(4)] == [True, True, True, False]
    assert limiter.try_acquire(lane="interactive") is True
    assert limiter.try_acquire(lane="interactive") is True
    assert limiter.try_acquire(lane="interactive") is False


def test_background_waits_until_the_reserve_is_refilled():
    clock = FakeClock(start=500.0)
    limiter = bucket(clock, rate=1.0, burst=5, reserve=2)
    for _ in range(5):
        limiter.acquire()

    waited = limiter.acquire(lane="background")

    assert waited == pytest.approx(3.0)  # refill to reserve (2) + the token it takes (1)


def test_the_reserve_never_starves_a_small_bucket():
    clock = FakeClock(start=500.0)
    limiter = bucket(clock, rate=1.0, burst=1, reserve=2)

    assert limiter.try_acquire(lane="background") is True


def test_a_busy_interactive_lane_starves_the_background_without_a_share():
    clock = FakeClock(start=500.0)
    limiter = bucket(clock, rate=2.0, burst=5, reserve=2, share=0.0)

    taken = contend(limiter, clock, ["interactive", "interactive", "background"], seconds=60)

    assert taken["background"] <= 3  # what the full bucket held at the start, nothing after


def test_the_background_share_is_guaranteed_while_interactive_calls_keep_the_bucket_empty():
    clock = FakeClock(start=500.0)
    limiter = bucket(clock, rate=2.0, burst=5, reserve=2, share=0.25)

    # Interactive callers poll first every time: the worst order for the background lane.
    taken = contend(limiter, clock, ["interactive", "read", "manual", "background"], seconds=60)

    assert taken["background"] >= 0.25 * 2.0 * 60 - 1
    assert taken.total() <= 2.0 * 60 + 5
    assert taken["background"] <= 0.25 * 2.0 * 60 + 5  # a share, not the bucket


def test_higher_lanes_get_the_next_token_whoever_polls_first():
    clock = FakeClock(start=500.0)
    limiter = bucket(clock, rate=2.0, burst=5)

    taken = contend(limiter, clock, ["read", "interactive", "manual"], seconds=30)

    # After the burst every token goes to Fix Match (manual), though reads and automatic matches poll before it.
    assert taken["manual"] >= 2.0 * 30 - 1
    assert taken["read"] + taken["interactive"] <= 5


def test_automatic_matches_go_before_metadata_reads():
    clock = FakeClock(start=500.0)
    limiter = bucket(clock, rate=2.0, burst=5)

    taken = contend(limiter, clock, ["read", "interactive"], seconds=30)

    assert taken["interactive"] >= 2.0 * 30 - 1
    assert taken["read"] <= 5


def test_an_owed_background_token_needs_no_reserve():
    clock = FakeClock(start=500.0)
    limiter = bucket(clock, rate=1.0, burst=5, reserve=2, share=0.5)
    for _ in range(5):
        limiter.acquire()

    waited = limiter.acquire(lane="background")

    assert waited == pytest.approx(1.0, abs=0.3)  # one refill interval, not the three a reserve of 2 would cost


def test_a_waiter_that_gave_up_stops_holding_tokens():
    clock = FakeClock(start=500.0)
    limiter = bucket(clock, rate=2.0, burst=5)
    for _ in range(5):
        limiter.acquire()
    assert attempt(limiter, "manual") is False  # marks Fix Match as waiting, then gives up
    clock.now += 2.0

    assert limiter.try_acquire(lane="read") is True


def test_block_for_empties_the_bucket_until_the_deadline():
    clock = FakeClock(start=500.0)
    limiter = bucket(clock, rate=2.0, burst=5)
    limiter.block_for(10.0)

    assert limiter.available_tokens == 0
    assert limiter.try_acquire() is False
    assert limiter.blocked_until == pytest.approx(time.time() + 10.0, abs=1.0)
    waited = limiter.acquire()

    assert waited >= 10.0
    assert clock.now - clock.start == pytest.approx(10.5)  # the block, then one refill interval from empty


def test_a_shorter_block_never_shortens_a_longer_one():
    clock = FakeClock(start=500.0)
    limiter = bucket(clock)
    limiter.block_for(10.0)
    limiter.block_for(1.0)

    clock.now += 5.0

    assert limiter.try_acquire() is False


def test_unknown_lane_is_refused():
    with pytest.raises(ValueError, match="lane"):
        bucket(FakeClock(start=500.0)).try_acquire(lane="urgent")


def test_get_limiter_follows_settings(settings):
    settings.REDIS_URL = ""
    settings.TPDB_RATE_LIMIT = 7.0
    reset_limiter()
    first = get_limiter()
    settings.TPDB_RATE_LIMIT = 3.0

    assert isinstance(first, InProcessTokenBucket) and first.rate == 7.0
    assert get_limiter().rate == 3.0
    assert get_limiter() is get_limiter()


# --- Redis ------------------------------------------------------------------------------------------------------


@pytest.mark.redis
def test_redis_bucket_math_lanes_and_block(redis_url):
    limiter = RedisTokenBucket(url=redis_url, rate=1.0, burst=4, reserve=2, namespace="test-math")

    assert limiter.available_tokens == pytest.approx(4.0, abs=0.01)
    assert [limiter.try_acquire(lane="background") for _ in range(3)] == [True, True, False]
    assert limiter.try_acquire(lane="interactive") is True
    limiter.block_for(30.0)

    assert limiter.try_acquire() is False
    assert limiter.available_tokens == 0
    assert limiter.blocked_until == pytest.approx(time.time() + 30.0, abs=1.0)
    with pytest.raises(RateLimitTimeout) as caught:
        limiter.acquire(max_wait_s=5.0)
    assert caught.value.wait_s == pytest.approx(31.0, abs=0.5)


@pytest.mark.redis
def test_redis_bucket_guarantees_the_background_share_across_callers(redis_url):
    rate, burst, seconds = 20.0, 2, 3.0
    limiter = RedisTokenBucket(url=redis_url, rate=rate, burst=burst, reserve=2, share=0.25, namespace="test-share")
    limiter._redis.delete(limiter.key)
    taken: Counter[str] = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def caller(lane: str) -> None:
        while True:
            try:
                limiter.acquire(lane=lane, max_wait_s=max(deadline - time.monotonic(), 0.0))
            except RateLimitTimeout:
                return
            with lock:
                taken[lane] += 1

    threads = [threading.Thread(target=caller, args=(lane,)) for lane in ("interactive",) * 3 + ("background",)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert taken.total() <= rate * seconds + burst + 1
    assert taken["background"] >= 0.25 * rate * seconds * 0.7  # its share, within scheduling slack
    assert taken["interactive"] >= 0.5 * rate * seconds


@pytest.mark.redis
def test_redis_bucket_gives_a_higher_lane_the_next_token(redis_url):
    limiter = RedisTokenBucket(url=redis_url, rate=2.0, burst=3, namespace="test-priority")
    limiter._redis.delete(limiter.key)
    for _ in range(3):
        limiter.acquire()

    assert attempt(limiter, "manual") is False  # Fix Match is now waiting (for WAITER_TTL_S)
    time.sleep(0.6)  # one token refills

    assert limiter.try_acquire(lane="read") is False  # kept for the waiting Fix Match
    assert limiter.try_acquire(lane="manual") is True


@pytest.mark.redis
def test_get_limiter_uses_redis_when_redis_url_is_set(settings, redis_url):
    settings.REDIS_URL = redis_url
    reset_limiter()

    assert isinstance(get_limiter(), RedisTokenBucket)
    reset_limiter()


def _hammer(deadline: float, results: multiprocessing.Queue) -> None:
    reset_limiter()  # the forked copy would share the parent's connection otherwise
    limiter = get_limiter()
    stamps = []
    while True:
        remaining = deadline - time.time()
        if remaining <= 0:
            break
        try:
            limiter.acquire(max_wait_s=remaining)
        except RateLimitTimeout:
            break
        stamps.append(time.time())
    results.put(stamps)


@pytest.mark.redis
@pytest.mark.slow
def test_processes_sharing_the_redis_bucket_never_exceed_rate_times_t_plus_burst(settings, redis_url):
    settings.REDIS_URL = redis_url
    settings.TPDB_RATE_LIMIT = rate = 8.0
    settings.TPDB_RATE_BURST = burst = 4
    reset_limiter()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    started = time.time()
    workers = [context.Process(target=_hammer, args=(started + 3.0, results)) for _ in range(4)]
    for worker in workers:
        worker.start()
    stamps = sorted(s for _ in workers for s in results.get(timeout=30))
    for worker in workers:
        worker.join(timeout=10)
    reset_limiter()

    # Stamps are taken after Redis granted the token, so a descheduled process (CI machines are loaded) can stamp
    # late and make a window look denser. 0.5 s of slack still catches an unshared bucket (4 x 8/s = 32/s).
    slack_s = 0.5
    for i, first in enumerate(stamps):
        for j in range(i, len(stamps)):
            allowed = rate * (stamps[j] - first + slack_s) + burst
            assert j - i + 1 <= allowed, f"{j - i + 1} tokens in {stamps[j] - first:.3f}s"
    assert len(stamps) <= rate * 3.0 + burst
    assert len(stamps) >= rate * 3.0 * 0.5  # the limit is shared, not starved
    assert all(worker.exitcode == 0 for worker in workers)
