"""MatchService: a Plex match request in, scored candidates out (best first).

The interface is ``MatchRequest`` → ``match_show`` / ``match_season`` / ``match_episode`` / ``match_movie`` →
``list[MatchResult]``. Automatic requests get at most one result, and only a clearly good one; manual (Fix Match)
requests get up to ``MAX_MANUAL_RESULTS``. TPDB failures are logged and answered with no result, never raised.

This is the first, deliberately simple implementation: pins (TPDB URL, ``[tpdbid=…]``, bare uuid), local site lookup
and one TPDB ``parse`` search. The retrieval and scoring below are meant to be replaced by ``tpdbprovider.matching``.
"""

from __future__ import annotations

import datetime
import difflib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from django.conf import settings
from django.db.models import Q
from django.utils.text import slugify

from movies.models import Movie
from movies.services import movie_upsert_from_tpdb
from scenes.models import Scene
from scenes.services import scene_upsert_from_tpdb
from sites.models import Site, SiteAlias
from sites.services import site_upsert_from_tpdb
from tpdbprovider.tpdb.client import TPDBClient, tpdb_client
from tpdbprovider.tpdb.errors import TPDBError, TPDBNotFoundError
from tpdbprovider.tpdb.schemas import TPDBPage, TPDBScene, TPDBSite

logger = logging.getLogger(__name__)

MAX_MANUAL_RESULTS = 10
T = TypeVar("T")
MatchKind = Literal["show", "season", "episode", "movie", "scene_as_movie"]


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


def match_episode(req: MatchRequest) -> list[MatchResult]:
    return _guarded(req, _episode_candidates)


def match_movie(req: MatchRequest) -> list[MatchResult]:
    return _guarded(req, _movie_candidates)


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


# --- evidence from the request ------------------------------------------------------------------------------------

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_TPDB_URL = re.compile(r"(?:theporndb\.net|metadataapi\.net)/(scenes|movies|sites)/([A-Za-z0-9_-]+)", re.IGNORECASE)
_TPDB_TAG = re.compile(r"\[(?:tpdb|theporndb)id=([A-Za-z0-9_-]+)\]", re.IGNORECASE)
_BARE_UUID = re.compile(rf"(?<![0-9A-Za-z-])({_UUID})(?![0-9A-Za-z-])")
_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)[.\-_ ](\d\d)[.\-_ ](\d\d)(?!\d)")
_SHORT_DATE = re.compile(r"(?<![\d])(\d\d)\.(\d\d)\.(\d\d)(?![\d])")
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{2,4}$")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class _Pin:
    collection: str | None  # "scenes", "movies", "sites" or None when only an id was given
    tpdb_id: str


def _find_pin(*texts: str) -> _Pin | None:
    """A TPDB id the user typed: a theporndb.net URL, ``[tpdbid=…]`` / ``[theporndbid=…]`` or a bare uuid."""
    for text in texts:
        if url := _TPDB_URL.search(text):
            return _Pin(collection=url[1].lower(), tpdb_id=url[2])
        if tag := _TPDB_TAG.search(text):
            return _Pin(collection=None, tpdb_id=tag[1])
        if bare := _BARE_UUID.search(text):
            return _Pin(collection=None, tpdb_id=bare[1].lower())
    return None


def _basename(filename: str) -> str:
    return _EXTENSION.sub("", filename.replace("\\", "/").rsplit("/", 1)[-1])


def _folder(filename: str) -> str:
    parts = filename.replace("\\", "/").split("/")
    return parts[-2] if len(parts) > 1 else ""


