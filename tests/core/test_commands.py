from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tpdbprovider.core.cache import SCENE_SEARCH, SITE_LIST, cache_key, cache_service
from tpdbprovider.core.models import CacheEntry
from tpdbprovider.core.tasks import cache_clear_expired


def _row(endpoint: str, params: dict, *, expired_days_ago: float | None = None) -> CacheEntry:
    now = timezone.now()
    expires = now + timedelta(hours=1) if expired_days_ago is None else now - timedelta(days=expired_days_ago)
    return CacheEntry.objects.create(
        key=cache_key(endpoint, params), endpoint=endpoint, params=params, value={"ok": 1}, expires_at=expires, hits=2
    )


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_cache_stats_prints_totals_and_each_endpoint() -> None:
    _row(SITE_LIST, {"id": "a"})
    _row(SCENE_SEARCH, {"q": "b"}, expired_days_ago=1)
    text = _run("cache_stats")
    assert "entries 2  active 1  expired 1  hits 4" in text
    assert "site_list" in text and "scene_search" in text
    data = json.loads(_run("cache_stats", "--json"))
    assert data["by_endpoint"]["scene_search"]["expired"] == 1


@pytest.mark.django_db
def test_cache_clear_expired_keeps_fresh_and_recently_expired_rows() -> None:
    _row(SITE_LIST, {"id": "fresh"})
    _row(SITE_LIST, {"id": "recent"}, expired_days_ago=1)
    _row(SITE_LIST, {"id": "old"}, expired_days_ago=60)
    assert "would remove 1 " in _run("cache_clear_expired", "--dry-run")
    assert CacheEntry.objects.count() == 3
    assert "removed 1 " in _run("cache_clear_expired")
    assert set(CacheEntry.objects.values_list("params__id", flat=True)) == {"fresh", "recent"}
    assert "removed 1 " in _run("cache_clear_expired", "--grace", "0")


@pytest.mark.django_db
def test_cache_clear_expired_rejects_a_negative_grace() -> None:
    with pytest.raises(CommandError, match="--grace"):
        call_command("cache_clear_expired", "--grace", "-1")


@pytest.mark.django_db
def test_the_hourly_task_clears_old_rows_and_skips_when_already_running() -> None:
    _row(SITE_LIST, {"id": "old"}, expired_days_ago=60)
    assert cache_clear_expired.delay().get() == "removed 1"
    from tpdbprovider.core.locks import single_flight

    with single_flight("cache_clear_expired", ttl_s=60):
        assert cache_clear_expired.delay().get() == "skipped"
    assert cache_service.count_expired(grace_s=0) == 0
