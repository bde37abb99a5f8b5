"""Plex API test data: the rows behind the JSON examples of plex-provider-spec §8, and a fake TPDB over HTTP."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from model_bakery import baker
from rest_framework.test import APIClient

from movies.models import Movie, MoviePerformer, Performer
from scenes.models import Scene, ScenePerformer
from scenes.policy import metadata_policy_get
from sites.models import Site
from tpdbprovider.core.breaker import reset_breaker
from tpdbprovider.core.ratelimit import reset_limiter

CDN = "https://cdn.example-tpdb.net"
SCENE_UUID = "6b1f0c2e-9a4d-4c1e-8f00-1a2b3c4d5e6f"
MOVIE_UUID = "0c9e8d7f-1111-4222-8333-944455556666"
MOVIE = "tv.plex.agents.custom.tpdb.movie"
# The Collection array of spec_library's scenes on /movie with the default levels (issue #20): site, then network.
SPEC_SITE_COLLECTIONS = [
    {
        "guid": f"{MOVIE}://collection/tpdb-collection-site-example-site",
        "key": "/library/collections/tpdb-collection-site-example-site",
        "tag": "Example Site",
        "summary": "Short description of the site.",
        "thumb": f"{CDN}/sites/example-site/logo.png",
        "art": f"{CDN}/sites/example-site/poster.png",
    },
    {
        "guid": f"{MOVIE}://collection/tpdb-collection-network-example-network",
        "key": "/library/collections/tpdb-collection-network-example-network",
        "tag": "Network: Example Network",
    },
]


@pytest.fixture(autouse=True)
def _fresh_throttles(request: pytest.FixtureRequest) -> Iterator[None]:
    """Throttle counters live in the cache, keyed on 127.0.0.1: every test starts from zero (and a closed breaker)."""
    cache.clear()
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker or {"db", "transactional_db"} & names:
        is_transactional = "transactional_db" in names or bool(marker and marker.kwargs.get("transaction"))
        request.getfixturevalue("transactional_db" if is_transactional else "db")
        metadata_policy_get()  # warm, as in a running service: the pinned query counts leave the policy out
    reset_breaker()
    yield
    cache.clear()
    reset_breaker()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@dataclass
class SpecLibrary:
    site: Site
    network: Site
    scene: Scene
    movie: Movie


def _make_scene(site: Site, released: datetime.date | None, **fields: object) -> Scene:
    values: dict[str, object] = {
        "tpdb_id": uuid.uuid4(),
        "title": f"Scene {released}",
        "release_date": released,
        "poster_url": "",
        "background_url": "",
        "image_url": "",
        "tags": [],
        "is_complete": True,  # stored from a detail response: metadata requests need not fetch it
        "directors": [],
    }
    values.update(fields)
    return baker.make(Scene, site=site, **values)


@pytest.fixture
def spec_library(db) -> SpecLibrary:
    """The rows behind spec §8.4-§8.8: "Example Site" (network "Example Network"), 2023 and 2024 seasons,
    "Sunny Afternoon" as episode 7 of 2024, and the movie "Example Feature"."""
    network = baker.make(
        Site,
        tpdb_id=uuid.uuid4(),
        tpdb_numeric_id=1,
        slug="example-network",
        name="Example Network",
        poster="",
        logo="",
    )
    site = baker.make(
        Site,
        tpdb_id=uuid.uuid4(),
        tpdb_numeric_id=1234,
        slug="example-site",
        name="Example Site",
        short_name="examplesite",
        description="Short description of the site.",
        poster=f"{CDN}/sites/example-site/poster.png",
        logo=f"{CDN}/sites/example-site/logo.png",
        network=network,
        parent=None,
    )
    # 2023: the earliest scene is 2023-01-04; 2024 starts 2024-01-02, and six scenes precede 2024-03-05.
    _make_scene(site, datetime.date(2023, 1, 4))
    _make_scene(site, datetime.date(2023, 6, 1))
    for day in (2, 9, 16, 23, 30):
        _make_scene(site, datetime.date(2024, 1, day))
    _make_scene(site, datetime.date(2024, 3, 5), tpdb_id=uuid.UUID("00000000-0000-4000-8000-000000000000"))
    # Newest scene: its background becomes the show's art.
    _make_scene(site, datetime.date(2024, 12, 1), background_url=f"{CDN}/sites/example-site/background.jpg")
    scene = _make_scene(
        site,
        datetime.date(2024, 3, 5),
        tpdb_id=uuid.UUID(SCENE_UUID),
        title="Sunny Afternoon",
        description="Scene description.",
        duration_s=1934,
        poster_url=f"{CDN}/scenes/6b1f/poster.jpg",
        background_url=f"{CDN}/scenes/6b1f/background.jpg",
        tags=["Outdoor", "Romantic"],
        directors=["Some Director"],
    )
    one = baker.make(
        Performer, tpdb_id=uuid.uuid4(), name="Performer One", is_parent=True, image_url=f"{CDN}/performers/p1.jpg"
    )
    two_parent = baker.make(
        Performer, tpdb_id=uuid.uuid4(), name="Performer Two", is_parent=True, image_url=f"{CDN}/performers/p2.jpg"
    )
    two_credit = baker.make(
        Performer, tpdb_id=uuid.uuid4(), name="P. Two", is_parent=False, parent=two_parent, image_url=""
    )
    ScenePerformer.objects.create(scene=scene, performer=one, credited_name="Performer One", order=0)
    ScenePerformer.objects.create(scene=scene, performer=two_credit, credited_name="P. Two", order=1)

    movie = baker.make(
        Movie,
        tpdb_id=uuid.UUID(MOVIE_UUID),
        title="Example Feature",
        description="Movie synopsis.",
        studio="Example Studio",
        release_date=datetime.date(2022, 11, 18),
        year=2022,
        duration_s=7260,
        poster_url=f"{CDN}/movies/0c9e/front.jpg",
        background_url=f"{CDN}/movies/0c9e/background.jpg",
        image_url="",
        tags=["Feature"],
        directors=["Some Director"],
        site=None,
        is_complete=True,
    )
    no_image = baker.make(Performer, tpdb_id=uuid.uuid4(), name="Performer One", is_parent=True, image_url="")
    MoviePerformer.objects.create(movie=movie, performer=no_image, credited_name="Performer One", order=0)
    return SpecLibrary(site=site, network=network, scene=scene, movie=movie)


@pytest.fixture
def make_scene():
    return _make_scene


@pytest.fixture
def dead_tpdb(settings) -> Iterator[None]:
    """TPDB unreachable: a closed port on localhost, no retries."""
    settings.TPDB_BASE_URL = "http://127.0.0.1:9"
    settings.TPDB_MAX_RETRIES = 0
    settings.TPDB_CONNECT_TIMEOUT_S = 0.5
    reset_breaker()
    reset_limiter()
    yield
    reset_breaker()
    reset_limiter()
