import datetime

from tpdbprovider.matching.matcher import (
    Candidate,
    CandidatePerformer,
    candidate_codes,
    decide,
    rank,
    resolve_sites,
    score,
    search_site_key,
)
from tpdbprovider.matching.parser import MatchInput, parse, parse_request
from tpdbprovider.matching.sites import SiteEntry, SiteIndex

D = datetime.date
INDEX = SiteIndex(
    [
        SiteEntry(1, "Brazzers", "brazzers", 1, 1),
        SiteEntry(2, "Brazzers Exxtra", "brazzersexxtra", 1, 1),
        SiteEntry(3, "Real Wife Stories", "realwifestories", 1, 1),
        SiteEntry(20, "Vixen", "vixen", 20, 20),
    ]
)
JANE = CandidatePerformer("Jane Doe", "Jane Doe", ("Janie D",))


def _cand(key, title, day, site_id=2, performers=(JANE,), kind="scene"):
    return Candidate(f"tpdb-{kind}-{key}", kind, title, day, site_id, performers=performers)


def _decide(name, candidates):
    parsed = parse(name)
    hits = INDEX.resolve(parsed.site_tokens)
    return decide(rank(parsed, hits, INDEX, candidates), manual=False, has_site=bool(hits))


def test_it_accepts_site_date_and_performer_agreement():
    d = _decide("BrazzersExxtra.24.01.15.Jane.Doe.XXX.1080p.mp4", [_cand("a", "Stress Relief", D(2024, 1, 15))])
    assert d.accepted is not None and d.accepted.candidate.key == "tpdb-scene-a"


def test_it_tolerates_tpdb_dates_one_day_off():
    d = _decide("Brazzers Exxtra - 2024-01-15 - Stress Relief.mp4", [_cand("a", "Stress Relief", D(2024, 1, 16))])
    assert d.accepted is not None


def test_it_matches_performers_by_alias_and_accent_folding():
    noemie = CandidatePerformer("Noémie White", "Noemie White")
    parsed = parse("Noemie White - Spring Birthday (2021-07-20).mp4")
    s = score(parsed, [], INDEX, _cand("a", "Spring Birthday", D(2021, 7, 20), performers=(noemie,)))
    assert s.breakdown["performers_matched"] == 1
    parsed = parse("BrazzersExxtra.24.01.15.Janie.D.mp4")
    assert (
        score(parsed, INDEX.resolve(parsed.site_tokens), INDEX, _cand("a", "X", D(2024, 1, 15))).breakdown[
            "performers_matched"
        ]
        == 1
    )


def test_it_abstains_on_a_series_neighbour():
    name = "Brazzers Exxtra - 2024-01-15 - Perfect Babysitter Part 3.mp4"
    d = _decide(name, [_cand("p2", "Perfect Babysitter Part 2", D(2024, 1, 15))])
    assert d.accepted is None


def test_it_prefers_the_right_part_of_a_series():
    name = "Brazzers Exxtra - 2024-01-15 - Perfect Babysitter Part 3.mp4"
    d = _decide(
        name,
        [
            _cand("p2", "Perfect Babysitter Part 2", D(2024, 1, 8)),
            _cand("p3", "Perfect Babysitter Part 3", D(2024, 1, 15)),
        ],
    )
    assert d.accepted is not None and d.accepted.candidate.key == "tpdb-scene-p3"


def test_it_abstains_when_the_same_performer_is_on_a_sibling_site_the_same_day():
    d = _decide("BrazzersExxtra.24.01.15.Jane.Doe.mp4", [_cand("sib", "Other Day", D(2024, 1, 15), site_id=3)])
    assert d.accepted is None and d.reason == "low_confidence"


def test_it_rejects_a_common_title_on_another_site():
    d = _decide("Vixen - 2024-01-15 - Stress Relief.mp4", [_cand("a", "Stress Relief", D(2024, 1, 15), site_id=2)])
    assert d.accepted is None


