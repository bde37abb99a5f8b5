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


def test_it_reads_dates_written_with_month_names():
    assert parse("Savannah Hayes - Welcome Home (September 19, 2024).mp4").release_date == D(2024, 9, 19)
    assert parse("Sin City - June 24, 2025 - Maya Diaz - Cleaning the Boss.mkv").release_date == D(2025, 6, 24)
    assert parse("Fantasy Massage Jun.24.2025 Hot Road.mp4").release_date == D(2025, 6, 24)
    assert parse("Site - 24 June 2025 - Title.mp4").release_date == D(2025, 6, 24)
    assert parse("Site - 24th of June, 2025 - Title.mp4").release_date == D(2025, 6, 24)
    assert parse("May Day at the Office.mp4").release_date is None  # a month word without day and year is a word


def test_it_reads_a_us_date_with_dashes_month_first():
    p = parse("Site - 06-24-2025 - Title.mp4")
    assert p.release_date == D(2025, 6, 24)
    assert p.words == ("title",)


def test_it_keeps_every_reading_of_a_two_digit_year_date():
    p = parse("Site.24.06.25.Jane.Doe.mp4")
    assert p.release_date == D(2024, 6, 25)  # the scene-release YY.MM.DD first
    assert D(2025, 6, 24) in p.date_alternatives  # and DD.MM.YY
    assert p.is_two_digit_year
    assert parse("Site.13.12.20.Jane.Doe.mp4").dates == (D(2013, 12, 20), D(2020, 12, 13))


def test_it_takes_a_file_part_marker_off_the_name():
    cases = {
        "Keeping Hearts.part.1.avi": 1,
        "Lesbea.24.07.16.Brooke.Evans.XXX.720p.MP4-VERIFIED[XvX] CD1.mkv": 1,
        "Pervz - 2022-02-12 - Sneaky Babysitter Kitchen - WEBDL-480p h264 part-2.wmv": 2,
        "ATKGirlfriends - 09-25-2020 - 1372.part2of3.mp4": 2,
        "The Velvet Babysitter Part 1 [WEBDL-4K].part2of3.avi": 2,
        "Breaking the Road 3of4.mp4": 3,
    }
    for name, part in cases.items():
        p = parse(name)
        assert p.part_number == part, name
        assert not {"part", "cd1", "of"} & set(p.words[-1:]) or name.startswith("The Velvet"), name
    assert parse("Keeping Hearts.part.1.avi").words == ("keeping", "hearts")
    assert parse("ATKGirlfriends - 09-25-2020 - 1372.part2of3.mp4").words == ("1372",)


def test_a_spaced_part_is_a_series_number_not_a_file_part():
    for name, number in (("Title - Part 2.mp4", 2), ("Title - pt 2.mp4", 2), ("Title act 1.mp4", 1)):
        p = parse(name)
        assert p.part_number is None, name
        assert p.series_numbers == (number,), name


def test_it_marks_the_token_in_site_position():
    assert parse("GoodAngel.22.01.03.Jane.Doe.mp4").site_position == "GoodAngel"
    assert parse("[Tushy] Jane Doe - Title (2020-01-01).mp4").site_position == "Tushy"
    assert parse("Jane Doe - Title (2020-01-01).mp4").site_position is None  # a performer-first name
    assert parse("EvilAngel.Carmela.Title.XXX.mp4").site_position is None  # no date: it may be anything


def _request(filename, **kw):
    return parse_request(MatchInput(filename=filename, **kw))


def test_a_release_folder_names_an_obfuscated_file():
    for inner in ("video.mp4", "1.wmv", "531a0b6b.part.1.avi", "burn-809.avi", "qwrtzp.mp4", "36767123.mp4"):
        p = _request(
            f"/data/media/adult/BurningAngel.23.04.07.Brooke.Day.Brookes.Cool.Holiday.XXX.720p.MP4-XXX/{inner}"
        )
        assert p.site_tokens[0] == "BurningAngel", inner
        assert p.release_date == D(2023, 4, 7), inner
        assert p.words == ("brooke", "day", "brookes", "cool", "holiday"), inner
        assert not {"video", "burn", "809", "1"} & set(p.words + p.site_tokens), inner


