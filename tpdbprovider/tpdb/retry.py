"""How a Celery task retries TPDB failures; every task that calls TPDB goes through ``run_with_tpdb_retries``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from celery import Task

from tpdbprovider.core.tasks import TRANSIENT_ERRORS
from tpdbprovider.tpdb.errors import TPDBConfigurationError, TPDBError, TPDBNotFoundError, TPDBRateLimitError

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
        raise task.retry(exc=exc, countdown=max(1, int(exc.retry_after)), max_retries=MAX_RETRIES) from exc
    except (TPDBError, *TRANSIENT_ERRORS) as exc:
        countdown = min(600, 30 * 2**task.request.retries)
        raise task.retry(exc=exc, countdown=countdown, max_retries=MAX_RETRIES) from exc
