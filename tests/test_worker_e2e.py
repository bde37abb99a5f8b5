"""End to end with a real Redis broker and a real Celery worker process: enqueue → worker → rows in the database."""

from __future__ import annotations

import time

import pytest
from celery import Celery

from scenes.models import Scene
from sites.models import Site, SiteYearSync
from tests.workers import celery_worker

pytestmark = [pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def worker(redis_url, fake_tpdb):
    with celery_worker(redis_url=redis_url, fake_tpdb=fake_tpdb, pool=["--pool=solo"]) as process:
        yield process


@pytest.mark.django_db(transaction=True)
def test_a_queued_prefetch_is_run_by_a_real_worker_and_stores_the_scenes(worker, redis_url, fake_tpdb):
    site = Site.objects.create(
        tpdb_id="7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e", tpdb_numeric_id=4101, slug="example-studio", name="Example"
    )
    broker = Celery(broker=redis_url)
    broker.send_task("sites.tasks.site_year_prefetch", kwargs={"site_id": site.pk, "year": 2022})

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not SiteYearSync.objects.filter(site=site, year=2022).exists():
        assert worker.poll() is None, worker.stdout.read() if worker.stdout else "worker died"
        time.sleep(0.5)

    sync = SiteYearSync.objects.get(site=site, year=2022)
    assert sync.scene_count >= 1
    assert Scene.objects.filter(site=site, release_date__year=2022).count() == sync.scene_count
    assert fake_tpdb.count(path_prefix="/scenes") >= 1
