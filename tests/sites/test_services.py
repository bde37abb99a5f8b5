"""Site upserts: keyed on TPDB ids, a slug that never changes, parent/network links in any order."""

from __future__ import annotations

import pytest

from sites.models import Site
from sites.selectors import site_get_by_key
from sites.services import site_mark_missing_upstream, site_upsert_from_tpdb
from tests.recipes import site as site_recipe
from tests.recipes import tpdb_json
from tpdbprovider.tpdb.schemas import TPDBScene, TPDBSite

pytestmark = pytest.mark.django_db


def site_data(**changes) -> TPDBSite:
    return TPDBSite.from_json({**tpdb_json("site_detail.json")["data"], **changes})


def test_it_stores_a_site_once_however_often_it_is_upserted():
    site_upsert_from_tpdb(data=site_data())
    site = site_upsert_from_tpdb(data=site_data())

    assert Site.objects.count() == 1
    assert (site.slug, site.name, site.tpdb_numeric_id) == ("example-studio", "Example Studio", 4101)
    assert str(site.tpdb_id) == "5e1f0a2b-3c4d-4e5f-8a6b-7c8d9e0f4101"
    assert (site.parent_tpdb_id, site.network_tpdb_id) == (4102, 4103)


def test_the_slug_survives_a_rename():
    site_upsert_from_tpdb(data=site_data())

    renamed = site_upsert_from_tpdb(data=site_data(name="Example Studio Renamed"))

    assert renamed.name == "Example Studio Renamed"
    assert renamed.slug == "example-studio"
    assert Site.objects.count() == 1


def test_a_slug_collision_appends_the_numeric_id():
    site_recipe.make(slug="example-studio")

    site = site_upsert_from_tpdb(data=site_data())

    assert site.slug == "example-studio-4101"


def test_slugs_keep_only_lower_case_letters_digits_and_dashes():
    site = site_upsert_from_tpdb(data=site_data(name="Déjà Vu: Studio & Co. (DVD)!"))

    assert site.slug == "deja-vu-studio-co-dvd"


def test_parent_and_network_are_linked_whatever_the_order():
    sites = [TPDBSite.from_json(obj) for obj in tpdb_json("sites_search.json")["data"]]
    for data in sites:  # the child comes before its parent and network
        site_upsert_from_tpdb(data=data)

    child = Site.objects.get(tpdb_numeric_id=4101)
    network = Site.objects.get(tpdb_numeric_id=4103)
    assert child.parent.tpdb_numeric_id == 4102
    assert child.network == network
    assert network.parent is None and network.network is None  # self-references are not links
    assert network.parent_tpdb_id == 4103


def test_an_embedded_site_without_uuid_is_matched_by_numeric_id():
    site_upsert_from_tpdb(data=site_data())
    legacy = TPDBScene.from_json(tpdb_json("scene_detail_legacy_2023.json")["data"]).site

    site = site_upsert_from_tpdb(data=legacy)

    assert Site.objects.count() == 1
    assert str(site.tpdb_id) == "5e1f0a2b-3c4d-4e5f-8a6b-7c8d9e0f4101"


def test_a_legacy_site_stored_first_takes_the_real_uuid_later():
    legacy = TPDBScene.from_json(tpdb_json("scene_detail_legacy_2023.json")["data"]).site
    first = site_upsert_from_tpdb(data=legacy)

    later = site_upsert_from_tpdb(data=site_data())

    assert later.pk == first.pk
    assert str(later.tpdb_id) == "5e1f0a2b-3c4d-4e5f-8a6b-7c8d9e0f4101"
    assert later.slug == first.slug


def test_marking_missing_keeps_the_data_and_an_upsert_clears_it():
    site = site_upsert_from_tpdb(data=site_data())
    site_mark_missing_upstream(site=site)
    assert Site.objects.get(pk=site.pk).is_missing_upstream is True

    site_upsert_from_tpdb(data=site_data())

    assert Site.objects.get(pk=site.pk).is_missing_upstream is False


@pytest.mark.parametrize("key", ["example-studio", "4101", "5e1f0a2b-3c4d-4e5f-8a6b-7c8d9e0f4101"])
def test_site_get_by_key_accepts_slug_numeric_id_or_uuid(key):
    site_upsert_from_tpdb(data=site_data())

    assert site_get_by_key(key=key).tpdb_numeric_id == 4101


def test_site_get_by_key_returns_none_for_unknown_keys():
    assert site_get_by_key(key="nope") is None
    assert site_get_by_key(key="") is None
