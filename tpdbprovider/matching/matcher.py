"""Score TPDB candidates against parsed evidence and decide whether to answer (pure; no ORM, no I/O)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field, replace

from rapidfuzz import fuzz

from tpdbprovider.matching.parser import ParsedScene, normalize_key, series_numbers, words_of
from tpdbprovider.matching.sites import SiteHit, SiteIndex

ACCEPT_THRESHOLD = 70
ACCEPT_MARGIN = 12
MANUAL_LIMIT = 10
SCRAPE_LAG_DAYS = 25
SITE_POINTS = {"exact": 32.0, "parent": 20.0, "child": 20.0, "sibling": 8.0, "network": 6.0}
# A network named (`Mofos - …`) is as likely to mean one of its sites as itself: its own scenes lead by less.
NETWORK_EXACT_POINTS = 24.0
EXPLAINED_POINTS = 6.0
CORROBORATION_POINTS = 15.0
SITE_TITLE_POINTS = 8.0
CAST_POINTS = 10.0
_SCENE_CODE = re.compile(r"scenes?\d{3,9}")
# An id in the name equal to one TPDB stores for the candidate (its external id, _id, a number of its URL).
CODE_POINTS = 30.0
# A title-only name is answered only by a whole title of this many words that no other candidate's title is close to.
TITLE_ONLY_MIN_WORDS = 3
AGREEING_NUMBERS = frozenset({"none", "match", "part_only", "part_match"})
DUPLICATE_RELATIONS = frozenset({"exact", "parent", "child"})
# A name that says its site (before the date, a leading [Site]) naming no site we know: every candidate loses this.
UNKNOWN_SITE_POINTS = -20.0
# An id TPDB stores for the candidate, on the site the name names: the studio's own number for that scene.
CODE_SITE_POINTS = 15.0
# Words that join performer names (`Jane Doe and Ann Roe`, `Jane x Ann`): never an unexplained title word between them.
_JOINER_WORDS = frozenset({"and", "x", "feat", "ft", "with", "vs"})
# A site code we do not list that spells the candidate's site (`ete` for Euro Teen Erotica).
ABBREVIATION_POINTS = 16.0
# Site labels that confirm the candidate's site; any other needs a named performer as well before it is accepted.
CONFIRMING_SITES = frozenset({"exact", "parent", "child", "abbreviation"})


@dataclass(frozen=True)
class CandidatePerformer:
    """A performer credit: the name credited on the scene, the canonical name and known aliases."""

    credited: str
    canonical: str | None
    aliases: tuple[str, ...] = ()
    gender: str | None = None


@dataclass(frozen=True)
class Candidate:
    """A TPDB scene or movie the service layer retrieved for a request."""

    key: str
    kind: str
    title: str
    released_on: datetime.date | None
    site_id: int | None
    site_name: str = ""
    performers: tuple[CandidatePerformer, ...] = ()
    duration_s: int | None = None
    codes: tuple[str, ...] = ()  # what TPDB stores that a name may carry: external id, TPDB _id, URL/slug numbers


@dataclass(frozen=True)
class ScoredCandidate:
    """A candidate with its 0..100 confidence, the per-feature breakdown and TPDB duplicates folded into it."""

    candidate: Candidate
    confidence: int
    breakdown: dict[str, float | str] = field(compare=False)
    duplicate_keys: tuple[str, ...] = ()
    total: float = 0.0  # the unclamped sum: margins compare it so two strong candidates never tie at 100

    @property
    def keys(self) -> tuple[str, ...]:
        """This answer's key first, then the keys of TPDB's duplicates of it."""
        return (self.candidate.key, *self.duplicate_keys)


@dataclass(frozen=True)
class Decision:
    """The answer (None to abstain), the ranked list and why."""

    accepted: ScoredCandidate | None
    ranked: list[ScoredCandidate]
    reason: str


def _site_feature(parsed: ParsedScene, hits: list[SiteHit], index: SiteIndex, cand: Candidate) -> tuple[str, float]:
    label, points = _site_relation(hits, index, cand)
    if parsed.site_position and not any(h.token == parsed.site_position for h in hits):
        if _abbreviates(parsed.site_position, cand, index):
            # `ete - 2020-06-17 - …` of Euro Teen Erotica: a code we do not list, spelling the candidate's site.
            return (label, points) if label in CONFIRMING_SITES else ("abbreviation", ABBREVIATION_POINTS)
        # `GoodAngel.22.01.03.…`: the name names its site and it is none we know, so no candidate's site is confirmed.
        return "unknown_site", min(points, 0.0) + UNKNOWN_SITE_POINTS
    return label, points


def _abbreviates(token: str, cand: Candidate, index: SiteIndex) -> bool:
    """True when the token's letters spell, in order and from its first letter, the candidate's site (or its parent)."""
    code = normalize_key(token)
    if len(code) < 2 or cand.site_id is None:
        return False
    entry = index.entries.get(cand.site_id)
    names = [cand.site_name] + ([entry.name, entry.short_name] if entry else [])
    if entry and entry.parent_id in index.entries and entry.parent_id != entry.id:
        names.append(index.entries[entry.parent_id].name)
    return any(_is_subsequence(code, key) for key in {normalize_key(n) for n in names} if key)


def _is_subsequence(code: str, name: str) -> bool:
    if len(code) >= len(name) or code[0] != name[0]:
        return False
    letters = iter(name)
    return all(ch in letters for ch in code)


def resolve_sites(parsed: ParsedScene, index: SiteIndex) -> list[SiteHit]:
    """The sites a request names; a unique prefix (`evil` → Evil Angel) counts only for a token in site position."""
    in_position = parsed.site_position is not None and parsed.site_tokens[:1] == (parsed.site_position,)
    return index.resolve(parsed.site_tokens, allow_prefix=in_position)


def search_site_key(hits: list[SiteHit]) -> str | None:
    """The short name to put first in a TPDB `parse` query: the strongest exactly resolved site, if any."""
    strong = [h for h in hits if h.strength >= 0.9]
    if not strong:
        return None
    entry = strong[0].entry
    return normalize_key(entry.short_name) or normalize_key(entry.name)


def _most_specific(hits: list[SiteHit], index: SiteIndex) -> list[SiteHit]:
    """Drop a strong hit that is the parent or network of another strong hit: `Network/Site/…` names the site."""
    strong = [h for h in hits if h.strength >= 0.9]
    ancestors = {
        a.entry.id
        for a in strong
        for b in strong
        if a.entry.id != b.entry.id and index.relation(b.entry.id, a.entry.id) == "parent"
    }
    return [h for h in hits if h.entry.id not in ancestors]


def _site_relation(hits: list[SiteHit], index: SiteIndex, cand: Candidate) -> tuple[str, float]:
    if not hits:
        return "none", 0.0
    if cand.site_id is None:
        return "unknown", 0.0
    hits = _most_specific(hits, index)
    best_label, best = "conflicting", None
    for hit in hits:
        rel = index.relation(hit.entry.id, cand.site_id)
        if rel is None:
            continue
        base = NETWORK_EXACT_POINTS if rel == "exact" and index.has_children(hit.entry.id) else SITE_POINTS[rel]
        points = base * hit.strength * (1.0 if hit.priority == 0 else 0.9)
        if best is None or points > best:
            best_label, best = rel, points
    if best is not None:
        return best_label, best
    strongest = max(h.strength for h in hits)
    return "conflicting", -35.0 if strongest >= 0.9 else -10.0


def _date_feature(parsed: ParsedScene, cand: Candidate) -> tuple[str, float]:
    released = cand.released_on
    if released is None:
        return "unknown", 0.0
    dates = parsed.dates
    if dates:
        primary = (released - dates[0]).days
        alternative = min((abs((released - d).days) for d in dates[1:]), default=None)
        if primary == 0:
            return "exact", 32.0
        if abs(primary) == 1:
            return "off_by_one", 26.0
        if alternative == 0:
            return "swapped", 24.0
        if abs(primary) <= 7:
            return "near", 8.0
        if 0 < primary <= SCRAPE_LAG_DAYS + 5:
            return "scrape_lag", 4.0
        return "conflicting", -30.0
    if parsed.year:
        gap = abs(released.year - parsed.year)
        if gap == 0:
            return "same_year", 15.0 if cand.kind == "movie" else 6.0
        return ("adjacent_year", 0.0) if gap == 1 else ("other_year", -20.0)
    return "none", 0.0


def _contains(haystack: tuple[str, ...] | list[str], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return n > 0 and any(tuple(haystack[i : i + n]) == needle for i in range(len(haystack) - n + 1))


def _performer_variants(performer: CandidatePerformer) -> set[tuple[str, ...]]:
    names = [performer.credited, performer.canonical or "", *performer.aliases]
    return {tuple(words_of(n)) for n in names if words_of(n)}


def _match_performers(words: tuple[str, ...], cand: Candidate) -> tuple[int, int, set[tuple[str, ...]]]:
    """Count performers named in words: (full-name matches, single-word matches, matched name word-tuples)."""
    strong = weak = 0
    matched: set[tuple[str, ...]] = set()
    for performer in cand.performers:
        variants = sorted(_performer_variants(performer), key=len, reverse=True)
        hit = next((v for v in variants if _contains(words, v)), None)
        if hit is None:
            continue
        matched.add(hit)
        if len(hit) >= 2:
            strong += 1
        else:
            weak += 1
    if not strong:
        # `Site.18.10.17.Leah.XXX`: releases often credit a performer by her first name alone.
        title_words = set(words_of(cand.title))
        for performer in cand.performers:
            firsts = {v[0] for v in _performer_variants(performer) if len(v) >= 2 and len(v[0]) >= 3}
            first = next((f for f in sorted(firsts) if f in words and f not in title_words), None)
            if first is not None and (first,) not in matched:
                matched.add((first,))
                weak += 1
    return strong, weak, matched


def _remove_spans(words: tuple[str, ...], spans: set[tuple[str, ...]]) -> tuple[str, ...]:
    out = list(words)
    for span in sorted(spans, key=len, reverse=True):
        n = len(span)
        i = 0
        while i <= len(out) - n:
            if tuple(out[i : i + n]) == span:
                del out[i : i + n]
            else:
                i += 1
    return tuple(out)


def _strip_site_words(words: tuple[str, ...], hits: list[SiteHit]) -> tuple[str, ...]:
    for hit in hits:
        lead = tuple(words_of(hit.token))[: hit.consumed_words]
        if lead and words[: len(lead)] == lead:
            return words[len(lead) :]
    return words


def _numbers(words: tuple[str, ...]) -> set[str]:
    return {w.lstrip("0") or "0" for w in words if w.isdigit() and len(w) <= 5}


def candidate_codes(*values: object) -> tuple[str, ...]:
    """A candidate's codes from what TPDB stores (external id, numeric id, slug, URL): every number of 3+ digits."""
    found: list[str] = []
    for value in values:
        if value is None or value == "":
            continue
        found.extend(n.lstrip("0") or "0" for n in re.findall(r"\d{3,}", str(value)))
    return tuple(dict.fromkeys(found))


