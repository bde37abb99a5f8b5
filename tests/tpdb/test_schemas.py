"""Parsing real TPDB bodies, current and 2023 shapes, into the frozen schema dataclasses."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from tests.recipes import tpdb_json
from tpdbprovider.tpdb.schemas import PageMeta, TPDBPage, TPDBPerformer, TPDBScene, TPDBSite, image_url

SCENE_ID = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"


@pytest.mark.parametrize("fixture", ["scene_detail.json", "scene_detail_legacy_2023.json"])
def test_it_parses_current_and_legacy_scene_details_alike(fixture):
    scene = TPDBScene.from_json(tpdb_json(fixture)["data"])

    assert scene.id == SCENE_ID
    assert scene.numeric_id == 900001
    assert scene.type == "Scene"
    assert scene.title == "Sunny Afternoon Picnic"
    assert scene.date == dt.date(2022, 1, 3)
    assert scene.duration_s == 2302
    assert scene.site_id == 4101
    assert scene.tags == ("Outdoor", "Kitchen", "4K")
    assert scene.directors == ()
    assert scene.is_detail is True
    assert scene.posters["large"].endswith("/scenes/900001/poster.webp")
    assert scene.background_url == "https://cdn.example.test/scenes/900001/background.webp"
    assert [p.name for p in scene.performers] == ["Alex Sample", "Jordan E.", "Casey Placeholder"]
    assert scene.performers[1].parent is not None and scene.performers[1].parent.name == "Jordan Example"
    assert scene.performers[0].gender == "Female"
    assert scene.performers[0].parent.birthdate == dt.date(1994, 8, 5)
    assert scene.site is not None and scene.site.name == "Example Studio"
    assert scene.site.network is not None and scene.site.network.id == 4103


def test_legacy_site_has_no_uuid_and_no_parent_object():
    site = TPDBScene.from_json(tpdb_json("scene_detail_legacy_2023.json")["data"]).site

    assert site is not None
    assert site.uuid is None
    assert site.parent is None
    assert site.parent_id == 4102


def test_current_site_carries_uuid_and_parent_ref():
    site = TPDBSite.from_json(tpdb_json("site_detail.json")["data"])

    assert site.uuid == "5e1f0a2b-3c4d-4e5f-8a6b-7c8d9e0f4101"
    assert site.parent is not None and site.parent.uuid == "c0ffee00-0000-4000-8000-000000004102"
    assert (site.parent_id, site.network_id) == (4102, 4103)


def test_search_items_are_not_details():
    page = TPDBPage.from_json(tpdb_json("scenes_search.json"), TPDBScene.from_json)

    assert len(page.items) == 5
    assert not any(item.is_detail for item in page.items)
    assert page.meta == PageMeta(current_page=1, last_page=12, per_page=5, total=57)
    assert page.has_next


def test_null_duration_trailer_and_unlinked_credit_are_tolerated():
    item = tpdb_json("scenes_search.json")["data"][3]
    scene = TPDBScene.from_json(item)

    assert scene.duration_s is None
    assert scene.trailer == ""
    assert scene.performers[1].parent is None
    assert scene.site is not None and scene.site.parent_id is None and scene.site.network is None


def test_movie_directors_format_and_back_image():
    movie = TPDBScene.from_json(tpdb_json("movie_detail.json")["data"])

    assert movie.type == "Movie"
    assert movie.directors == ("Dana Director",)
    assert movie.format == "Dvd / Video On Demand"
    assert movie.sku == "1782330"
    assert movie.back_image == "https://cdn.example.test/movies/950001/back.jpg"


def test_legacy_director_object_and_tag_key_are_read():
    data = tpdb_json("scene_detail_legacy_2023.json")["data"]
    data["director"] = {"id": 1, "name": "Old Style Director"}
    data["tags"] = [{"id": 1, "tag": "Only Tag Key"}]

    scene = TPDBScene.from_json(data)

    assert scene.directors == ("Old Style Director",)
    assert scene.tags == ("Only Tag Key",)


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        ([], {}),
        ({"twitter": "https://t.example.test/a"}, {"twitter": "https://t.example.test/a"}),
        ([{"platform": "twitter", "url": "https://t.example.test/a"}], {"twitter": "https://t.example.test/a"}),
    ],
)
def test_links_accept_empty_list_map_and_list_of_objects(links, expected):
    data = tpdb_json("scene_detail.json")["data"]
    data["links"] = links

    assert TPDBScene.from_json(data).links == expected


def test_performer_endpoint_object_has_aliases_and_extras():
    performer = TPDBPerformer.from_json(tpdb_json("performer_detail.json")["data"])

    assert performer.aliases == ("Alexis Sample", "A. Sample")
    assert performer.gender == "Female"
    assert performer.height == "170cm"
    assert performer.is_parent is True


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.theporndb.net/images/scene/default_1.png",
        "https://cdn.theporndb.net/images/scene/default2.png",
        "https://cdn.theporndb.net/performers/male.png",
        "https://cdn.theporndb.net/performers/female.png",
        "",
        None,
    ],
)
def test_placeholder_images_become_empty(url):
    assert image_url(url) == ""


def test_placeholder_images_in_a_body_are_dropped():
    data = tpdb_json("scene_detail.json")["data"]
    data["poster"] = "https://cdn.theporndb.net/images/scene/default_1.png"
    data["posters"]["large"] = "https://cdn.theporndb.net/images/scene/default_1.png"
    data["performers"][0]["face"] = "https://cdn.theporndb.net/performers/female.png"

    scene = TPDBScene.from_json(data)

    assert scene.poster == ""
    assert "large" not in scene.posters
    assert scene.poster_url == scene.posters["medium"]
    assert scene.performers[0].face == ""


def test_real_image_urls_are_kept():
    assert image_url("https://cdn.example.test/scenes/1/poster.webp") == "https://cdn.example.test/scenes/1/poster.webp"


def test_nulls_missing_and_extra_keys_are_tolerated():
    scene = TPDBScene.from_json({"id": "x", "title": None, "site": None, "performers": None, "brand_new": {"a": 1}})

    assert scene.title == ""
    assert scene.site is None
    assert scene.performers == ()
    assert scene.date is None
    assert scene.is_detail is False


def test_page_meta_falls_back_to_last_and_to_item_count():
    assert PageMeta.from_json({"total": 9, "per_page": 3, "current_page": 1, "last": 3}).last_page == 3
    assert PageMeta.from_json(None, item_count=4) == PageMeta(current_page=1, last_page=1, per_page=4, total=4)


def test_raw_round_trips_and_is_left_out_of_eq_and_repr():
    body = tpdb_json("scene_detail.json")["data"]
    scene = TPDBScene.from_json(body)

    assert TPDBScene.from_json(scene.raw) == scene
    assert "raw=" not in repr(scene)
    assert dataclasses.replace(scene, raw={}) == scene
    with pytest.raises(dataclasses.FrozenInstanceError):
        scene.title = "changed"  # type: ignore[misc]
