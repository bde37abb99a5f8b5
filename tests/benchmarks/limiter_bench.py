"""Benchmark of the Redis TPDB limiter (a script, not a test).

Prints the overhead of one ``acquire()`` (µs), then drives the real ``TPDBClient`` from 4 OS processes sharing one
Redis bucket against the in-project fake TPDB (started here with no rate limit of its own, counting what it
receives) at 2/s and 10/s for ~10 s each. Each run first drains the bucket, so the figure is the steady rate; it
checks achieved ≤ rate * t + burst and that the achieved rate is within 5% of the limit. Exit status 1 on failure.

    .venv/bin/python tests/benchmarks/limiter_bench.py [--seconds 10] [--processes 4]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tpdbprovider.settings.test")

import django  # noqa: E402

django.setup()

import redis  # noqa: E402

from tests.fake_tpdb import FakeTPDB  # noqa: E402
from tpdbprovider.core.breaker import InProcessCircuitBreaker  # noqa: E402
from tpdbprovider.core.ratelimit import InProcessTokenBucket, RedisTokenBucket  # noqa: E402
from tpdbprovider.tpdb.client import TPDBClient  # noqa: E402
from tpdbprovider.tpdb.errors import TPDBError, TPDBRateLimitError  # noqa: E402

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SCENE_ID = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"
BURST = 5


def acquire_overhead_us(bucket: RedisTokenBucket | InProcessTokenBucket, calls: int) -> float:
    for _ in range(200):  # warm the connection and the script cache
        bucket.acquire()
    started = time.perf_counter()
    for _ in range(calls):
        bucket.acquire()
    return (time.perf_counter() - started) / calls * 1e6


def worker(base_url: str, namespace: str, rate: float, deadline: float, results: multiprocessing.Queue) -> None:
    """The real client path: one limiter token per request; the budget ends at the deadline."""
    client = TPDBClient(
        api_key="bench-key",
        base_url=base_url,
        budget_s=deadline - time.time(),
        limiter=RedisTokenBucket(url=REDIS_URL, rate=rate, burst=BURST, namespace=namespace),
        breaker=InProcessCircuitBreaker(threshold=1000, cooldown_s=1),
        connect_timeout_s=2,
        read_timeout_s=5,
        max_retries=0,
        default_retry_after_s=1,
    )
    calls, errors = 0, 0
    while True:
        try:
            client.get_scene(SCENE_ID)
            calls += 1
        except TPDBRateLimitError:  # no token before the deadline
            break
        except TPDBError:
            errors += 1
    results.put((calls, errors))


def run(fake: FakeTPDB, rate: float, seconds: float, processes: int) -> bool:
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    drain = RedisTokenBucket(url=REDIS_URL, rate=rate, burst=BURST, namespace=namespace)
    while drain.try_acquire():  # start from an empty bucket: measure the steady rate, not the burst
        pass
    before = fake.stats()["received"]
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    started = time.time()
    deadline = started + seconds
    procs = [
        context.Process(target=worker, args=(fake.base_url, namespace, rate, deadline, results))
        for _ in range(processes)
    ]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=seconds + 30) for _ in procs]
    for proc in procs:
        proc.join(timeout=10)
    elapsed = time.time() - started
    received = fake.stats()["received"] - before
    redis.Redis.from_url(REDIS_URL).delete(drain.key)

    achieved = received / elapsed
    bound = rate * elapsed + BURST
    is_under_bound = received <= bound
    is_within_5pct = abs(achieved - rate) <= 0.05 * rate
    errors = sum(e for _, e in outcomes)
    print(
        f"limit {rate:>5.1f}/s  processes {processes}  {elapsed:5.2f}s  requests {received:4d} "
        f"(per process {[c for c, _ in outcomes]}, errors {errors})  achieved {achieved:6.3f}/s  "
        f"bound rate*t+burst {bound:6.1f} {'OK' if is_under_bound else 'EXCEEDED'}  "
        f"within 5% {'OK' if is_within_5pct else 'NO'}"
    )
    return is_under_bound and is_within_5pct and errors == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError as exc:
        print(f"no Redis at {REDIS_URL}: {exc}")
        return 1

    namespace = f"bench-overhead-{uuid.uuid4().hex[:8]}"
    redis_bucket = RedisTokenBucket(url=REDIS_URL, rate=1e9, burst=1_000_000, namespace=namespace)
    redis_us = acquire_overhead_us(redis_bucket, args.calls)
    local_us = acquire_overhead_us(InProcessTokenBucket(rate=1e9, burst=1_000_000), args.calls)
    redis.Redis.from_url(REDIS_URL).delete(redis_bucket.key)
    print(f"acquire() overhead: Redis {redis_us:.1f} µs/call, in-process {local_us:.2f} µs/call ({args.calls} calls)")

    ok = True
    with FakeTPDB(token=None, rate=None) as fake:
        for rate in (2.0, 10.0):
            ok = run(fake, rate, args.seconds, args.processes) and ok
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
