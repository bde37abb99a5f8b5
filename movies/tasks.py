"""Movie tasks: refresh one movie."""

from __future__ import annotations

from celery import Task, shared_task

from movies.selectors import movie_get
from movies.services import movie_refresh_from_tpdb
from tpdbprovider.core.tasks import TRANSIENT_RETRY
from tpdbprovider.tpdb.errors import TPDBNotFoundError
from tpdbprovider.tpdb.retry import run_with_tpdb_retries


@shared_task(bind=True, acks_late=True, name="movies.tasks.movie_refresh", **TRANSIENT_RETRY)
def movie_refresh(self: Task, movie_id: int) -> str:
    movie = movie_get(movie_id=movie_id)
    if movie is None:
        return "gone"
    try:
        run_with_tpdb_retries(self, lambda: movie_refresh_from_tpdb(movie=movie))
    except TPDBNotFoundError:
        return "missing upstream"
    return "refreshed"