def test_it_folds_hub_and_sub_site_duplicates_into_one_answer():
    dup_a = _cand("sub", "Stress Relief", D(2024, 1, 15), site_id=2)
    dup_b = _cand("hub", "Stress Relief", D(2024, 1, 15), site_id=1)
    d = _decide("Brazzers Exxtra - 2024-01-15 - Stress Relief.mp4", [dup_b, dup_a])
    assert d.accepted is not None
    assert set(d.accepted.keys) == {"tpdb-scene-sub", "tpdb-scene-hub"}


def test_it_abstains_between_two_equally_good_candidates():
    a = _cand("a", "Stress Relief", D(2024, 1, 15), site_id=2, performers=())
    b = _cand("b", "Stress Relief", D(2024, 1, 15), site_id=3, performers=())
    d = _decide("Brazzers - 2024-01-15 - Stress Relief.mp4", [a, b])
    assert d.accepted is None and d.reason == "ambiguous"


def test_it_reports_no_site_when_nothing_resolves():
    d = _decide("Unknown Thing - Whatever.mp4", [_cand("a", "Stress Relief", D(2024, 1, 15))])
    assert d.accepted is None and d.reason == "no_site"


def test_manual_mode_returns_a_ranked_list_of_at_most_ten():
    cands = [_cand(str(i), f"Title {i}", D(2024, 1, i + 1)) for i in range(15)]
    parsed = parse("Brazzers Exxtra - 2024-01-05 - Title 4.mp4")
    d = decide(rank(parsed, INDEX.resolve(parsed.site_tokens), INDEX, cands), manual=True)
    assert len(d.ranked) == 10 and d.ranked[0].candidate.key == "tpdb-scene-4"


def test_a_site_and_full_date_favour_a_scene_over_a_same_named_movie():
    scene = _cand("s", "Royal Secret", D(2008, 5, 1), site_id=20)
    movie = _cand("m", "Royal Secret", D(2008, 5, 1), site_id=20, kind="movie")
    d = _decide("Vixen - 2008-05-01 - Royal Secret.mp4", [movie, scene])
    assert d.accepted is not None and d.accepted.candidate.kind == "scene"


def test_a_title_and_year_release_name_favours_the_movie():
    scene = _cand("s", "Royal Secret", D(2008, 5, 1), site_id=20)
    movie = _cand("m", "Royal Secret", D(2008, 3, 1), site_id=20, kind="movie")
    parsed = parse("Royal.Secret.2008.XXX.DVDRip.x264-GRP.mp4")
    ranked = rank(parsed, INDEX.resolve(parsed.site_tokens), INDEX, [scene, movie])
    assert ranked[0].candidate.kind == "movie"


ANGELS = SiteIndex(
    [
        SiteEntry(30, "Evil Angel", "evilangel", 30, 30),
        SiteEntry(40, "Euro Teen Erotica", "euroteenerotica", 40, 40),
        SiteEntry(50, "Mofos", "mofos", 50, 50),
        SiteEntry(51, "Share My BF", "sharemybf", 50, 50),
        SiteEntry(52, "Pervs On Patrol", "pervsonpatrol", 50, 50),
    ]
)


def _decide_in(index, name, candidates):
    parsed = parse(name)
    hits = index.resolve(parsed.site_tokens)
    return decide(rank(parsed, hits, index, candidates), manual=False, has_site=bool(hits))


def test_an_unknown_site_in_site_position_is_never_accepted_as_another_sites_scene():
    # The case: a site we do not know, another site's scene of the same date and title.
    cand = Candidate("tpdb-scene-e", "scene", "Hot Title", D(2022, 1, 3), 30, "Evil Angel")
    d = _decide_in(ANGELS, "GoodAngel.22.01.03.Hot.Title.XXX.1080p.mp4", [cand])
    assert d.accepted is None
    assert d.ranked[0].breakdown["site"] == "unknown_site"
    assert d.ranked[0].confidence < 70


