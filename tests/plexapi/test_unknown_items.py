"""Misses are remembered, and strangers asking for items we do not store cannot spend the whole TPDB budget."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from scenes.models import Scene

UNKNOWN = "99999999-9999-4999-8999-{:012d}"
FIXTURE_SCENE = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"


@pytest.mark.django_db
def test_a_repeated_unknown_key_costs_one_tpdb_call(fake_tpdb):
    api = APIClient(REMOTE_ADDR="192.0.2.60")
    uuid = UNKNOWN.format(1)
    answers = [api.get(f"/tv/library/metadata/tpdb-scene-{uuid}") for _ in range(5)]
    answers.append(api.get(f"/movie/library/metadata/tpdb-scene-{uuid.upper()}/images"))
    assert [a.status_code for a in answers] == [404] * 6
    assert fake_tpdb.count(f"/scenes/{uuid}") == 1
    assert [a["X-TPDB-Calls"] for a in answers] == ["1", "0", "0", "0", "0", "0"]
    assert APIClient(REMOTE_ADDR="192.0.2.61").get(f"/tv/library/metadata/tpdb-scene-{uuid}").status_code == 404
    assert fake_tpdb.count(f"/scenes/{uuid}") == 1  # remembered for everyone, not per client

    numeric_site = "/tv/library/metadata/tpdb-site-987654"
    assert [api.get(numeric_site).status_code for _ in range(3)] == [404, 404, 404]
    assert fake_tpdb.count("/sites/987654") == 1


@pytest.mark.django_db
def test_a_remembered_miss_is_asked_again_once_it_expires(fake_tpdb):
    api = APIClient()
    uuid = UNKNOWN.format(2)
    api.get(f"/tv/library/metadata/tpdb-scene-{uuid}")
    cache.clear()  # what CACHE_TTL_NOT_FOUND does to the entry
    api.get(f"/tv/library/metadata/tpdb-scene-{uuid}")
    assert fake_tpdb.count(f"/scenes/{uuid}") == 2


@pytest.mark.django_db
def test_a_failure_is_not_remembered_as_a_miss(fake_tpdb):
    api = APIClient()
    fake_tpdb.set_faults(status=500)
    assert api.get(f"/tv/library/metadata/tpdb-scene-{FIXTURE_SCENE}").status_code == 503
    fake_tpdb.reset()
    assert api.get(f"/tv/library/metadata/tpdb-scene-{FIXTURE_SCENE}").status_code == 200
    assert Scene.objects.filter(tpdb_id=FIXTURE_SCENE).exists()


@pytest.mark.django_db
def test_one_address_gets_only_its_share_of_tpdb_calls_for_unknown_items(fake_tpdb, settings):
    settings.TPDB_RATE_LIMIT = 0.1  # 6 calls a minute; the 0.5 share leaves 3 to one address
    settings.TPDB_UNKNOWN_ITEM_SHARE = 0.5
    stranger = APIClient(REMOTE_ADDR="203.0.113.9")
    statuses = [stranger.get(f"/tv/library/metadata/tpdb-scene-{UNKNOWN.format(10 + n)}") for n in range(5)]
    assert [r.status_code for r in statuses] == [404, 404, 404, 503, 503]
    refused = statuses[3]
    assert refused.json()["code"] == "tpdb_share_spent"
    assert int(refused["Retry-After"]) > 0
    assert refused["Cache-Control"] == "no-store"
    assert fake_tpdb.count("/scenes/") == 3  # the refused ones never reached TPDB
    # A miss already remembered still answers; another address (Plex) has its own share.
    assert stranger.get(f"/tv/library/metadata/tpdb-scene-{UNKNOWN.format(10)}").status_code == 404
    plex = APIClient(REMOTE_ADDR="192.0.2.80")
    assert plex.get(f"/tv/library/metadata/tpdb-scene-{FIXTURE_SCENE}").status_code == 200
