from tpdbprovider.matching.sites import SiteEntry, SiteIndex, attach_aliases, load_default_aliases

ENTRIES = [
    SiteEntry(1, "Brazzers", "brazzers", 1, 1),
    SiteEntry(2, "Brazzers Exxtra", "brazzersexxtra", 1, 1),
    SiteEntry(3, "Blacked", "blacked", 10, 10),
    SiteEntry(4, "Blacked Raw", "blackedraw", 10, 10),
    SiteEntry(10, "Vixen Media", "vixenmedia", 10, 10),
    SiteEntry(5, "Tonight's Girlfriend", "tonightsgirlfriend", None, None),
    SiteEntry(6, "Tonight's Girlfriend Classic", "tonightsgirlfriendclassic", None, None),
    SiteEntry(7, "Naughty Office", "naughtyoffice", None, None),
    SiteEntry(8, "Evil Angel", "evilangel", None, None),
    SiteEntry(9, "Mile High (DVD)", "milehighdvd", None, None),
]


def _index():
    return SiteIndex(attach_aliases(ENTRIES, load_default_aliases()))


def _names(tokens):
    return [h.entry.name for h in _index().resolve(tokens)]


def test_it_normalises_spelling_variants_to_one_site():
    for token in ("BrazzersExxtra", "Brazzers Exxtra", "brazzers.exxtra", "BRAZZERS_EXXTRA"):
        assert _names([token])[0] == "Brazzers Exxtra", token


def test_it_folds_apostrophes_and_accents():
    assert _names(["Tonights Girlfriend"]) == ["Tonight's Girlfriend"]


def test_the_longest_twin_wins():
    assert _names(["Blacked Raw"]) == ["Blacked Raw"]
    assert _names(["Blacked"]) == ["Blacked"]
    assert _names(["Tonight's Girlfriend Classic"]) == ["Tonight's Girlfriend Classic"]


def test_leading_words_of_a_longer_name_resolve_to_the_site():
    hit = _index().resolve(["Blacked Raw Jane Doe Title"])[0]
    assert hit.entry.name == "Blacked Raw"
    assert hit.consumed_words == 2


def test_published_abbreviations_resolve():
    assert _names(["bex"]) == ["Brazzers Exxtra"]
    assert _names(["togc"]) == ["Tonight's Girlfriend Classic"]


def test_english_word_codes_count_only_in_site_position():
    assert _names(["no"]) == ["Naughty Office"]
    assert _names(["Jane No Title"]) == []


def test_a_unique_prefix_is_a_weak_hit_only_for_the_primary_token():
    hits = _index().resolve(["evil"])
    assert hits[0].entry.name == "Evil Angel" and hits[0].how == "prefix" and hits[0].strength < 0.9
    assert _index().resolve(["Jane Doe", "evil"]) == []


def test_movie_studio_suffix_is_optional():
    assert _names(["Mile High"]) == ["Mile High (DVD)"]


def test_family_and_relations():
    index = _index()
    assert index.family_of(2) == {1, 2}
    assert index.relation(2, 1) == "parent"
    assert index.relation(1, 2) == "child"
    assert index.relation(3, 4) == "sibling"
    assert index.relation(3, 5) is None


def test_default_aliases_load_as_lower_case_codes():
    aliases = load_default_aliases()
    assert aliases["tlib"] == "TeensLikeItBig"
    assert all(code == code.lower() for code in aliases)
