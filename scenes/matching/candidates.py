"""Candidate pools: stored scenes around the parsed dates, TPDB data not yet stored, and the engine's view of both."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q

from movies.models import Movie, MoviePerformer
from movies.services import movie_upsert_from_tpdb
from scenes.matching.request import MatchRequest, MatchResult, kind_for
from scenes.models import Scene, ScenePerformer
from scenes.services import scene_upsert_from_tpdb
from tpdbprovider.matching.matcher import Candidate, CandidatePerformer, ScoredCandidate, candidate_codes
from tpdbprovider.matching.parser import ParsedScene
from tpdbprovider.matching.ratingkeys import movie_key, scene_key
from tpdbprovider.matching.sites import SiteHit, SiteIndex
from tpdbprovider.tpdb.schemas import TPDBScene

logger = logging.getLogger(__package__)

# Stored scenes this far around a parsed date are local candidates; TPDB dates lag up to ~25 days for some sites.
LOCAL_DAYS_BEFORE = 2
LOCAL_DAYS_AFTER = 30
# A dateless name's local candidates (``catalog_candidates``): scenes sharing one of its longest title words, one of
# its longest name words (a performer) or one of its ids; at most this many, newest first.
CATALOG_TITLE_WORDS = 3
CATALOG_NAME_WORDS = 4
CATALOG_CODES = 3
CATALOG_CANDIDATES = 300
DAY_CANDIDATES = 300  # a site-less dated name's stored scenes of that day, whatever their site
_COMMON_WORDS = frozenset({"the", "and", "for", "with", "her", "his", "part", "scene", "episode", "vol"})


@dataclass
class Pool:
    """Candidates by engine key, with where each came from (a stored row or TPDB data not yet stored)."""

    candidates: dict[str, Candidate] = field(default_factory=dict)
    stored: dict[str, Scene | Movie] = field(default_factory=dict)
    fetched: dict[str, TPDBScene] = field(default_factory=dict)

    def add_stored(self, item: Scene | Movie) -> None:
        key = engine_key(item)
        self.candidates[key] = candidate_from_row(item)
        self.stored[key] = item

    def add_fetched(self, data: TPDBScene, kind: str) -> None:
        key = f"{kind}:{data.id}"
        if key not in self.stored:
            self.candidates[key] = candidate_from_tpdb(data, kind)
            self.fetched[key] = data

    def result_for(self, scored: ScoredCandidate, req: MatchRequest) -> MatchResult:
        """The answer for one scored candidate, storing it first when it came from TPDB and no row holds it yet."""
        key = scored.candidate.key
        item = self.stored.get(key)
        if item is None:
            data = self.fetched[key]
            is_scene = scored.candidate.kind == "scene"
            # A row stored by an earlier match is served as it is (refresh tasks keep it current). Upserting the cached
            # search item on every warm match wrote scene, site, performers and credits each time, and deadlocked
            # matches running concurrently on shared performers (found by tests/benchmarks/load_bench.py).
            model: type[Scene] | type[Movie] = Scene if is_scene else Movie
            item = model.objects.select_related("site").filter(tpdb_id=data.id).first()
            if item is None:
                # a deadlock with a concurrent match runs the upsert again (core.db.retry_on_conflict)
                item = scene_upsert_from_tpdb(data=data) if is_scene else movie_upsert_from_tpdb(data=data)
            self.stored[key] = item
        return MatchResult(item, kind_for(item, req), scored.confidence)


def family_site_ids(hits: list[SiteHit], index: SiteIndex) -> set[int]:
    """The TPDB numbers of the resolved sites and of their families (parents, networks, siblings)."""
    tpdb_site_ids: set[int] = set()
    for hit in hits:
        tpdb_site_ids |= index.family_of(hit.entry.id) | {hit.entry.id}
    return tpdb_site_ids


def local_candidates(parsed: ParsedScene, hits: list[SiteHit], index: SiteIndex) -> Iterable[Scene]:
    """Stored scenes of the resolved sites (and their families) around the parsed dates, and those storing an id the
    name carries (`Site - 1896966.mp4`: the studio's id is in no title, so no search finds it by words)."""
    dates, codes = parsed.dates, list(parsed.codes)
    if not hits or not (dates or codes):
        return []
    tpdb_site_ids = family_site_ids(hits, index)
    # One window per reading: `13.12.20` may be 2013-12-20 or 2020-12-13, and the years between are no candidates.
    wanted = Q(external_id__in=codes) if codes else Q(pk__in=[])
    for day in dates:
        start = day - datetime.timedelta(days=LOCAL_DAYS_BEFORE)
        wanted |= Q(release_date__range=(start, day + datetime.timedelta(days=LOCAL_DAYS_AFTER)))
    return _with_credits(
        Scene.objects.filter(wanted, site__tpdb_numeric_id__in=tpdb_site_ids)
        .select_related("site")
        .order_by("release_date")[:200]
    )


def day_candidates(parsed: ParsedScene) -> list[Scene]:
    """Stored scenes of any site released on one of the parsed dates that share one of its longest title words (at
    most ``DAY_CANDIDATES``): a day of a big library holds thousands of scenes, and only a title agreeing can answer."""
    titled = Q()
    for word in _title_words(parsed, _COMMON_WORDS):
        titled |= Q(title__icontains=word)
    if not parsed.dates or not titled:
        return []
    day = Scene.objects.filter(titled, release_date__in=parsed.dates).select_related("site")
    return list(_with_credits(day.order_by("release_date")[:DAY_CANDIDATES]))


def _title_words(parsed: ParsedScene, skipped: Iterable[str]) -> list[str]:
    """The name's longest title words (at most ``CATALOG_TITLE_WORDS``), ``skipped`` and numbers left out."""
    skip = set(skipped)
    titled = [w for w in dict.fromkeys(parsed.title_words or parsed.words) if len(w) >= 3 and not w.isdigit()]
    return sorted((w for w in titled if w not in skip), key=len, reverse=True)[:CATALOG_TITLE_WORDS]


def catalog_candidates(parsed: ParsedScene, tpdb_site_ids: set[int], *, site_words: Iterable[str] = ()) -> list[Scene]:
    """For a name with no date: stored scenes of these sites (their whole catalogs stored) that share a title word, a
    performer's name or an id with it (``site_words``, the words naming the site, are neither). What a TPDB search
    would bring of those sites, read from our own rows."""
    skipped = _COMMON_WORDS | set(site_words)
    named = [w for w in dict.fromkeys((*parsed.context_words, *parsed.words)) if len(w) >= 4 and not w.isdigit()]
    named = [w for w in named if w not in skipped]
    codes = [c.lstrip("0") for c in parsed.codes if c.lstrip("0")]
    matches = Q()
    for word in _title_words(parsed, skipped):
        matches |= Q(title__icontains=word)
    credits = ScenePerformer.objects.filter(scene__site__tpdb_numeric_id__in=tpdb_site_ids)  # these sites' only
    for word in sorted(named, key=len, reverse=True)[:CATALOG_NAME_WORDS]:
        matches |= Q(pk__in=credits.filter(performer__name__icontains=word).values("scene_id"))
    for code in codes[:CATALOG_CODES]:
        matches |= Q(external_id__contains=code) | Q(slug__contains=code) | Q(url__contains=code)
        if code.isdigit() and len(code) <= 12:  # a TPDB number fits a bigint
            matches |= Q(tpdb_numeric_id=int(code))
    if not tpdb_site_ids or not matches:
        return []
    return list(
        _with_credits(
            Scene.objects.filter(matches, site__tpdb_numeric_id__in=tpdb_site_ids)
            .select_related("site")
            .order_by("-release_date")[:CATALOG_CANDIDATES]
        )
    )


def _with_credits(queryset: Any) -> Any:
    credits = Prefetch(
        "credits", queryset=ScenePerformer.objects.select_related("performer", "performer__parent").order_by("order")
    )
    return queryset.prefetch_related(credits)


def engine_key(item: Scene | Movie) -> str:
    return f"{'movie' if isinstance(item, Movie) else 'scene'}:{item.tpdb_id}"


def rating_key(candidate: Candidate) -> str:
    return rating_key_of(candidate.key)


def rating_key_of(key: str) -> str:
    """The ratingKey of an engine key (``scene:<uuid>`` or ``movie:<uuid>``)."""
    kind, tpdb_id = key.split(":", 1)
    return movie_key(tpdb_id) if kind == "movie" else scene_key(tpdb_id)


def candidate_from_row(item: Scene | Movie) -> Candidate:
    credits: Iterable[ScenePerformer | MoviePerformer] = item.credits.all()
    performers = []
    for credit in credits:
        parent = credit.performer.parent or (credit.performer if credit.performer.is_parent else None)
        performers.append(
            CandidatePerformer(
                credited=credit.credited_name or credit.performer.name,
                canonical=parent.name if parent else None,
                aliases=tuple(parent.aliases or ()) if parent else (),
                gender=credit.performer.gender or None,
            )
        )
    site = item.site
    return Candidate(
        key=engine_key(item),
        kind="movie" if isinstance(item, Movie) else "scene",
        title=item.title,
        released_on=item.release_date,
        site_id=site.tpdb_numeric_id if site else None,
        site_name=site.name if site else "",
        performers=tuple(performers),
        duration_s=item.duration_s,
        codes=candidate_codes(item.external_id, item.tpdb_numeric_id, item.slug, item.url),
    )


def candidate_from_tpdb(data: TPDBScene, kind: str) -> Candidate:
    performers = tuple(
        CandidatePerformer(
            credited=credit.name,
            canonical=credit.parent.name if credit.parent else None,
            aliases=credit.parent.aliases if credit.parent else (),
            gender=credit.gender,
        )
        for credit in data.performers
    )
    return Candidate(
        key=f"{kind}:{data.id}",
        kind=kind,
        title=data.title,
        released_on=data.date,
        site_id=data.site.id if data.site else data.site_id,
        site_name=data.site.name if data.site else "",
        performers=performers,
        duration_s=data.duration_s,
        codes=candidate_codes(data.external_id, data.numeric_id, data.slug, data.url),
    )
