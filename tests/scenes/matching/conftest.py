"""Helpers for the match-use-case unit tests: stored sites and scenes, and the Plex request for the fixture scene."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from model_bakery import baker

from scenes.matching import MatchRequest
from scenes.models import Scene
from sites.models import Site
from tpdbprovider.core.breaker import reset_breaker
from tpdbprovider.core.ratelimit import reset_limiter

FIXTURE_SCENE = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"  # tests/fixtures/tpdb/scene_detail.json, TPDB id 900001
PICNIC_FILE = "Example Studio - 2022-01-03 - Sunny Afternoon Picnic.mp4"


def make_site(name: str, tpdb_numeric_id: int, **fields: Any) -> Site:
    values: dict[str, Any] = {"slug": name.lower().replace(" ", "-"), "short_name": name.lower().replace(" ", "")}
    values.update(fields)
    return baker.make(Site, name=name, tpdb_numeric_id=tpdb_numeric_id, parent=None, network=None, **values)


def make_scene(site: Site | None, title: str, released: dt.date, **fields: Any) -> Scene:
    values: dict[str, Any] = {"tpdb_id": uuid.uuid4(), "tpdb_numeric_id": uuid.uuid4().int % 10**9}
    values.update(fields)
    return baker.make(Scene, site=site, title=title, release_date=released, tags=[], directors=[], **values)


def picnic_request(**fields: Any) -> MatchRequest:
    values: dict[str, Any] = {
        "provider": "tv",
        "type": 4,
        "grandparent_title": "Example Studio",
        "filename": PICNIC_FILE,
    }
    values.update(fields)
    return MatchRequest(**values)


@pytest.fixture
def tpdb_down(settings):
    """TPDB pointed at a closed port: every call fails fast as unavailable."""
    settings.TPDB_BASE_URL = "http://127.0.0.1:9"
    settings.TPDB_CONNECT_TIMEOUT_S = 0.5
    settings.TPDB_MAX_RETRIES = 0
    reset_breaker()
    reset_limiter()
