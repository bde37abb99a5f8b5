"""Movie upserts: year, studio without the format suffix, cast credits."""

from __future__ import annotations

import pytest

from movies.models import Movie, MoviePerformer, Performer
from movies.selectors import movie_get
from movies.services import movie_mark_missing_upstream, movie_studio_from_site_name, movie_upsert_from_tpdb
from tests.recipes import movie as movie_recipe
from tests.recipes import tpdb_json
from tpdbprovider.tpdb.schemas import TPDBScene

pytestmark = pytest.mark.django_db

MOVIE_ID = "3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b"


def movie_detail() -> TPDBScene:
    return TPDBScene.from_json(tpdb_json("movie_detail.json")["data"])


def test_it_stores_a_movie_with_year_studio_and_cast():
    movie = movie_upsert_from_tpdb(data=movie_detail())

    assert movie.year == 2016
    assert movie.studio == "Example Pictures"
    assert movie.site.name == "Example Pictures (DVD)"
    assert movie.directors == ["Dana Director"]
    assert movie.is_complete is True
    assert list(movie.credits.values_list("credited_name", flat=True))[:2] == ["Alex Sample", "Jordan E."]


def test_a_second_identical_upsert_changes_nothing():
    movie_upsert_from_tpdb(data=movie_detail())
    before = (Movie.objects.count(), Performer.objects.count(), MoviePerformer.objects.count())

    movie_upsert_from_tpdb(data=movie_detail())

    assert (Movie.objects.count(), Performer.objects.count(), MoviePerformer.objects.count()) == before


def test_a_search_item_with_an_unlinked_performer_is_stored():
    item = TPDBScene.from_json(tpdb_json("movies_search.json")["data"][2])

    movie = movie_upsert_from_tpdb(data=item)

    assert movie.is_complete is False
    assert movie.credits.get(credited_name="Unlinked Newcomer").performer.parent is None


def test_a_thin_search_item_keeps_the_complete_movie_fields():
    movie_upsert_from_tpdb(data=movie_detail())

    movie_upsert_from_tpdb(data=TPDBScene.from_json(tpdb_json("movies_search.json")["data"][0]))

    movie = movie_get(tpdb_id=MOVIE_ID)
    assert movie.is_complete is True
    assert movie.directors == ["Dana Director"]


@pytest.mark.parametrize(
    ("name", "studio"),
    [
        ("Example Pictures (DVD)", "Example Pictures"),
        ("Label (Blu-ray) ", "Label"),
        ("Plain Studio", "Plain Studio"),
        ("(DVD)", "(DVD)"),
        ("Studio (2) (DVD)", "Studio (2)"),
    ],
)
def test_studio_drops_one_trailing_parenthetical(name, studio):
    assert movie_studio_from_site_name(name=name) == studio


def test_marking_missing_and_selectors():
    movie = movie_recipe.make()

    movie_mark_missing_upstream(movie=movie)

    assert movie_get(tpdb_id=movie.tpdb_id).is_missing_upstream is True
    assert movie_get(movie_id=movie.pk) == movie
    assert movie_get(tpdb_id="junk") is None
