"""A Celery worker killed in the middle of a task does not lose it: a real worker subprocess on the Redis broker
(the test Redis database), its pool process killed with SIGKILL while the task waits on TPDB."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings as django_settings
from django.core.cache import caches
from django.db import InterfaceError, OperationalError
from django_redis import get_redis_connection

from movies.tasks import movie_refresh
from scenes.models import Scene
from scenes.tasks import scene_refresh, site_year_prefetch_task, stale_refresh
from sites.models import Site, SiteYearSync
from sites.tasks import sites_sync
from tests.fake_tpdb import FakeTPDB
from tests.workers import celery_worker
from tpdbprovider.celery import app
from tpdbprovider.core.locks import single_flight
from tpdbprovider.core.tasks import cache_clear_expired

pytestmark = [pytest.mark.redis, pytest.mark.slow]
LEASE_S = 3


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


@pytest.fixture
def prefork_worker(redis_url: str, fake_tpdb: FakeTPDB) -> Iterator[subprocess.Popen[str]]:
    env = {"TPDB_READ_TIMEOUT_S": "30", "LOCK_LEASE_S": str(LEASE_S)}
    pool = ["--pool=prefork", "--concurrency=1"]
    with celery_worker(redis_url=redis_url, fake_tpdb=fake_tpdb, pool=pool, env=env) as process:
        yield process


@pytest.mark.django_db(transaction=True)
def test_a_task_whose_pool_process_is_killed_mid_task_is_run_again_and_its_lock_does_not_block_it(
    prefork_worker, redis_url, fake_tpdb
):
    site = Site.objects.create(
        tpdb_id="7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e", tpdb_numeric_id=4101, slug="example-studio", name="Example"
    )
    fake_tpdb.set_faults(latency_s=20)  # the task (holding its single_flight lock) waits on TPDB
    Celery(broker=redis_url).send_task("sites.tasks.site_year_prefetch", kwargs={"site_id": site.pk, "year": 2022})

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not fake_tpdb.count(path_prefix="/scenes"):
        assert prefork_worker.poll() is None, prefork_worker.stdout.read() if prefork_worker.stdout else "died"
        time.sleep(0.2)
    assert fake_tpdb.count(path_prefix="/scenes"), "the task never reached TPDB"
    (pool_process,) = _children(prefork_worker.pid)
    os.kill(pool_process, signal.SIGKILL)
    fake_tpdb.reset()

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not SiteYearSync.objects.filter(site=site, year=2022).exists():
        assert prefork_worker.poll() is None, prefork_worker.stdout.read() if prefork_worker.stdout else "died"
        time.sleep(0.5)

    sync = SiteYearSync.objects.get(site=site, year=2022)  # the task was not lost with its process
    assert Scene.objects.filter(site=site, release_date__year=2022).count() == sync.scene_count >= 1


def test_the_broker_gives_a_dead_workers_task_back_after_the_longest_task_not_an_hour():
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.task_acks_late is True
    visibility_s = app.conf.broker_transport_options["visibility_timeout"]
    assert app.conf.task_time_limit < visibility_s < 3600


@pytest.mark.redis
def test_a_long_lock_is_a_short_renewed_lease_so_a_dead_holder_blocks_for_one_lease(redis_url, settings):
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_url}}
    settings.LOCK_LEASE_S = LEASE_S
    conn = get_redis_connection("default")
    with single_flight("long-job", ttl_s=3600) as acquired:
        (key,) = conn.keys("*lock:long-job")
        assert acquired is True
        assert 0 < conn.pttl(key) <= LEASE_S * 1000  # a holder killed now frees it within one lease
        time.sleep(LEASE_S + 1)
        assert conn.exists(key)  # the heartbeat renews it while the holder lives
        with single_flight("long-job", ttl_s=3600) as second:
            assert second is False
    assert conn.keys("*lock:long-job") == []
    assert caches["default"].get("lock:long-job") is None
    assert django_settings.LOCK_LEASE_S == LEASE_S


@pytest.mark.parametrize(
    "task",
    [sites_sync, site_year_prefetch_task, scene_refresh, stale_refresh, movie_refresh, cache_clear_expired],
    ids=lambda task: task.name,
)
def test_every_task_is_retried_with_backoff_when_the_database_or_redis_fails(task):
    for error in (OperationalError, InterfaceError, redis.ConnectionError, redis.TimeoutError):
        assert issubclass(error, tuple(task.autoretry_for)), f"{task.name} is not retried on {error.__name__}"
    assert task.retry_backoff and task.max_retries >= 3
