from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tpdbprovider.core import scheduler


def test_entries_run_when_their_crontab_comes_due(settings, monkeypatch) -> None:
    submitted: list[str] = []
    monkeypatch.setattr(scheduler, "submit_embedded", lambda task, kwargs: submitted.append(task.name))
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    last_run: dict = {}
    assert scheduler.run_due(last_run, now) == []  # first sight only records the time
    later = now + timedelta(hours=1, minutes=1)
    names = scheduler.run_due(last_run, later)
    assert "refresh-stale-hourly" in names and "clear-expired-cache-hourly" in names
    assert "sync-site-list-daily" not in names
    assert set(submitted) >= {"scenes.tasks.stale_refresh", "tpdbprovider.core.tasks.cache_clear_expired"}
    assert scheduler.run_due(last_run, later + timedelta(seconds=30)) == []
    assert "sync-site-list-daily" in scheduler.run_due(last_run, later + timedelta(days=1, hours=1))


def test_the_embedded_beat_does_not_start_when_redis_runs_celery_beat(settings) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    assert scheduler.start_embedded_beat() is False


@pytest.mark.parametrize("entry", ["sync-site-list-daily", "refresh-stale-hourly", "clear-expired-cache-hourly"])
def test_every_beat_entry_names_a_registered_task_and_expires_within_its_period(settings, entry) -> None:
    from celery import current_app

    current_app.loader.import_default_modules()
    spec = settings.CELERY_BEAT_SCHEDULE[entry]
    assert spec["task"] in current_app.tasks
    assert 0 < spec["options"]["expires"] <= 24 * 3600
