"""Site, parent-site and network collections in movie libraries (issue #20; spec §1.2, §3.3, §3.8): the ``Collection``
arrays of /movie metadata and match answers and the ``/movie/library/collections/<ratingKey>`` endpoint, field by
field; bad keys; the per-site switch in the admin; and the response cache seeing every edit at once."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from model_bakery import baker

from movies.models import Movie
from plexapi.responsecache import STATUS_HEADER
from scenes.models import Scene
from sites.models import Site
from tests.plexapi.conftest import CDN, MOVIE, SCENE_UUID, SPEC_SITE_COLLECTIONS

pytestmark = pytest.mark.django_db

MOVIE_MATCH = "/movie/library/metadata/matches"
SUB_SCENE = "11111111-2222-4333-8444-555555555555"
NETWORK_SCENE = "22222222-3333-4444-8555-666666666666"
FAMILY_MOVIE = "33333333-4444-4555-8666-777777777777"


@dataclass
class Family:
    network: Site  # "Brazzers", its own network in TPDB (network_id == id)
    namesake: Site  # the site "Brazzers" inside the network "Brazzers"
    parent: Site
    sub: Site  # a sub-site of ``parent``, in the network
    sub_scene: Scene
    network_scene: Scene
    movie: Movie


def _site(tpdb_numeric_id: int, slug: str, name: str, **fields: object) -> Site:
    values: dict[str, object] = {"poster": "", "logo": "", "description": ""}
    values.update(fields)
    return baker.make(Site, tpdb_id=uuid.uuid4(), tpdb_numeric_id=tpdb_numeric_id, slug=slug, name=name, **values)


def _scene(site: Site, tpdb_id: str, released: datetime.date, **fields: object) -> Scene:
    values: dict[str, object] = {"poster_url": "", "background_url": "", "image_url": "", "tags": [], "directors": []}
    values.update(fields)
    return baker.make(
        Scene, tpdb_id=uuid.UUID(tpdb_id), site=site, title="A Scene", release_date=released, is_complete=True, **values
    )


@pytest.fixture
def family(db) -> Family:
    network = _site(
        100,
        "brazzers",
        "Brazzers",
        parent_tpdb_id=100,
        network_tpdb_id=100,
        description="The network.",
        logo=f"{CDN}/sites/brazzers/logo.png",
        poster=f"{CDN}/sites/brazzers/poster.png",
    )
    namesake = _site(101, "brazzers-101", "Brazzers", parent_tpdb_id=100, network_tpdb_id=100, network=network)
    parent = _site(
        200,
        "example-family",
        "Example Family",
        parent_tpdb_id=200,
        network_tpdb_id=100,
        network=network,
        logo=f"{CDN}/sites/family/logo.png",
    )
    sub = _site(
        201,
        "example-sub",
        "Example Sub",
        parent_tpdb_id=200,
        network_tpdb_id=100,
        parent=parent,
        network=network,
        description="The sub-site.",
        logo=f"{CDN}/sites/sub/logo.png",
        poster=f"{CDN}/sites/sub/poster.png",
    )
    sub_scene = _scene(sub, SUB_SCENE, datetime.date(2024, 5, 1), background_url=f"{CDN}/scenes/sub/bg.jpg")
    network_scene = _scene(network, NETWORK_SCENE, datetime.date(2024, 6, 1))
    movie = baker.make(
        Movie,
        tpdb_id=uuid.UUID(FAMILY_MOVIE),
        title="A Feature",
        site=sub,
        studio="Example Sub",
        release_date=datetime.date(2023, 2, 3),
        poster_url="",
        background_url="",
        image_url="",
        tags=[],
        directors=[],
        is_complete=True,
    )
    return Family(network, namesake, parent, sub, sub_scene, network_scene, movie)


SUB_SITE_COLLECTION = {
    "guid": f"{MOVIE}://collection/tpdb-collection-site-example-sub",
    "key": "/library/collections/tpdb-collection-site-example-sub",
    "tag": "Example Sub",
    "summary": "The sub-site.",
    "thumb": f"{CDN}/sites/sub/logo.png",
    "art": f"{CDN}/sites/sub/poster.png",
}
PARENT_COLLECTION = {
    "guid": f"{MOVIE}://collection/tpdb-collection-site-example-family",
    "key": "/library/collections/tpdb-collection-site-example-family",
    "tag": "Example Family",
    "thumb": f"{CDN}/sites/family/logo.png",
}
NETWORK_COLLECTION = {
    "guid": f"{MOVIE}://collection/tpdb-collection-network-brazzers",
    "key": "/library/collections/tpdb-collection-network-brazzers",
    "tag": "Network: Brazzers",
    "summary": "The network.",
    "thumb": f"{CDN}/sites/brazzers/logo.png",
    "art": f"{CDN}/sites/brazzers/poster.png",
}
NETWORK_AS_SITE_COLLECTION = {
    **NETWORK_COLLECTION,
    "guid": f"{MOVIE}://collection/tpdb-collection-site-brazzers",
    "key": "/library/collections/tpdb-collection-site-brazzers",
    "tag": "Brazzers",
}


def _item(response) -> dict:
    assert response.status_code == 200, response.content[:300]
    (item,) = response.json()["MediaContainer"]["Metadata"]
    return item


def _collections(response) -> list[dict]:
    return _item(response).get("Collection", [])


# --- Collection arrays in metadata answers -------------------------------------------------------------------------


def test_a_scene_of_a_sub_site_carries_its_site_and_network_collections_by_default(api, family):
    assert _collections(api.get(f"/movie/library/metadata/tpdb-scene-{SUB_SCENE}")) == [
        SUB_SITE_COLLECTION,
        NETWORK_COLLECTION,
    ]


def test_with_every_level_on_a_scene_of_a_sub_site_carries_three_collections(api, family, settings):
    settings.PLEX_COLLECTION_LEVELS = ["site", "parent", "network"]
    assert _collections(api.get(f"/movie/library/metadata/tpdb-scene-{SUB_SCENE}")) == [
        SUB_SITE_COLLECTION,
        PARENT_COLLECTION,
        NETWORK_COLLECTION,
    ]


@pytest.mark.parametrize(
    ("levels", "tags"),
    [
        (["site"], ["Example Sub"]),
        (["parent"], ["Example Family"]),
        (["network"], ["Network: Brazzers"]),
        (["network", "site"], ["Example Sub", "Network: Brazzers"]),
    ],
)
def test_the_levels_setting_picks_the_collections(api, family, settings, levels, tags):
    settings.PLEX_COLLECTION_LEVELS = levels
    assert [c["tag"] for c in _collections(api.get(f"/movie/library/metadata/tpdb-scene-{SUB_SCENE}"))] == tags


def test_with_every_level_off_items_carry_no_collection_array(api, family, settings):
    settings.PLEX_COLLECTION_LEVELS = []
    assert "Collection" not in _item(api.get(f"/movie/library/metadata/tpdb-scene-{SUB_SCENE}"))


def test_a_tpdb_movie_carries_its_studio_sites_collections(api, family):
    assert _collections(api.get(f"/movie/library/metadata/tpdb-movie-{FAMILY_MOVIE}")) == [
        SUB_SITE_COLLECTION,
        NETWORK_COLLECTION,
    ]


def test_a_movie_without_a_stored_studio_site_carries_no_collection(api, spec_library):
    assert "Collection" not in _item(api.get(f"/movie/library/metadata/tpdb-movie-{spec_library.movie.tpdb_id}"))


def test_a_scene_of_the_network_itself_gets_a_site_and_a_network_collection_apart(api, family):
    """TPDB names the network its own network and parent: no parent level, but the same name twice in Plex."""
    assert _collections(api.get(f"/movie/library/metadata/tpdb-scene-{NETWORK_SCENE}")) == [
        NETWORK_AS_SITE_COLLECTION,
        NETWORK_COLLECTION,
    ]


def test_a_site_and_a_network_of_one_name_get_distinct_collections(api, family, make_scene):
    scene = make_scene(family.namesake, datetime.date(2024, 7, 1))
    site_collection, network_collection = _collections(api.get(f"/movie/library/metadata/tpdb-scene-{scene.tpdb_id}"))
    assert (site_collection["tag"], network_collection["tag"]) == ("Brazzers", "Network: Brazzers")
    assert site_collection["guid"] == f"{MOVIE}://collection/tpdb-collection-site-brazzers-101"
    assert network_collection["guid"] == f"{MOVIE}://collection/tpdb-collection-network-brazzers"


def test_the_title_formats_are_settings(api, family, settings):
    settings.PLEX_COLLECTION_SITE_TITLE = "Site: {name}"
    settings.PLEX_COLLECTION_NETWORK_TITLE = "{name} (network)"
    tags = [c["tag"] for c in _collections(api.get(f"/movie/library/metadata/tpdb-scene-{NETWORK_SCENE}"))]
    assert tags == ["Site: Brazzers", "Brazzers (network)"]


def test_a_scene_on_the_tv_provider_carries_no_collection(api, family):
    assert "Collection" not in _item(api.get(f"/tv/library/metadata/tpdb-scene-{SUB_SCENE}"))


def test_a_network_that_is_not_stored_is_left_out_without_asking_tpdb(api, family, dead_tpdb):
    orphan = _site(300, "orphan", "Orphan", network_tpdb_id=999, parent_tpdb_id=998)
    scene = _scene(orphan, "44444444-5555-4666-8777-888888888888", datetime.date(2024, 1, 1))
    response = api.get(f"/movie/library/metadata/tpdb-scene-{scene.tpdb_id}")
    assert [c["tag"] for c in _collections(response)] == ["Orphan"]
    assert response["X-TPDB-Calls"] == "0"


def test_the_scene_collections_cost_no_extra_query(api, family, django_assert_num_queries):
    # scene (+site, network, parent) / credits: the site family arrives with the scene
    with django_assert_num_queries(2):
        assert len(_collections(api.get(f"/movie/library/metadata/tpdb-scene-{SUB_SCENE}"))) == 2


@pytest.mark.parametrize(
    ("levels", "queries"),
    [(["site", "parent", "network"], 3), (["site", "network"], 3), (["site"], 2), ([], 2)],
)
def test_the_movie_collections_cost_one_query_for_the_levels_that_need_it(
    api, family, settings, django_assert_num_queries, levels, queries
):
    # movie (+site) / credits / the studio site's parent and network, when a level asks for them
    settings.PLEX_COLLECTION_LEVELS = levels
    with django_assert_num_queries(queries):
        assert len(_collections(api.get(f"/movie/library/metadata/tpdb-movie-{FAMILY_MOVIE}"))) == len(levels)


# --- Collection arrays in match answers ----------------------------------------------------------------------------


def test_a_movie_match_answer_carries_the_collections(api, family):
    body = {"type": 1, "guid": f"{MOVIE}://movie/tpdb-scene-{SUB_SCENE}"}
    item = _item(api.post(MOVIE_MATCH, body, format="json"))
    assert (item["ratingKey"], item["score"]) == (f"tpdb-scene-{SUB_SCENE}", 100)
    assert item["Collection"] == [SUB_SITE_COLLECTION, NETWORK_COLLECTION]


def test_a_pinned_movie_match_carries_its_studio_collections(api, family):
    item = _item(api.post(MOVIE_MATCH, {"type": 1, "title": f"[tpdbid={FAMILY_MOVIE}]"}, format="json"))
    assert item["Collection"] == [SUB_SITE_COLLECTION, NETWORK_COLLECTION]


def test_a_searched_scene_match_carries_the_collections(api, spec_library):
    body = {"type": 1, "title": "Sunny Afternoon", "filename": "/m/Example Site - 2024-03-05 - Sunny Afternoon.mkv"}
    item = _item(api.post(MOVIE_MATCH, body, format="json"))
    assert item["ratingKey"] == f"tpdb-scene-{SCENE_UUID}"
    assert item["Collection"] == SPEC_SITE_COLLECTIONS


def test_a_manual_match_loads_every_candidates_site_family_in_one_query(api, family, make_scene, dead_tpdb):
    for n in range(4):
        make_scene(family.sub, datetime.date(2024, 5, 1), title=f"A Scene {n}")
    body = {"type": 1, "title": "A Scene", "filename": "/m/Example Sub - 2024-05-01 - A Scene.mkv", "manual": 1}
    with CaptureQueriesContext(connection) as queries:
        response = api.post(MOVIE_MATCH, body, format="json")
    items = response.json()["MediaContainer"]["Metadata"]
    assert len(items) >= 2
    assert all(item["Collection"] == [SUB_SITE_COLLECTION, NETWORK_COLLECTION] for item in items)
    family_reads = [q["sql"] for q in queries.captured_queries if '"sites_site"."id" IN' in q["sql"]]
    assert len(family_reads) == 1


# --- the collection endpoint ---------------------------------------------------------------------------------------


def _collection(ratingkey: str, title: str, summary: str, thumb: str | None, art: str | None, logo: str) -> dict:
    item = {
        "type": "collection",
        "ratingKey": ratingkey,
        "key": f"/library/collections/{ratingkey}",
        "guid": f"{MOVIE}://collection/{ratingkey}",
        "subtype": "movie",
        "title": title,
        "summary": summary,
        "originallyAvailableAt": "",
        "isAdult": True,
        "thumb": thumb,
        "art": art,
        "Image": [
            {"type": t, "url": u, "alt": title}
            for t, u in (("coverPoster", thumb), ("background", art), ("clearLogo", logo))
            if u
        ],
    }
    return {k: v for k, v in item.items() if v is not None}


def _container(*items: dict) -> dict:
    return {"MediaContainer": {"offset": 0, "totalSize": 1, "identifier": MOVIE, "size": 1, "Metadata": list(items)}}


def test_a_site_collection_reproduces_its_contract(api, family):
    response = api.get("/movie/library/collections/tpdb-collection-site-example-sub")
    assert response.json() == _container(
        _collection(
            "tpdb-collection-site-example-sub",
            "Example Sub",
            "The sub-site.",
            f"{CDN}/sites/sub/logo.png",
            f"{CDN}/sites/sub/poster.png",
            f"{CDN}/sites/sub/logo.png",
        )
    )


def test_a_site_without_a_poster_has_its_newest_scene_background_as_art(api, family, settings):
    settings.PLEX_COLLECTION_LEVELS = ["parent"]
    family.sub.poster = ""
    family.sub.save()
    (item,) = api.get("/movie/library/collections/tpdb-collection-site-example-sub").json()["MediaContainer"][
        "Metadata"
    ]
    assert (item["thumb"], item["art"]) == (f"{CDN}/sites/sub/logo.png", f"{CDN}/scenes/sub/bg.jpg")


def test_a_parent_site_collection_is_its_site_collection(api, family):
    response = api.get("/movie/library/collections/tpdb-collection-site-example-family")
    assert response.json() == _container(
        _collection(
            "tpdb-collection-site-example-family",
            "Example Family",
            "",
            f"{CDN}/sites/family/logo.png",
            None,
            f"{CDN}/sites/family/logo.png",
        )
    )


def test_a_network_collection_reproduces_its_contract(api, family):
    response = api.get("/movie/library/collections/tpdb-collection-network-brazzers/")
    assert response.json() == _container(
        _collection(
            "tpdb-collection-network-brazzers",
            "Network: Brazzers",
            "The network.",
            f"{CDN}/sites/brazzers/logo.png",
            f"{CDN}/sites/brazzers/poster.png",
            f"{CDN}/sites/brazzers/logo.png",
        )
    )


def test_a_network_named_by_its_sites_only_is_a_network_too(api, family):
    family.network.network_tpdb_id = None
    family.network.save()
    assert api.get("/movie/library/collections/tpdb-collection-network-brazzers").status_code == 200


@pytest.mark.parametrize("alias", ["201", "{uuid}", "{UUID}"])
def test_a_collection_is_found_by_its_sites_numeric_id_or_uuid_too(api, family, alias):
    tpdb_id = str(family.sub.tpdb_id)
    key = "tpdb-collection-site-" + alias.format(uuid=tpdb_id, UUID=tpdb_id.upper())
    assert _item(api.get(f"/movie/library/collections/{key}"))["ratingKey"] == "tpdb-collection-site-example-sub"


def test_every_collection_guid_uses_the_movie_identifier(api, family, settings):
    settings.PLEX_MOVIE_IDENTIFIER = "tv.plex.agents.custom.mine.movie"
    body = api.get("/movie/library/collections/tpdb-collection-network-brazzers").json()["MediaContainer"]
    assert body["identifier"] == "tv.plex.agents.custom.mine.movie"
    assert (
        body["Metadata"][0]["guid"] == "tv.plex.agents.custom.mine.movie://collection/tpdb-collection-network-brazzers"
    )
    (_, network) = _collections(api.get(f"/movie/library/metadata/tpdb-scene-{SUB_SCENE}"))
    assert network["guid"] == "tv.plex.agents.custom.mine.movie://collection/tpdb-collection-network-brazzers"


def test_every_collection_key_in_an_answer_is_served(api, family, settings):
    settings.PLEX_COLLECTION_LEVELS = ["site", "parent", "network"]
    for scene in (SUB_SCENE, NETWORK_SCENE):
        for collection in _collections(api.get(f"/movie/library/metadata/tpdb-scene-{scene}")):
            served = _item(api.get("/movie" + collection["key"]))
            assert (served["guid"], served["title"]) == (collection["guid"], collection["tag"])


def test_a_collection_key_stays_when_tpdb_renames_the_site(api, family):
    from sites.services import site_upsert_from_tpdb
    from tpdbprovider.tpdb.schemas import TPDBSite

    renamed = {
        "uuid": str(family.sub.tpdb_id),
        "id": 201,
        "parent_id": 200,
        "network_id": 100,
        "name": "Example Sub Renamed",
        "short_name": "examplesubrenamed",
        "description": "The sub-site.",
        "logo": f"{CDN}/sites/sub/logo.png",
        "poster": f"{CDN}/sites/sub/poster.png",
    }
    site_upsert_from_tpdb(data=TPDBSite.from_json(renamed))
    site_collection, _ = _collections(api.get(f"/movie/library/metadata/tpdb-scene-{SUB_SCENE}"))
    assert site_collection["guid"] == SUB_SITE_COLLECTION["guid"]
    assert site_collection["tag"] == "Example Sub Renamed"
    assert _item(api.get("/movie/library/collections/tpdb-collection-site-example-sub"))["title"] == (
        "Example Sub Renamed"
    )


@pytest.mark.parametrize(
    "key",
    [
        "tpdb-collection-site-nope",
        "tpdb-collection-network-nope",
        "tpdb-collection-network-example-sub",  # a stored site, but nobody's network
        "tpdb-collection-site-",
        "tpdb-collection-",
        "tpdb-collection-studio-example-sub",
        "tpdb-site-example-sub",
        f"tpdb-scene-{SUB_SCENE}",
        "tpdb-collection-site-" + "a" * 5000,
        "tpdb-collection-site-" + "9" * 30,
        "tpdb-collection-site-%F0%9F%92%A9",
        "tpdb-collection-site-ex%C3%A4mple-sub",
        "tpdb-collection-site-..%2F..%2Fetc%2Fpasswd",
        "..%2F..",
        "%2e%2e",
        "tpdb-collection-site-%00",
        "tpdb-collection-site-'%3B DROP TABLE sites_site%3B--",
        "tpdb-collection-site-example sub",
    ],
)
def test_unknown_malformed_and_hostile_collection_keys_are_a_json_404(api, family, key):
    response = api.get(f"/movie/library/collections/{key}")
    assert response.status_code == 404, response.content[:300]
    assert set(response.json()) == {"code", "message", "extra"}
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        "/tv/library/collections/tpdb-collection-site-example-sub",
        "/movie/library/collections/tpdb-collection-site-example-sub/children/x",
        "/movie/library/collections/",
        "/movie/library/collections/../metadata/tpdb-site-example-sub",
    ],
)
def test_collections_live_on_the_movie_provider_only(api, family, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_level_that_is_off_is_not_served(api, family, settings):
    settings.PLEX_COLLECTION_LEVELS = ["site"]
    assert api.get("/movie/library/collections/tpdb-collection-network-brazzers").status_code == 404
    settings.PLEX_COLLECTION_LEVELS = ["network"]
    assert api.get("/movie/library/collections/tpdb-collection-site-example-sub").status_code == 404
    assert api.get("/movie/library/collections/tpdb-collection-network-brazzers").status_code == 200
    settings.PLEX_COLLECTION_LEVELS = ["parent"]
    assert api.get("/movie/library/collections/tpdb-collection-site-example-family").status_code == 200


# --- the per-site switch (admin) and the response cache ------------------------------------------------------------


def _switch_off_in_the_admin(admin_client, site: Site) -> None:
    """Untick "Plex collections" for one site on the admin's site list (its list_editable column) and save."""
    response = admin_client.post(
        f"/admin/sites/site/?q={site.slug}",
        {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-0-id": str(site.pk), "_save": "Save"},
    )
    assert response.status_code == 302, response.content[:500]
    site.refresh_from_db()
    assert site.is_collection_shown is False


def test_the_admin_switches_a_sites_collections_off_and_the_next_answer_shows_it(api, family, admin_client):
    url = f"/movie/library/metadata/tpdb-scene-{SUB_SCENE}"
    assert api.get(url)[STATUS_HEADER] == "miss"
    assert api.get(url)[STATUS_HEADER] == "hit"
    _switch_off_in_the_admin(admin_client, family.network)
    response = api.get(url)
    assert response[STATUS_HEADER] == "miss"
    assert _collections(response) == [SUB_SITE_COLLECTION]
    assert api.get("/movie/library/collections/tpdb-collection-network-brazzers").status_code == 404
    assert _item(api.get("/movie/library/collections/tpdb-collection-site-example-sub"))["title"] == "Example Sub"


def test_the_admin_site_form_has_the_switch(admin_client, family):
    page = admin_client.get(f"/admin/sites/site/{family.sub.pk}/change/").content.decode()
    assert 'name="is_collection_shown"' in page
    assert "Plex collections" in page


def test_a_cached_collection_answer_follows_an_edited_site(api, family):
    url = "/movie/library/collections/tpdb-collection-site-example-sub"
    assert api.get(url)[STATUS_HEADER] == "miss"
    assert api.get(url)[STATUS_HEADER] == "hit"
    Site.objects.filter(pk=family.sub.pk).update(name="Example Sub (edited)", description="New words.")
    response = api.get(url)
    assert response[STATUS_HEADER] == "miss"
    assert (_item(response)["title"], _item(response)["summary"]) == ("Example Sub (edited)", "New words.")


def test_a_cached_item_answer_follows_an_edited_network(api, family):
    url = f"/movie/library/metadata/tpdb-movie-{FAMILY_MOVIE}"
    api.get(url)
    assert api.get(url)[STATUS_HEADER] == "hit"
    family.network.name = "Brazzers Network"
    family.network.save()
    response = api.get(url)
    assert response[STATUS_HEADER] == "miss"
    assert _collections(response)[1]["tag"] == "Network: Brazzers Network"


def test_a_changed_setting_shows_in_the_next_cached_answer(api, family, settings):
    url = f"/movie/library/metadata/tpdb-scene-{SUB_SCENE}"
    api.get(url)
    assert api.get(url)[STATUS_HEADER] == "hit"
    settings.PLEX_COLLECTION_NETWORK_TITLE = "{name} Network"
    response = api.get(url)
    assert response[STATUS_HEADER] == "miss"
    assert _collections(response)[1]["tag"] == "Brazzers Network"
