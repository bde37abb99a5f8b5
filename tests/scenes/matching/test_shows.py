"""Show and season matching: a stored site first, TPDB's site search only without a sure local hit."""

from __future__ import annotations

import pytest

from scenes.matching import MatchRequest, match_season, match_show
from sites.models import Site, SiteAlias
from tests.scenes.matching.conftest import make_site

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