def _code_feature(parsed: ParsedScene, cand: Candidate) -> tuple[str, float, set[str]]:
    """Ids in the name (`Site - 1137049 - Title`, `scenes1195707`) against the candidate's codes."""
    ids = {c.lstrip("0") or "0" for c in parsed.codes}
    if not ids:
        return "none", 0.0, set()
    matched = ids & set(cand.codes)
    if matched:
        return "match", CODE_POINTS, matched
    return "unmatched", 0.0, set()


def score(parsed: ParsedScene, hits: list[SiteHit], index: SiteIndex, cand: Candidate) -> ScoredCandidate:
    """Score one candidate: site, date, title, performers, series numbers and ids, combined into 0..100."""
    site_label, site_points = _site_feature(parsed, hits, index, cand)
    date_label, date_points = _date_feature(parsed, cand)
    code_label, code_points, _ = _code_feature(parsed, cand)
    title_numbers = _numbers(tuple(words_of(cand.title)))
    # An id is never a title word, unless the candidate's title carries that number (`Czech Amateurs 1426`).
    ids = {c.lstrip("0") or "0" for c in parsed.codes} - title_numbers
    words = _without_ids(_strip_site_words(parsed.words, hits), ids)
    strong, weak, matched = _match_performers(words + parsed.uncertain_words, cand)
    if parsed.context_words:
        # `Site/Performer/Title.mp4`: a folder naming a credited performer counts, one that names nobody costs nothing.
        f_strong, f_weak, _ = _match_performers(parsed.context_words, cand)
        if f_strong > strong or (not strong and f_weak > weak):
            strong, weak = max(strong, f_strong), max(weak, f_weak)
    perf_points = min(
        30.0, (18.0 if strong else 8.0 * min(weak, 1)) + 6.0 * max(strong - 1, 0) + 4.0 * weak * bool(strong)
    )
    residual = _remove_spans(words, matched)
    if strong + weak >= 2:
        residual = tuple(w for w in residual if w not in _JOINER_WORDS)
    title_words = tuple(words_of(cand.title))
    title_label, title_points = _title_feature(words, residual, parsed.uncertain_words, title_words, matched)
    if title_label != "exact" and _names_whole_title(parsed, hits, ids, matched, title_words):
        title_label, title_points = "exact", 35.0
    is_network = site_label == "exact" and cand.site_id is not None and index.has_children(cand.site_id)
    if is_network and title_label in ("exact", "strong", "contained"):
        # a named network's own scene with the name's title: no sub-site's scene is as likely
        site_points += SITE_POINTS["exact"] - NETWORK_EXACT_POINTS
    number_label, number_points = _number_feature(residual, title_words, parsed)
    kind_points = _kind_feature(parsed, hits, cand)
    explained_points = EXPLAINED_POINTS if words and not residual and matched else 0.0
    if title_label == "exact" and len(title_words) >= 2 and strong >= 2:
        explained_points += CORROBORATION_POINTS  # the full title and two named performers: one and the same item
    if strong >= 2 and words and not residual and site_label in CONFIRMING_SITES and date_label == "none":
        explained_points += CAST_POINTS  # `Site - Jane Doe Ann Roe.mp4`: the name is the site and two credited names
    if title_label == "exact" and len(title_words) >= 2 and site_label in CONFIRMING_SITES and date_label == "none":
        explained_points += SITE_TITLE_POINTS  # `Site/Title.mp4`: the whole title on the named site, no date to check
    if code_label == "match" and site_label in CONFIRMING_SITES and date_label not in ("conflicting", "near"):
        explained_points += CODE_SITE_POINTS  # `Site - 1896966.mp4`: the site and the studio's id for the scene
    total = (
        site_points
        + date_points
        + perf_points
        + title_points
        + number_points
        + kind_points
        + explained_points
        + code_points
    )
    breakdown: dict[str, float | str] = {
        "evidence": "title_only" if _is_title_only(parsed, hits) else "full",
        "site": site_label,
        "site_points": round(site_points, 1),
        "date": date_label,
        "date_points": date_points,
        "performers_matched": strong + weak,
        "performer_points": perf_points,
        "title": title_label,
        "title_points": title_points,
        "numbers": number_label,
        "number_points": number_points,
        "codes": code_label,
        "code_points": code_points,
        "kind_points": kind_points,
        "explained_points": explained_points,
    }
    return ScoredCandidate(cand, max(0, min(100, round(total))), breakdown, total=total)


