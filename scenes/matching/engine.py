"""The episode and movie use case: pins, then a fresh decision, then the scoring engine over stored and TPDB candidates.

The request is parsed, its site resolved against the local Site table and its editable aliases, candidates come from
stored scenes of that site and date first, then from one TPDB ``parse`` search (plus a movie search when the evidence
allows a movie); they are scored and the automatic answer goes only to a clear winner. Each automatic decision is
stored as a ``MatchDecision``; a person's ``MatchPin`` for the same Plex item wins over all of this.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace

from django.db import OperationalError

from scenes.catalog import complete_catalog_sites
from scenes.matching.candidates import Pool, catalog_candidates, day_candidates, family_site_ids, local_candidates
from scenes.matching.decisions import SITE_LIST_PENDING, TPDB_UNAVAILABLE, record_decision
from scenes.matching.pins import pinned
from scenes.matching.prefetch import is_site_year_fresh, prefetch_after_match, wait_for_catalog
from scenes.matching.request import MAX_MANUAL_RESULTS, MatchRequest, MatchResult
from scenes.matching.reuse import reused_decision
from scenes.matching.rule import decide_scored
from scenes.matching.search import fetch_candidates, learn_sites
from scenes.matching.shows import match_numbered_episode
from scenes.models import Scene
from sites.selectors import site_list_synced_at
from sites.services import site_index_get, site_list_sync_queue_if_due
from tpdbprovider.core.db import is_deadlock
from tpdbprovider.matching.matcher import Decision, rank, resolve_sites, search_site_key
from tpdbprovider.matching.parser import MatchInput, ParsedScene, parse_request, words_of
from tpdbprovider.matching.sites import SiteHit, SiteIndex

logger = logging.getLogger(__package__)

# A local answer this sure skips TPDB even when the site-year was never prefetched.
LOCAL_SURE = 95
# A site-less dated name's stored scene of that day this sure skips TPDB: its whole title and the day agree (85 is
# what the performer, the title and the exact date give with no site named; a TPDB duplicate is either answer).
DAY_SURE = 85
# An answer of the first search this sure skips the search of the other kind (scenes, movies).
SETTLED = 75
# The reason of an answer found among the stored scenes of sites whose whole catalogs are stored (no search).
CATALOG_ACCEPTED = "accepted from the stored catalog"
DAY_ACCEPTED = "accepted from the stored scenes of its day"


def match_episode(req: MatchRequest, *, reuse: bool = True) -> list[MatchResult]:
    """``reuse=False`` ignores a fresh stored decision (the review queue's re-run)."""
    return _scene_or_movie(req, reuse=reuse)


def match_movie(req: MatchRequest, *, reuse: bool = True) -> list[MatchResult]:
    return _scene_or_movie(req, reuse=reuse)


def _scene_or_movie(req: MatchRequest, *, reuse: bool) -> list[MatchResult]:
    if (answer := pinned(req)) is not None:
        return answer
    if (numbered := match_numbered_episode(req)) is not None:
        return numbered
    if reuse and not req.manual and (reused := reused_decision(req)) is not None:
        return reused
    return _engine_match(req)


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
    hits = resolve_sites(parsed, index)
    # A full date in the name means a scene release; feature films carry a year at most.
    wants_movies = req.type == 1 and parsed.release_date is None
    pool = Pool()
    for item in local_candidates(parsed, hits, index):
        pool.add_stored(item)

    decision = _decide(req, parsed, hits, index, pool)
    # Its candidates may be on their way: a catalog walk of its site is on its year right now.
    if (
        not _is_settled_locally(decision, hits)
        and hits
        and parsed.dates
        and wait_for_catalog(tpdb_site_ids={hit.entry.id for hit in hits}, dates=parsed.dates)
    ):
        for item in local_candidates(parsed, hits, index):
            pool.add_stored(item)
        decision = _decide(req, parsed, hits, index, pool)
    # A person's Fix Match always gets TPDB's list; the automatic answers below are the ones a search would give.
    if not req.manual and not _is_settled_locally(decision, hits) and hits and not parsed.dates:
        # No date to look around: a site whose whole catalog is stored answers from its rows what a search would.
        catalog_pool, catalog_decision = _catalog_decision(req, parsed, hits, index)
        if catalog_decision is not None:
            pool, decision = catalog_pool, catalog_decision
    if not req.manual and not hits and parsed.dates and (sure := _sure_on_its_date(req, parsed, index)) is not None:
        # No site named (`Performer - Title (2019-10-13)`): a stored scene of that day this sure needs no search.
        pool, decision = sure
    if not _is_settled_locally(decision, hits):
        # A movie-like name (a year, no date) asks the movie search first; either search that settles the answer
        # spares the other one.
        order = ["scene", "movie"] if wants_movies else ["scene"]
        if wants_movies and parsed.year:
            order.reverse()
        is_fetched = True
        for step, kind in enumerate(order):
            if step and _is_settled_by(decision, order[0]):
                break
            is_fetched = fetch_candidates(req, parsed, pool, kind=kind, site_key=search_site_key(hits)) and is_fetched
            # Another request may have stored these candidates' sites a moment ago (learned nothing new here, yet
            # this request's index predates them): look again whenever TPDB brought candidates.
            if not hits and (learn_sites(pool) or pool.fetched):
                index = site_index_get(force=True)
                hits = resolve_sites(parsed, index)
            decision = _decide(req, parsed, hits, index, pool)
        if not is_fetched and decision.accepted is None:
            # Not a judgement on the candidates: TPDB could not be asked. Never reused; the next request tries again.
            decision = replace(decision, reason=TPDB_UNAVAILABLE)
    if decision.accepted is None and not hits and site_list_synced_at() is None:
        # The site may only be missing because TPDB's site list is not stored yet (first start): never reused.
        site_list_sync_queue_if_due()
        decision = replace(decision, reason=SITE_LIST_PENDING)

    if not req.manual:
        record_decision(req, parsed, decision)
    answers = decision.ranked if req.manual else ([decision.accepted] if decision.accepted else [])
    results = [pool.result_for(scored, req) for scored in answers[:MAX_MANUAL_RESULTS]]
    if decision.accepted is not None and not req.manual:
        try:
            prefetch_after_match(results[0].item)
        except OperationalError as exc:
            if not is_deadlock(exc):
                raise
            # The prefetch only saves later calls: a deadlock with a concurrent match never costs this answer.
            logger.warning("The catalog trigger deadlocked with another writer; skipped")
    return results


def _decide(req: MatchRequest, parsed: ParsedScene, hits: list[SiteHit], index: SiteIndex, pool: Pool) -> Decision:
    candidates = [c for c in pool.candidates.values() if req.type == 1 or c.kind == "scene"]
    ranked = rank(parsed, hits, index, candidates)
    return decide_scored(ranked, manual=req.manual, has_site=bool(hits))


def _decided_among(
    req: MatchRequest, parsed: ParsedScene, hits: list[SiteHit], index: SiteIndex, items: Iterable[Scene]
) -> tuple[Pool, Decision]:
    """The decision over these stored scenes alone, and the pool that holds them."""
    pool = Pool()
    for item in items:
        pool.add_stored(item)
    return pool, _decide(req, parsed, hits, index, pool)


def _catalog_decision(
    req: MatchRequest, parsed: ParsedScene, hits: list[SiteHit], index: SiteIndex
) -> tuple[Pool, Decision | None]:
    """The answer among the stored scenes of the name's sites and their families whose whole catalogs are stored (one
    named site at least must be), or None: the search decides as before."""
    named = {hit.entry.id for hit in hits}
    complete = complete_catalog_sites(family_site_ids(hits, index))
    # A network named beside its site (`Network - Site/…`) is never walked itself: one complete named site will do.
    if not named & complete:
        return Pool(), None
    site_words = {word for hit in hits for word in words_of(hit.token)}
    pool, decision = _decided_among(
        req, parsed, hits, index, catalog_candidates(parsed, complete, site_words=site_words)
    )
    best = decision.accepted
    if best is None or decision.reason != "accepted" or best.candidate.site_id not in complete:
        return pool, None
    return pool, replace(decision, reason=CATALOG_ACCEPTED)


def _sure_on_its_date(req: MatchRequest, parsed: ParsedScene, index: SiteIndex) -> tuple[Pool, Decision] | None:
    """The stored scenes released on the name's dates, whatever their site, when one of them is a near-certain answer
    (``DAY_SURE``: its title and the day agree); None: the search decides as before."""
    pool, decision = _decided_among(req, parsed, [], index, day_candidates(parsed))
    best = decision.accepted
    if best is None or decision.reason != "accepted" or best.confidence < DAY_SURE:
        return None
    return pool, replace(decision, reason=DAY_ACCEPTED)


def _is_settled_by(decision: Decision, kind: str) -> bool:
    """The first search settled the answer: a clear winner of its kind this sure needs no search of the other kind."""
    best = decision.accepted
    return best is not None and best.candidate.kind == kind and best.confidence >= SETTLED


def _is_settled_locally(decision: Decision, hits: list[SiteHit]) -> bool:
    """Skip TPDB when the stored rows already give a clear answer and cannot be missing a rival.

    Rivals cannot be missing when the site's year was prefetched recently (every scene of it is stored); otherwise
    only a near-certain local answer is trusted.
    """
    best = decision.accepted
    if best is not None and decision.reason in (CATALOG_ACCEPTED, DAY_ACCEPTED):
        return True
    if best is None or decision.reason != "accepted":
        return False
    if best.confidence >= LOCAL_SURE:
        return True
    site_id, released = best.candidate.site_id, best.candidate.released_on
    if site_id is None or released is None or not hits:
        return False
    return is_site_year_fresh(tpdb_site_id=site_id, year=released.year)
