"""A first start is ready for the first file: TPDB's site list is queued at start-up and by the first matches, it is
stored page by page in short transactions, the site index sees the finished sync at once, and an abstention made
only because the site list was not loaded yet is never reused."""

from __future__ import annotations

import copy
import re

import pytest
import responses
from django.core.cache import cache

from scenes.matching import SITE_LIST_PENDING, MatchRequest, match_episode
from scenes.models import MatchDecision
from sites.models import Site, SiteListSync
from sites.services import (
    SITES_SYNC_QUEUED_KEY,
    site_index_get,
    site_list_sync_queue_if_due,
    sites_sync_from_tpdb,
)
from tests.recipes import tpdb_json
from tpdbprovider.core.startup import announce_service_started
from tpdbprovider.tpdb.errors import TPDBError

pytestmark = pytest.mark.django_db

UNKNOWN_SITE_FILE = MatchRequest(
    provider="tv",
    type=4,
    grandparent_title="Nobody Knows This Studio",
    filename="Nobody Knows This Studio - 2022-01-03 - A Title Nobody Has.mp4",
)


def test_the_first_start_queues_the_site_list_and_a_second_start_does_not_queue_it_again(
    fake_tpdb, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        announce_service_started(role="web")

    assert SiteListSync.objects.count() == 1
    assert Site.objects.count() == len(fake_tpdb.catalog.sites)
    cache.delete(SITES_SYNC_QUEUED_KEY)
    assert site_list_sync_queue_if_due() is False  # synced within CACHE_TTL_SITE_LIST


def test_without_a_tpdb_key_nothing_is_queued(settings):
    settings.TPDB_API_KEY = ""

    assert site_list_sync_queue_if_due() is False


def test_a_failed_sync_is_queued_again_once_the_short_guard_lapses(fake_tpdb):
    fake_tpdb.set_faults(status=503)
    with pytest.raises(TPDBError):
        sites_sync_from_tpdb()
    assert site_list_sync_queue_if_due() is True  # the failure recorded no finished sync
    assert site_list_sync_queue_if_due() is False  # queued a moment ago
    cache.delete(SITES_SYNC_QUEUED_KEY)  # the guard's few minutes have passed
    assert site_list_sync_queue_if_due() is True


@responses.activate
def test_the_site_list_is_stored_page_by_page_so_a_failure_keeps_the_pages_before_it(settings):
    page_one = copy.deepcopy(tpdb_json("sites_search.json"))
    page_one["meta"].update(last_page=2, total=8)
    sites_url = re.compile(re.escape(settings.TPDB_BASE_URL) + r"/sites\?")
    responses.add(
        responses.GET,
        sites_url,
        json=page_one,
        match=[responses.matchers.query_param_matcher({"page": "1", "per_page": "100"})],
    )
    responses.add(responses.GET, sites_url, status=500, json={"message": "Server Error"})

    with pytest.raises(TPDBError):
        sites_sync_from_tpdb()

    assert Site.objects.count() == len(page_one["data"])  # page 1 was committed on its own
    assert not SiteListSync.objects.exists()  # but the sync did not finish


def test_the_site_index_sees_a_finished_sync_at_once(fake_tpdb):
    assert site_index_get().resolve(("Example Studio",)) == []

    sites_sync_from_tpdb()

    hits = site_index_get().resolve(("Example Studio",))  # no wait for the index's recheck interval
    assert [hit.entry.id for hit in hits][:1] == [4101]


def test_an_abstention_before_the_site_list_is_loaded_is_not_reused(fake_tpdb):
    assert match_episode(UNKNOWN_SITE_FILE) == []
    first = MatchDecision.objects.get()
    assert first.reason == SITE_LIST_PENDING

    assert match_episode(UNKNOWN_SITE_FILE) == []

    again = MatchDecision.objects.get()
    assert again.updated_at > first.updated_at  # decided anew: the first answer was not a judgement


def test_an_abstention_after_the_site_list_is_loaded_is_reused(fake_tpdb):
    sites_sync_from_tpdb()
    assert match_episode(UNKNOWN_SITE_FILE) == []
    first = MatchDecision.objects.get()
    assert first.reason != SITE_LIST_PENDING

    assert match_episode(UNKNOWN_SITE_FILE) == []

    assert MatchDecision.objects.get().updated_at == first.updated_at  # answered from the stored decision
