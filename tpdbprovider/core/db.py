"""Writes that stay correct when two requests (or a request and a task) write the same row at once.

Upserts look a row up, then insert it when it is missing. Two writers can both miss it: on PostgreSQL the second
insert then fails on the unique constraint, on SQLite the second writer waits for the first (``BEGIN IMMEDIATE``)
and only a write outside a transaction can collide. ``retry_on_conflict`` runs the upsert again in a fresh savepoint,
where it finds the row the other writer committed and updates it instead. The same holds when PostgreSQL picks the
upsert as a deadlock victim (two writers locking a site and its scenes in opposite orders): its savepoint is rolled
back, which frees its locks, the other writer goes on, and the upsert runs again.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import IntegrityError, OperationalError, transaction

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")
ATTEMPTS = 3
# Writers that deadlock once tend to meet again on the next attempt (three matches storing one site's scenes): a
# deadlock victim waits a short random while before each new attempt, and gets more of them.
DEADLOCK_ATTEMPTS = 6
DEADLOCK_BACKOFF_S = 0.05


def is_deadlock(exc: OperationalError) -> bool:
    """True for PostgreSQL's deadlock (SQLSTATE 40P01): the database chose this statement's transaction (or savepoint)
    to roll back, so it can simply run again."""
    cause = exc.__cause__
    return (getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)) == "40P01"


def is_busy(exc: OperationalError) -> bool:
    """True when the database is up but another writer held what this one needed: a PostgreSQL deadlock victim or
    SQLite's ``database is locked`` (its busy timeout ran out)."""
    return is_deadlock(exc) or "database is locked" in str(exc)


def retry_on_conflict(func: Callable[P, T]) -> Callable[P, T]:
    """Run ``func`` in a savepoint (a transaction when none is open); on a unique-constraint race or a deadlock run it
    again.

    ``func`` must be an upsert, safe to repeat: on the next attempt it sees the row the other writer stored. A third
    conflict is a real one (not a race) and is raised; a deadlock victim tries up to DEADLOCK_ATTEMPTS times.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        races = deadlocks = 0
        while True:
            try:
                with transaction.atomic():
                    return func(*args, **kwargs)
            except IntegrityError:
                races += 1
                if races == ATTEMPTS:
                    raise
                logger.info("%s lost an insert race (attempt %s); retrying", func.__qualname__, races)
            except OperationalError as exc:
                deadlocks += 1
                if deadlocks == DEADLOCK_ATTEMPTS or not is_deadlock(exc):
                    raise
                logger.info("%s was a deadlock victim (attempt %s); retrying", func.__qualname__, deadlocks)
                time.sleep(random.uniform(0, DEADLOCK_BACKOFF_S * deadlocks))

    return wrapper