def _is_title_only(parsed: ParsedScene, hits: list[SiteHit]) -> bool:
    """A name with nothing but a title (and maybe a year or performers): no date, no site, no folder."""
    return not (parsed.dates or parsed.site_position or parsed.context_words) and all(h.strength < 0.9 for h in hits)


def _kind_feature(parsed: ParsedScene, hits: list[SiteHit], cand: Candidate) -> float:
    """A site and a full date point to a scene; a bare title with a year (a DVD release name) to a movie."""
    if parsed.release_date and hits:
        return -15.0 if cand.kind == "movie" else 0.0
    if parsed.release_date is None and parsed.year:
        return 20.0 if cand.kind == "movie" else (-10.0 if not hits else 0.0)
    return 0.0


def _without_ids(words: tuple[str, ...], ids: set[str]) -> tuple[str, ...]:
    return tuple(w for w in words if not ((w.isdigit() and (w.lstrip("0") or "0") in ids) or _SCENE_CODE.fullmatch(w)))


def _names_whole_title(
    parsed: ParsedScene,
    hits: list[SiteHit],
    ids: set[str],
    matched: set[tuple[str, ...]],
    title_words: tuple[str, ...],
) -> bool:
    """The whole title, read another way: a quoted title (`Jane "Lucky Habit"`), or a title that begins with the site's
    name (`Czech Couples/Czech Couples 1786.mp4`, `CzechVR - Czech VR 1589 - …`)."""
    if not title_words:
        return False
    if parsed.quoted_title and tuple(words_of(parsed.quoted_title)) == title_words:
        return True
    if not hits:
        return False
    unstripped = _remove_spans(_without_ids(parsed.words, ids), matched)
    if unstripped == title_words:
        return True
    stripped = _remove_spans(_without_ids(_strip_site_words(parsed.words, hits), ids), matched)
    if not stripped or len(stripped) >= len(title_words) or title_words[-len(stripped) :] != stripped:
        return False
    lead = normalize_key(" ".join(title_words[: -len(stripped)]))
    return lead in {normalize_key(h.entry.name) for h in hits} | {normalize_key(h.entry.short_name) for h in hits}


