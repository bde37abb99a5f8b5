"""Two writers at once are normal input: every upsert, driven from several threads against the real test database
(PostgreSQL in one leg, a WAL SQLite file in the other), stores exactly one row and raises nothing.

Each thread has its own database connection, as request threads, the task thread and beat do in the service.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

from movies.media import performer_upsert_from_tpdb
from movies.models import Movie, MoviePerformer, Performer
from movies.services import movie_upsert_from_tpdb
from scenes.catalog import site_year_prefetch
from scenes.matching import MatchRequest, match_episode
from scenes.models import MatchDecision, MatchPin, Scene, ScenePerformer
from scenes.review import pin_approve
from scenes.services import scene_upsert_from_tpdb
from sites.models import Site, SiteYearSync
from sites.services import site_upsert_from_tpdb
from tpdbprovider.core.cache import SCENE_SEARCH, cache_service
from tpdbprovider.core.models import CacheEntry
from tpdbprovider.tpdb.schemas import TPDBPerformer, TPDBScene, TPDBSite

pytestmark = pytest.mark.django_db(transaction=True)

FIXTURES = Path(__file__).parent / "fixtures" / "tpdb"
THREADS = 6


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())["data"]


def _all_at_once(work: Callable[[], object], threads: int = THREADS) -> list[BaseException]:
    """Run ``work`` in ``threads`` threads released together; return what they raised."""
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            work()
        except BaseException as exc:  # collected and asserted on by the test
            errors.append(exc)
        finally:
            connections.close_all()

    _run_together([threading.Thread(target=run) for _ in range(threads)], timeout_s=60)
    return errors


def _run_together(workers: list[threading.Thread], *, timeout_s: float) -> None:
    """Start every writer, wait for each, and fail when one is still running after ``timeout_s``."""
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=timeout_s)
    assert not any(w.is_alive() for w in workers), "a writer hung"


def test_one_site_stored_by_many_writers_at_once():
    data = TPDBSite.from_json(_fixture("site_detail.json"))

    assert _all_at_once(lambda: site_upsert_from_tpdb(data=data)) == []
    assert Site.objects.filter(tpdb_numeric_id=data.id).count() == 1


def test_sites_with_the_same_name_get_distinct_slugs_when_stored_at_once():
    raw = _fixture("site_detail.json")
    counter = iter(range(1, 100))
    lock = threading.Lock()

    def store() -> None:
        with lock:
            n = next(counter)
        twin = {**raw, "id": 90000 + n, "uuid": f"00000000-0000-4000-8000-{90000 + n:012d}"}
        site_upsert_from_tpdb(data=TPDBSite.from_json(twin))

    assert _all_at_once(store) == []
    slugs = list(Site.objects.values_list("slug", flat=True))
    assert len(slugs) == THREADS and len(set(slugs)) == THREADS


def test_one_scene_with_its_site_performers_and_credits_stored_by_many_writers_at_once():
    data = TPDBScene.from_json(_fixture("scene_detail.json"))

    assert _all_at_once(lambda: scene_upsert_from_tpdb(data=data)) == []
    scene = Scene.objects.get(tpdb_id=data.id)
    assert Site.objects.count() == 1
    assert ScenePerformer.objects.filter(scene=scene).count() == len({c.id for c in data.performers})
    assert Performer.objects.filter(tpdb_id__in=[c.id for c in data.performers]).count() == len(
        {c.id for c in data.performers}
    )


def test_one_movie_with_its_cast_stored_by_many_writers_at_once():
    data = TPDBScene.from_json(_fixture("movie_detail.json"))

    assert _all_at_once(lambda: movie_upsert_from_tpdb(data=data)) == []
    movie = Movie.objects.get(tpdb_id=data.id)
    assert MoviePerformer.objects.filter(movie=movie).count() == len({c.id for c in data.performers})


def test_one_performer_stored_by_many_writers_at_once():
    data = TPDBPerformer.from_json(_fixture("performer_detail.json"))

    assert _all_at_once(lambda: performer_upsert_from_tpdb(data=data)) == []
    assert Performer.objects.filter(tpdb_id=data.id).count() == 1


def test_one_cache_entry_written_by_many_writers_at_once():
    params = {"parse": "example studio 2022-01-03"}

    assert _all_at_once(lambda: cache_service.set(SCENE_SEARCH, params, {"data": []})) == []
    assert CacheEntry.objects.count() == 1


def test_one_decision_per_plex_item_when_the_same_file_is_matched_at_once(fake_tpdb):
    request = MatchRequest(
        provider="tv",
        type=4,
        grandparent_title="Example Studio",
        filename="Example Studio - 2022-01-03 - Sunny Afternoon Picnic.mp4",
    )
    results: list[str] = []

    def match() -> None:
        found = match_episode(request, reuse=False)
        results.append(str(found[0].item.tpdb_id) if found else "")

    assert _all_at_once(match) == []
    assert MatchDecision.objects.count() == 1
    assert len(results) == THREADS and len(set(results)) == 1 and results[0] != ""
    assert MatchDecision.objects.get().chosen_rating_key == f"tpdb-scene-{results[0]}"


def test_one_pin_when_a_decision_is_approved_twice_at_once(fake_tpdb):
    data = TPDBScene.from_json(_fixture("scene_detail.json"))
    scene = scene_upsert_from_tpdb(data=data)
    decision = MatchDecision.objects.create(
        provider="tv", request_key="k" * 40, request_type=4, state=MatchDecision.State.ABSTAINED
    )
    connection.close()  # the threads open their own

    assert _all_at_once(lambda: pin_approve(decision=decision, rating_key=f"tpdb-scene-{scene.tpdb_id}"), 4) == []
    assert MatchPin.objects.filter(request_key=decision.request_key).count() == 1


def test_one_site_year_record_when_two_prefetches_of_it_run_at_once(fake_tpdb):
    site = site_upsert_from_tpdb(data=TPDBSite.from_json(_fixture("site_detail.json")))

    assert _all_at_once(lambda: site_year_prefetch(site=site, year=2022), 3) == []
    assert SiteYearSync.objects.filter(site=site, year=2022).count() == 1
    assert Scene.objects.filter(site=site, release_date__year=2022).exists()


def _has_a_lock_waiter() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return bool(cursor.fetchone()[0])


def _hold_wait_take(hold: Callable[[], object], take: Callable[[], object], work: Callable[[], object]) -> list:
    """One writer locks with ``hold``, waits until ``work`` (another thread) waits on a lock, then locks with ``take``;
    returns what either raised. That writer detects a deadlock first, so a lock-order inversion in ``work`` fails it."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: SQLite serialises writers (BEGIN IMMEDIATE), so no two hold rows at once")
    holding = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        from django.db import transaction

        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL deadlock_timeout = '50ms'")
                hold()
                holding.set()
                for _ in range(100):
                    if _has_a_lock_waiter():
                        break
                    threading.Event().wait(0.05)
                take()
        except BaseException as exc:  # asserted on by the caller
            errors.append(exc)
        finally:
            connections.close_all()

    def other() -> None:
        try:
            holding.wait(timeout=10)
            work()
        except BaseException as exc:  # asserted on by the caller
            errors.append(exc)
        finally:
            connections.close_all()

    _run_together([threading.Thread(target=writer), threading.Thread(target=other)], timeout_s=30)
    return errors