def test_an_unlisted_code_that_spells_the_candidates_site_counts_for_it():
    cand = Candidate("tpdb-scene-t", "scene", "Bold Tutor Library", D(2020, 6, 17), 40, "Euro Teen Erotica")
    d = _decide_in(ANGELS, "ete - 2020-06-17 - Bold Tutor Library.mp4", [cand])
    assert d.accepted is not None
    assert d.accepted.breakdown["site"] == "abbreviation"


def test_a_sibling_sites_scene_needs_a_named_performer_besides_date_and_title():
    cand = Candidate("tpdb-scene-s", "scene", "Short Lunch for the Boss", D(2016, 11, 3), 51, "Share My BF")
    d = _decide_in(ANGELS, "Pervs On Patrol - 2016-11-03 - Short Lunch for the Boss.mp4", [cand])
    assert d.accepted is None
    jane = Candidate("tpdb-scene-s", "scene", "Short Lunch for the Boss", D(2016, 11, 3), 51, "", (JANE,))
    d = _decide_in(ANGELS, "Pervs On Patrol - 2016-11-03 - Jane Doe - Short Lunch for the Boss.mp4", [jane])
    assert d.ranked[0].breakdown["site"] == "sibling"
    assert d.reason != "site_unconfirmed"


def test_a_named_network_does_not_prefer_its_own_scene_over_its_sites_by_a_margin():
    chloe = CandidatePerformer("Chloe Brown", "Chloe Brown")
    own = Candidate("tpdb-scene-own", "scene", "Chloe's Bright Road", D(2023, 7, 18), 50, "Mofos", (chloe,))
    sub = Candidate("tpdb-scene-sub", "scene", "Bending the Repair", D(2023, 7, 18), 51, "Share My BF", (chloe,))
    d = _decide_in(ANGELS, "Mofos - 23-07-18 - Chloe_Brown - XXX_1080p.mp4", [own, sub])
    assert d.accepted is None
    assert d.reason == "ambiguous"


def test_season_and_episode_numbers_must_agree():
    name = "Brazzers Exxtra - 2024-01-15 - Jane Doe - Sweet Kitchen S3E4.mp4"
    d = _decide(name, [_cand("e5", "Sweet Kitchen S3E5", D(2024, 1, 15))])
    assert d.accepted is None
    assert d.ranked[0].breakdown["numbers"] == "mismatch"


def test_a_title_differing_by_a_whole_word_is_not_a_close_title():
    parsed = parse("[Brazzers] Tasting Hearts (2013) [2160p].mp4")
    s = score(parsed, INDEX.resolve(parsed.site_tokens), INDEX, _cand("t", "Trading Hearts", D(2013, 3, 6), 1))
    assert s.breakdown["title"] == "weak"
    s = score(parsed, INDEX.resolve(parsed.site_tokens), INDEX, _cand("t", "Tastng Hearts", D(2013, 3, 6), 1))
    assert s.breakdown["title"] in ("strong", "good")  # a typo still reads as the title


def test_a_file_part_agrees_with_a_series_part_and_is_silent_otherwise():
    name = "Brazzers Exxtra - 2024-01-15 - Jane Doe - Perfect Babysitter.part.1.mp4"
    parsed = parse(name)
    hits = INDEX.resolve(parsed.site_tokens)
    assert score(parsed, hits, INDEX, _cand("a", "Perfect Babysitter", D(2024, 1, 15))).breakdown["numbers"] == (
        "part_only"
    )
    assert _decide(name, [_cand("a", "Perfect Babysitter", D(2024, 1, 15))]).accepted is not None


def test_a_performer_titled_scene_without_a_date_is_not_accepted():
    # Solo sites title every scene of a performer by her name: the name alone cannot say which.
    d = _decide("Brazzers Exxtra - Jane Doe.mp4", [_cand("a", "Jane Doe", D(2024, 1, 15))])
    assert d.accepted is None