def _title_feature(
    words: tuple[str, ...],
    residual: tuple[str, ...],
    uncertain: tuple[str, ...],
    title_words: tuple[str, ...],
    matched: set[tuple[str, ...]],
) -> tuple[str, float]:
    if not title_words:
        return "none", 0.0
    if title_words in matched:
        return "performer_title", 20.0
    if residual == title_words:
        return "exact", 35.0
    if _contains(words, title_words) or _contains(words + uncertain, title_words):
        return "contained", 30.0 if len(title_words) >= 2 or len(residual) <= 2 else 15.0
    if not residual:
        return "no_title", 0.0
    target = " ".join(title_words)
    similarity = max(
        fuzz.ratio(" ".join(residual), target),
        fuzz.token_sort_ratio(" ".join(residual), target),
        fuzz.ratio(" ".join(residual + uncertain), target),
    )
    if similarity >= 80 and not _words_align(residual, title_words):
        return "weak", 6.0  # `Tasting Hearts` is not `Trading Hearts`: a whole word differs, not a letter
    if similarity >= 92:
        return "strong", 28.0
    if similarity >= 80:
        return "good", 18.0
    if similarity >= 65:
        return "weak", 6.0
    if similarity >= 45:
        return "poor", -5.0
    return "conflicting", -15.0