def test_a_scene_stored_while_its_site_is_numbered_never_deadlocks():
    """Episode numbering locks the site, then its scenes; storing a matched candidate must take them in that order."""
    data = TPDBScene.from_json(_fixture("scene_detail.json"))
    scene = scene_upsert_from_tpdb(data=data)
    assert scene.site_id is not None

    errors = _hold_wait_take(
        lambda: list(Site.objects.select_for_update(no_key=True).filter(pk=scene.site_id).values_list("pk")),
        lambda: Scene.objects.filter(pk=scene.pk).update(episode_season=2022, episode_index=10301),
        lambda: scene_upsert_from_tpdb(data=data),
    )

    assert errors == []
    assert Scene.objects.get(pk=scene.pk).episode_index == 10301


def test_a_scene_locks_every_canonical_performer_before_any_credit_record():
    """Another scene's writer holds a canonical performer, then wants a credit record this scene also credits: this
    scene must not hold that record while it waits for the performer."""
    data = TPDBScene.from_json(_fixture("scene_detail.json"))
    scene_upsert_from_tpdb(data=data)
    credits = sorted(data.performers, key=lambda c: c.id)
    first_credit, later_parent = credits[0], credits[1].parent
    assert later_parent is not None and first_credit.parent is not None
    assert first_credit.parent.id != later_parent.id

    errors = _hold_wait_take(
        lambda: list(Performer.objects.select_for_update().filter(tpdb_id=later_parent.id).values_list("pk")),
        lambda: list(Performer.objects.select_for_update().filter(tpdb_id=first_credit.id).values_list("pk")),
        lambda: scene_upsert_from_tpdb(data=data),
    )

    assert errors == []
