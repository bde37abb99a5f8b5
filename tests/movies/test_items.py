"""movie_get_or_fetch: the one home of "get this movie, fetching and storing it if needed"."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from movies.items import movie_get_or_fetch
from movies.models import Movie
from tests import recipes
from tpdbprovider.core.exceptions import ItemNotFoundError, ItemUnavailableError

pytestmark = pytest.mark.django_db
UNKNOWN = "99999999-9999-4999-8999-000000000088"


def _movie_uuid() -> str:
    return recipes.tpdb_json("movie_detail.json")["data"]["id"]


def test_an_unknown_movie_is_fetched_once_then_served_from_the_database(fake_tpdb) -> None:
    movie = movie_get_or_fetch(ref=_movie_uuid())

    assert Movie.objects.get(tpdb_id=_movie_uuid()) == movie and movie.is_complete
    assert movie_get_or_fetch(ref=_movie_uuid()) == movie
    assert fake_tpdb.count(f"/movies/{_movie_uuid()}") == 1


def test_a_404_is_remembered_and_a_failure_is_unavailable(fake_tpdb) -> None:
    for _ in range(2):
        with pytest.raises(ItemNotFoundError, match="TPDB has no movie"):
            movie_get_or_fetch(ref=UNKNOWN)
    assert fake_tpdb.count(f"/movies/{UNKNOWN}") == 1
    fake_tpdb.set_faults(status=500)
    with pytest.raises(ItemUnavailableError):
        movie_get_or_fetch(ref=_movie_uuid())


def test_a_thin_movie_is_completed_and_a_stale_one_queues_one_refresh(
    fake_tpdb, django_capture_on_commit_callbacks
) -> None:
    thin = recipes.movie.make(tpdb_id=_movie_uuid(), is_complete=False)
    assert movie_get_or_fetch(ref=_movie_uuid()).is_complete
    old = timezone.now() - datetime.timedelta(days=60)
    Movie.objects.filter(pk=thin.pk).update(fetched_at=old)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert movie_get_or_fetch(ref=_movie_uuid()).fetched_at == old
        movie_get_or_fetch(ref=_movie_uuid())

    assert len(queued) == 1 and Movie.objects.get(pk=thin.pk).fetched_at > old
