"""The embedded task pool's pending count: queued, waiting on a countdown, or running, until the last one ends."""

from __future__ import annotations

import threading

import pytest
from celery import shared_task

from tpdbprovider.core.tasks import embedded_tasks_pending, embedded_tasks_wait_idle, enqueue

release = threading.Event()
ran: list[str] = []


@shared_task(name="tests.core.test_tasks.blocking_task")
def blocking_task(label: str) -> None:
    release.wait(timeout=10)
    ran.append(label)


@shared_task(name="tests.core.test_tasks.chaining_task")
def chaining_task() -> None:
    ran.append("parent")
    enqueue(blocking_task, countdown_s=0.2, label="child")  # outside a transaction: queued at once


@pytest.fixture
def background_thread(settings):
    settings.TASKS_IN_BACKGROUND_THREAD = True
    release.clear()
    ran.clear()
    assert embedded_tasks_wait_idle(10)
    yield
    release.set()
    assert embedded_tasks_wait_idle(10)


def test_queued_running_and_countdown_tasks_are_pending_until_they_end(background_thread, transactional_db):
    enqueue(blocking_task, label="now")
    enqueue(blocking_task, countdown_s=0.3, label="later")
    assert embedded_tasks_pending() == 2  # one running (blocked), one waiting on its timer
    assert not embedded_tasks_wait_idle(0.5)  # the timer fired meanwhile; both are blocked on the event
    assert embedded_tasks_pending() == 2
    release.set()
    assert embedded_tasks_wait_idle(10)
    assert embedded_tasks_pending() == 0
    assert sorted(ran) == ["later", "now"]


def test_a_task_queued_by_a_task_keeps_the_pool_busy(background_thread, transactional_db):
    release.set()
    enqueue(chaining_task)
    assert embedded_tasks_wait_idle(10)
    assert ran == ["parent", "child"]  # idle only once the child, queued with a countdown, had run


def test_inline_mode_counts_nothing(transactional_db):
    ran.clear()
    release.set()
    enqueue(blocking_task, label="inline")
    assert ran == ["inline"]
    assert embedded_tasks_pending() == 0
