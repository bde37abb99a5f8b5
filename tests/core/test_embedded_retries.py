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


class _Job:
    """A stand-in for a Celery task on the embedded threads: records its runs, the first one held until released."""

    name = "test.job"

    def __init__(self) -> None:
        import threading

        self.release, self.entered, self.runs = threading.Event(), [], []

    def apply(self, **_: object) -> None:
        self.entered.append(1)
        self.release.wait(10)
        self.runs.append(1)


def _eventually(check, timeout_s: float = 10.0) -> bool:
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def test_stopping_drops_the_jobs_not_started_and_a_later_job_still_runs():
    from tpdbprovider.core.tasks import embedded_shutdown, submit_embedded

    held, queued = _Job(), _Job()
    queued.release.set()
    submit_embedded(held, {})
    submit_embedded(held, {})
    assert _eventually(lambda: len(held.entered) == 2)  # both threads busy with the held job
    for _ in range(3):
        submit_embedded(queued, {})

    dropped = embedded_shutdown()
    held.release.set()

    assert dropped == 3
    assert _eventually(lambda: len(held.runs) == 2)  # the running jobs finish
    assert queued.runs == []  # the queued ones never run
    after = _Job()
    after.release.set()
    submit_embedded(after, {})  # a new pool for whatever comes next
    assert _eventually(lambda: after.runs == [1])
    embedded_shutdown()
