"""Infrastructure tasks, and ``enqueue``: how services hand work to Celery after their transaction commits."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import redis
from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction

from tpdbprovider.core.cache import cache_service
from tpdbprovider.core.locks import single_flight

logger = logging.getLogger(__name__)

# Our own services failing mid-task (the database restarting, Redis unreachable) are retried with backoff, like TPDB
# being down; every task takes ``**TRANSIENT_RETRY``.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, redis.ConnectionError, redis.TimeoutError)
TRANSIENT_RETRY: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "max_retries": 5,
}

# Embedded default (no Redis): Celery runs tasks eagerly, so run them on background threads instead of inside the
# Plex request that queued them. Two threads, like the full stack's worker (-c 2): a site's catalog walk is not queued
# behind hundreds of detail fetches during a first scan; the TPDB bucket's background lane bounds both together.
_pool_lock = threading.Lock()
_embedded_pool: ThreadPoolExecutor | None = None
_retry_lock = threading.Lock()
_retry_timers: set[threading.Timer] = set()


def _run_embedded(task: Task[..., Any], kwargs: dict[str, Any], retries: int = 0) -> None:
    try:
        task.apply(kwargs=kwargs, retries=retries, throw=False)
    except Exception:  # a background job must never take the web process down
        logger.exception("embedded task %s failed", task.name)


def submit_embedded(task: Task[..., Any], kwargs: dict[str, Any], retries: int = 0) -> None:
    """Run ``task`` on the embedded task thread (the embedded default's stand-in for a worker)."""
    global _embedded_pool
    with _pool_lock:
        if _embedded_pool is None:
            _embedded_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tpdb-task")
        _embedded_pool.submit(_run_embedded, task, kwargs, retries)


def embedded_shutdown() -> int:
    """Drop the embedded jobs not started yet and the retries waiting (the web process is stopping: Python would
    otherwise run every queued job before it exits, minutes of TPDB calls during a scan). Jobs running finish; a
    dropped job is asked for again by the read, match or schedule that needs it. Returns how many were dropped."""
    global _embedded_pool
    embedded_retries_cancel()
    with _pool_lock:
        pool, _embedded_pool = _embedded_pool, None
    if pool is None:
        return 0
    dropped = pool._work_queue.qsize()
    pool.shutdown(wait=False, cancel_futures=True)
    return dropped


def _is_embedded() -> bool:
    """The embedded default: no broker, queued tasks run on this process's task threads."""
    return bool(settings.CELERY_TASK_ALWAYS_EAGER and settings.TASKS_IN_BACKGROUND_THREAD)


def is_embedded_run(task: Task[..., Any]) -> bool:
    """True inside a task the embedded task threads run (eagerly, with no broker to retry through)."""
    return bool(task.request.is_eager) and _is_embedded()


def retry_embedded_later(task: Task[..., Any], countdown_s: float) -> None:
    """Run the current embedded task again ``countdown_s`` from now as its next retry, as a worker would: Celery's
    eager ``retry`` runs it again at once, countdown ignored, and logs the last failure with a traceback."""
    kwargs, retries = dict(task.request.kwargs or {}), (task.request.retries or 0) + 1

    def run() -> None:
        with _retry_lock:
            _retry_timers.discard(timer)
        submit_embedded(task, kwargs, retries)

    timer = threading.Timer(countdown_s, run)
    timer.daemon = True
    with _retry_lock:
        _retry_timers.add(timer)
    timer.start()


def embedded_retries_pending() -> int:
    """How many embedded retries wait for their time."""
    with _retry_lock:
        return len(_retry_timers)


def embedded_retries_cancel() -> None:
    """Drop every embedded retry still waiting (tests; a process shutting down)."""
    with _retry_lock:
        timers = list(_retry_timers)
        _retry_timers.clear()
    for timer in timers:
        timer.cancel()


def _dispatch(task: Task[..., Any], kwargs: dict[str, Any], countdown_s: float | None = None) -> None:
    if _is_embedded():
        if countdown_s:
            timer = threading.Timer(countdown_s, submit_embedded, args=(task, kwargs))
            timer.daemon = True
            timer.start()
        else:
            submit_embedded(task, kwargs)
    elif countdown_s:
        task.apply_async(kwargs=kwargs, countdown=countdown_s)
    else:
        task.apply_async(kwargs=kwargs)


def enqueue(task: Task[..., Any], *, countdown_s: float | None = None, **kwargs: Any) -> None:
    """Queue ``task(**kwargs)`` once the current transaction commits (at once outside one), to run no sooner than
    ``countdown_s`` later when given."""
    transaction.on_commit(partial(_dispatch, task, kwargs, countdown_s))


@shared_task(name="tpdbprovider.core.tasks.cache_clear_expired", **TRANSIENT_RETRY)
def cache_clear_expired() -> str:
    with single_flight("cache_clear_expired", ttl_s=30 * 60) as is_acquired:
        if not is_acquired:
            return "skipped"
        removed = cache_service.clear_expired()
    logger.info("cleared %s expired cache entries", removed)
    return f"removed {removed}"
