"""How a Celery task retries TPDB failures; every task that calls TPDB goes through ``run_with_tpdb_retries``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from celery import Task
from celery.exceptions import Ignore

from tpdbprovider.core.tasks import TRANSIENT_ERRORS, is_embedded_run, retry_embedded_later
from tpdbprovider.tpdb.errors import TPDBConfigurationError, TPDBError, TPDBNotFoundError, TPDBRateLimitError

logger = logging.getLogger(__name__)
T = TypeVar("T")
MAX_RETRIES = 5


def run_with_tpdb_retries(task: Task[..., Any], call: Callable[[], T]) -> T:
    """Run ``call``; retry the task later on TPDB failures (after Retry-After on a 429) and on database or Redis
    outages. NotFound and a missing or rejected key are not retried: they will not fix themselves."""
    try:
        return call()
    except (TPDBNotFoundError, TPDBConfigurationError):
        raise
    except TPDBRateLimitError as exc:
        raise _retry(task, exc, countdown=max(1, int(exc.retry_after))) from exc
    except (TPDBError, *TRANSIENT_ERRORS) as exc:
        raise _retry(task, exc, countdown=min(600, 30 * 2**task.request.retries)) from exc


def _retry(task: Task[..., Any], exc: Exception, *, countdown: int) -> BaseException:
    """The exception that ends this run: Celery's retry, or in the embedded default (no broker) an ``Ignore`` after
    queuing the next attempt ``countdown`` seconds later on the task threads (a warning, never a traceback)."""
    if not is_embedded_run(task):
        return task.retry(exc=exc, countdown=countdown, max_retries=MAX_RETRIES)
    attempt = (task.request.retries or 0) + 1
    if attempt > MAX_RETRIES:
        logger.warning("%s: %s; gave up after %d attempts", task.name, exc.__class__.__name__, attempt)
    else:
        logger.warning(
            "%s: %s; runs again in %d s (retry %d of %d)",
            task.name,
            exc.__class__.__name__,
            countdown,
            attempt,
            MAX_RETRIES,
        )
        retry_embedded_later(task, countdown)
    return Ignore()
