"""Redis failing under the real provider endpoints: down (a dead port), hung (accepts, never answers) and a private
redis-server stopped with SIGSTOP then resumed.

Each test stores items, a match decision and a pin while Redis is healthy, then breaks Redis and checks: no 500 to
Plex on match or metadata, bounded time (a hung Redis costs about one socket timeout, once), no TPDB call without the
shared limiter, one log line for the outage instead of one per call, and nothing a person or Plex left is lost.
"""

from __future__ import annotations

import logging
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from plexapi.responsecache import GENERATION_KEY
from scenes.matching import MatchRequest, request_key_for
from scenes.models import MatchDecision, MatchPin, Scene
from tests.fake_tpdb import FakeTPDB
from tpdbprovider.core.redisconn import redis_guard

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

TIMEOUT_S = 0.5
STORED = ("3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c", "0c1d2e3f-4a5b-4c6d-8e7f-8a9b0c1d2e3f")
UNSTORED = "9b0c1d2e-3f4a-4b5c-9d6e-7f8a9b0c1d2e"
KNOWN_MATCH = {  # "Mountain Cabin Weekend" (STORED[1]), matched once while Redis was healthy
    "type": 4,
    "grandparentTitle": "Standalone Studio",
    "date": "2021-11-30",
    "filename": "Standalone Studio/Standalone Studio - 2021-11-30 - Mountain Cabin Weekend.mp4",
}
NEVER_SEEN_FILE = {**KNOWN_MATCH, "filename": "Downloads/Standalone Studio - 2021-11-30 - Mountain Cabin Weekend.mkv"}
PINNED_MATCH = {"type": 4, "filename": "Holiday/clip 0042.mp4", "title": "clip 0042"}  # only a pin can answer this
NEW_MATCH = {  # only TPDB knows it
    "type": 4,
    "grandparentTitle": "Sample Studio Two",
    "date": "2022-02-14",
    "filename": "Sample Studio Two/Sample Studio Two - 2022-02-14 - Rainy Day Board Games.mp4",
}
EDITED_TITLE = "Picnic (title edited by a person)"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _use_redis(settings, url: str) -> None:
    """The production Redis configuration (settings/base.py), pointed at ``url``, with a short timeout."""
    settings.REDIS_URL = url
    settings.REDIS_TIMEOUT_S = TIMEOUT_S
    settings.REDIS_RETRY_INTERVAL_S = 30.0
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = False
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "tpdbprovider",
            "OPTIONS": {
                "CONNECTION_FACTORY": "tpdbprovider.core.redisconn.SharedPoolConnectionFactory",
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    redis_guard.reset()


@pytest.fixture
def dead_redis() -> str:
    return f"redis://127.0.0.1:{_free_port()}/0"


class HungRedisUrl(str):
    """The hung server's URL; ``connections`` are the connections it accepted (each one cost a client a timeout)."""

    connections: list[socket.socket]

    def __new__(cls, url: str, connections: list[socket.socket]) -> HungRedisUrl:
        instance = super().__new__(cls, url)
        instance.connections = connections
        return instance


@pytest.fixture
def hung_redis() -> Iterator[str]:
    """A TCP server that accepts connections and never answers: what a frozen Redis looks like to a client."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(128)
    server.settimeout(0.1)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield HungRedisUrl(f"redis://127.0.0.1:{server.getsockname()[1]}/0", accepted)
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


@pytest.fixture
def private_redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A redis-server of our own on a free port (never the shared one), to stop and resume."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0", process
    process.send_signal(signal.SIGCONT)
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def tpdb(fake_tpdb, settings) -> FakeTPDB:
    rates = {"plex": "100000/min", "plex_search": "100000/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    return fake_tpdb


def _metadata(api: APIClient, tpdb_id: str):
    return api.get(f"/tv/library/metadata/tpdb-scene-{tpdb_id}")


def _match(api: APIClient, body: dict) -> tuple[int, list[str]]:
    response = api.post("/tv/library/metadata/matches", body, format="json")
    items = response.json()["MediaContainer"]["Metadata"] if response.status_code == 200 else []
    return response.status_code, [item["ratingKey"] for item in items]


def _healthy_history(api: APIClient) -> dict[str, int]:
    """While Redis is fine: items stored, one match decided, one pin and one edit made by a person."""
    for tpdb_id in STORED:
        assert _metadata(api, tpdb_id).status_code == 200
    assert _match(api, KNOWN_MATCH) == (200, [f"tpdb-scene-{STORED[1]}"])
    decision = MatchDecision.objects.get(chosen_rating_key=f"tpdb-scene-{STORED[1]}")
    request_key = request_key_for(MatchRequest(provider="tv", type=4, filename=PINNED_MATCH["filename"]))
    MatchPin.objects.create(
        provider="tv", request_key=request_key, rating_key=f"tpdb-scene-{STORED[1]}", tpdb_id=STORED[1]
    )
    Scene.objects.filter(tpdb_id=STORED[0]).update(title=EDITED_TITLE)
    cache.clear()
    return {"decisions": MatchDecision.objects.count(), "pins": MatchPin.objects.count(), "decision": decision.pk}


def _serves_everything_without_redis(api: APIClient, history: dict[str, int]) -> list[float]:
    """The checks every Redis fault must pass; returns how long each request took."""
    timings: list[float] = []

    def timed(call, *args):
        started = time.monotonic()
        result = call(*args)
        timings.append(time.monotonic() - started)
        return result

    for _ in range(3):
        assert timed(_match, api, KNOWN_MATCH) == (200, [f"tpdb-scene-{STORED[1]}"])
        assert timed(_match, api, PINNED_MATCH) == (200, [f"tpdb-scene-{STORED[1]}"])
        assert timed(_match, api, NEVER_SEEN_FILE) == (200, [f"tpdb-scene-{STORED[1]}"])  # decided on stored rows
        assert timed(_match, api, NEW_MATCH) == (200, [])  # TPDB is not called without the shared limiter
        edited = timed(_metadata, api, STORED[0])
        assert edited.status_code == 200, edited.content[:300]
        assert edited.json()["MediaContainer"]["Metadata"][0]["title"] == EDITED_TITLE
        assert timed(_metadata, api, STORED[1]).status_code == 200
        unstored = timed(_metadata, api, UNSTORED)
        assert unstored.status_code == 503
        assert unstored.json()["code"] == "tpdb_unavailable"
        assert unstored.has_header("Retry-After")
    assert MatchPin.objects.count() == history["pins"]
    assert MatchDecision.objects.filter(pk=history["decision"]).exists()
    assert MatchDecision.objects.count() >= history["decisions"]
    return timings


def _outage_log_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING and "Redis" in r.getMessage()]


def test_redis_down_serves_plex_with_no_500_no_tpdb_call_and_logs_the_outage_once(tpdb, settings, dead_redis, caplog):
    api = APIClient()
    history = _healthy_history(api)
    calls_before = len(tpdb.requests)
    _use_redis(settings, dead_redis)

    with caplog.at_level(logging.WARNING):
        timings = _serves_everything_without_redis(api, history)

    assert len(tpdb.requests) == calls_before  # no TPDB call without the shared rate limit
    assert max(timings) < 1.0
    lines = _outage_log_lines(caplog)
    assert [r.levelname for r in lines] == ["ERROR"], [r.getMessage() for r in lines]
    assert "Redis unreachable" in lines[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)  # no traceback per ignored call


def test_hung_redis_costs_one_socket_timeout_then_answers_as_if_it_were_down(tpdb, settings, hung_redis, caplog):
    api = APIClient()
    history = _healthy_history(api)
    _use_redis(settings, hung_redis)

    with caplog.at_level(logging.WARNING):
        timings = _serves_everything_without_redis(api, history)

    # A match waits about one socket timeout, never several; then Redis is skipped until the retry interval. Counted
    # as connections the hung server took (each costs one timeout), not as wall time, which a loaded machine stretches.
    assert timings[0] < TIMEOUT_S + 2.0
    assert 1 <= len(hung_redis.connections) <= 2, len(hung_redis.connections)  # 2: a run longer than the interval
    assert len(_outage_log_lines(caplog)) == 1


def test_a_stopped_redis_server_is_skipped_then_used_again_once_it_resumes(tpdb, settings, private_redis, caplog):
    url, process = private_redis
    api = APIClient()
    _use_redis(settings, url)
    settings.REDIS_RETRY_INTERVAL_S = 1.0
    history = _healthy_history(api)  # through the real private Redis
    cache.set("probe", 1)
    assert cache.get("probe") == 1

    assert _metadata(api, STORED[1]).status_code == 200
    assert _metadata(api, STORED[1])["X-Response-Cache"] == "hit"
    generation_before = cache.get(GENERATION_KEY)

    process.send_signal(signal.SIGSTOP)
    with caplog.at_level(logging.INFO):
        timings = _serves_everything_without_redis(api, history)
        assert sum(timings) < 3 * TIMEOUT_S + 1.5  # at most one timeout per retry interval
        process.send_signal(signal.SIGCONT)
        time.sleep(settings.REDIS_RETRY_INTERVAL_S)
        assert _match(api, KNOWN_MATCH) == (200, [f"tpdb-scene-{STORED[1]}"])

    assert not redis_guard.is_down
    assert cache.get("probe") == 1  # Redis kept its data; the cache is used again
    # Writes during the outage could not bump the shared response generation; the first request after it did, so
    # other processes drop the answers they kept from before the outage.
    assert cache.get(GENERATION_KEY) == generation_before + 1
    messages = [r.getMessage() for r in _outage_log_lines(caplog)]
    assert messages[0].startswith("Redis unreachable")
    assert messages[-1].startswith("Redis reachable again")
    assert len(messages) <= 3  # start, perhaps one summary, end: not one line per call
    assert _match(api, NEW_MATCH) == (200, [f"tpdb-scene-{UNSTORED}"])  # TPDB work resumes with Redis


@pytest.mark.redis
def test_the_cache_locks_throttles_limiter_and_breaker_share_one_pool_with_one_timeout(settings, redis_url):
    _use_redis(settings, redis_url)
    from django_redis import get_redis_connection

    from tpdbprovider.core.breaker import get_breaker
    from tpdbprovider.core.ratelimit import get_limiter
    from tpdbprovider.core.redisconn import shared_pool

    pool = shared_pool()
    assert get_redis_connection("default").connection_pool is pool  # the cache, single_flight and the throttles
    assert get_limiter()._redis.connection_pool is pool
    assert get_breaker()._redis.connection_pool is pool
    assert pool.connection_kwargs["socket_timeout"] == pool.connection_kwargs["socket_connect_timeout"] == TIMEOUT_S
