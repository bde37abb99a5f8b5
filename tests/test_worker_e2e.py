"""End to end with a real Redis broker and a real Celery worker process: enqueue → worker → rows in the database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection

from scenes.models import Scene
from sites.models import Site, SiteYearSync

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.redis, pytest.mark.slow]


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs a database it can share with the test: PostgreSQL is not reachable")
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(redis_url, fake_tpdb):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tpdbprovider.settings.production",
        "DJANGO_SECRET_KEY": "worker-test-secret",
        "ADMIN_USERNAME": "worker",
        "ADMIN_PASSWORD": "worker-test-password",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "TPDB_BASE_URL": fake_tpdb.base_url,
        "TPDB_API_KEY": fake_tpdb.token,
        "TPDB_RATE_LIMIT": "50",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tpdbprovider", "worker", "--pool=solo", "--loglevel=WARNING"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


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
