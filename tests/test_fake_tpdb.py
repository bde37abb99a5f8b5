"""Behaviour of the in-project fake TPDB (tests/fake_tpdb.py) over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.fake_tpdb import FIXTURES_DIR, Catalog, FakeTPDB, fixture_object, tokenize

CORPUS = Path(os.environ.get("TPDB_MATCH_CORPUS", "/work/shared/match-corpus/catalog.json.gz"))
SCENE_UUID = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"
MOVIE_UUID = "3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES_DIR / name).read_text())


@pytest.fixture
def fake() -> Iterator[FakeTPDB]:
    with FakeTPDB(Catalog.from_fixtures()) as server:
        yield server


@pytest.fixture
def http(fake: FakeTPDB) -> Iterator[requests.Session]:
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {fake.token}", "Accept": "application/json"})
    yield session
    session.close()


def get(http: requests.Session, fake: FakeTPDB, path: str, **params: Any) -> requests.Response:
    return http.get(fake.base_url + path, params=params or None, timeout=5)


def make_scene(_id: int, title: str, site: dict[str, Any], day: str, performers: list[str] = ()) -> dict[str, Any]:
    """A scene in the real detail shape (copied from scene_detail.json) with the given identity."""
    base = fixture_object("scene_detail.json")
    credit = base["performers"][0]
    credits = []
    for n, name in enumerate(performers):
        c = json.loads(json.dumps(credit))
        c["name"] = name
        c["id"] = f"credit-{_id}-{n}"
        c["parent"] = {**c["parent"], "id": f"parent-{name}", "name": name}
        credits.append(c)
    slug = "-".join(tokenize(f"{site['name']} {title}"))
    return {
        **base,
        "id": f"uuid-{_id}",
        "_id": _id,
        "title": title,
        "slug": slug,
        "site_id": site["id"],
        "site": site,
        "date": day,
        "performers": credits,
        "hashes": [],
    }


def make_site(_id: int, name: str, parent_id: int | None = None, network_id: int | None = None) -> dict[str, Any]:
    base = fixture("site_detail.json")["data"]
    return {
        **base,
        "uuid": f"site-uuid-{_id}",
        "id": _id,
        "parent_id": parent_id,
        "network_id": network_id,
        "name": name,
        "short_name": "".join(tokenize(name)),
    }


# --- auth, identifiers, 404 -------------------------------------------------------------------------------------------


def test_it_rejects_missing_or_wrong_tokens_with_the_401_body(fake: FakeTPDB) -> None:
    no_token = requests.get(f"{fake.base_url}/scenes/{SCENE_UUID}", timeout=5)
    wrong = requests.get(f"{fake.base_url}/scenes", headers={"Authorization": "Bearer nope"}, timeout=5)
    not_bearer = requests.get(f"{fake.base_url}/sites", headers={"Authorization": fake.token}, timeout=5)

    for response in (no_token, wrong, not_bearer):
        assert response.status_code == 401
        assert response.json() == fixture("error_401.json")
    assert fake.stats()["by_status"] == {"401": 3}


def test_any_token_mode_accepts_any_bearer_but_not_none() -> None:
    with FakeTPDB(Catalog.from_fixtures(), token=None) as server:
        ok = requests.get(f"{server.base_url}/auth/user", headers={"Authorization": "Bearer whatever"}, timeout=5)
        missing = requests.get(f"{server.base_url}/auth/user", timeout=5)
    assert ok.status_code == 200
    assert isinstance(ok.json()["data"], dict)
    assert missing.status_code == 401


@pytest.mark.parametrize("key", [SCENE_UUID, "900001", "example-studio-sunny-afternoon-picnic"])
def test_scene_detail_resolves_by_uuid_numeric_id_and_slug(fake: FakeTPDB, http: requests.Session, key: str) -> None:
    response = get(http, fake, f"/scenes/{key}")

    assert response.status_code == 200
    assert response.json() == fixture("scene_detail.json")


def test_detail_routes_answer_movies_jav_sites_and_performers(fake: FakeTPDB, http: requests.Session) -> None:
    assert get(http, fake, f"/movies/{MOVIE_UUID}").json() == fixture("movie_detail.json")
    assert get(http, fake, "/jav/3100001").json() == fixture("jav_detail.json")
    site = fixture("site_detail.json")
    assert get(http, fake, "/sites/4101").json() == site
    assert get(http, fake, f"/sites/{site['data']['uuid']}").json() == site
    assert get(http, fake, "/performers/alex-sample").json() == fixture("performer_detail.json")
    assert get(http, fake, "/performers/600001").json()["data"]["name"] == "Alex Sample"


@pytest.mark.parametrize(
    "path",
    [
        "/scenes/no-such-scene",
        f"/movies/{SCENE_UUID}",  # a scene id never resolves under /movies
        "/scenes/950001",  # ... nor a movie id under /scenes
        f"/jav/{SCENE_UUID}",
        "/sites/999999",
        "/performers/nobody",
        "/performers/nobody/scenes",
        "/sites/999999/scenes",
        "/scenes/hash/ffffffffffffffff",
        "/no/such/route",
    ],
)
def test_unknown_ids_and_routes_give_404_not_found(fake: FakeTPDB, http: requests.Session, path: str) -> None:
    response = get(http, fake, path)

    assert response.status_code == 404
    assert response.json() == fixture("error_404.json")


def test_hash_lookup_returns_a_single_detail_object(fake: FakeTPDB, http: requests.Session) -> None:
    body = get(http, fake, "/scenes/hash/1A2B3C4D5E6F7A8B").json()

    assert isinstance(body["data"], dict)
    assert set(body["data"]) == set(fixture("scene_hash_lookup.json")["data"])
    assert body["data"]["id"] == SCENE_UUID


# --- envelope, pagination, list form ----------------------------------------------------------------------------------


def test_list_envelope_has_the_fixture_keys_in_the_fixture_order(fake: FakeTPDB, http: requests.Session) -> None:
    expected = fixture("scenes_search.json")
    body = get(http, fake, "/scenes", q="picnic", per_page=2).json()

    assert list(body) == list(expected)
    assert list(body["links"]) == list(expected["links"])
    assert list(body["meta"]) == list(expected["meta"])
    assert [list(link) for link in body["meta"]["links"]] == [list(expected["meta"]["links"][0])] * len(
        body["meta"]["links"]
    )
    assert body["meta"]["links"][0]["label"] == "&laquo; Previous"
    assert body["meta"]["links"][-1]["label"] == "Next &raquo;"


def test_search_items_use_list_form_and_detail_uses_detail_form(fake: FakeTPDB, http: requests.Session) -> None:
    list_keys = set(fixture("scenes_search.json")["data"][0])
    detail_keys = set(fixture("scene_detail.json")["data"])
    items = get(http, fake, "/scenes", q="picnic").json()["data"]
    movie_items = get(http, fake, "/movies", q="road").json()["data"]
    detail = get(http, fake, "/scenes/900002").json()["data"]  # known only from list fixtures

    assert items
    assert all(set(item) == list_keys for item in items)
    assert all(not {"tags", "markers", "directors", "scenes", "movies", "links"} & set(m) for m in movie_items)
    assert set(detail) == detail_keys
    perf_items = get(http, fake, "/performers", q="alex").json()["data"]
    assert set(perf_items[0]) == set(fixture("performers_search.json")["data"][0])


def test_pagination_matches_laravel_links_and_meta_with_our_base_url(fake: FakeTPDB, http: requests.Session) -> None:
    body = get(http, fake, "/scenes", per_page=2, page=2, orderBy="former_released").json()
    url = f"{fake.base_url}/scenes"

    assert body["links"] == {
        "first": f"{url}?page=1",
        "last": f"{url}?page=3",
        "prev": f"{url}?page=1",
        "next": f"{url}?page=3",
    }
    meta = body["meta"]
    assert (meta["current_page"], meta["from"], meta["to"], meta["total"], meta["last_page"]) == (2, 3, 4, 5, 3)
    assert (meta["path"], meta["per_page"]) == (url, 2)
    assert [(link["label"], link["active"]) for link in meta["links"]] == [
        ("&laquo; Previous", False),
        ("1", False),
        ("2", True),
        ("3", False),
        ("Next &raquo;", False),
    ]
    assert [s["date"] for s in body["data"]] == sorted(s["date"] for s in body["data"])


def test_a_page_past_the_end_is_empty_with_null_from_and_to(fake: FakeTPDB, http: requests.Session) -> None:
    body = get(http, fake, "/scenes", page=9).json()

    assert body["data"] == []
    assert body["meta"]["from"] is None
    assert body["meta"]["to"] is None
    assert body["meta"]["total"] == 5
    assert body["links"]["next"] is None


def test_an_empty_search_looks_like_the_empty_fixture(fake: FakeTPDB, http: requests.Session) -> None:
    body = get(http, fake, "/scenes", q="zzzzqqqq").json()
    expected = fixture("scenes_search_empty.json")

    assert body["data"] == []
    for key in ("current_page", "from", "last_page", "to", "total"):
        assert body["meta"][key] == expected["meta"][key]
    assert [link["label"] for link in body["meta"]["links"]] == [link["label"] for link in expected["meta"]["links"]]


def test_per_page_defaults_to_24_and_is_capped_at_100() -> None:
    catalog = Catalog.empty()
    site = make_site(1, "Bulk Studio")
    for n in range(130):
        catalog.add_scene(make_scene(n + 1, f"Bulk Scene {n}", site, f"2020-01-{n % 28 + 1:02d}"))
    with FakeTPDB(catalog) as server:
        headers = {"Authorization": f"Bearer {server.token}"}
        default = requests.get(f"{server.base_url}/scenes", headers=headers, timeout=5).json()
        capped = requests.get(f"{server.base_url}/scenes?per_page=500", headers=headers, timeout=5).json()
        limit = requests.get(f"{server.base_url}/scenes?limit=5", headers=headers, timeout=5).json()

    assert (len(default["data"]), default["meta"]["per_page"], default["meta"]["last_page"]) == (24, 24, 6)
    assert (len(capped["data"]), capped["meta"]["per_page"]) == (100, 100)
    assert limit["meta"]["per_page"] == 24  # `limit` is ignored, like the recorded /movies?limit=25


def test_many_pages_use_laravels_elided_link_window() -> None:
    catalog = Catalog.empty()
    site = make_site(1, "Bulk Studio")
    for n in range(40):
        catalog.add_scene(make_scene(n + 1, f"Scene {n}", site, "2020-01-01"))
    with FakeTPDB(catalog) as server:
        headers = {"Authorization": f"Bearer {server.token}"}
        meta = requests.get(f"{server.base_url}/scenes?per_page=1&page=20", headers=headers, timeout=5).json()["meta"]

    labels = [link["label"] for link in meta["links"]]
    window = ["1", "2", "...", "17", "18", "19", "20", "21", "22", "23", "...", "39", "40"]
    assert labels == ["&laquo; Previous", *window, "Next &raquo;"]
    assert [link["url"] for link in meta["links"] if link["label"] == "..."] == [None, None]


def test_a_non_integer_per_page_gives_the_422_body(fake: FakeTPDB, http: requests.Session) -> None:
    response = get(http, fake, "/scenes", per_page="lots")

    assert response.status_code == 422
    assert response.json() == fixture("error_422.json")


# --- search behaviour ---------------------------------------------------------------------------------------------------


def test_parse_puts_the_fixture_scene_first(fake: FakeTPDB, http: requests.Session) -> None:
    body = get(http, fake, "/scenes", parse="examplestudio.2022-01-03.Sunny Afternoon Picnic", per_page=25).json()

    assert [s["_id"] for s in body["data"][:2]] == [900001, 900005]  # the scene and its TPDB duplicate
    assert body["data"][0]["id"] == fixture("scene_parse_search.json")["data"][0]["id"]


@pytest.fixture
def ranked_catalog() -> Catalog:
    """A network with a hub site, a sub-site and a sibling, plus an unrelated studio."""
    catalog = Catalog.empty()
    network = make_site(10, "Big Network", parent_id=10, network_id=10)
    hub = make_site(11, "Sunny Studio", parent_id=10, network_id=10)
    sub = make_site(12, "Sunny Studio Extra", parent_id=11, network_id=10)
    sibling = make_site(13, "Other Studio", parent_id=10, network_id=10)
    alone = make_site(20, "Lone Studio")
    for site in (network, hub, sub, sibling, alone):
        catalog.add_site(site)
    catalog.add_scene(make_scene(1, "Garden Party", hub, "2021-05-06", ["Zoë Quill", "Mark Stone"]))
    catalog.add_scene(make_scene(2, "Garden Party", sub, "2021-05-06", ["Zoë Quill", "Mark Stone"]))  # hub copy
    catalog.add_scene(make_scene(3, "Morning Swim", hub, "2021-05-06", ["Ana Reed"]))
    catalog.add_scene(make_scene(4, "Garden Party Part 2", hub, "2021-05-13", ["Zoë Quill"]))
    catalog.add_scene(make_scene(5, "Garden Party", alone, "2019-02-02", ["Nobody Else"]))
    catalog.add_scene(make_scene(6, "Rooftop Dinner", sibling, "2021-05-07", ["Zoë Quill"]))
    return catalog


def test_parse_prefers_exact_site_then_date_then_words(ranked_catalog: Catalog) -> None:
    first = ranked_catalog.search_scenes(parse="SunnyStudio.2021-05-06.Zoe.Quill.Garden.Party.XXX.1080p")
    sub = ranked_catalog.search_scenes(parse="sunnystudioextra 21.05.06 garden party")
    by_words = ranked_catalog.search_scenes(parse="Garden Party Part 2")

    assert [s["_id"] for s in first[:2]] == [1, 2]
    assert [s["_id"] for s in sub[:2]] == [2, 1]
    assert by_words[0]["_id"] == 4


def test_parse_folds_accents_lookalikes_and_compact_dates(ranked_catalog: Catalog) -> None:
    cyrillic_o = "\u043e"
    hits = ranked_catalog.search_scenes(parse=f"[SunnyStudi{cyrillic_o}] Z\u00f6e Quill - Rooftop Dinner 20210507")

    assert hits[0]["_id"] == 6


def test_parse_returns_plausible_neighbours_when_the_scene_is_absent(ranked_catalog: Catalog) -> None:
    hits = ranked_catalog.search_scenes(parse="sunnystudio.2021-05-08.Zoe Quill Beach Day")

    assert hits  # it ranks, never decides
    assert {s["_id"] for s in hits} <= {1, 2, 3, 4, 6}
    assert hits[0]["site_id"] in (11, 12)


def test_parse_search_over_http_in_the_fixture_catalog_returns_neighbours(
    fake: FakeTPDB, http: requests.Session
) -> None:
    body = get(http, fake, "/scenes", parse="examplestudio 2022-01-05 Moonlit Garden Walk").json()

    assert [s["site_id"] for s in body["data"]][:3] == [4101, 4101, 4101]
    assert all("Moonlit" not in s["title"] for s in body["data"])


def test_q_is_a_word_search_over_title_performers_and_slug(ranked_catalog: Catalog) -> None:
    assert ranked_catalog.search_scenes(q="morning swim")[0]["_id"] == 3
    assert ranked_catalog.search_scenes(q="ana reed")[0]["_id"] == 3
    assert ranked_catalog.search_scenes(q="other-studio-rooftop-dinner")[0]["_id"] == 6
    assert ranked_catalog.search_scenes(q="qqqq") == []


def test_filters_narrow_lists(ranked_catalog: Catalog) -> None:
    ids = lambda **p: sorted(s["_id"] for s in ranked_catalog.search_scenes(**p))  # noqa: E731

    assert ids(site_id="11") == [1, 3, 4]
    assert ids(site_id="11", site_operation="Site/Parent") == [1, 2, 3, 4]
    assert ids(site_id="10", site_operation="Network") == [1, 2, 3, 4, 6]
    assert ids(site="Sunny Studio Extra") == [2]
    assert ids(date="2021-05-07", date_operation=">=") == [4, 6]
    assert ids(date="2021-05-06") == [1, 2, 3]
    assert ids(year="2019", hash="") == [5]
    assert ids(title="garden party") == [1, 2, 4, 5]
    assert ids(q="garden", year="", hash="", unknown_param="x") == [1, 2, 4, 5]
    assert [s["_id"] for s in ranked_catalog.search_scenes(orderBy="former_released")][:1] == [5]


def test_hash_filters_and_hash_boosts_parse(fake: FakeTPDB, http: requests.Session) -> None:
    only_md5 = get(http, fake, "/scenes", hash="1a2b3c4d5e6f7a8b", hashType="MD5").json()
    oshash = get(http, fake, "/scenes", hash="1a2b3c4d5e6f7a8b", hashType="OSHASH").json()

    assert only_md5["data"] == []
    assert oshash["data"][0]["id"] == fixture("scenes_hash_query.json")["data"][0]["id"]


def test_sites_and_performers_search(fake: FakeTPDB, http: requests.Session) -> None:
    sites = get(http, fake, "/sites", q="Example Studio").json()["data"]
    by_alias = get(http, fake, "/performers", q="Alexis Sample").json()["data"]
    scenes = get(http, fake, "/performers/6c5d4e3f-2a1b-4c0d-9e8f-7a6b5c4d3e2f/scenes").json()["data"]
    site_scenes = get(http, fake, "/sites/4101/scenes").json()["data"]

    assert sites[0]["id"] == 4101
    assert by_alias[0]["name"] == "Alex Sample"
    assert {s["_id"] for s in scenes} == {s["_id"] for s in fixture("performer_scenes.json")["data"]} | {900002}
    assert {s["site_id"] for s in site_scenes} == {4101}


# --- rate limit -------------------------------------------------------------------------------------------------------


def test_it_answers_429_with_retry_after_over_the_rate_and_does_not_count_it_as_served() -> None:
    with FakeTPDB(Catalog.from_fixtures(), rate=0.5, burst=3) as server:
        headers = {"Authorization": f"Bearer {server.token}"}
        responses = [requests.get(f"{server.base_url}/scenes/900001", headers=headers, timeout=5) for _ in range(5)]
        stats = server.stats()

    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in responses[:3]] == ["2", "1", "0"]
    limited = responses[3]
    assert limited.json() == fixture("error_429.json")
    expected_headers = fixture("error_429.headers.json")["headers"]
    assert set(expected_headers) <= set(limited.headers)
    assert 1 <= int(limited.headers["Retry-After"]) <= 2
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert int(limited.headers["X-RateLimit-Reset"]) >= int(time.time())
    assert (stats["received"], stats["served"], stats["rate_limited"]) == (5, 3, 2)
    assert stats["by_status"] == {"200": 3, "429": 2}


def test_the_bucket_refills_at_the_configured_rate() -> None:
    with FakeTPDB(Catalog.from_fixtures(), rate=5, burst=1) as server:
        headers = {"Authorization": f"Bearer {server.token}"}
        first = requests.get(f"{server.base_url}/auth/user", headers=headers, timeout=5)
        second = requests.get(f"{server.base_url}/auth/user", headers=headers, timeout=5)
        time.sleep(0.3)
        third = requests.get(f"{server.base_url}/auth/user", headers=headers, timeout=5)

    assert [first.status_code, second.status_code, third.status_code] == [200, 429, 200]


def test_200s_carry_rate_limit_headers_when_limited(fake: FakeTPDB) -> None:
    fake.set_rate(4, 8)
    response = requests.get(f"{fake.base_url}/sites", headers={"Authorization": f"Bearer {fake.token}"}, timeout=5)

    assert set(fixture("ok_200.headers.json")["headers"]) <= set(response.headers)
    assert response.headers["X-RateLimit-Limit"] == "8"
    assert response.headers["X-RateLimit-Remaining"] == "7"


# --- faults -----------------------------------------------------------------------------------------------------------


def test_latency_fault_delays_answers(fake: FakeTPDB, http: requests.Session) -> None:
    fake.set_faults(latency_s=0.3)
    started = time.monotonic()
    response = get(http, fake, "/scenes/900001")

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize("status", [500, 503])
def test_status_fault_answers_server_error_json(fake: FakeTPDB, http: requests.Session, status: int) -> None:
    fake.set_faults(status=status)
    response = get(http, fake, "/scenes/900001")

    assert response.status_code == status
    assert response.json() == fixture("error_500.json")


def test_502_fault_answers_an_html_page(fake: FakeTPDB, http: requests.Session) -> None:
    fake.set_faults(status=502)
    response = get(http, fake, "/scenes")

    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<html>" in response.text


def test_html_fault_answers_200_with_a_parking_page(fake: FakeTPDB, http: requests.Session) -> None:
    fake.set_faults(html=True)
    response = get(http, fake, "/scenes")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        response.json()


def test_down_fault_drops_the_connection_without_an_answer(fake: FakeTPDB, http: requests.Session) -> None:
    fake.set_faults(down=True)
    with pytest.raises(requests.ConnectionError):
        get(http, fake, "/scenes/900001")

    assert fake.stats()["dropped"] >= 1
    assert fake.stats()["served"] == 0


def test_pause_refuses_connections_until_resume(fake: FakeTPDB, http: requests.Session) -> None:
    fake.pause()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{fake.base_url}/scenes", timeout=2)
    fake.resume()

    assert get(http, fake, "/scenes").status_code == 200


def test_empty_search_fault_returns_no_data_but_details_still_work(fake: FakeTPDB, http: requests.Session) -> None:
    fake.set_faults(empty_search=True)
    body = get(http, fake, "/scenes", parse="examplestudio 2022-01-03 sunny afternoon picnic").json()

    assert body["data"] == []
    assert body["meta"]["total"] == 0
    assert get(http, fake, "/scenes/900001").status_code == 200


def test_force_429_uses_the_given_retry_after(fake: FakeTPDB, http: requests.Session) -> None:
    fake.set_faults(force_429=True, retry_after=7)
    response = get(http, fake, "/scenes/900001")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json() == {"message": "Too Many Attempts."}
    assert fake.stats()["rate_limited"] == 1


def test_faults_can_be_limited_to_a_path_and_a_number_of_requests(fake: FakeTPDB, http: requests.Session) -> None:
    fake.set_faults(status=503, times=2, path_prefix="/scenes/")
    statuses = [get(http, fake, path).status_code for path in ("/sites", "/scenes/900001", "/scenes/900001")]
    after = get(http, fake, "/scenes/900001").status_code

    assert statuses == [200, 503, 503]
    assert after == 200
    assert fake.faults()["status"] is None


def test_unknown_fault_names_are_refused(fake: FakeTPDB) -> None:
    with pytest.raises(TypeError):
        fake.set_faults(explode=True)


# --- control endpoints, canned responses, counters --------------------------------------------------------------------


def test_http_control_endpoints_drive_faults_stats_and_reset_without_auth(
    fake: FakeTPDB, http: requests.Session
) -> None:
    set_fault = requests.post(f"{fake.base_url}/_fake/faults", json={"status": 503}, timeout=5)
    failed = get(http, fake, "/scenes/900001")
    stats = requests.get(f"{fake.base_url}/_fake/stats", timeout=5).json()
    log = requests.get(f"{fake.base_url}/_fake/requests", timeout=5).json()["requests"]
    bad = requests.post(f"{fake.base_url}/_fake/faults", json={"nope": 1}, timeout=5)
    reset = requests.post(f"{fake.base_url}/_fake/reset", timeout=5)
    after = get(http, fake, "/scenes/900001")

    assert set_fault.json()["faults"]["status"] == 503
    assert failed.status_code == 503
    assert stats["by_status"] == {"503": 1}
    assert stats["by_route"] == {"GET /scenes/{id}": 1}
    assert [(r["path"], r["status"]) for r in log] == [("/scenes/900001", 503)]
    assert bad.status_code == 400
    assert reset.json() == {"ok": True}
    assert after.status_code == 200
    assert fake.stats()["received"] == 1  # control requests are never counted


def test_http_control_can_set_the_rate_and_serve_canned_bodies(fake: FakeTPDB, http: requests.Session) -> None:
    requests.post(f"{fake.base_url}/_fake/rate", json={"rate": 1, "burst": 1}, timeout=5)
    requests.post(
        f"{fake.base_url}/_fake/serve", json={"path": "/scenes/abc", "fixture": "scene_detail.json"}, timeout=5
    )

    first = get(http, fake, "/scenes/abc")
    second = get(http, fake, "/scenes/abc")

    assert first.json() == fixture("scene_detail.json")
    assert second.status_code == 429


def test_serve_overrides_routing_with_a_fixture_dict_or_query(fake: FakeTPDB, http: requests.Session) -> None:
    fake.serve("GET", "/scenes/abc", "scene_detail.json")
    fake.serve("GET", "/scenes", {"data": []}, query={"parse": "special"})
    fake.serve("GET", "/sites/4101", "error_500.json", status=500)

    assert get(http, fake, "/scenes/abc").json() == fixture("scene_detail.json")
    assert get(http, fake, "/scenes", parse="special").json() == {"data": []}
    assert get(http, fake, "/scenes", parse="examplestudio").json()["meta"]["total"] > 0
    assert get(http, fake, "/sites/4101").status_code == 500
    assert requests.get(f"{fake.base_url}/scenes/abc", timeout=5).status_code == 401  # auth still applies


def test_request_log_and_counters_describe_what_was_asked(fake: FakeTPDB, http: requests.Session) -> None:
    before = time.monotonic()
    get(http, fake, "/scenes", parse="x y")
    get(http, fake, "/scenes/900001")
    get(http, fake, "/sites/4101")

    records = fake.requests
    assert [r.route for r in records] == ["GET /scenes", "GET /scenes/{id}", "GET /sites/{id}"]
    assert records[0].query == "parse=x+y"
    assert all(before <= r.t for r in records)
    assert records == sorted(records, key=lambda r: r.t)
    assert fake.count(path_prefix="/scenes") == 2
    assert fake.count(route="GET /sites/{id}", status=200) == 1
    assert fake.stats()["by_route"] == {"GET /scenes": 1, "GET /scenes/{id}": 1, "GET /sites/{id}": 1}
    fake.reset()
    assert fake.requests == []
    assert fake.stats()["received"] == 0


def test_added_data_is_served_without_restarting(fake: FakeTPDB, http: requests.Session) -> None:
    site = fixture("site_detail.json")["data"]
    fake.catalog.add_scene(make_scene(777, "Late Arrival", site, "2023-03-03"))

    assert get(http, fake, "/scenes/777").json()["data"]["title"] == "Late Arrival"


# --- concurrency, lifecycle, CLI --------------------------------------------------------------------------------------


def test_it_serves_concurrent_clients_and_counts_every_request(fake: FakeTPDB) -> None:
    errors: list[BaseException] = []

    def worker() -> None:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {fake.token}"
            for n in range(20):
                try:
                    path = "/scenes/900001" if n % 2 else "/scenes?parse=examplestudio.2022-01-03.picnic"
                    assert session.get(fake.base_url + path, timeout=5).status_code == 200
                except BaseException as exc:  # collected and re-raised in the main thread
                    errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert fake.stats()["received"] == 160
    assert fake.stats()["served"] == 160


def test_stop_closes_keep_alive_connections_and_threads() -> None:
    before = set(threading.enumerate())
    server = FakeTPDB(Catalog.from_fixtures()).start()
    session = requests.Session()
    session.get(f"{server.base_url}/auth/user", headers={"Authorization": f"Bearer {server.token}"}, timeout=5)
    server.stop()
    session.close()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and set(threading.enumerate()) - before:
        time.sleep(0.02)

    assert set(threading.enumerate()) - before == set()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.base_url}/auth/user", timeout=1)


def test_cli_serves_the_fixtures_and_stops_on_sigterm() -> None:
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_tpdb", "--fixtures", str(FIXTURES_DIR), "--token", "cli-token"],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline(), proc.stdout.readline()]
        base_url = lines[1].strip()
        response = requests.get(f"{base_url}/scenes/900001", headers={"Authorization": "Bearer cli-token"}, timeout=5)
        assert response.json()["data"]["_id"] == 900001
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=10)

    assert base_url.startswith("http://127.0.0.1:")
    assert code == 0


# --- the real match corpus ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus() -> Catalog:
    if not CORPUS.exists():
        pytest.skip(f"match corpus not found at {CORPUS} (only present next to the shared folder)")
    return Catalog.from_corpus(CORPUS)


def test_the_corpus_loads_and_parse_finds_its_own_scenes(corpus: Catalog) -> None:
    index = corpus.index
    scenes = index.scenes.items
    assert len(scenes) > 1000
    assert len(index.movies.items) > 100
    misses = []
    for scene in scenes[::97]:
        names = " ".join(p["name"] for p in scene["performers"][:2])
        query = f"{scene['site']['short_name']}.{scene['date']}.{names}.{scene['title']}"
        top = corpus.search_scenes(parse=query)[0]
        if (top["title"], top["date"]) != (scene["title"], scene["date"]):  # a TPDB duplicate is as good
            misses.append(query)

    assert misses == []


def test_the_corpus_is_served_over_http(corpus: Catalog) -> None:
    scene = corpus.index.scenes.items[0]
    movie = corpus.index.movies.items[0]
    with FakeTPDB(corpus) as server:
        headers = {"Authorization": f"Bearer {server.token}"}
        by_uuid = requests.get(f"{server.base_url}/scenes/{scene['id']}", headers=headers, timeout=5).json()
        by_id = requests.get(f"{server.base_url}/movies/{movie['_id']}", headers=headers, timeout=5).json()
        wrong = requests.get(f"{server.base_url}/movies/{scene['id']}", headers=headers, timeout=5)

    assert by_uuid["data"] == scene
    assert by_id["data"]["id"] == movie["id"]
    assert wrong.status_code == 404
