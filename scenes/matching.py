"""MatchService: a Plex match request in, scored candidates out (best first).

The interface is ``MatchRequest`` → ``match_show`` / ``match_season`` / ``match_episode`` / ``match_movie`` →
``list[MatchResult]``. Automatic requests get at most one result, and only a clearly good one; manual (Fix Match)
requests get up to ``MAX_MANUAL_RESULTS``. TPDB failures are logged and answered from what is stored, never raised.

Episodes and movies go through the engine in ``tpdbprovider.matching``: the request is parsed, its site resolved
against the local Site table and its editable aliases, candidates come from stored scenes of that site and date first,
then from one TPDB ``parse`` search (plus a movie search when the evidence allows a movie); they are scored and the
automatic answer goes only to a clear winner. Each automatic decision is stored as a ``MatchDecision`` (the review
queue), and a person's ``MatchPin`` for the same Plex item wins over all of this.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, Q
from django.utils.text import slugify
from rapidfuzz import fuzz

from movies.models import Movie, MoviePerformer
from movies.services import movie_upsert_from_tpdb
from scenes.models import MatchDecision, MatchPin, Scene, ScenePerformer
from scenes.services import scene_upsert_from_tpdb
from sites.models import Site, SiteAlias, SiteYearSync
from sites.selectors import site_list_synced_at
from sites.services import (
    site_index_get,
    site_list_sync_queue_if_due,
    site_upsert_from_tpdb,
    site_year_prefetch,
)
from sites.tasks import site_year_prefetch_task
from tpdbprovider.core.cache import SCENE_SEARCH, cache_service
from tpdbprovider.core.tasks import enqueue
from tpdbprovider.matching.matcher import Candidate, CandidatePerformer, Decision, ScoredCandidate, decide, rank
from tpdbprovider.matching.parser import MatchInput, ParsedScene, TpdbRef, find_ref, normalize_key, parse_request
from tpdbprovider.matching.sites import SiteHit, SiteIndex
from tpdbprovider.tpdb.client import TPDBClient, tpdb_client
from tpdbprovider.tpdb.errors import TPDBError, TPDBNotFoundError
from tpdbprovider.tpdb.schemas import TPDBScene, slim_scene_json

logger = logging.getLogger(__name__)

MAX_MANUAL_RESULTS = 10
MatchKind = Literal["show", "season", "episode", "movie", "scene_as_movie"]
# Stored scenes this far around a parsed date are local candidates; TPDB dates lag up to ~25 days for some sites.
LOCAL_DAYS_BEFORE = 2
LOCAL_DAYS_AFTER = 30
# A local answer this sure skips TPDB even when the site-year was never prefetched.
LOCAL_SURE = 95
PREFETCH_FRESH = datetime.timedelta(days=7)
# How long an automatic decision answers the same Plex item again without re-running the engine (or TPDB).
DECISION_REUSE = datetime.timedelta(minutes=10)
TPDB_UNAVAILABLE = "tpdb_unavailable"
SITE_LIST_PENDING = "site_list_pending"
# Prefetch a site's year once this many files of it were matched within a day: a stray file or two is not a library
# (scan benchmark: after 2 files the page fetches cost more calls than they saved, 1.23 per file; after 3, 1.18).
PREFETCH_AFTER_MATCHES = 3
INLINE_PREFETCH_PAGES = 1


@dataclass(frozen=True)
class MatchRequest:
    """A validated Plex match request (plex-provider-spec §2.2); strings are "" when absent."""

    provider: Literal["tv", "movie"]
    type: int
    title: str = ""
    parent_title: str = ""
    grandparent_title: str = ""
    year: int | None = None
    guid: str = ""
    index: int | None = None
    parent_index: int | None = None
    date: datetime.date | None = None
    filename: str = ""
    manual: bool = False
    include_children: bool = False


@dataclass(frozen=True)
class MatchResult:
    """One candidate: a Site (show), (Site, year) (season), a Scene (episode or scene_as_movie) or a Movie; score 0-100."""

    item: Site | tuple[Site, int] | Scene | Movie
    kind: MatchKind
    score: int


def match_show(req: MatchRequest) -> list[MatchResult]:
    return _guarded(req, _show_candidates)


def match_season(req: MatchRequest) -> list[MatchResult]:
    return _guarded(req, _season_candidates)


def match_episode(req: MatchRequest, *, reuse: bool = True) -> list[MatchResult]:
    """``reuse=False`` ignores a fresh stored decision (the review queue's re-run)."""
    return _scene_or_movie(req, reuse=reuse)


def match_movie(req: MatchRequest, *, reuse: bool = True) -> list[MatchResult]:
    return _scene_or_movie(req, reuse=reuse)


def _scene_or_movie(req: MatchRequest, *, reuse: bool) -> list[MatchResult]:
    if (pinned := _pinned(req)) is not None:
        return pinned
    if reuse and not req.manual and (reused := _reused_decision(req)) is not None:
        return reused
    return _engine_match(req)


def _reused_decision(req: MatchRequest) -> list[MatchResult] | None:
    """A decision made for this Plex item within ``DECISION_REUSE``, answered from the database without re-parsing,
    re-scoring or TPDB; None when there is none (or its item is gone). Plex asks again on every refresh."""
    fresh_after = datetime.datetime.now(tz=datetime.UTC) - DECISION_REUSE
    decision = MatchDecision.objects.filter(
        provider=req.provider, request_key=request_key_for(req), updated_at__gte=fresh_after
    ).first()
    if decision is None or decision.state not in (MatchDecision.State.AUTO, MatchDecision.State.ABSTAINED):
        return None
    if decision.reason in (TPDB_UNAVAILABLE, SITE_LIST_PENDING):
        return None
    if decision.state == MatchDecision.State.ABSTAINED:
        return []
    kind, _, tpdb_id = decision.chosen_rating_key.removeprefix("tpdb-").partition("-")
    model: type[Scene] | type[Movie] = Movie if kind == "movie" else Scene
    item = model.objects.select_related("site").filter(tpdb_id=tpdb_id).first() if tpdb_id else None
    if item is None:
        return None
    return [MatchResult(item, _kind_for(item, req), decision.confidence or 0)]


def _guarded(req: MatchRequest, find: Callable[[MatchRequest], list[MatchResult]]) -> list[MatchResult]:
    try:
        results = find(req)
    except TPDBError as exc:
        logger.warning("Match type %s answered empty: TPDB failed (%s)", req.type, exc.__class__.__name__)
        return []
    return _select(results, is_manual=req.manual)


def _select(results: list[MatchResult], *, is_manual: bool) -> list[MatchResult]:
    """Best first, one per item; automatic mode keeps the best only if it passes the threshold and the margin."""
    unique: dict[tuple[str, Any], MatchResult] = {}
    for result in sorted(results, key=lambda r: -r.score):
        item = result.item
        identity = (result.kind, (item[0].pk, item[1]) if isinstance(item, tuple) else item.pk)
        unique.setdefault(identity, result)
    ranked = list(unique.values())
    if is_manual:
        return ranked[:MAX_MANUAL_RESULTS]
    if not ranked or ranked[0].score < settings.PLEX_MATCH_ACCEPT_THRESHOLD:
        return []
    if len(ranked) > 1 and ranked[0].score - ranked[1].score < settings.PLEX_MATCH_MARGIN:
        return []
    return ranked[:1]


# --- pins: a person's answer, or a TPDB id in the name --------------------------------------------------------------


def request_key_for(req: MatchRequest) -> str:
    """Identity of the Plex item asked about: its file's folder and name when Plex sent one, else the titles it sent.

    Not the full path, so a pin stays valid when the library is moved or mounted elsewhere; not the name alone, so two
    release folders holding an obfuscated ``video.mp4`` each stay two items.
    """
    tail = "/".join(part.strip() for part in req.filename.replace("\\", "/").split("/")[-2:]).strip("/").lower()
    if tail:
        identity = f"file|{tail}"
    else:
        parts = (req.title, req.grandparent_title, req.parent_title, req.year, req.date, req.index, req.parent_index)
        identity = "meta|" + "|".join("" if p is None else str(p).strip().lower() for p in parts)
    return hashlib.sha256(f"{req.provider}|{req.type}|{identity}".encode()).hexdigest()


def _ref_in(req: MatchRequest) -> TpdbRef | None:
    for text in (req.title, req.filename):
        if ref := find_ref(text[:4096]):
            return ref
    return None


def _pinned(req: MatchRequest) -> list[MatchResult] | None:
    """A stored pin first (a person decided), then a TPDB id typed into the title or the file name; None without
    either, so the engine decides."""
    pin = MatchPin.objects.filter(provider=req.provider, request_key=request_key_for(req)).first()
    ref = _ref_in(req) if pin is None else None
    if pin is None and ref is None:
        return None
    try:
        if pin is not None:
            if pin.is_not_in_tpdb or not pin.tpdb_id:
                return []
            item = _resolve_ref(TpdbRef(kind=_pin_kind(pin.rating_key), id=str(pin.tpdb_id)), req)
        else:
            assert ref is not None
            item = _resolve_ref(ref, req)
    except TPDBError as exc:
        logger.warning("Pinned item could not be fetched (%s)", exc.__class__.__name__)
        return []
    if item is None:
        return []
    return [MatchResult(item, _kind_for(item, req), 100)]


def _pin_kind(rating_key: str) -> str | None:
    return (
        "movie" if rating_key.startswith("tpdb-movie-") else "scene" if rating_key.startswith("tpdb-scene-") else None
    )


def _kind_for(item: Scene | Movie, req: MatchRequest) -> MatchKind:
    if isinstance(item, Movie):
        return "movie"
    return "episode" if req.type == 4 else "scene_as_movie"


def _resolve_ref(ref: TpdbRef, req: MatchRequest) -> Scene | Movie | None:
    """The referenced scene or movie, from the database or fetched and stored; None when TPDB has no such item."""
    kinds = [ref.kind] if ref.kind else (["scene"] if req.type == 4 else ["scene", "movie"])
    if req.type == 4 and "scene" not in kinds:
        return None
    is_uuid = re.fullmatch(r"[0-9a-fA-F-]{36}", ref.id) is not None
    for kind in kinds:
        model: type[Scene] | type[Movie] = Scene if kind == "scene" else Movie
        stored = model.objects.filter(Q(tpdb_id=ref.id) if is_uuid else Q(slug=ref.id)).first()
        if stored is not None:
            return stored
    client = tpdb_client(lane="interactive")
    for kind in kinds:
        try:
            if kind == "scene":
                return scene_upsert_from_tpdb(data=client.get_scene(ref.id))
            return movie_upsert_from_tpdb(data=client.get_movie(ref.id))
        except TPDBNotFoundError:
            continue
    return None


# --- the engine: episodes and movies ------------------------------------------------------------------------------


@dataclass
class _Pool:
    """Candidates by engine key, with where each came from (a stored row or TPDB data not yet stored)."""

    candidates: dict[str, Candidate]
    stored: dict[str, Scene | Movie]
    fetched: dict[str, TPDBScene]

    def add_stored(self, item: Scene | Movie) -> None:
        key = _engine_key(item)
        self.candidates[key] = _candidate_from_row(item)
        self.stored[key] = item

    def add_fetched(self, data: TPDBScene, kind: str) -> None:
        key = f"{kind}:{data.id}"
        if key not in self.stored:
            self.candidates[key] = _candidate_from_tpdb(data, kind)
            self.fetched[key] = data


def _engine_match(req: MatchRequest) -> list[MatchResult]:
    parsed = parse_request(
        MatchInput(
            title=req.title[:4096],
            year=req.year,
            filename=req.filename[:4096],
            grandparent_title=req.grandparent_title[:1024],
            parent_title=req.parent_title[:1024],
            date=req.date,
            index=req.index,
            parent_index=req.parent_index,
            kind="episode" if req.type == 4 else "movie",
        )
    )
    index = site_index_get()
    hits = index.resolve(parsed.site_tokens)
    # A full date in the name means a scene release; feature films carry a year at most.
    wants_movies = req.type == 1 and parsed.release_date is None
    pool = _Pool({}, {}, {})
    for item in _local_candidates(parsed, hits, index):
        pool.add_stored(item)

    decision = _decide(req, parsed, hits, index, pool)
    if not _is_settled_locally(decision, parsed, hits):
        is_fetched = _fetch_candidates(req, parsed, pool, wants_movies=wants_movies)
        # Another request may have stored these candidates' sites a moment ago (learned nothing new here, yet this
        # request's index predates them): look again whenever TPDB brought candidates.
        if not hits and (_learn_sites(pool) or pool.fetched):
            index = site_index_get(force=True)
            hits = index.resolve(parsed.site_tokens)
        decision = _decide(req, parsed, hits, index, pool)
        if not is_fetched and decision.accepted is None:
            # Not a judgement on the candidates: TPDB could not be asked. Never reused; the next request tries again.
            decision = replace(decision, reason=TPDB_UNAVAILABLE)
    if decision.accepted is None and not hits and site_list_synced_at() is None:
        # The site may only be missing because TPDB's site list is not stored yet (first start): never reused.
        site_list_sync_queue_if_due()
        decision = replace(decision, reason=SITE_LIST_PENDING)

    if not req.manual:
        _record_decision(req, parsed, decision)
    answers = decision.ranked if req.manual else ([decision.accepted] if decision.accepted else [])
    results = [_result_for(scored, pool, req) for scored in answers[:MAX_MANUAL_RESULTS]]
    if decision.accepted is not None and not req.manual:
        _prefetch_site_year(results[0].item)
    return results


def _decide(req: MatchRequest, parsed: ParsedScene, hits: list[SiteHit], index: SiteIndex, pool: _Pool) -> Decision:
    candidates = [c for c in pool.candidates.values() if req.type == 1 or c.kind == "scene"]
    ranked = rank(parsed, hits, index, candidates)
    return decide(
        ranked,
        manual=req.manual,
        accept_threshold=settings.PLEX_MATCH_ACCEPT_THRESHOLD,
        margin=settings.PLEX_MATCH_MARGIN,
        has_site=bool(hits),
    )


def _learn_sites(pool: _Pool) -> bool:
    """Store the sites of fetched candidates we did not know (a library matched before any site sync); True if any.

    Also queues the full site sync once, so the next requests resolve sites locally.
    """
    known = set(Site.objects.values_list("tpdb_numeric_id", flat=True))
    new_sites = {d.site.id: d.site for d in pool.fetched.values() if d.site is not None and d.site.id not in known}
    for data in new_sites.values():
        site_upsert_from_tpdb(data=data)
    if new_sites:
        site_list_sync_queue_if_due()
    return bool(new_sites)


def _is_settled_locally(decision: Decision, parsed: ParsedScene, hits: list[SiteHit]) -> bool:
    """Skip TPDB when the stored rows already give a clear answer and cannot be missing a rival.

    Rivals cannot be missing when the site's year was prefetched recently (every scene of it is stored); otherwise
    only a near-certain local answer is trusted.
    """
    best = decision.accepted
    if best is None or decision.reason != "accepted":
        return False
    if best.confidence >= LOCAL_SURE:
        return True
    site_id, released = best.candidate.site_id, best.candidate.released_on
    if site_id is None or released is None or not hits:
        return False
    fresh_after = datetime.datetime.now(tz=datetime.UTC) - PREFETCH_FRESH
    return SiteYearSync.objects.filter(
        site__tpdb_numeric_id=site_id, year=released.year, synced_at__gte=fresh_after
    ).exists()


def _local_candidates(parsed: ParsedScene, hits: list[SiteHit], index: SiteIndex) -> Iterable[Scene]:
    """Stored scenes of the resolved sites (and their families) around the parsed dates."""
    dates = parsed.dates
    if not hits or not dates:
        return []
    tpdb_site_ids: set[int] = set()
    for hit in hits:
        tpdb_site_ids |= index.family_of(hit.entry.id) | {hit.entry.id}
    start = min(dates) - datetime.timedelta(days=LOCAL_DAYS_BEFORE)
    end = max(dates) + datetime.timedelta(days=LOCAL_DAYS_AFTER)
    return _with_credits(
        Scene.objects.filter(site__tpdb_numeric_id__in=tpdb_site_ids, release_date__range=(start, end))
        .select_related("site")
        .order_by("release_date")[:200]
    )


def _with_credits(queryset: Any) -> Any:
    credits = Prefetch(
        "credits", queryset=ScenePerformer.objects.select_related("performer", "performer__parent").order_by("order")
    )
    return queryset.prefetch_related(credits)


def _fetch_candidates(req: MatchRequest, parsed: ParsedScene, pool: _Pool, *, wants_movies: bool) -> bool:
    """One TPDB parse search (cached for CACHE_TTL_SCENE_SEARCH), and a movie search when a movie is possible.

    Returns False when TPDB failed (the pool then holds only what was stored or fetched before the failure)."""
    client = tpdb_client(lane="interactive")
    query = parsed.to_search_query()[:500]
    try:
        if query:
            for raw in _cached_search(client, "scenes", {"parse": query}):
                pool.add_fetched(TPDBScene.from_json(raw), "scene")
        movie_title = (parsed.title or req.title).strip()[:300]
        if wants_movies and movie_title:
            for raw in _cached_search(client, "movies", {"q": movie_title, "year": req.year or parsed.year}):
                pool.add_fetched(TPDBScene.from_json(raw), "movie")
    except TPDBError as exc:
        # Answer from what is stored: the decision then only sees local rivals, which is why it stays conservative.
        logger.warning("Match search: TPDB failed (%s); deciding on stored scenes", exc.__class__.__name__)
        return False
    return True


def _cached_search(client: TPDBClient, collection: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    def fetch() -> list[dict[str, Any]]:
        if collection == "scenes":
            page = client.search_scenes(parse=params["parse"])
        else:
            page = client.search_movies(q=params["q"], year=params["year"])
        return [slim_scene_json(item.raw) for item in page.items]

    result: list[dict[str, Any]] = cache_service.get_or_fetch(
        SCENE_SEARCH, {"collection": collection, **params}, fetch, stale_on=(TPDBError,)
    )
    return result


def _result_for(scored: ScoredCandidate, pool: _Pool, req: MatchRequest) -> MatchResult:
    key = scored.candidate.key
    item = pool.stored.get(key)
    if item is None:
        data = pool.fetched[key]
        is_scene = scored.candidate.kind == "scene"
        # A row stored by an earlier match is served as it is (refresh tasks keep it current). Upserting the cached
        # search item on every warm match wrote scene, site, performers and credits each time, and deadlocked matches
        # running concurrently on shared performers (found by tests/benchmarks/load_bench.py).
        model: type[Scene] | type[Movie] = Scene if is_scene else Movie
        item = model.objects.select_related("site").filter(tpdb_id=data.id).first()
        if item is None:
            item = scene_upsert_from_tpdb(data=data) if is_scene else movie_upsert_from_tpdb(data=data)
        pool.stored[key] = item
    return MatchResult(item, _kind_for(item, req), scored.confidence)


def _record_decision(req: MatchRequest, parsed: ParsedScene, decision: Decision) -> None:
    """Store what Plex asked, the scored candidates and the outcome (abstentions feed the review queue)."""
    accepted = decision.accepted
    chosen = _rating_key(accepted.candidate) if accepted else ""
    MatchDecision.objects.update_or_create(
        provider=req.provider,
        request_key=request_key_for(req),
        defaults={
            "request_type": req.type,
            "request": _request_json(req),
            "parsed": _parsed_json(parsed),
            "candidates": [_scored_json(s) for s in decision.ranked[:MAX_MANUAL_RESULTS]],
            "chosen_rating_key": chosen,
            "confidence": accepted.confidence
            if accepted
            else (decision.ranked[0].confidence if decision.ranked else None),
            "state": MatchDecision.State.AUTO if accepted else MatchDecision.State.ABSTAINED,
            "reason": decision.reason,
        },
    )


def _prefetch_site_year(item: Site | tuple[Site, int] | Scene | Movie) -> None:
    """Once a third file of a site's year matched, store that whole site-year so the next files match locally.

    One page (100 scenes) is fetched at once, in this request and the interactive lane: during a scan Plex keeps the
    bucket empty, so a background prefetch would starve until the scan ends (measured by the scan benchmark), and one
    page costs the same single call as the parse search it saves. Larger years finish in a background task.
    """
    if not isinstance(item, Scene) or item.site is None or item.release_date is None:
        return
    year = item.release_date.year
    counter = f"site-year-matches:{item.site_id}:{year}"
    cache.add(counter, 0, timeout=24 * 3600)
    try:
        matches = cache.incr(counter)
    except ValueError:  # the counter expired or was evicted between add and incr
        matches = None
    if not isinstance(matches, int) or matches < PREFETCH_AFTER_MATCHES:  # None: Redis unreachable, a miss
        return
    fresh_after = datetime.datetime.now(tz=datetime.UTC) - PREFETCH_FRESH
    synced = SiteYearSync.objects.filter(site=item.site, year=year, synced_at__gte=fresh_after)
    if synced.exists() or not cache.add(f"prefetch-queued:{item.site_id}:{year}", 1, timeout=3600):
        return
    try:
        site_year_prefetch(site=item.site, year=year, lane="interactive", max_pages=INLINE_PREFETCH_PAGES)
    except TPDBError as exc:
        logger.warning("Site-year prefetch failed (%s); queued for the worker", exc.__class__.__name__)
    if not synced.exists():
        enqueue(site_year_prefetch_task, site_id=item.site_id, year=year)


# --- candidates from rows and from TPDB data ----------------------------------------------------------------------


def _engine_key(item: Scene | Movie) -> str:
    return f"{'movie' if isinstance(item, Movie) else 'scene'}:{item.tpdb_id}"


def _rating_key(candidate: Candidate) -> str:
    kind, tpdb_id = candidate.key.split(":", 1)
    return f"tpdb-{kind}-{tpdb_id}"


def _candidate_from_row(item: Scene | Movie) -> Candidate:
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
        key=_engine_key(item),
        kind="movie" if isinstance(item, Movie) else "scene",
        title=item.title,
        released_on=item.release_date,
        site_id=site.tpdb_numeric_id if site else None,
        site_name=site.name if site else "",
        performers=tuple(performers),
        duration_s=item.duration_s,
    )


def _candidate_from_tpdb(data: TPDBScene, kind: str) -> Candidate:
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
    )


