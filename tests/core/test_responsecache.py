"""The response cache itself: generations, TTLs, the byte budget; and change tracking on models."""

from __future__ import annotations

import uuid

import pytest

from scenes.models import Scene
from scenes.services import scene_upsert_from_tpdb
from tests.fake_clock import FakeClock
from tests.recipes import tpdb_json
from tpdbprovider.core.responsecache import ResponseCache, current_generation, invalidate_responses
from tpdbprovider.tpdb.schemas import TPDBScene


def _cache(clock: FakeClock, *, max_bytes: int = 1600, ttl_s: float = 60) -> ResponseCache:
    return ResponseCache(max_bytes=max_bytes, ttl_s=ttl_s, clock=clock)


def test_an_entry_is_served_only_under_the_generation_it_was_built_in() -> None:
    cache = _cache(FakeClock())
    cache.put(b"k", 7, b"body")
    assert cache.get(b"k", 7) == b"body"
    assert cache.get(b"k", 8) is None
    assert cache.get(b"k", 7) is None  # a stale entry is dropped, not kept for later


def test_an_entry_expires_after_the_ttl_or_the_shorter_validity_it_was_given() -> None:
    clock = FakeClock()
    cache = _cache(clock, ttl_s=60)
    cache.put(b"long", 1, b"a")
    cache.put(b"short", 1, b"b", ttl_s=5)
    clock.sleep(5)
    assert cache.get(b"short", 1) is None
    assert cache.get(b"long", 1) == b"a"
    clock.sleep(55)
    assert cache.get(b"long", 1) is None


def test_a_validity_longer_than_the_ttl_is_capped_and_none_left_is_not_stored() -> None:
    clock = FakeClock()
    cache = _cache(clock, ttl_s=60)
    cache.put(b"capped", 1, b"a", ttl_s=3600)
    cache.put(b"expired", 1, b"b", ttl_s=-1)
    assert cache.get(b"expired", 1) is None
    clock.sleep(59)
    assert cache.get(b"capped", 1) == b"a"
    clock.sleep(2)
    assert cache.get(b"capped", 1) is None


def test_the_byte_budget_evicts_the_least_recently_used_and_refuses_huge_entries() -> None:
    cache = _cache(FakeClock(), max_bytes=1600)  # entries of at most 100 bytes
    for name in (b"a", b"b", b"c"):
        cache.put(name, 1, name * 100)
    assert cache.get(b"a", 1) is not None  # a is now the most recently used
    for name in (b"d", b"e", b"f", b"g", b"h", b"i", b"j", b"k", b"l", b"m", b"n", b"o", b"p", b"q"):
        cache.put(name, 1, name * 100)
    assert cache.size_bytes <= 1600
    assert cache.get(b"b", 1) is None
    cache.put(b"huge", 1, b"x" * 101)
    assert cache.get(b"huge", 1) is None


def test_invalidating_moves_the_shared_generation_on() -> None:
    before = current_generation()
    invalidate_responses()
    after = current_generation()
    assert before is not None and after is not None and after != before


@pytest.mark.django_db
def test_a_refresh_that_brings_nothing_new_leaves_cached_answers_valid() -> None:
    data = TPDBScene.from_json(tpdb_json("scene_detail.json")["data"])
    scene_upsert_from_tpdb(data=data)
    before = current_generation()
    scene_upsert_from_tpdb(data=data)  # the same TPDB answer again: only fetched_at moves
    assert current_generation() == before
    changed = tpdb_json("scene_detail.json")["data"]
    changed["title"] = "A corrected title"
    scene_upsert_from_tpdb(data=TPDBScene.from_json(changed))
    assert current_generation() != before


@pytest.mark.django_db
def test_a_loaded_row_knows_whether_a_save_would_change_it() -> None:
    Scene.objects.create(tpdb_id=uuid.uuid4(), title="Original")
    scene = Scene.objects.get()
    scene.tpdb_id = str(scene.tpdb_id)  # the same uuid as text is no change
    assert scene.has_changed_content is False
    scene.title = "Changed"
    assert scene.has_changed_content is True
    assert Scene(tpdb_id=uuid.uuid4(), title="Never stored").has_changed_content is True
