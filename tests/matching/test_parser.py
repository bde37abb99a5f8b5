import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from tpdbprovider.matching.parser import MatchInput, parse, parse_request

D = datetime.date


def test_it_reads_a_dotted_scene_release_with_a_two_digit_year():
    p = parse("Site.24.01.15.Jane.Doe.Hot.Title.XXX.1080p.MP4-GRP.mp4")
    assert p.site_tokens[0] == "Site"
    assert p.release_date == D(2024, 1, 15)
    assert p.is_two_digit_year
    assert p.words == ("jane", "doe", "hot", "title")
    assert p.uncertain_words == ("xxx",)
    assert p.resolution == "1080p"


def test_it_reads_a_curated_dated_name():
    p = parse("Brazzers Exxtra - 2024-01-15 - Stress Relief [WEBDL-1080p].mkv")
    assert p.site_tokens == ("Brazzers Exxtra",)
    assert p.release_date == D(2024, 1, 15)
    assert p.title == "stress relief"


def test_it_separates_performers_from_title_in_whisparr_names():
    p = parse("Teens Like It Big - 2025-06-20 - Ivy Bond & Tina Day - Sweet Wish - WEBDL-2160p h264.avi")
    assert p.performers == ("ivy bond", "tina day")
    assert p.title == "sweet wish"


def test_it_reads_a_bracketed_tracker_name_with_a_day_first_date():
    p = parse("[TheLifeErotic.com] Harper Rivers - Summer Fun (17.09.2016) [2016 \u0433., Romance, 720p].mp4")
    assert p.site_tokens[0] == "TheLifeErotic.com"
    assert p.release_date == D(2016, 9, 17)
    assert p.title == "summer fun"


def test_it_keeps_both_readings_of_an_ambiguous_day_month_date():
    p = parse("MyFamilyPies.09.04.2023.Vicky.Summers.mp4")
    assert set(p.dates) == {D(2023, 4, 9), D(2023, 9, 4)}


def test_it_reads_us_month_first_dates_with_dashes():
    p = parse("Site - 04-09-2023 - Title.mp4")
    assert p.release_date == D(2023, 4, 9)
    assert D(2023, 9, 4) in p.date_alternatives


def test_it_reads_compact_dates():
    assert parse("Vixen 20240315 Title.mp4").release_date == D(2024, 3, 15)


def test_it_keeps_performer_first_names_whole():
    p = parse("Rachel Allen - Fancy Shoot #1 (2016-08-05).mkv")
    assert p.words[:2] == ("rachel", "allen")
    assert p.release_date == D(2016, 8, 5)
    assert p.series_numbers == (1,)


def test_it_finds_a_site_in_a_trailing_bracket():
    p = parse("Jolie Snow - First Babysitter [Tiny4K.com - 2017] 480p 60fps PRT[XvX].mp4")
    assert "Tiny4K.com" in p.site_tokens
    assert p.year == 2017


def test_it_strips_copy_suffixes_and_extensions():
    for name in (
        "bex.21.12.07.Jane.Doe - Copy.mp4",
        "bex.21.12.07.Jane.Doe [Copy].mp4",
        "bex.21.12.07.Jane.Doe (1).mp4",
    ):
        assert parse(name).words == ("jane", "doe"), name


def test_it_reads_series_numbers():
    assert parse("Site - 2020-01-01 - Perfect Babysitter Part 3.mp4").series_numbers == (3,)
    assert parse("Site - 2020-01-01 - Show S2E3.mp4").series_numbers == (2, 3)


def test_it_finds_tpdb_pins():
    assert parse("x https://theporndb.net/scenes/some-slug y").tpdb_ref.kind == "scene"
    assert parse("Title [tpdbid=abc123].mp4").tpdb_ref.id == "abc123"
    ref = parse("3f2a1b0c-1111-2222-3333-444455556666.mp4").tpdb_ref
    assert ref is not None and ref.kind is None


def test_search_query_looks_like_namers():
    assert parse("Brazzers Exxtra - 2024-01-15 - Stress Relief.mp4").to_search_query() == (
        "brazzersexxtra 2024-01-15 stress relief"
    )


def test_request_merges_release_folder_and_grandparent_title():
    inp = MatchInput(
        filename="/data/media/adult/TeamSkeet/CFNMTeens - 2016-06-13 - Naughty Coach [WEBDL-720p].mp4",
        grandparent_title="Teamskeet",
        kind="episode",
    )
    p = parse_request(inp)
    assert p.site_tokens[0] == "CFNMTeens"
    assert "TeamSkeet" in p.site_tokens


def test_request_uses_plex_date_when_the_name_has_none():
    p = parse_request(MatchInput(filename="Site - Title.mp4", date=D(2020, 5, 6)))
    assert p.release_date == D(2020, 5, 6)


def test_request_handles_windows_paths():
    p = parse_request(MatchInput(filename="C:\\lib\\Vixen\\Vixen.24.03.15.Jane.Doe.mp4"))
    assert p.release_date == D(2024, 3, 15)
    assert p.site_tokens[0] == "Vixen"


def test_it_caps_work_on_huge_input():
    p = parse("Site.24.01.15." + "word." * 200_000 + "mp4")
    assert p.release_date == D(2024, 1, 15)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_it_never_raises_on_any_text(text):
    assert parse(text + "\x00") is not None
    assert parse_request(MatchInput(title=text, filename=text, grandparent_title=text)) is not None
