"""A person's admin edits lock those fields: forced refreshes and upserts of the same TPDB item keep them."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from movies.models import Movie
from movies.services import movie_fetch_from_tpdb, movie_refresh_from_tpdb
from scenes.models import Scene
from scenes.services import scene_fetch_from_tpdb, scene_upsert_from_tpdb
from tests.recipes import tpdb_json
from tpdbprovider.tpdb.schemas import TPDBScene

pytestmark = pytest.mark.django_db

SCENE_ID = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"
MOVIE_ID = "3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b"


class _FormValues(HTMLParser):
    """What a browser would submit for the admin change form, as it is rendered."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        name = attr.get("name", "")
        if tag == "input" and name and attr.get("type") not in ("submit", "button", "file"):
            if attr.get("type") in ("checkbox", "radio") and "checked" not in attr:
                return
            self.data.setdefault(name, []).append(attr.get("value", "on" if attr.get("type") == "checkbox" else ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attr:
            self.data.setdefault(self._select, []).append(attr.get("value", ""))

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea][0] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            if self._textarea:
                self.data[self._textarea][0] = self.data[self._textarea][0].removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None


def _change(client: Client, url: str, **changes: object) -> None:
    page = client.get(url)
    assert page.status_code == 200
    parser = _FormValues()
    parser.feed(page.content.decode())
    data: dict[str, object] = {k: v if len(v) > 1 else v[0] for k, v in parser.data.items()}
    data.update(changes)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]


def _scene_url(scene: Scene) -> str:
    return reverse("admin:scenes_scene_change", args=[scene.pk])


def test_an_admin_edit_survives_a_forced_refresh_and_an_upsert_until_unlocked(admin_client, fake_tpdb, client):
    scene = scene_fetch_from_tpdb(ref=SCENE_ID)
    tpdb_title, tpdb_date = scene.title, scene.release_date
    assert scene.credits.count() == 3 and scene.locked_fields == []

    _change(
        admin_client,
        _scene_url(scene),
        title="My Own Title",
        description="My summary.",
        release_date="2001-02-03",
        tags='["Mine"]',
        **{"credits-0-DELETE": "on"},
    )

    scene.refresh_from_db()
    assert scene.locked_fields == ["title", "description", "release_date", "tags", "performers"]
    assert "title, description, release_date, tags, performers" in admin_client.get(_scene_url(scene)).content.decode()
    refreshed = admin_client.post(reverse("admin:core_operations_refresh"), {"rating_key": f"tpdb-scene-{SCENE_ID}"})
    assert refreshed.status_code == 302 and fake_tpdb.count(path_prefix=f"/scenes/{SCENE_ID}") == 2
    scene_upsert_from_tpdb(data=TPDBScene.from_json(tpdb_json("scene_detail.json")["data"]))

    scene.refresh_from_db()
    assert (scene.title, scene.description, scene.release_date) == ("My Own Title", "My summary.", dt.date(2001, 2, 3))
    assert scene.tags == ["Mine"] and scene.credits.count() == 2
    assert scene.fetched_at > scene.created_at  # the refresh did run: only the locked fields were left alone
    item = client.get(f"/tv/library/metadata/tpdb-scene-{SCENE_ID}").json()["MediaContainer"]["Metadata"][0]
    assert item["title"] == "My Own Title" and [g["tag"] for g in item["Genre"]] == ["Mine"]

    _change(admin_client, _scene_url(scene), unlock=["title", "performers"])
    scene.refresh_from_db()
    assert scene.locked_fields == ["description", "release_date", "tags"]
    scene_fetch_from_tpdb(ref=SCENE_ID)

    scene.refresh_from_db()
    assert scene.title == tpdb_title and scene.credits.count() == 3
    assert scene.release_date == dt.date(2001, 2, 3) != tpdb_date


def test_saving_the_admin_form_unchanged_locks_nothing(admin_client, fake_tpdb):
    scene = scene_fetch_from_tpdb(ref=SCENE_ID)

    _change(admin_client, _scene_url(scene))

    scene.refresh_from_db()
    assert scene.locked_fields == []


def test_a_movie_title_edit_survives_a_forced_refresh_until_unlocked(admin_client, fake_tpdb):
    movie = movie_fetch_from_tpdb(ref=MOVIE_ID)
    tpdb_title = movie.title
    url = reverse("admin:movies_movie_change", args=[movie.pk])

    _change(admin_client, url, title="Director's Cut", release_date="1999-12-31")
    movie_refresh_from_tpdb(movie=Movie.objects.get(pk=movie.pk))

    movie.refresh_from_db()
    assert (movie.title, movie.release_date, movie.year) == ("Director's Cut", dt.date(1999, 12, 31), 2016)
    assert movie.locked_fields == ["title", "release_date"]

    _change(admin_client, url, unlock=["title", "release_date"])
    movie_refresh_from_tpdb(movie=Movie.objects.get(pk=movie.pk))

    movie.refresh_from_db()
    assert (movie.title, movie.release_date.year, movie.year) == (tpdb_title, 2016, 2016)
