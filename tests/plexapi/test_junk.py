"""Hostile input to every provider endpoint: never a 5xx (STYLE §2), and errors keep our JSON shape."""

from __future__ import annotations

import json

import pytest

from tests.plexapi.conftest import SCENE_UUID

pytestmark = pytest.mark.django_db

PROVIDERS = ("tv", "movie")
KEYS = (
    "..%2F..",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e",
    "tpdb-site-%00",
    "tpdb-scene-" + "f" * 5000,
    "tpdb-season-example-site-99999999999999999999",
    "tpdb-site-" + "9" * 30,
    "tpdb-site-%F0%9F%92%A9",
    "tpdb-site-'%3B DROP TABLE sites_site%3B--",
    f"tpdb-scene-{SCENE_UUID}",
    "tpdb-site-example-site",
    "tpdb-season-example-site-2024",
)
SUFFIXES = ("", "/children", "/grandchildren", "/images", "/extras")
PAGING = (
    {},
    {"X-Plex-Container-Start": "-99999999999999999999", "X-Plex-Container-Size": "99999999999999999999999"},
    {"X-Plex-Container-Start": "1e309", "X-Plex-Container-Size": "NaN"},
    {"X-Plex-Container-Size": "9" * 5000},
    {"includeChildren": "banana"},
)


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


MATCH_BODIES = (
    json.dumps({"type": 4, "title": "x" * 1_000_000}),
    json.dumps({"type": 4, "title": "a\x00b", "filename": "\x00"}),
    json.dumps({"type": 4, "filename": "../../../../etc/passwd"}),
    json.dumps({"type": "4' OR 1=1", "year": "2024"}),
    json.dumps({"type": 4, "year": 10**30, "index": -(10**30), "parentIndex": 1e308}),
    json.dumps({"type": 2**70}),
    json.dumps({"type": 4, "date": "9999-99-99", "manual": {"x": 1}, "includeChildren": [1]}),
    json.dumps({"type": 1, "title": None, "filename": None, "guid": None, "year": None}),
    json.dumps({"type": 4, "guid": "tv.plex.agents.custom.tpdb.tv://episode/" + "a" * 5000}),
    json.dumps({"type": 1, "title": "https://theporndb.net/scenes/../../admin"}),
    json.dumps([1, 2, 3]),
    json.dumps("just a string"),
    json.dumps(None),
    "",
    "{",
    "\x00\x01\x02",
    _deep(100_000),
    '{"type": 4, "title": "' + "\\ud800" + '"}',
    json.dumps({"type": 4, "nested": json.loads(_deep(500))}),
)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("body", MATCH_BODIES, ids=range(len(MATCH_BODIES)))
def test_junk_match_bodies_never_5xx(api, spec_library, dead_tpdb, provider, body):
    response = api.generic("POST", f"/{provider}/library/metadata/matches", body, content_type="application/json")
    assert response.status_code < 500, response.content[:300]
    if response.status_code >= 400:
        assert set(response.json()) == {"code", "message", "extra"}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_oversized_match_body_is_refused_without_a_5xx(api, provider):
    body = json.dumps({"type": 4, "title": "x" * 3_000_000})
    response = api.generic("POST", f"/{provider}/library/metadata/matches", body, content_type="application/json")
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "query",
    [
        {"type": "x" * 10_000},
        {"type": "4", "title": "\x00"},
        {"type": "4", "year": "-1", "date": "2024-13-01"},
        {"type": "1", "title": "y" * 1_000_000},
    ],
    ids=range(4),
)
def test_junk_match_queries_never_5xx(api, spec_library, dead_tpdb, provider, query):
    assert api.get(f"/{provider}/library/metadata/matches", query).status_code < 500


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("paging", PAGING, ids=range(len(PAGING)))
def test_junk_keys_and_paging_never_5xx(api, spec_library, provider, key, suffix, paging):
    response = api.get(f"/{provider}/library/metadata/{key}{suffix}", paging, headers=paging)
    assert response.status_code < 500, response.content[:300]
    assert response["Content-Type"].startswith("application/json")