def _words_align(residual: tuple[str, ...], title_words: tuple[str, ...]) -> bool:
    """Every title word has a close counterpart in the name (a typo or a dropped letter, never another word)."""
    return all(max((fuzz.ratio(w, r) for r in residual), default=0.0) >= 80 for w in title_words if len(w) > 2)


def _number_feature(residual: tuple[str, ...], title_words: tuple[str, ...], parsed: ParsedScene) -> tuple[str, float]:
    query = _numbers(residual) | {str(n) for n in parsed.series_numbers}
    their_series = series_numbers(" ".join(title_words))
    theirs = _numbers(title_words) | {str(n) for n in their_series}
    if len(parsed.series_numbers) >= 2 and len(their_series) >= 2 and parsed.series_numbers[:2] != their_series[:2]:
        return "mismatch", -45.0  # S3E4 is not S3E5
    if parsed.part_number is not None and not query:
        # A file split into parts (`.part.1`, `CD2`) may also be the series part: it agrees or says nothing.
        if str(parsed.part_number) in theirs:
            return "part_match", 0.0 if len(theirs) > 1 else 4.0
        return ("part_only", 0.0) if not theirs or not residual else ("missing_in_query", -12.0)
    if not query and not theirs:
        return "none", 0.0
    if query & theirs:
        return "match", 0.0 if theirs - query else 4.0
    if query and theirs:
        return "mismatch", -45.0
    if theirs:
        return ("missing_in_query", -12.0) if residual else ("no_title", 0.0)
    return "missing_in_title", -15.0


