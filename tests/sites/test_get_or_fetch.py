"""site_get_or_fetch: a site by slug, TPDB numeric id or uuid, fetched and stored when we do not have it."""

from __future__ import annotations

import pytest

from sites.models import Site
from sites.services import site_get_or_fetch
from tests import recipes
from tpdbprovider.core.exceptions import ItemNotFoundError, ItemUnavailableError

pytestmark = pytest.mark.django_db


def test_a_stored_site_is_found_by_slug_numeric_id_or_uuid_without_tpdb(fake_tpdb) -> None:
    site = recipes.site.make()
    for ref in (site.slug, str(site.tpdb_numeric_id), str(site.tpdb_id)):
        assert site_get_or_fetch(ref=ref) == site
    assert fake_tpdb.count() == 0


def test_a_slug_wins_over_a_numeric_id_that_spells_it() -> None:
    by_id = recipes.site.make(tpdb_numeric_id=2024)
    by_slug = recipes.site.make(slug="2024")
    assert by_id != by_slug
    assert site_get_or_fetch(ref="2024") == by_slug


def test_an_unknown_numeric_id_is_fetched_and_stored(fake_tpdb) -> None:
    site = site_get_or_fetch(ref="4101")

    assert Site.objects.get(tpdb_numeric_id=4101) == site
    assert site_get_or_fetch(ref="4101") == site
    assert fake_tpdb.count("/sites/4101") == 1


def test_what_tpdb_cannot_know_is_not_asked(fake_tpdb) -> None:
    for ref in ("no-such-slug", "1" * 19, ""):
        with pytest.raises(ItemNotFoundError):
            site_get_or_fetch(ref=ref)
    with pytest.raises(ItemNotFoundError):
        site_get_or_fetch(ref="4101", is_fetched=False)  # a season key: its show must be stored
    assert fake_tpdb.count() == 0


def test_a_tpdb_404_is_remembered_and_a_failure_is_unavailable(fake_tpdb) -> None:
    for _ in range(2):
        with pytest.raises(ItemNotFoundError):
            site_get_or_fetch(ref="987654")
    assert fake_tpdb.count("/sites/987654") == 1

    fake_tpdb.set_faults(status=500)
    with pytest.raises(ItemUnavailableError):
        site_get_or_fetch(ref="4101")