def test_a_site_folder_and_a_whole_title_are_enough_without_a_date():
    parsed = parse_request(MatchInput(filename="Brazzers Exxtra/Stress Relief Tonight.mp4"))
    hits = INDEX.resolve(parsed.site_tokens)
    d = decide(rank(parsed, hits, INDEX, [_cand("a", "Stress Relief Tonight", D(2021, 3, 4))]), manual=False)
    assert d.accepted is not None
    # the same title on two of the site's scenes: no answer
    twins = [
        _cand("a", "Stress Relief Tonight", D(2021, 3, 4)),
        _cand("b", "Stress Relief Tonight", D(2019, 1, 2)),
    ]
    assert decide(rank(parsed, hits, INDEX, twins), manual=False).accepted is None


def test_a_performer_folder_names_a_credited_performer():
    parsed = parse_request(MatchInput(filename="Brazzers Exxtra/Jane Doe/Sunny Office.mp4"))
    hits = INDEX.resolve(parsed.site_tokens)
    s = score(parsed, hits, INDEX, _cand("a", "Sunny Office", D(2021, 3, 4)))
    assert s.breakdown["performers_matched"] == 1
    assert s.breakdown["title"] == "exact"  # the folder's words are never title words


def _title_only(name, candidates):
    parsed = parse_request(MatchInput(filename=name))
    hits = INDEX.resolve(parsed.site_tokens)
    return decide(rank(parsed, hits, INDEX, candidates), manual=False, has_site=bool(hits))


def test_a_title_only_name_is_answered_by_a_unique_whole_title():
    d = _title_only("Fixing the Night Shift (2017).mp4", [_cand("a", "Fixing the Night Shift", D(2017, 5, 1), 20)])
    assert d.accepted is not None


def test_a_title_only_name_abstains_on_a_second_close_title_or_a_disagreeing_year():
    rivals = [
        _cand("a", "Fixing the Night Shift", D(2017, 5, 1), 20),
        _cand("b", "Fixing the Night Shifts", D(2012, 1, 1), 1),
    ]
    assert _title_only("Fixing the Night Shift.mp4", rivals).accepted is None
    assert _title_only("Fixing the Night Shift (2014).mp4", rivals[:1]).accepted is None


def test_a_short_title_only_name_needs_a_performer_or_a_year_too():
    alone = [_cand("a", "Shy Office", D(2017, 5, 1), 20, performers=())]
    assert _title_only("Shy Office.mp4", alone).accepted is None
    credited = [_cand("a", "Shy Office", D(2017, 5, 1), 20)]
    assert _title_only("Shy Office - Jane Doe.mp4", credited).accepted is not None


def test_a_title_only_name_does_not_count_a_series_neighbour_as_a_rival():
    cands = [_cand("a", "Second Tutor Night 5", D(2025, 1, 1), 20), _cand("b", "Second Tutor Night", D(2009, 1, 1), 1)]
    d = _title_only("Second Tutor Night 5.avi", cands)
    assert d.accepted is not None and d.accepted.candidate.key == "tpdb-scene-a"


def test_a_dateless_title_never_resolves_a_site_by_prefix():
    index = SiteIndex([SiteEntry(60, "Wild On Cam", "wildoncam", 60, 60), *ANGELS.entries.values()])
    assert resolve_sites(parse_request(MatchInput(filename="Wild Boss Part 4.mp4")), index) == []
    hits = resolve_sites(parse_request(MatchInput(filename="Wild.22.01.03.Jane.Doe.mp4")), index)
    assert [(h.entry.name, h.how) for h in hits] == [("Wild On Cam", "prefix")]  # in site position it may


def test_the_parse_query_leads_with_the_resolved_site_and_never_with_a_dateless_title():
    parsed = parse_request(MatchInput(filename="Secret Stepsister Deal.mp4"))
    assert parsed.to_search_query(search_site_key(resolve_sites(parsed, INDEX))) == "secret stepsister deal"
    parsed = parse_request(MatchInput(filename="Brazzers Exxtra/Callie's Late Date.mp4"))
    assert parsed.to_search_query(search_site_key(resolve_sites(parsed, INDEX))) == "brazzersexxtra callies late date"
    assert parse("bex.21.12.07.Jane.Doe.mp4").to_search_query() == "bex 2021-12-07 jane doe"


