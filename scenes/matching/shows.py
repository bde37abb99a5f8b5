"""Show and season matching: a Plex show is a TPDB site, a season is (site, year); and episodes named by number."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db.models import Q
from django.utils.text import slugify
from rapidfuzz import fuzz

from scenes.matching.request import MAX_MANUAL_RESULTS, MatchRequest, MatchResult
from scenes.matching.rule import is_clear_winner
from scenes.models import Scene
from scenes.selectors import episode_by_number
from sites.models import Site, SiteAlias
from sites.services import site_index_get, site_upsert_from_tpdb
from tpdbprovider.matching.matcher import resolve_sites
from tpdbprovider.matching.parser import MatchInput, normalize_key, parse_request
from tpdbprovider.matching.ratingkeys import UNDATED_SEASON
from tpdbprovider.tpdb.client import tpdb_client
from tpdbprovider.tpdb.errors import TPDBError

logger = logging.getLogger(__package__)


def match_show(req: MatchRequest) -> list[MatchResult]:
    return _guarded(req, _show_candidates)


def match_season(req: MatchRequest) -> list[MatchResult]:
    return _guarded(req, _season_candidates)


def match_numbered_episode(req: MatchRequest) -> list[MatchResult] | None:
    """An automatic episode match whose ``parentIndex``/``index`` name an episode we numbered (``scenes.episodes``)
    is answered with it (score 100); None otherwise, so the engine decides. The show comes from the stored sites only
    (a numbered episode's site is stored), and only a clear winner among them counts."""
    season, index = req.parent_index, req.index
    if req.type != 4 or req.manual or season is None or index is None or not _is_season(season):
        return None
    name = req.grandparent_title or _folder(req.filename)
    shows = _select(_site_candidates(name, limit=1, is_local_only=True), is_manual=False)
    if not shows or not isinstance(site := shows[0].item, Site):
        return None
    scene = episode_by_number(site=site, year=season, index=index)
    return [MatchResult(scene, "episode", 100)] if scene is not None else None


def _guarded(req: MatchRequest, find: Callable[[MatchRequest], list[MatchResult]]) -> list[MatchResult]:
    try:
        results = find(req)
    except TPDBError as exc:
        logger.warning("Match type %s answered empty: TPDB failed (%s)", req.type, exc.__class__.__name__)
        return []
    return _select(results, is_manual=req.manual)


def _select(results: list[MatchResult], *, is_manual: bool) -> list[MatchResult]:
    """Best first, one per item; automatic mode keeps the best only when it is a clear winner (``rule``)."""
    unique: dict[tuple[str, int, int | None], MatchResult] = {}
    for result in sorted(results, key=lambda r: -r.score):
        unique.setdefault(result.identity, result)
    ranked = list(unique.values())
    if is_manual:
        return ranked[:MAX_MANUAL_RESULTS]
    if not ranked or not is_clear_winner(ranked[0].score, ranked[1].score if len(ranked) > 1 else None):
        return []
    return ranked[:1]


def _norm(text: str) -> str:
    return normalize_key(text)


def _site_score(name: str, site: Site | Any, *, is_alias: bool = False) -> int:
    key = _norm(name)
    if key and key in {_norm(site.name), _norm(site.short_name), _norm(getattr(site, "slug", ""))}:
        return 100
    if is_alias:
        return 95
    return min(90, round(fuzz.ratio(_norm(site.name), key)))


def _site_candidates(name: str, *, limit: int, is_local_only: bool = False) -> list[MatchResult]:
    """Sites named like ``name``: the local table first (name, short_name, slug, alias); TPDB only without a hit."""
    key = _norm(name)
    if not key:
        return []
    aliased = set(SiteAlias.objects.filter(alias=key).values_list("site_id", flat=True))
    lookup = Q(name__iexact=name.strip()) | Q(short_name__iexact=key) | Q(slug=slugify(name)) | Q(id__in=aliased)
    local = Site.objects.filter(lookup | Q(name__icontains=name.strip()))[:20]
    results = [MatchResult(site, "show", _site_score(name, site, is_alias=site.id in aliased)) for site in local]
    if is_local_only or any(r.score >= 95 for r in results):
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
    if not req.manual and (release_site := _release_folder_site(name)) is not None:
        return [release_site]
    results = _site_candidates(name, limit=MAX_MANUAL_RESULTS if req.manual else 1)
    return results if req.manual else _told_apart_by_first_file(req, name, results)


# A show named by a release folder (one site in site position, then a full date) is that site, as sure as an alias.
RELEASE_FOLDER_SCORE = 95


def _release_folder_site(name: str) -> MatchResult | None:
    """A release folder (``WebYoung.2023.06.24.Anna.XXX.720p``) names one scene, so its show is the site in front of
    its date: resolved like a file name's site, and only when exactly one stored site is named. A catch-all folder
    (``Misc``, ``New``) names no site and no date: it gets no show, since every file in it would be placed against one
    site's episodes."""
    parsed = parse_request(MatchInput(title=name, filename=name, kind="episode"))
    if parsed.release_date is None or parsed.site_position is None:
        return None
    strong = {hit.entry.id for hit in resolve_sites(parsed, site_index_get()) if hit.strength >= 0.9}
    if len(strong) != 1:
        return None
    site = Site.objects.filter(tpdb_numeric_id=strong.pop()).first()
    return MatchResult(site, "show", RELEASE_FOLDER_SCORE) if site is not None else None


def _told_apart_by_first_file(req: MatchRequest, name: str, results: list[MatchResult]) -> list[MatchResult]:
    """Sites that share the show's name equally well are told apart by its first file (Plex sends it as
    ``filename``): the one whose family (itself, or the parent or network of the file's site) has the scene the file
    matches wins; otherwise they stay tied and the show gets no automatic answer."""
    top = max((r.score for r in results), default=0)
    tied = [r for r in results if r.score == top and isinstance(r.item, Site)]
    if len({r.item.pk for r in tied if isinstance(r.item, Site)}) < 2 or not req.filename:
        return results
    from scenes.matching.engine import match_episode  # the engine imports this module

    file_request = MatchRequest(provider="tv", type=4, grandparent_title=name, filename=req.filename, date=req.date)
    answer = match_episode(file_request)
    scene = answer[0].item if answer else None
    if not isinstance(scene, Scene) or scene.site is None:
        return results
    owners = [r for r in tied if isinstance(r.item, Site) and _is_family_of(scene.site, r.item)]
    if len({r.item.pk for r in owners if isinstance(r.item, Site)}) != 1:
        return results
    return owners[:1]


def _is_family_of(site: Site, show: Site) -> bool:
    return show.pk in {site.pk, site.parent_id, site.network_id}


def _season_candidates(req: MatchRequest) -> list[MatchResult]:
    year = req.index if req.index is not None else req.year
    if year is None or not _is_season(year):
        return []
    shows = _site_candidates(req.parent_title or req.title, limit=MAX_MANUAL_RESULTS if req.manual else 1)
    return [MatchResult((r.item, year), "season", r.score) for r in shows if isinstance(r.item, Site)]


def _is_season(number: int) -> bool:
    """Seasons are release years, and 0 for the undated scenes."""
    return number == UNDATED_SEASON or 1900 <= number <= 2100


def _folder(filename: str) -> str:
    parts = filename.replace("\\", "/").split("/")
    return parts[-2] if len(parts) > 1 else ""