def _find_date(text: str) -> datetime.date | None:
    for match, century in ((_DATE.search(text), 0), (_SHORT_DATE.search(text), 2000)):
        if match:
            try:
                return datetime.date(century + int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                continue
    return None


def _norm(text: str) -> str:
    return "".join(_WORD.findall(text.lower()))


def _similarity(text: str, title: str) -> float:
    """1.0 for the same words, 0.9 when the title is inside the text (extra noise), else a damped edit ratio."""
    text_norm, title_norm = _norm(text), _norm(title)
    if not text_norm or not title_norm:
        return 0.0
    if text_norm == title_norm:
        return 1.0
    if title_norm in text_norm:
        return 0.9
    return 0.8 * difflib.SequenceMatcher(None, text_norm[:300], title_norm[:300]).ratio()


def _title_hint(stem: str, site: Site | None) -> str:
    """The file name without its date and its leading site name: what is left should be the scene title."""
    text = _SHORT_DATE.sub(" ", _DATE.sub(" ", stem))
    hint = _norm(text)
    for name in (site.name, site.short_name) if site is not None else ():
        if _norm(name) and hint.startswith(_norm(name)):
            return hint[len(_norm(name)) :]
    return hint


# --- TPDB access --------------------------------------------------------------------------------------------------


def _client() -> TPDBClient:
    return tpdb_client(lane="interactive")


def _items(page: TPDBPage[T]) -> list[T]:
    return list(page.items)


def _store_site(data: TPDBSite) -> Site:
    return site_upsert_from_tpdb(data=data)


def _store_scene(data: TPDBScene) -> Scene:
    return scene_upsert_from_tpdb(data=data)


def _store_movie(data: TPDBScene) -> Movie:
    return movie_upsert_from_tpdb(data=data)


def _resolve_pin(pin: _Pin, wanted: tuple[str, ...]) -> Site | Scene | Movie | None:
    """The pinned item from the database, else fetched from TPDB and stored; None when TPDB has no such item."""
    for collection in wanted:
        if pin.collection not in (None, collection):
            continue
        stored = _stored(collection, pin.tpdb_id)
        if stored is not None:
            return stored
        try:
            if collection == "sites":
                return _store_site(_client().get_site(pin.tpdb_id))
            if collection == "scenes":
                return _store_scene(_client().get_scene(pin.tpdb_id))
            return _store_movie(_client().get_movie(pin.tpdb_id))
        except TPDBNotFoundError:
            continue
    return None


def _stored(collection: str, tpdb_id: str) -> Site | Scene | Movie | None:
    """A stored item by uuid (any collection) or by TPDB slug (scenes and movies; sites have none)."""
    is_uuid = re.fullmatch(_UUID, tpdb_id) is not None
    if collection == "sites":
        return Site.objects.filter(tpdb_id=tpdb_id).first() if is_uuid else None
    model = Scene if collection == "scenes" else Movie
    lookup = Q(tpdb_id=tpdb_id) if is_uuid else Q(slug=tpdb_id)
    return model.objects.filter(lookup).first()


# --- shows and seasons --------------------------------------------------------------------------------------------


def _site_score(name: str, site: Site | Any, *, is_alias: bool = False) -> int:
    key = _norm(name)
    if key and key in {_norm(site.name), _norm(site.short_name), _norm(getattr(site, "slug", ""))}:
        return 100
    if is_alias:
        return 95
    return min(90, round(100 * _similarity(site.name, name)))


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
        remote = sorted(_items(_client().search_sites(q=name.strip())), key=lambda data: -_site_score(name, data))
    except TPDBError as exc:
        if not results:
            raise
        logger.warning("TPDB site search failed, answering from the database (%s)", exc.__class__.__name__)
        return results
    for data in remote[:limit]:
        site = _store_site(data)
        results.append(MatchResult(site, "show", _site_score(name, site)))
    return results


def _best_site(name: str) -> Site | None:
    best = _select(_site_candidates(name, limit=1), is_manual=False)
    return best[0].item if best and isinstance(best[0].item, Site) else None


def _show_candidates(req: MatchRequest) -> list[MatchResult]:
    if pin := _find_pin(req.title, req.filename):
        site = _resolve_pin(pin, ("sites",))
        return [MatchResult(site, "show", 100)] if isinstance(site, Site) else []
    name = req.title or _folder(req.filename)
    return _site_candidates(name, limit=MAX_MANUAL_RESULTS if req.manual else 1)


def _season_candidates(req: MatchRequest) -> list[MatchResult]:
    year = req.index if req.index is not None else req.year
    if year is None or not (year == 0 or 1900 <= year <= 2100):
        return []
    shows = _site_candidates(req.parent_title or req.title, limit=MAX_MANUAL_RESULTS if req.manual else 1)
    return [MatchResult((r.item, year), "season", r.score) for r in shows if isinstance(r.item, Site)]


# --- episodes and movies ------------------------------------------------------------------------------------------


def _scene_score(
    *, site: Site | None, site_tpdb_id: int | None, day: datetime.date | None, released: Any, title: str, stem: str
) -> int:
    """Site, date and title agreement; without a date in the request the title carries that weight."""
    has_site = site is not None and site_tpdb_id is not None and site_tpdb_id == site.tpdb_numeric_id
    title_part = _similarity(stem, title)
    if day is None:
        return round(40 * has_site + 60 * title_part)
    is_same_day = bool(released == day)
    return round(35 * has_site + 35 * is_same_day + 30 * title_part)


def _scenes_for(
    *, site: Site | None, day: datetime.date | None, stem: str, kind: MatchKind, limit: int
) -> list[MatchResult]:
    """Stored scenes of the site on that day, then one TPDB parse search when none of them is a clear answer."""
    results: list[MatchResult] = []
    hint = _title_hint(stem, site)
    if site is not None and day is not None:
        for scene in Scene.objects.filter(site=site, release_date=day)[:20]:
            score = _scene_score(
                site=site, site_tpdb_id=site.tpdb_numeric_id, day=day, released=day, title=scene.title, stem=hint
            )
            results.append(MatchResult(scene, kind, score))
    if any(r.score >= 95 for r in results) or not stem:
        return results
    query: dict[str, Any] = {"parse": stem}
    if site is not None and site.tpdb_numeric_id is not None:
        query["site_id"] = site.tpdb_numeric_id
    if day is not None:
        query["date"] = day.isoformat()
    try:
        found = _items(_client().search_scenes(**query))
    except TPDBError as exc:
        if not results:
            raise
        logger.warning("TPDB scene search failed, answering from the database (%s)", exc.__class__.__name__)
        return results
    scored = sorted(
        (
            (
                _scene_score(
                    site=site,
                    site_tpdb_id=getattr(data.site, "id", data.site_id),
                    day=day,
                    released=data.date,
                    title=data.title,
                    stem=hint,
                ),
                data,
            )
            for data in found
        ),
        key=lambda pair: -pair[0],
    )
    results.extend(MatchResult(_store_scene(data), kind, score) for score, data in scored[:limit])
    return results


def _episode_candidates(req: MatchRequest) -> list[MatchResult]:
    if pin := _find_pin(req.title, req.filename):
        scene = _resolve_pin(pin, ("scenes",))
        return [MatchResult(scene, "episode", 100)] if isinstance(scene, Scene) else []
    stem = _basename(req.filename) or req.title
    site = _best_site(req.grandparent_title or _folder(req.filename))
    day = req.date or _find_date(stem)
    return _scenes_for(site=site, day=day, stem=stem, kind="episode", limit=MAX_MANUAL_RESULTS if req.manual else 1)


def _movie_candidates(req: MatchRequest) -> list[MatchResult]:
    if pin := _find_pin(req.title, req.filename):
        item = _resolve_pin(pin, ("movies", "scenes"))
        if isinstance(item, Movie):
            return [MatchResult(item, "movie", 100)]
        return [MatchResult(item, "scene_as_movie", 100)] if isinstance(item, Scene) else []
    limit = MAX_MANUAL_RESULTS if req.manual else 1
    stem = _basename(req.filename) or req.title
    # A date in the file name points to a scene ("Site - 2024-03-05 - Title"); a feature film has a year at most.
    day = _find_date(stem) or _find_date(req.title)
    if day is not None:
        prefix = re.split(r"(?<!\d)(?:19|20)?\d\d[.\-_ ]\d\d[.\-_ ]\d\d(?!\d)", stem, maxsplit=1)[0]
        site = _best_site(prefix.strip(" -_.")) or _best_site(_folder(req.filename))
        scenes = _scenes_for(site=site, day=day, stem=stem, kind="scene_as_movie", limit=limit)
        if any(r.score >= settings.PLEX_MATCH_ACCEPT_THRESHOLD for r in scenes):
            return scenes
    title = req.title or stem
    scored = []
    for data in _items(_client().search_movies(q=title, year=req.year)):
        year_ok = req.year is not None and data.date is not None and data.date.year == req.year
        score = round((90 if req.year is None else 80) * _similarity(title, data.title) + 20 * year_ok)
        scored.append((min(score, 100), data))
    scored.sort(key=lambda pair: -pair[0])
    return [MatchResult(_store_movie(data), "movie", score) for score, data in scored[:limit]]