def _request_json(req: MatchRequest) -> dict[str, Any]:
    fields = ("type", "title", "parent_title", "grandparent_title", "year", "guid", "index", "parent_index", "filename")
    data: dict[str, Any] = {f: getattr(req, f) for f in fields if getattr(req, f) not in ("", None)}
    if req.date:
        data["date"] = req.date.isoformat()
    return data


def _parsed_json(parsed: ParsedScene) -> dict[str, Any]:
    return {
        "site_tokens": list(parsed.site_tokens),
        "dates": [d.isoformat() for d in parsed.dates],
        "year": parsed.year,
        "performers": list(parsed.performers),
        "title": parsed.title,
        "resolution": parsed.resolution,
        "series_numbers": list(parsed.series_numbers),
        "confidence": round(parsed.confidence, 2),
        "search_query": parsed.to_search_query(),
    }


def _scored_json(scored: ScoredCandidate) -> dict[str, Any]:
    c = scored.candidate
    return {
        "rating_key": _rating_key(c),
        "kind": c.kind,
        "title": c.title,
        "site": c.site_name,
        "date": c.released_on.isoformat() if c.released_on else None,
        "performers": [p.canonical or p.credited for p in c.performers][:8],
        "confidence": scored.confidence,
        "breakdown": scored.breakdown,
        "duplicates": [f"tpdb-{k.replace(':', '-', 1)}" for k in scored.duplicate_keys],
    }


