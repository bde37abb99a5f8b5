"""Bounded fuzzing: schemathesis over every operation of our OpenAPI schema (/api/schema/), and hypothesis on the
filename parser, the ratingKey parser and the match request serializer (through the endpoint). No 5xx, no crash.

The runs are small (``max_examples``) so CI stays fast; a failure prints the falsifying example to replay.
"""

from __future__ import annotations

import datetime
import json

import hypothesis.strategies as st
import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.http import Http404
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance

from plexapi import ratingkeys
from tpdbprovider.matching.parser import MatchInput, _parse, _parse_request, _sanitize

BOUNDED = hypothesis_settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck), derandomize=False
)
NO_THROTTLE = {"plex": "1000000/min", "plex_search": "1000000/min"}


@pytest.fixture
def open_api(settings, fake_tpdb):
    """Unthrottled provider, TPDB faked over HTTP (unknown ids are 404s, searches answer from fixtures)."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": NO_THROTTLE}
    cache.clear()
    return fake_tpdb


# The same document /api/schema/ serves (tests/plexapi/test_schema.py checks that endpoint), built without a request.
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))


@pytest.fixture
def wsgi_app(db, open_api):
    """The production WSGI entry point. Like Django's test client, keep the test's connection (and its transaction)
    open across requests instead of closing it when each request ends."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.slow
@schema.parametrize()
@hypothesis_settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_schema_operation_answers_5xx_or_a_non_json_body(case, wsgi_app):
    case.call_and_validate(app=wsgi_app, checks=[not_a_server_error, content_type_conformance])


# --- pure parsers -------------------------------------------------------------------------------------------------

_hostile_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.from_regex(
        r"[A-Za-z .\-_\[\]()]{0,40}(19|20)\d\d[.\- ]\d\d[.\- ]\d\d[A-Za-z .\-_]{0,40}\.(mp4|mkv)", fullmatch=True
    ),
    st.sampled_from(["", "\x00", "../../etc/passwd", "C:\\x\\y.mp4", "a" * 5000, "\ud800", "%00", "[tpdbid=x]"]),
)


# parse() and parse_request() swallow any exception and return "no evidence", so a crash would pass unnoticed;
# the fuzz targets therefore call the guarded internals and require that the safety net is never needed.


@given(text=_hostile_text)
@BOUNDED
def test_the_filename_parser_needs_no_safety_net(text):
    parsed = _parse(_sanitize(text))
    assert isinstance(parsed.to_search_query(), str)


@given(
    title=_hostile_text,
    filename=_hostile_text,
    grandparent=_hostile_text,
    year=st.none() | st.integers(-(10**6), 10**6),
    index=st.none() | st.integers(-(10**9), 10**9),
    date=st.none() | st.dates(datetime.date(1, 1, 1), datetime.date(9999, 12, 31)),
    kind=st.sampled_from(["episode", "movie"]),
)
@BOUNDED
def test_the_request_parser_needs_no_safety_net(title, filename, grandparent, year, index, date, kind):
    parsed = _parse_request(
        MatchInput(
            title=title,
            year=year,
            filename=filename,
            grandparent_title=grandparent,
            date=date,
            index=index,
            parent_index=index,
            kind=kind,
        )
    )
    assert isinstance(parsed.to_search_query(), str)


_key_like = st.one_of(
    st.text(max_size=250),
    st.builds(
        lambda prefix, tail: prefix + tail,
        st.sampled_from(["tpdb-site-", "tpdb-season-", "tpdb-scene-", "tpdb-movie-", "tpdb-", ""]),
        st.one_of(st.uuids().map(str), st.from_regex(r"[A-Za-z0-9_\-./%]{0,60}", fullmatch=True)),
    ),
)


@given(rating_key=_key_like)
@BOUNDED
def test_a_rating_key_parses_to_a_round_trip_or_raises_http404(rating_key):
    try:
        key = ratingkeys.parse(rating_key)
    except Http404:
        return
    assert ratingkeys.parse(str(key)) == key  # what we accept we can print back
    assert "/" not in str(key) and ".." not in str(key)


# --- the match request serializer, through the endpoint -----------------------------------------------------------

_json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=50))
_json_value = st.recursive(
    _json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_match_body = (
    st.fixed_dictionaries(
        {},
        optional={
            name: _json_value
            for name in (
                "type",
                "title",
                "parentTitle",
                "grandparentTitle",
                "year",
                "guid",
                "index",
                "parentIndex",
                "date",
                "filename",
                "manual",
                "includeChildren",
                "includeAdult",
                "episodeOrder",
            )
        },
    )
    | _json_value
)


@pytest.mark.slow
@pytest.mark.django_db
@given(body=_match_body, provider=st.sampled_from(["tv", "movie"]))
@BOUNDED
def test_any_json_match_body_gets_a_json_answer_below_500(open_api, body, provider):
    response = APIClient().post(
        f"/{provider}/library/metadata/matches", json.dumps(body), content_type="application/json"
    )
    assert response.status_code < 500, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    if response.status_code == 200:
        container = response.json()["MediaContainer"]
        assert container["size"] == len(container["Metadata"])