def test_the_unique_whole_title_wins_a_title_only_name_even_behind_a_same_year_movie():
    movie = _cand("m", "Sneaking Her", D(2022, 7, 20), 20, performers=(), kind="movie")
    scene = _cand("s", "Sneaking the Holiday", D(2022, 12, 30), 1, performers=())
    shorter = _cand("x", "Sneaking", D(2022, 3, 1), 3, performers=())
    d = _title_only("Sneaking the Holiday (2022).mp4", [movie, scene, shorter])
    assert d.ranked[0].candidate.key == "tpdb-movie-m"
    assert d.accepted is not None and d.accepted.candidate.key == "tpdb-scene-s"
    assert d.reason == "unique_title"


def test_a_named_networks_own_scene_with_the_names_title_scores_as_its_own_site():
    own = Candidate("tpdb-scene-own", "scene", "Lucky Late Escape", D(2021, 11, 22), 50, "Mofos")
    parsed = parse_request(MatchInput(filename="Mofos/Lucky Late Escape.mp4"))
    s = score(parsed, resolve_sites(parsed, ANGELS), ANGELS, own)
    assert (s.breakdown["site"], s.breakdown["site_points"]) == ("exact", 32.0)


def test_an_id_the_candidate_stores_identifies_it_and_is_never_a_title_word():
    eliza = CandidatePerformer("Eliza Brooks", "Eliza Brooks")
    one = Candidate("tpdb-scene-1", "scene", "Eliza Brooks", D(2022, 11, 26), 2, "", (eliza,), codes=("1474",))
    two = Candidate("tpdb-scene-2", "scene", "Eliza Brooks", D(2025, 10, 17), 2, "", (eliza,), codes=("1502",))
    d = _decide("BrazzersExxtra - 1474 - Eliza-Brooks.mp4", [one, two])
    assert d.accepted is not None and d.accepted.candidate.key == "tpdb-scene-1"
    assert d.accepted.breakdown["codes"] == "match"
    s = score(
        parse("Brazzers Exxtra - 1137049 - Short Dance Getaway.mp4"),
        INDEX.resolve(["Brazzers Exxtra"]),
        INDEX,
        _cand("x", "Short Dance Getaway", D(2020, 1, 1)),
    )
    assert (s.breakdown["title"], s.breakdown["numbers"]) == ("exact", "none")  # the id is no title word


def test_a_title_that_begins_with_the_sites_name_is_read_whole():
    numbered = Candidate("tpdb-scene-c", "scene", "Brazzers Exxtra 1786", D(2020, 4, 22), 2, "", codes=("1786",))
    parsed = parse_request(MatchInput(filename="Brazzers Exxtra/Brazzers Exxtra 1786.mp4"))
    s = score(parsed, resolve_sites(parsed, INDEX), INDEX, numbered)
    assert s.breakdown["title"] == "exact"


def test_candidate_codes_come_from_what_tpdb_stores():
    assert candidate_codes("1137049", 1202861, "little-caprice-dreams-short-dance", "https://x.test/v/slug-3/007") == (
        "1137049",
        "1202861",
        "7",
    )


def test_a_series_neighbour_with_another_number_is_no_rival_of_a_unique_title():
    cands = [
        _cand("a", "Bright Lunch Break 1", D(2019, 1, 1), 20),
        _cand("b", "Bright Lunch Break 2", D(2019, 3, 1), 1),
    ]
    d = _title_only("Bright Lunch Break 1.mp4", cands)
    assert d.accepted is not None and d.accepted.candidate.key == "tpdb-scene-a"
    typo = [
        _cand("a", "Bright Lunch Break 1", D(2019, 1, 1), 20),
        _cand("b", "Bright Lunch Breaks 1", D(2019, 3, 1), 1),
    ]
    assert _title_only("Bright Lunch Break 1.mp4", typo).accepted is None


