"""single_flight on locmem and on a real Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django_redis import get_redis_connection

from tpdbprovider.core.locks import single_flight


@pytest.fixture(autouse=True)
def _empty_default_cache() -> Iterator[None]:
    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.fixture(params=["locmem", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request, settings) -> str:
    """Run each test on locmem and on django-redis against the real test Redis."""
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        settings.CACHES = {
            "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": url, "KEY_PREFIX": "tpdbprovider"}
        }
    return request.param


def test_the_first_holder_acquires_and_a_second_gets_false(backend):
    with single_flight("site_sync:1", ttl_s=30) as first:
        with single_flight("site_sync:1", ttl_s=30) as second:
            assert (first, second) == (True, False)
        with single_flight("site_sync:1", ttl_s=30) as third:  # the loser's exit did not release the lock
            assert third is False
        with single_flight("site_sync:2", ttl_s=30) as other_name:
            assert other_name is True


def test_the_lock_is_released_on_exit(backend):
    with single_flight("job", ttl_s=30) as first:
        assert first is True
    with single_flight("job", ttl_s=30) as again:
        assert again is True


def test_the_lock_is_released_when_the_body_raises(backend):
    with pytest.raises(RuntimeError), single_flight("job", ttl_s=30):
        raise RuntimeError("job failed")
    with single_flight("job", ttl_s=30) as again:
        assert again is True


def test_the_lock_expires_after_ttl_and_a_late_owner_does_not_release_the_new_holder(backend):
    late = single_flight("slow", ttl_s=1)
    assert late.__enter__() is True
    time.sleep(1.2)
    with single_flight("slow", ttl_s=30) as after_expiry:
        assert after_expiry is True
        late.__exit__(None, None, None)  # the first owner finishes while the new holder still runs
        with single_flight("slow", ttl_s=30) as third:
            assert third is False


@pytest.mark.redis
def test_on_redis_the_lock_is_a_real_key_with_a_ttl(redis_url, settings):
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_url}}
    conn = get_redis_connection("default")
    with single_flight("site_sync:9", ttl_s=30) as acquired:
        keys = conn.keys("*lock:site_sync:9")
        assert acquired is True
        assert len(keys) == 1
        assert 0 < conn.ttl(keys[0]) <= 30
    assert conn.keys("*lock:site_sync:9") == []


def test_ttl_must_be_positive():
    with pytest.raises(ValueError, match="ttl_s"), single_flight("job", ttl_s=0):
        pass
