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
_embedded_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tpdb-task")


def _run_embedded(task: Task[..., Any], kwargs: dict[str, Any]) -> None:
    try:
        task.apply(kwargs=kwargs, throw=False)
    except Exception:  # a background job must never take the web process down
        logger.exception("embedded task %s failed", task.name)


def submit_embedded(task: Task[..., Any], kwargs: dict[str, Any]) -> None:
    """Run ``task`` on the embedded task thread (the embedded default's stand-in for a worker)."""
    _embedded_pool.submit(_run_embedded, task, kwargs)


def _dispatch(task: Task[..., Any], kwargs: dict[str, Any], countdown_s: float | None = None) -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER and settings.TASKS_IN_BACKGROUND_THREAD:
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