COLLECTION_KEYS = (
    *KEYS,
    "tpdb-collection-site-" + "f" * 5000,
    "tpdb-collection-network-%F0%9F%92%A9",
    "tpdb-collection-site-..%2F..%2Fetc%2Fpasswd",
    "tpdb-collection-site-%00",
    "tpdb-collection-network-" + "9" * 30,
    "tpdb-collection-site-example-site",
    "tpdb-collection-network-example-network",
)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("key", COLLECTION_KEYS)
@pytest.mark.parametrize("suffix", ("", "/children", "/images"))
def test_junk_collection_keys_never_5xx(api, spec_library, provider, key, suffix):
    response = api.get(f"/{provider}/library/collections/{key}{suffix}", {"X-Plex-Container-Size": "9" * 500})
    assert response.status_code < 500, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    if response.status_code != 200:
        assert response.status_code == 404
        assert set(response.json()) == {"code", "message", "extra"}


@pytest.mark.parametrize("path", ["/tv/../../etc/passwd", "/movie/%00", "/tv/library", "/tv/library/metadata"])
def test_unknown_provider_paths_are_json_404s(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_roots_ignore_junk_query_parameters(api, provider):
    response = api.get(f"/{provider}", {"includePreferences": "\x00" * 10, "X-Plex-Token": "x" * 10_000})
    assert response.status_code == 200


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "body",
    [b'{"type": 4, "title": "\xff\xfe\xc3"}', b"\xff" * 1000, b'{"type": 4, "filename": "a\xc0\xafb"}'],
    ids=["bad-utf8-in-a-string", "bad-utf8-only", "overlong-slash"],
)
def test_invalid_utf8_in_the_body_is_a_400(api, provider, body):
    response = api.generic("POST", f"/{provider}/library/metadata/matches", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed"


@pytest.mark.parametrize(
    "path",
    ["/tv/library/metadata/matches", "/movie/library/metadata/matches", "/tv/library/metadata/tpdb-site-x/children"],
)
def test_more_query_parameters_than_django_allows_is_a_400_not_a_500(api, path):
    # DATA_UPLOAD_MAX_NUMBER_FIELDS (1000) raises TooManyFieldsSent while DRF reads the query string.
    response = api.get(f"{path}?" + "&".join(f"f{i}=1" for i in range(2000)))
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "extra"}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_invalid_utf8_in_the_query_string_never_5xx(api, provider):
    response = api.get(f"/{provider}/library/metadata/matches", QUERY_STRING="type=4&title=%ff%fe%c3&filename=%00")
    assert response.status_code < 500


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
def test_a_match_body_that_is_not_json_is_a_415(api, content_type):
    response = api.generic("POST", "/tv/library/metadata/matches", "type=4&title=x", content_type=content_type)
    assert response.status_code == 415


def test_recursion_anywhere_on_the_way_in_is_a_400_not_a_500():
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from plexapi.exception_handler import plex_exception_handler

    request = Request(APIRequestFactory().get("/tv"))
    response = plex_exception_handler(RecursionError("maximum recursion depth exceeded"), {"request": request})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("database is locked", "database_busy"),  # SQLite: another writer outlasted the busy timeout
        ("connection to server at 127.0.0.1, port 5432 failed: Connection refused", "database_unavailable"),
    ],
)
def test_a_busy_database_is_told_apart_from_an_unreachable_one(message, code):
    from django.db import OperationalError
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from plexapi.exception_handler import plex_exception_handler

    request = Request(APIRequestFactory().get("/tv"))
    response = plex_exception_handler(OperationalError(message), {"request": request})
    assert response.status_code == 503
    assert response.data["code"] == code
    assert int(response["Retry-After"]) > 0
