"""retry_on_conflict on the real database: a lost insert race and a deadlock victim both run again."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, connections

from sites.models import Site
from tpdbprovider.core.db import retry_on_conflict

pytestmark = pytest.mark.django_db(transaction=True)


def _site(name: str) -> Site:
    return Site.objects.create(tpdb_id=uuid.uuid4(), name=name, slug=name.lower())


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="only PostgreSQL detects deadlocks (SQLite has one writer)"
)
def test_two_writers_locking_two_rows_in_opposite_orders_both_finish(caplog):
    first, second = _site("First"), _site("Second")
    both_hold_one = threading.Barrier(2, timeout=10)
    attempts: dict[str, int] = {"a": 0, "b": 0}
    errors: list[BaseException] = []

    def writer(name: str, order: tuple[Site, Site]) -> None:
        @retry_on_conflict
        def lock_both() -> None:
            attempts[name] += 1
            Site.objects.select_for_update().filter(pk=order[0].pk).update(description=name)
            if attempts[name] == 1:
                both_hold_one.wait()  # each holds one row and now asks for the other's: a deadlock
            Site.objects.select_for_update().filter(pk=order[1].pk).update(description=name)

        try:
            lock_both()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=writer, args=("a", (first, second))),
        threading.Thread(target=writer, args=("b", (second, first))),
    ]
    with caplog.at_level("INFO", logger="tpdbprovider.core.db"):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert errors == []
    assert sorted(attempts.values()) == [1, 2]  # PostgreSQL rolled one back; it ran again and finished
    assert any("deadlock victim" in record.getMessage() for record in caplog.records)
    descriptions = set(Site.objects.filter(pk__in=[first.pk, second.pk]).values_list("description", flat=True))
    assert len(descriptions) == 1  # the writer that ran again wrote both rows last


def test_a_real_integrity_error_is_raised_after_the_last_attempt():
    site = _site("Kept")
    calls = []

    @retry_on_conflict
    def duplicate() -> None:
        calls.append(1)
        Site.objects.create(tpdb_id=site.tpdb_id, name="Again", slug="again")

    with pytest.raises(Exception) as raised:
        duplicate()
    assert type(raised.value).__name__ == "IntegrityError"
    assert len(calls) == 3
