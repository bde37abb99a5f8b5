"""Show and season matching: a stored site first, TPDB's site search only without a sure local hit."""

from __future__ import annotations

import datetime as dt

import pytest

from scenes.episodes import scene_episode_index
from scenes.matching import MatchRequest, match_season, match_show
from scenes.matching.shows import match_numbered_episode
from scenes.models import Scene
from sites.models import Site, SiteAlias
from tests.scenes.matching.conftest import make_scene, make_site

pytestmark = pytest.mark.django_db


def show(title: str = "", *, manual: bool = False, filename: str = "") -> MatchRequest:
    return MatchRequest(provider="tv", type=2, title=title, filename=filename, manual=manual)


def test_a_stored_site_named_exactly_answers_without_tpdb(fake_tpdb):
    site = make_site("Alpha Studio", 7001)
    (result,) = match_show(show("Alpha Studio"))
    assert (result.item, result.kind, result.score) == (site, "show", 100)
    assert fake_tpdb.requests == []


def test_an_alias_answers_for_its_site(fake_tpdb):
    site = make_site("Alpha Studio", 7001)
    SiteAlias.objects.create(site=site, alias="alphas")
    (result,) = match_show(show("Alphas"))
    assert (result.item, result.score) == (site, 95)


def test_two_sites_equally_close_are_no_clear_winner_unless_the_request_is_manual(fake_tpdb):
    make_site("Alpha Studio", 7001, short_name="alpha")
    make_site("Alpha Studio", 7002, slug="alpha-studio-2", short_name="alpha2")
    assert match_show(show("Alpha Studio")) == []
    assert len(match_show(show("Alpha Studio", manual=True))) == 2


def test_a_lower_margin_lets_the_same_pair_through(fake_tpdb, settings):
    make_site("Alpha Studio", 7001, short_name="alpha")
    make_site("Alpha Studio X", 7002, slug="alpha-studio-x", short_name="alphax")
    settings.PLEX_MATCH_MARGIN = 0
    (result,) = match_show(show("Alpha Studio"))
    assert result.item.tpdb_numeric_id == 7001


def test_an_unknown_show_is_searched_on_tpdb_and_its_site_stored(fake_tpdb):
    (result,) = match_show(show(filename="/tv/Example Studio/Example Studio - 2022-01-03 - Picnic.mp4"))
    assert (result.item.name, result.score) == ("Example Studio", 100)
    assert Site.objects.filter(tpdb_numeric_id=4101).exists()


def test_tpdb_failing_with_nothing_stored_answers_nothing(tpdb_down):
    assert match_show(show("Nobody Knows This Site")) == []


def test_a_season_is_the_site_and_the_year_plex_numbered_it(fake_tpdb):
    site = make_site("Alpha Studio", 7001)
    req = MatchRequest(provider="tv", type=3, parent_title="Alpha Studio", index=2023)
    (result,) = match_season(req)
    assert (result.item, result.kind, result.score) == ((site, 2023), "season", 100)


@pytest.mark.parametrize("index", [None, 1899, 2101])
def test_a_season_needs_a_plausible_year(fake_tpdb, index):
    make_site("Alpha Studio", 7001)
    assert match_season(MatchRequest(provider="tv", type=3, parent_title="Alpha Studio", index=index)) == []


def _numbered(site, **fields):
    values = {"provider": "tv", "type": 4, "grandparent_title": site.name, "parent_index": 2023, "index": 10401}
    values.update(fields)
    return MatchRequest(**values)


def test_a_numbered_request_is_answered_with_the_episode_served_under_that_number(fake_tpdb):
    site = make_site("Alpha Studio", 7001)
    scene = make_scene(site, "First Of The Year", dt.date(2023, 1, 4))
    assert scene_episode_index(scene=scene) == 10401
    (result,) = match_numbered_episode(_numbered(site))
    assert (result.item, result.kind, result.score) == (scene, "episode", 100)
    assert fake_tpdb.requests == []


@pytest.mark.parametrize(
    "fields",
    [
        {"index": 10402},  # no such episode
        {"parent_index": 1},  # not a season of ours (they are years, or 0)
        {"manual": True},  # Fix Match: the engine's list
        {"type": 2},
        {"grandparent_title": "Nobody Knows This Site"},
    ],
)
def test_a_request_naming_no_served_episode_is_left_to_the_engine(fake_tpdb, fields):
    site = make_site("Alpha Studio", 7001)
    scene_episode_index(scene=make_scene(site, "First Of The Year", dt.date(2023, 1, 4)))
    assert match_numbered_episode(_numbered(site, **fields)) is None
    assert fake_tpdb.requests == []


def test_a_number_is_not_answered_once_tpdb_moved_the_scene_to_another_year(fake_tpdb):
    site = make_site("Alpha Studio", 7001)
    scene = make_scene(site, "First Of The Year", dt.date(2023, 1, 4))
    scene_episode_index(scene=scene)
    Scene.objects.filter(pk=scene.pk).update(release_date=dt.date(2024, 1, 4))
    assert match_numbered_episode(_numbered(site)) is None


PICNIC_DAY = dt.date(2022, 1, 3)


def _twins() -> tuple[Site, Site]:
    """Two stored sites named alike (TPDB lists such pairs): the second heads a family with a scene on PICNIC_DAY."""
    empty = make_site("Alpha Studio", 7001, short_name="alpha")
    network = make_site("Alpha Studio", 7002, slug="alpha-studio-2", short_name="alpha2")
    sub_site = make_site("Beta Girls", 7003, parent_tpdb_id=7002, network_tpdb_id=7002)
    Site.objects.filter(pk=sub_site.pk).update(parent=network, network=network)
    make_scene(sub_site, "Sunny Afternoon Picnic", PICNIC_DAY)
    return empty, network


def test_sites_sharing_the_show_name_are_told_apart_by_the_family_of_its_first_file(fake_tpdb):
    _, network = _twins()
    filename = "Alpha Studio/Beta Girls - 2022-01-03 - Sunny Afternoon Picnic.mp4"
    (result,) = match_show(show("Alpha Studio", filename=filename))
    assert (result.item, result.kind) == (network, "show")


def test_sites_sharing_the_show_name_stay_tied_when_the_first_file_is_of_neither(fake_tpdb):
    _twins()
    stranger = make_site("Gamma Films", 7004)
    make_scene(stranger, "Sunny Afternoon Picnic", PICNIC_DAY)
    filename = "Alpha Studio/Gamma Films - 2022-01-03 - Sunny Afternoon Picnic.mp4"
    assert match_show(show("Alpha Studio", filename=filename)) == []


def test_a_release_folder_is_the_show_of_the_site_in_front_of_its_date(fake_tpdb):
    site = make_site("Web Young", 7010)
    (result,) = match_show(show("WebYoung.2023.06.24.Anna.Anna.XXX.720p.MP4-FETiSH"))
    assert (result.item, result.score) == (site, 95)
    assert fake_tpdb.requests == []


def test_a_catch_all_folder_gets_no_show_from_its_first_file(fake_tpdb):
    site = make_site("Beta Girls", 7003)
    make_scene(site, "Sunny Afternoon Picnic", PICNIC_DAY)
    assert match_show(show("Misc", filename="Misc/Beta Girls - 2022-01-03 - Sunny Afternoon Picnic.mp4")) == []
