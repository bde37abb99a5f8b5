"""The embedded default (no broker) retries a task TPDB failed later, on its task threads, as a worker would."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from sites.tasks import sites_sync
from tpdbprovider.core.tasks import embedded_retries_cancel, embedded_retries_pending
from tpdbprovider.tpdb.retry import MAX_RETRIES

pytestmark = pytest.mark.django_db


@pytest.fixture
def embedded_without_tpdb(settings) -> Iterator[None]:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.TASKS_IN_BACKGROUND_THREAD = True
    settings.TPDB_BASE_URL = "http://127.0.0.1:1"  # nothing listens there
    settings.TPDB_API_KEY = "embedded-retry-test-key"
    settings.TPDB_MAX_RETRIES = 0
    yield
    embedded_retries_cancel()


def test_a_task_tpdb_failed_runs_again_later_and_logs_no_error(embedded_without_tpdb, caplog):
    caplog.set_level(logging.INFO)

    result = sites_sync.apply(throw=False)

    assert result.state == "IGNORED"
    assert embedded_retries_pending() == 1  # once, 30 s from now: not again at once, as Celery's eager retry does
    assert "runs again in 30 s (retry 1 of 5)" in caplog.text
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_the_last_attempt_gives_up_with_a_warning_and_queues_nothing(embedded_without_tpdb, caplog):
    caplog.set_level(logging.INFO)

    result = sites_sync.apply(retries=MAX_RETRIES, throw=False)

    assert result.state == "IGNORED"
    assert embedded_retries_pending() == 0
    assert f"gave up after {MAX_RETRIES + 1} attempts" in caplog.text
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