# --- shows and seasons --------------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return normalize_key(text)


def _site_score(name: str, site: Site | Any, *, is_alias: bool = False) -> int:
    key = _norm(name)
    if key and key in {_norm(site.name), _norm(site.short_name), _norm(getattr(site, "slug", ""))}:
        return 100
    if is_alias:
        return 95
    return min(90, round(fuzz.ratio(_norm(site.name), key)))


def _site_candidates(name: str, *, limit: int) -> list[MatchResult]:
    """Sites named like ``name``: the local table first (name, short_name, slug, alias); TPDB only without a hit."""
    key = _norm(name)
    if not key:
        return []
    aliased = set(SiteAlias.objects.filter(alias=key).values_list("site_id", flat=True))
    lookup = Q(name__iexact=name.strip()) | Q(short_name__iexact=key) | Q(slug=slugify(name)) | Q(id__in=aliased)
    local = Site.objects.filter(lookup | Q(name__icontains=name.strip()))[:20]
    results = [MatchResult(site, "show", _site_score(name, site, is_alias=site.id in aliased)) for site in local]
    if any(r.score >= 95 for r in results):
        return results
    try:
        remote = sorted(
            tpdb_client(lane="interactive").search_sites(q=name.strip()).items,
            key=lambda data: -_site_score(name, data),
        )
    except TPDBError as exc:
        if not results:
            raise
        logger.warning("TPDB site search failed, answering from the database (%s)", exc.__class__.__name__)
        return results
    for data in remote[:limit]:
        site = site_upsert_from_tpdb(data=data)
        results.append(MatchResult(site, "show", _site_score(name, site)))
    return results


def _show_candidates(req: MatchRequest) -> list[MatchResult]:
    name = req.title or _folder(req.filename)
    return _site_candidates(name, limit=MAX_MANUAL_RESULTS if req.manual else 1)


def _season_candidates(req: MatchRequest) -> list[MatchResult]:
    year = req.index if req.index is not None else req.year
    if year is None or not (year == 0 or 1900 <= year <= 2100):
        return []
    shows = _site_candidates(req.parent_title or req.title, limit=MAX_MANUAL_RESULTS if req.manual else 1)
    return [MatchResult((r.item, year), "season", r.score) for r in shows if isinstance(r.item, Site)]


def _folder(filename: str) -> str:
    parts = filename.replace("\\", "/").split("/")
    return parts[-2] if len(parts) > 1 else ""
