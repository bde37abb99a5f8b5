"""The response cache itself: generations, TTLs, the byte budget, and the writes that invalidate it."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction
from django.utils import timezone

from plexapi.responsecache import ResponseCache, current_generation
from scenes.models import Scene
from sites.models import SiteListSync
from tests.fake_clock import FakeClock


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


@pytest.mark.django_db
def test_a_write_to_an_answer_table_moves_the_shared_generation_on_however_it_is_made() -> None:
    before = current_generation()
    Scene.objects.create(tpdb_id=uuid.uuid4(), title="Saved")
    after_save = current_generation()
    assert before is not None and after_save != before
    Scene.objects.update(title="Bulk update, no signal")  # QuerySet.update sends no signal; the database still sees it
    assert current_generation() != after_save


@pytest.mark.django_db
def test_writes_that_change_no_answer_row_leave_cached_answers_valid() -> None:
    before = current_generation()
    SiteListSync.objects.create(finished_at=timezone.now(), site_count=0, pages=0)  # bookkeeping, no answer reads it
    Scene.objects.filter(title="No such scene").update(title="Still none")  # matched no row
    assert current_generation() == before


@pytest.mark.django_db(transaction=True)
def test_a_transaction_moves_the_generation_when_it_writes_and_once_more_when_it_commits() -> None:
    before = current_generation()
    assert before is not None
    with transaction.atomic():
        Scene.objects.create(tpdb_id=uuid.uuid4(), title="First")
        Scene.objects.create(tpdb_id=uuid.uuid4(), title="Second")
        inside = current_generation()
        assert inside is not None and inside != before
    assert current_generation() not in (before, inside)
