"""CacheService against the real database: tiers, TTLs, stale serving, expiry, stats."""

from __future__ import annotations

import logging
import math
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from tpdbprovider.core import cache as cache_module
from tpdbprovider.core.cache import CacheService, cache_key, cache_service, reset_cache_service
from tpdbprovider.core.models import CacheEntry
from tpdbprovider.tpdb.errors import TPDBNotFoundError, TPDBUnavailableError

pytestmark = pytest.mark.django_db

SCENE = {"id": "abc", "title": "A Scene", "performers": [{"name": "X"}]}


class FakeClock:
    """A wall clock the test moves by hand; shared by services that stand for separate processes."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def svc(clock: FakeClock) -> CacheService:
    return CacheService(memory_max_entries=100, memory_ttl_s=60, clock=clock)


def _raise(exc: BaseException):
    def fetch():
        raise exc

    return fetch


# --- keys -------------------------------------------------------------------------------------------------------


def test_key_is_64_hex_and_independent_of_dict_order():
    key = cache_key("scene_search", {"q": "x", "page": 1, "site": {"a": 1, "b": 2}})
    assert key == cache_key("scene_search", {"site": {"b": 2, "a": 1}, "page": 1, "q": "x"})
    assert len(key) == 64
    assert int(key, 16) >= 0


def test_key_changes_with_endpoint_params_and_version(monkeypatch):
    key = cache_key("site_list", {"id": "abc"})
    assert key != cache_key("scene_search", {"id": "abc"})
    assert key != cache_key("site_list", {"id": "abd"})
    monkeypatch.setattr(cache_module, "CACHE_KEY_VERSION", cache_module.CACHE_KEY_VERSION + 1)
    assert key != cache_key("site_list", {"id": "abc"})


def test_stored_row_uses_the_key_recipe(svc):
    svc.set("site_list", {"id": "abc"}, SCENE)
    assert CacheEntry.objects.get().key == cache_key("site_list", {"id": "abc"})


# --- get / set / TTLs -------------------------------------------------------------------------------------------


def test_get_returns_a_fresh_value_and_none_once_expired(svc, clock):
    svc.set("site_list", {"id": "abc"}, SCENE, ttl=100)
    clock.advance(99)
    assert svc.get("site_list", {"id": "abc"}) == SCENE
    assert CacheService(clock=clock).get("site_list", {"id": "abc"}) == SCENE  # from the table

    clock.advance(1)
    assert svc.get("site_list", {"id": "abc"}) is None
    assert CacheService(clock=clock).get("site_list", {"id": "abc"}) is None
    assert CacheEntry.objects.count() == 1  # expired rows are kept for stale serving


def test_get_of_an_unknown_key_is_none(svc):
    assert svc.get("site_list", {"id": "nope"}) is None


@pytest.mark.parametrize(
    ("endpoint", "setting_name"),
    [
        ("site_list", "CACHE_TTL_SITE_LIST"),
        ("scene_search", "CACHE_TTL_SCENE_SEARCH"),
    ],
)
def test_ttl_none_uses_the_endpoint_ttl_from_settings(settings, svc, clock, endpoint, setting_name):
    setattr(settings, setting_name, 1234)
    svc.set(endpoint, {"q": 1}, [1, 2])
    assert CacheEntry.objects.get().expires_at == clock.now + timedelta(seconds=1234)


def test_explicit_ttl_wins_over_the_endpoint_ttl(settings, svc, clock):
    settings.CACHE_TTL_SCENE_SEARCH = 1234
    svc.set("scene_search", {"q": 1}, [], ttl=7)
    assert CacheEntry.objects.get().expires_at == clock.now + timedelta(seconds=7)


def test_unknown_endpoint_needs_an_explicit_ttl(svc):
    with pytest.raises(ValueError, match="Unknown cache endpoint"):
        svc.set("performer_detail", {"id": 1}, {})
    with pytest.raises(ValueError, match="Unknown cache endpoint"):
        svc.get_or_fetch("performer_detail", {"id": 1}, dict)
    svc.set("performer_detail", {"id": 1}, {"ok": True}, ttl=60)
    assert svc.get("performer_detail", {"id": 1}) == {"ok": True}


@pytest.mark.parametrize("value", [object(), {1, 2}, {"x": math.nan}, {"when": datetime(2026, 1, 1, tzinfo=UTC)}])
def test_set_rejects_values_that_are_not_json(svc, value):
    with pytest.raises(TypeError, match="JSON"):
        svc.set("site_list", {"id": "abc"}, value)
    assert not CacheEntry.objects.exists()


def test_set_overwrites_value_and_expiry_and_keeps_hits(svc, clock):
    svc.set("site_list", {"id": "abc"}, {"v": 1}, ttl=10)
    CacheService(clock=clock).get("site_list", {"id": "abc"})
    clock.advance(5)
    svc.set("site_list", {"id": "abc"}, {"v": 2}, ttl=10)
    row = CacheEntry.objects.get()
    assert (row.value, row.expires_at, row.hits) == ({"v": 2}, clock.now + timedelta(seconds=10), 1)
    assert CacheService(clock=clock).get("site_list", {"id": "abc"}) == {"v": 2}


def test_a_cached_none_is_a_hit_for_get_or_fetch(svc):
    calls = []
    svc.set("site_list", {"id": "abc"}, None)
    assert svc.get_or_fetch("site_list", {"id": "abc"}, lambda: calls.append(1)) is None
    assert calls == []


def test_mutating_a_returned_value_does_not_change_the_cache(svc):
    svc.set("site_list", {"id": "abc"}, SCENE)
    svc.get("site_list", {"id": "abc"})["title"] = "changed"
    assert svc.get("site_list", {"id": "abc"})["title"] == "A Scene"


# --- memory tier ------------------------------------------------------------------------------------------------


def test_a_memory_hit_runs_no_query(svc, django_assert_num_queries):
    svc.set("site_list", {"id": "abc"}, SCENE)
    with django_assert_num_queries(0):
        assert svc.get("site_list", {"id": "abc"}) == SCENE
        assert svc.get_or_fetch("site_list", {"id": "abc"}, _raise(AssertionError("fetched"))) == SCENE


def test_memory_tier_is_bounded_and_evicts_the_least_recently_used(clock):
    svc = CacheService(memory_max_entries=3, clock=clock)
    for name in ("a", "b", "c"):
        svc.set("site_list", {"id": name}, name)
    svc.get("site_list", {"id": "a"})  # a becomes the most recently used
    svc.set("site_list", {"id": "d"}, "d")
    assert svc.memory_keys() == [cache_key("site_list", {"id": n}) for n in ("c", "a", "d")]
    assert svc.get_stats()["memory_entries"] == 3


def test_memory_bound_follows_settings_when_not_given(settings, clock):
    settings.CACHE_MEMORY_MAX_ENTRIES = 2
    svc = CacheService(clock=clock)
    for name in ("a", "b", "c"):
        svc.set("site_list", {"id": name}, name)
    assert svc.memory_keys() == [cache_key("site_list", {"id": n}) for n in ("b", "c")]


def test_memory_entry_lives_at_most_the_memory_ttl(svc, clock, django_assert_num_queries):
    svc.set("site_list", {"id": "abc"}, SCENE, ttl=3600)
    clock.advance(61)
    with django_assert_num_queries(2):  # read the row, count the hit
        assert svc.get("site_list", {"id": "abc"}) == SCENE
    with django_assert_num_queries(0):
        assert svc.get("site_list", {"id": "abc"}) == SCENE


def test_memory_entry_never_outlives_a_shorter_entry_ttl(svc, clock):
    svc.set("scene_search", {"q": "x"}, [1], ttl=5)
    clock.advance(5)
    assert svc.get("scene_search", {"q": "x"}) is None


def test_reset_clears_the_shared_memory_tier():
    cache_service.set("site_list", {"id": "reset"}, 1, ttl=60)
    reset_cache_service()
    assert cache_service.get_stats()["memory_entries"] == 0
    assert cache_service.get("site_list", {"id": "reset"}) == 1  # still in the table
    reset_cache_service()


# --- get_or_fetch -----------------------------------------------------------------------------------------------


def test_get_or_fetch_fetches_once_then_serves_from_the_cache(svc, clock):
    calls = []

    def fetch():
        calls.append(1)
        return SCENE

    assert svc.get_or_fetch("site_list", {"id": "abc"}, fetch) == SCENE
    assert svc.get_or_fetch("site_list", {"id": "abc"}, fetch) == SCENE
    assert CacheService(clock=clock).get_or_fetch("site_list", {"id": "abc"}, fetch) == SCENE
    assert calls == [1]
    assert svc.get_stats()["loads"] == 1


def test_get_or_fetch_refetches_after_expiry(svc, clock):
    svc.get_or_fetch("scene_search", {"q": "x"}, lambda: ["old"], ttl=30)
    clock.advance(31)
    assert svc.get_or_fetch("scene_search", {"q": "x"}, lambda: ["new"], ttl=30) == ["new"]
    assert CacheEntry.objects.get().value == ["new"]


def test_stale_value_is_served_when_fetch_raises_a_listed_error(svc, clock, caplog):
    svc.set("site_list", {"id": "abc"}, SCENE, ttl=60)
    clock.advance(3600)
    refreshes = []
    other_process = CacheService(clock=clock)
    with caplog.at_level(logging.WARNING, logger="tpdbprovider.core.cache"):
        value = other_process.get_or_fetch(
            "site_list",
            {"id": "abc"},
            _raise(TPDBUnavailableError("TPDB is down")),
            stale_on=(TPDBUnavailableError,),
            on_stale=lambda: refreshes.append("queued"),
        )
    assert value == SCENE
    assert refreshes == ["queued"]
    assert other_process.get_stats()["stale_served"] == 1
    assert any("stale" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    assert other_process.get("site_list", {"id": "abc"}) is None  # get() still answers fresh values only


def test_listed_error_is_reraised_when_there_is_no_stale_row(svc):
    with pytest.raises(TPDBUnavailableError):
        svc.get_or_fetch(
            "site_list", {"id": "abc"}, _raise(TPDBUnavailableError("down")), stale_on=(TPDBUnavailableError,)
        )
    assert svc.get_stats()["stale_served"] == 0


def test_an_unlisted_error_is_not_served_stale(svc, clock):
    svc.set("site_list", {"id": "abc"}, SCENE, ttl=60)
    clock.advance(61)
    refreshes = []
    with pytest.raises(TPDBNotFoundError):
        svc.get_or_fetch(
            "site_list",
            {"id": "abc"},
            _raise(TPDBNotFoundError()),
            stale_on=(TPDBUnavailableError,),
            on_stale=lambda: refreshes.append(1),
        )
    assert refreshes == []


def test_after_a_failed_fetch_stale_is_served_briefly_without_calling_tpdb_again(svc, clock):
    svc.set("site_list", {"id": "abc"}, SCENE, ttl=60)
    clock.advance(61)
    calls = []

    def fetch():
        calls.append(1)
        raise TPDBUnavailableError("down")

    refreshes = []
    for _ in range(3):
        assert svc.get_or_fetch("site_list", {"id": "abc"}, fetch, on_stale=lambda: refreshes.append(1)) == SCENE
    assert calls == [1]
    assert len(refreshes) == 3
    clock.advance(cache_module.STALE_MEMORY_TTL_S)
    assert svc.get_or_fetch("site_list", {"id": "abc"}, lambda: {"v": "new"}) == {"v": "new"}


@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_of_one_key_fetch_once():
    svc = CacheService(memory_ttl_s=60)
    calls = []
    results = []
    start = threading.Barrier(8)

    def fetch():
        calls.append(1)
        time.sleep(0.2)
        return SCENE

    def worker():
        try:
            start.wait()
            results.append(svc.get_or_fetch("site_list", {"id": "abc"}, fetch))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [1]
    assert results == [SCENE] * 8


# --- clear_expired ----------------------------------------------------------------------------------------------


def test_clear_expired_removes_only_rows_expired_longer_than_the_grace(svc, clock):
    svc.set("site_list", {"id": "long-gone"}, 1, ttl=60)
    clock.advance(31 * 24 * 3600)
    svc.set("site_list", {"id": "recent"}, 2, ttl=60)
    clock.advance(3600)
    svc.set("site_list", {"id": "fresh"}, 3, ttl=3600)

    assert svc.clear_expired() == 1  # default grace: 30 days
    assert sorted(CacheEntry.objects.values_list("value", flat=True)) == [2, 3]
    assert svc.clear_expired(grace_s=0) == 1
    assert list(CacheEntry.objects.values_list("value", flat=True)) == [3]
    assert svc.clear_expired(grace_s=0) == 0


def test_clear_expired_grace_follows_settings(settings, svc, clock):
    settings.CACHE_STALE_GRACE_S = 100
    svc.set("site_list", {"id": "a"}, 1, ttl=10)
    clock.advance(109)
    assert svc.clear_expired() == 0
    clock.advance(2)
    assert svc.clear_expired() == 1


def test_search_answers_get_a_much_shorter_stale_grace(settings, svc, clock):
    settings.CACHE_STALE_GRACE_SEARCH_S = 3600
    svc.set("scene_search", {"parse": "a"}, [1], ttl=60)
    svc.set("site_list", {"page": 1}, {"data": []}, ttl=60)
    clock.advance(60 + 3599)
    assert svc.count_expired() == 0 and svc.clear_expired() == 0

    clock.advance(2)

    assert svc.count_expired() == 1
    assert svc.clear_expired() == 1
    assert list(CacheEntry.objects.values_list("endpoint", flat=True)) == ["site_list"]


def test_a_search_answer_is_still_served_stale_within_its_grace(settings, svc, clock):
    settings.CACHE_STALE_GRACE_SEARCH_S = 3600
    svc.set("scene_search", {"parse": "a"}, ["cached"], ttl=60)
    clock.advance(1800)
    svc.clear_expired()

    value = svc.get_or_fetch("scene_search", {"parse": "a"}, _raise(TPDBUnavailableError("down")))

    assert value == ["cached"]


def test_trim_keeps_the_latest_expiring_rows_within_the_size_cap(settings, svc, clock):
    for n in range(5):
        svc.set("scene_search", {"parse": n}, "x" * 998, ttl=100 + n)  # 1,000 bytes of JSON each
    assert set(CacheEntry.objects.values_list("size_bytes", flat=True)) == {1000}

    assert svc.trim(max_bytes=2500) == 3

    assert sorted(CacheEntry.objects.values_list("params__parse", flat=True)) == [3, 4]
    assert svc.trim(max_bytes=2500) == 0


def test_clear_expired_trims_to_cache_max_mb(settings, svc):
    settings.CACHE_MAX_MB = 1
    for n in range(3):
        svc.set("site_list", {"page": n}, "y" * 399_998, ttl=3600 + n)

    assert svc.clear_expired() == 1
    assert sorted(CacheEntry.objects.values_list("params__page", flat=True)) == [1, 2]


def test_writes_trim_the_cache_without_waiting_for_the_hourly_cleanup(settings, svc, monkeypatch):
    monkeypatch.setattr(cache_module, "TRIM_EVERY_WRITES", 10)
    settings.CACHE_MAX_MB = 1
    for n in range(10):
        svc.set("scene_search", {"parse": n}, "z" * 199_998, ttl=60 + n)

    assert CacheEntry.objects.count() == 5
    assert sum(CacheEntry.objects.values_list("size_bytes", flat=True)) <= 1_000_000


# --- stats ------------------------------------------------------------------------------------------------------


def test_stats_are_right_across_two_processes_sharing_the_database(clock):
    web, worker = CacheService(clock=clock), CacheService(clock=clock)
    web.set("scene_search", {"id": "a"}, 1, ttl=10)
    worker.set("scene_search", {"id": "b"}, 2, ttl=1000)
    worker.set("site_list", {}, [], ttl=1000)
    clock.advance(20)  # search a expires
    web.get("scene_search", {"id": "b"})  # a table hit for web
    web.get("scene_search", {"id": "b"})  # then a memory hit
    web.get("site_list", {})  # a table hit
    worker.get("scene_search", {"id": "a"})  # expired: a miss

    stats = web.get_stats()
    assert {k: stats[k] for k in ("total_entries", "active_entries", "expired_entries", "total_hits")} == {
        "total_entries": 3,
        "active_entries": 2,
        "expired_entries": 1,
        "total_hits": 2,
    }
    assert stats["by_endpoint"] == {
        "scene_search": {"entries": 2, "active": 1, "expired": 1, "hits": 1},
        "site_list": {"entries": 1, "active": 1, "expired": 0, "hits": 1},
    }
    assert (stats["memory_entries"], stats["memory_hits"], stats["persistent_hits"]) == (3, 1, 2)
    assert worker.get_stats()["total_hits"] == 2
    assert worker.get_stats()["memory_misses"] == 1


def test_stats_of_an_empty_cache_are_zero(svc):
    stats = svc.get_stats()
    assert (stats["total_entries"], stats["total_hits"], stats["by_endpoint"]) == (0, 0, {})


def test_table_hits_are_counted_per_read(svc, clock):
    svc.set("site_list", {"id": "abc"}, SCENE)
    for _ in range(3):
        CacheService(clock=clock).get("site_list", {"id": "abc"})
    assert CacheEntry.objects.get().hits == 3
