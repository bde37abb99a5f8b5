"""The reads behind a show: seasons by year, first release, art, episode order and index."""

from __future__ import annotations

import datetime as dt

import pytest

from scenes.episodes import episode_numbers_ensure, scene_episode_index
from scenes.models import Scene
from scenes.selectors import (
    EpisodeCount,
    Season,
    episode_count,
    scene_exists,
    scenes_with_credits,
    season_scenes,
    season_year,
    site_art_url,
    site_episodes,
    site_first_release,
    site_seasons,
)
from tests import recipes
from tpdbprovider.matching.ratingkeys import UNDATED_SEASON

pytestmark = pytest.mark.django_db


@pytest.fixture
def show() -> tuple[object, list[Scene]]:
    site = recipes.site.make()
    dates = [dt.date(2021, 5, 1), dt.date(2021, 2, 1), dt.date(2021, 2, 1), dt.date(2023, 1, 9), None]
    scenes = [
        recipes.scene.make(site=site, release_date=d, background_url=f"https://img.example/{i}.jpg")
        for i, d in enumerate(dates)
    ]
    recipes.scene.make(release_date=dt.date(2020, 1, 1))  # another site's scene counts nowhere
    return site, scenes


def test_seasons_are_the_years_with_scenes_undated_first(show) -> None:
    site, _ = show
    assert site_seasons(site=site) == [
        Season(year=UNDATED_SEASON, first_release=None),
        Season(year=2021, first_release=dt.date(2021, 2, 1)),
        Season(year=2023, first_release=dt.date(2023, 1, 9)),
    ]


def test_first_release_of_the_show_and_of_one_season(show) -> None:
    site, _ = show
    assert site_first_release(site=site) == dt.date(2021, 2, 1)
    assert site_first_release(site=site, year=2023) == dt.date(2023, 1, 9)
    assert site_first_release(site=site, year=2019) is None
    assert site_first_release(site=site, year=UNDATED_SEASON) is None


def test_the_art_is_the_newest_dated_scene_s_background(show) -> None:
    site, _ = show
    assert site_art_url(site=site) == "https://img.example/3.jpg"
    assert site_art_url(site=recipes.site.make()) == ""


def test_episode_order_and_index_agree(show) -> None:
    site, scenes = show
    assert episode_count(site=site) == EpisodeCount(total=5, unnumbered=5)
    assert episode_numbers_ensure(site=site) == 5
    assert episode_count(site=site) == EpisodeCount(total=5, unnumbered=0)
    ties = sorted(scenes[1:3], key=lambda s: s.tpdb_id)
    assert list(season_scenes(site=site, year=2021)) == [*ties, scenes[0]]
    assert list(season_scenes(site=site, year=UNDATED_SEASON)) == [scenes[4]]

    ranked = list(site_episodes(site=site))
    assert ranked == [scenes[4], *ties, scenes[0], scenes[3]]
    assert [s.episode_index for s in ranked] == [1, 20101, 20102, 50101, 10901]
    assert [scene_episode_index(scene=s) for s in ranked] == [1, 20101, 20102, 50101, 10901]
    assert [season_year(s) for s in ranked] == [UNDATED_SEASON, 2021, 2021, 2021, 2023]


def test_a_scene_without_a_site_is_episode_one() -> None:
    assert scene_episode_index(scene=recipes.scene.make(site=None)) == 1


def test_credits_come_in_credit_order_in_one_extra_query(django_assert_num_queries) -> None:
    scene = recipes.scene_with_performers.make()
    first, second = scene.credits.order_by("pk")
    first.order, second.order = 1, 0
    first.save()
    second.save()

    with django_assert_num_queries(2):
        loaded = scenes_with_credits(Scene.objects.filter(pk=scene.pk)).get()
        names = [c.performer.name for c in loaded.credits.all()]
    assert names == [second.performer.name, first.performer.name]


def test_scene_exists_takes_only_uuids() -> None:
    scene = recipes.scene.make()
    assert scene_exists(tpdb_id=str(scene.tpdb_id))
    assert not scene_exists(tpdb_id="not-a-uuid")
    assert not scene_exists(tpdb_id="99999999-9999-4999-8999-000000000001")