def _is_duplicate(a: Candidate, b: Candidate, index: SiteIndex) -> bool:
    """TPDB holding one scene twice: same site family, same day (±1) and the same normalised title."""
    if a.kind != b.kind or normalize_key(a.title) != normalize_key(b.title):
        return False
    if a.released_on and b.released_on and abs((a.released_on - b.released_on).days) > 1:
        return False
    if a.site_id is None or b.site_id is None:
        return a.site_id == b.site_id
    return index.relation(a.site_id, b.site_id) in DUPLICATE_RELATIONS


def rank(
    parsed: ParsedScene, hits: list[SiteHit], index: SiteIndex, candidates: list[Candidate]
) -> list[ScoredCandidate]:
    """Score and order candidates best first, folding TPDB duplicates into one answer."""
    scored = [score(parsed, hits, index, c) for c in candidates]
    scored.sort(key=lambda s: (-s.total, -float(s.breakdown["site_points"]), s.candidate.key))
    answers: list[ScoredCandidate] = []
    for item in scored:
        for i, kept in enumerate(answers):
            if _is_duplicate(kept.candidate, item.candidate, index):
                answers[i] = replace(kept, duplicate_keys=(*kept.duplicate_keys, item.candidate.key))
                break
        else:
            answers.append(item)
    return answers


def decide(
    ranked: list[ScoredCandidate],
    *,
    manual: bool,
    accept_threshold: int = ACCEPT_THRESHOLD,
    margin: int = ACCEPT_MARGIN,
    has_site: bool = True,
) -> Decision:
    """Automatic mode answers only a clear winner (``clear_winner``); manual mode returns up to 10."""
    if manual:
        return Decision(ranked[0] if ranked else None, ranked[:MANUAL_LIMIT], "manual")
    if not ranked:
        return Decision(None, ranked, "no_candidates")
    best = ranked[0]
    verdict = clear_winner(
        best.confidence,
        best.total,
        ranked[1].total if len(ranked) > 1 else None,
        accept_threshold=accept_threshold,
        margin=margin,
    )
    if verdict != "accepted" and (unique := _unique_title(ranked)) is not None:
        # a title-only name whose whole title names one item and nothing else comes close
        return Decision(unique, ranked, "unique_title")
    if verdict != "accepted" and (cast := _unique_cast(ranked)) is not None:
        return Decision(cast, ranked, "unique_cast")
    if verdict == "low_confidence" and not has_site:
        verdict = "no_site"
    if verdict == "accepted" and not _is_site_confirmed(best):
        verdict = "site_unconfirmed"
    return Decision(best if verdict == "accepted" else None, ranked, verdict)