def test_the_renamers_release_folder_layout_is_read_as_the_release():
    p = _request("Brazzers Exxtra - 2022-01-03 - Stress Relief/qwerty.mp4")
    assert p.site_tokens[0] == "Brazzers Exxtra"
    assert p.release_date == D(2022, 1, 3)
    assert p.title == "stress relief"


def test_an_obfuscated_name_in_performer_and_site_folders_takes_the_nearest_folder():
    p = _request("Blowpass/Alicia Brown/video.mp4")
    assert "video" not in p.words
    assert "Blowpass" in p.site_tokens


def test_site_and_performer_folders_come_before_a_dateless_file_name():
    p = _request("Day With A Porn Star/Ariel Gray/Secret Treasure for Everyone #4 XXX WEBDL-1080p x264.mp4")
    assert p.site_tokens[0] == "Day With A Porn Star"  # the top folder first: the file name may be a title
    assert p.words == ("secret", "treasure", "for", "everyone", "4")
    assert p.context_words[-2:] == ("ariel", "gray")  # a performer hint, never title words


def test_a_dated_file_name_keeps_its_own_site_first_under_a_performer_folder():
    p = _request("Tara Hayes/21EroticAnal - 24.12.20 - Fixing the Recipe.avi")
    assert p.site_tokens[0] == "21EroticAnal"
    assert p.words == ("fixing", "the", "recipe")


def test_library_roots_and_year_folders_are_not_sites():
    p = _request("/data/media/adult/Vixen/2019/Jane Doe - Hot Title.mp4")
    assert "adult" not in p.site_tokens and "media" not in p.site_tokens and "2019" not in p.site_tokens
    assert p.site_tokens[0] == "Vixen"
    assert p.year == 2019


def test_real_titles_are_not_obfuscated():
    from tpdbprovider.matching.parser import is_obfuscated

    for name in ("Stepsister.mp4", "Lazy Delivery 4.mp4", "Alicia Brown.mkv", "Czech Amateurs 1426.mp4"):
        assert not is_obfuscated(name), name
    for name in ("video.mp4", "1.wmv", "a1b2c3d4e5.mkv", "kink-995.mp4", "xkcdqz.mp4", "video 1080p.mp4"):
        assert is_obfuscated(name), name


def test_a_slash_inside_brackets_is_part_of_the_name():
    p = _request("Backroom_Casting_Couch - 3423632 - Meeting_the_Break [Oculus Rift / Vive] 180x180.avi")
    assert p.site_tokens[0] == "Backroom Casting Couch"
    assert "vive" not in p.words and "meeting" in p.words


def test_it_reads_a_quoted_title():
    p = parse('My Dad\'s Hot Girlfriend - Bianca & Bella "Lucky Habit" HEVC AAC x265.mp4')
    assert p.quoted_title == "Lucky Habit"


def test_it_reads_ids_and_codes_but_not_resolutions_or_years():
    assert parse("Little Caprice Dreams - 1137049 - Short Dance Getaway 2160p.mp4").codes == ("1137049",)
    p = parse("PornFidelity - Breaking.the.Game - scenes1181717 - 4228901 - (720p).mkv")
    assert p.codes == ("1181717", "4228901")
    assert parse("Vixen 1920x1080 Title 2019 x265.mp4").codes == ()


def test_a_model_and_scene_id_after_the_site_are_not_part_of_the_site():
    p = parse("Shoplyfter.890.1746.Alicia.Kali.20.07.26.XXX.1080p.HEVC.x265.PRT.mp4")
    assert p.site_position == "Shoplyfter"
    assert p.codes == ("890", "1746")
    assert p.words[-2:] == ("alicia", "kali")