def test_a_studio_and_a_year_without_the_title_or_a_performer_are_no_answer():
    movie = _cand("m", "Trading Hearts", D(2013, 3, 6), 1, performers=(), kind="movie")
    d = _decide("[Brazzers] Tasting Hearts (2013) [2160p].mp4", [movie])
    assert d.ranked[0].breakdown["title"] == "weak"
    assert d.accepted is None


def test_a_site_and_its_one_credited_performer_name_the_scene():
    ann = CandidatePerformer("Ann Roe", "Ann Roe")
    only = [_cand("a", "Sunny Office", D(2021, 3, 4)), _cand("b", "Lucky Habit", D(2020, 1, 2), performers=(ann,))]
    d = _decide("Brazzers Exxtra - Jane Doe.mp4", only)
    assert d.accepted is not None and d.accepted.candidate.key == "tpdb-scene-a"
    assert d.reason == "unique_cast"
    # a second scene of hers on that site: which one the name cannot say
    twice = [*only, _cand("c", "Quiet Night", D(2019, 5, 6))]
    assert _decide("Brazzers Exxtra - Jane Doe.mp4", twice).accepted is None
    # on another site than the named one she is no answer either
    assert _decide("Vixen - Jane Doe.mp4", only[:1]).accepted is None


def test_the_scene_crediting_both_named_performers_leads_one_crediting_only_one():
    ann = CandidatePerformer("Ann Roe", "Ann Roe")
    both = _cand("a", "Sunny Office", D(2021, 3, 4), performers=(JANE, ann))
    one = _cand("b", "Quiet Night", D(2019, 5, 6), performers=(ann,))
    d = _decide("Brazzers Exxtra - Jane Doe And Ann Roe.mp4", [both, one])
    assert d.accepted is not None and d.accepted.candidate.key == "tpdb-scene-a"
    assert d.accepted.breakdown["title"] == "no_title"  # the joiner is no title word


def test_an_id_the_named_sites_scene_stores_is_enough_without_title_or_date():
    one = Candidate("tpdb-scene-1", "scene", "Short Dance Getaway", D(2022, 11, 26), 2, "", (JANE,), codes=("1896966",))
    two = Candidate("tpdb-scene-2", "scene", "Quiet Night", D(2022, 10, 1), 2, "", (JANE,), codes=("1896967",))
    d = _decide("Brazzers Exxtra - 1896966.mp4", [one, two])
    assert d.accepted is not None and d.accepted.candidate.key == "tpdb-scene-1"
    # the same id on a scene of a site the name does not name proves nothing
    other = Candidate(
        "tpdb-scene-3", "scene", "Short Dance Getaway", D(2022, 11, 26), 20, "", (JANE,), codes=("1896966",)
    )
    assert _decide("Brazzers Exxtra - 1896966.mp4", [other]).accepted is None


def test_a_release_crediting_a_performer_by_her_first_name_counts_her():
    leah = CandidatePerformer("Leah Clark", "Leah Clark")
    ours = _cand("a", "Final Game Boss", D(2018, 10, 17), performers=(leah,))
    rival = _cand("b", "Quiet Night", D(2018, 10, 17), performers=(CandidatePerformer("Ann Roe", "Ann Roe"),))
    d = _decide("BrazzersExxtra.18.10.17.Leah.XXX.2160p.MP4-FETiSH.mkv", [ours, rival])
    assert d.accepted is not None and d.accepted.candidate.key == "tpdb-scene-a"
    assert d.accepted.breakdown["title"] == "no_title"  # her first name is no title word
    # a first name that is also a word of the candidate's title stays a title word
    summer = _cand("c", "Summer Love", D(2018, 10, 17), performers=(CandidatePerformer("Summer Day", "Summer Day"),))
    assert (
        score(
            parse("BrazzersExxtra.18.10.17.Summer.Love.mkv"), INDEX.resolve(["BrazzersExxtra"]), INDEX, summer
        ).breakdown["title"]
        == "exact"
    )