def _unique_title(ranked: list[ScoredCandidate]) -> ScoredCandidate | None:
    """Title-only names (`Fixing the Night (2017).mp4`): the one candidate with the whole title, at least
    ``TITLE_ONLY_MIN_WORDS`` long, no other candidate's title close to it, and nothing else in the name disagreeing:
    its year, if any, is the candidate's, its performers, if any, are credited, and its numbers agree."""
    exact = [s for s in ranked if s.breakdown.get("title") == "exact"]
    if len(exact) != 1 or exact[0].breakdown.get("evidence") != "title_only":
        return None
    best = exact[0]
    b = best.breakdown
    corroborated = float(b.get("performers_matched", 0)) > 0 or b.get("date") == "same_year"
    if len(words_of(best.candidate.title)) < TITLE_ONLY_MIN_WORDS - corroborated:
        return None  # a two-word title needs its performer or its year as well
    if b.get("date") not in ("none", "same_year") or b.get("numbers") not in AGREEING_NUMBERS:
        return None
    if any(_is_title_rival(other) for other in ranked if other is not best):
        return None
    return best


def _names_site_and_cast(scored: ScoredCandidate) -> bool:
    """The name is the candidate's site and its credited performers, and nothing else (no date, title or id)."""
    b = scored.breakdown
    return (
        b.get("site") in CONFIRMING_SITES
        and b.get("date") == "none"
        and b.get("title") == "no_title"
        and b.get("codes") == "none"
        and float(b.get("explained_points", 0)) > 0
        and b.get("numbers") in AGREEING_NUMBERS
    )


def _unique_cast(ranked: list[ScoredCandidate]) -> ScoredCandidate | None:
    """`Site - Jane Doe.mp4`: the one scene of the named site crediting the named performers, when no other candidate of
    that site credits as many of them. Never a scene titled by its performer's name: a solo site has one per visit."""
    cast = [s for s in ranked if _names_site_and_cast(s)]
    if len(cast) != 1 or float(cast[0].breakdown.get("performer_points", 0)) < 18.0:
        return None
    best = cast[0]
    named = float(best.breakdown.get("performers_matched", 0))
    rivals = (
        other
        for other in ranked
        if other is not best
        and other.breakdown.get("site") in CONFIRMING_SITES
        and float(other.breakdown.get("performers_matched", 0)) >= named
    )
    if any(rivals):
        return None
    return best


def _is_title_rival(other: ScoredCandidate) -> bool:
    """Another candidate whose title reads like the name's (a typo away), not a shorter title inside it nor a series
    neighbour (`Bright Lunch 2` for `Bright Lunch 1`)."""
    return other.breakdown.get("title") in ("strong", "good") and other.breakdown.get("numbers") in AGREEING_NUMBERS


def _is_site_confirmed(best: ScoredCandidate) -> bool:
    """A candidate from another site than the name's (or an unknown one) is never accepted on date and title alone."""
    b = best.breakdown
    if (
        b.get("title") in ("weak", "poor", "conflicting")
        and not float(b.get("performers_matched", 0))
        and b.get("codes") != "match"
    ):
        return False  # a studio and a year are no item: `Tasting Hearts (2013)` is not `Trading Hearts`
    undated = best.breakdown.get("date") in ("none", "unknown") and best.breakdown.get("codes") != "match"
    if best.breakdown.get("title") == "performer_title" and (undated or best.breakdown.get("date") == "near"):
        return False  # a solo site titles every scene of a performer by her name: without its date or id, which one?
    site = best.breakdown.get("site", "none")
    if site in CONFIRMING_SITES or site == "none":
        return True
    return float(best.breakdown.get("performers_matched", 0)) > 0


def clear_winner(
    best_confidence: int,
    best_total: float,
    runner_up_total: float | None,
    *,
    accept_threshold: int = ACCEPT_THRESHOLD,
    margin: int = ACCEPT_MARGIN,
) -> str:
    """The one "clear winner" rule of every automatic match (scenes, movies, shows, seasons).

    The best answer must reach ``accept_threshold`` (0..100) and lead the runner-up by ``margin`` points; a lone answer
    has no rival to lead. Returns "accepted", "low_confidence" or "ambiguous".
    """
    if best_confidence < accept_threshold:
        return "low_confidence"
    if runner_up_total is not None and best_total - runner_up_total < margin:
        return "ambiguous"
    return "accepted"
