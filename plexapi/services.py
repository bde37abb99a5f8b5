"""MetadataService: what the Plex provider endpoints serve, read from the database.

TPDB is called only for an item that is not stored yet (fetch + upsert, then serve from the database). Each result is a
small "node" that pairs a model row with what Plex needs around it (episode index, season year, score); the
serializers in ``plexapi/serializers.py`` shape nodes into Plex JSON.
"""

from __future__ import annotations

import datetime
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, Min, Prefetch, Q, QuerySet, Window
from django.db.models.functions import ExtractYear, RowNumber
from django.http import Http404
from django.utils import timezone

from movies.models import Movie, MoviePerformer
from movies.services import movie_fetch_from_tpdb
from movies.tasks import movie_refresh as movie_refresh_task
from plexapi import ratingkeys
from plexapi.ratingkeys import UNDATED_SEASON, RatingKey
from plexapi.throttles import is_plex_server
from scenes.matching import MatchRequest, MatchResult, match_episode, match_movie, match_season, match_show
from scenes.models import Scene, ScenePerformer
from scenes.services import scene_fetch_from_tpdb
from scenes.tasks import scene_refresh as scene_refresh_task
from sites.models import Site
from sites.services import site_fetch_from_tpdb
from tpdbprovider.core.cache import cache_key
from tpdbprovider.core.exceptions import ApplicationError, UpstreamError, UpstreamNotFoundError
from tpdbprovider.core.redisconn import REDIS_FAILURES
from tpdbprovider.core.responsecache import answer_valid_for
from tpdbprovider.core.security import current_client_address
from tpdbprovider.core.tasks import enqueue
from tpdbprovider.core.throttling import Limit, sliding_window_hit

logger = logging.getLogger(__name__)

Provider = Literal["tv", "movie"]

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 500
MAX_PAGE_START = 1_000_000_000  # keeps OFFSET inside Postgres' bigint however large the header
M = TypeVar("M", Scene, Movie)
REFRESH_GUARD_S = 3600  # a stale item served again within this window queues no second refresh


class TPDBUnavailable(ApplicationError):
    """The item is not stored and TPDB could not be asked: 503, never a 500."""

    status_code = 503
    code = "tpdb_unavailable"


class UnknownItemShareSpent(TPDBUnavailable):
    """This client has used its share of TPDB calls for items we do not store: 503 with Retry-After."""

    code = "tpdb_share_spent"


@dataclass(frozen=True)
class ShowNode:
    site: Site
    first_release: datetime.date | None
    art_url: str = ""
    children: list[SeasonNode] | None = None
    score: int | None = None


@dataclass(frozen=True)
class SeasonNode:
    site: Site
    year: int
    first_release: datetime.date | None
    children: list[EpisodeNode] | None = None
    score: int | None = None


@dataclass(frozen=True)
class EpisodeNode:
    scene: Scene
    index: int
    score: int | None = None
    is_brief: bool = False  # an embedded child or a match candidate: no heavy arrays


@dataclass(frozen=True)
class MovieNode:
    movie: Movie
    score: int | None = None


@dataclass(frozen=True)
class SceneMovieNode:
    """A scene served on the movie provider: ratingKey ``tpdb-scene-<uuid>``, type movie, studio = site."""

    scene: Scene
    score: int | None = None


Node = ShowNode | SeasonNode | EpisodeNode | MovieNode | SceneMovieNode


@dataclass(frozen=True)
class Page:
    items: list[Node] = field(default_factory=list)
    offset: int = 0
    total_size: int = 0


@dataclass(frozen=True)
class ImageRef:
    type: str
    url: str
    alt: str


# --- provider root ------------------------------------------------------------------------------------------------


def provider_identifier(*, provider: Provider) -> str:
    return settings.PLEX_TV_IDENTIFIER if provider == "tv" else settings.PLEX_MOVIE_IDENTIFIER


@dataclass(frozen=True)
class ProviderDefinition:
    identifier: str
    title: str
    version: str
    types: tuple[int, ...]


def provider_definition(*, provider: Provider) -> ProviderDefinition:
    """The MediaProvider object (spec §1.2): a TV provider declares 2, 3 and 4; a movie provider only 1."""
    suffix, types = (" (TV)", (2, 3, 4)) if provider == "tv" else (" (Movies)", (1,))
    return ProviderDefinition(
        identifier=provider_identifier(provider=provider),
        title=f"{settings.APP_NAME}{suffix}",
        version=settings.APP_VERSION,
        types=types,
    )


# --- metadata -----------------------------------------------------------------------------------------------------


def metadata_get(*, rating_key: str, provider: Provider, include_children: bool = False) -> Node:
    """One item for ``/library/metadata/<ratingKey>``; Http404 when unknown or not served by this provider."""
    key = _parse_for_provider(rating_key, provider)
    if key.kind == "site":
        site = _site_get(key)
        children = _seasons_of(site) if include_children else None
        return ShowNode(site=site, first_release=_first_release(site), art_url=_site_art(site), children=children)
    if key.kind == "season":
        site = _site_get(key)
        assert key.year is not None
        episodes = None
        if include_children:
            scenes = _season_scenes(site, key.year).select_related("site")
            episodes = [EpisodeNode(scene=s, index=i, is_brief=True) for i, s in enumerate(scenes, start=1)]
        return SeasonNode(
            site=site, year=key.year, first_release=_first_release(site, year=key.year), children=episodes
        )
    if key.kind == "movie":
        return MovieNode(movie=_movie_get(key))
    scene = _scene_get(key)
    if provider == "movie":
        return SceneMovieNode(scene=scene)
    if scene.site is None:
        raise Http404(f"Scene '{rating_key}' has no site, so it cannot be an episode.")
    return EpisodeNode(scene=scene, index=episode_index(scene=scene))


def children_get(*, rating_key: str, provider: Provider, offset: int, limit: int) -> Page:
    """Seasons of a show (by year) or episodes of a season (by release date, uuid); leaves have none."""
    key = _parse_for_provider(rating_key, provider)
    if key.kind == "site":
        site = _site_get(key)
        seasons = _seasons_of(site)
        return Page(items=list(seasons[offset : offset + limit]), offset=offset, total_size=len(seasons))
    if key.kind == "season":
        site = _site_get(key)
        assert key.year is not None
        scenes = _season_scenes(site, key.year)
        total = scenes.count()
        page = _with_credits(scenes.select_related("site"))[offset : offset + limit] if limit else []
        items: list[Node] = [EpisodeNode(scene=s, index=offset + i) for i, s in enumerate(page, start=1)]
        return Page(items=items, offset=offset, total_size=total)
    _leaf_exists(key)
    return Page(offset=offset)


def grandchildren_get(*, rating_key: str, provider: Provider, offset: int, limit: int) -> Page:
    """All episodes of a show, ordered by season then episode (spec §3.5); other kinds have none."""
    key = _parse_for_provider(rating_key, provider)
    if key.kind != "site":
        if key.kind == "season":
            _site_get(key)
        else:
            _leaf_exists(key)
        return Page(offset=offset)
    site = _site_get(key)
    scenes = Scene.objects.filter(site=site)
    total = scenes.count()
    if not limit:
        return Page(offset=offset, total_size=total)
    # Undated scenes form season 0, which sorts first, like the season list does.
    ranked = scenes.annotate(
        episode_index=Window(
            RowNumber(),
            partition_by=[ExtractYear("release_date")],
            order_by=[F("release_date").asc(), F("tpdb_id").asc()],
        )
    ).order_by(F("release_date").asc(nulls_first=True), "tpdb_id")
    page = _with_credits(ranked.select_related("site"))[offset : offset + limit]
    items: list[Node] = [EpisodeNode(scene=s, index=s.episode_index) for s in page]  # type: ignore[attr-defined]
    return Page(items=items, offset=offset, total_size=total)


def images_get(*, rating_key: str, provider: Provider) -> list[ImageRef]:
    """Every candidate image of an item, for the Plex image picker (spec §3.6)."""
    node = metadata_get(rating_key=rating_key, provider=provider)
    if isinstance(node, ShowNode):
        site = node.site
        return _images(
            site.name,
            [("coverPoster", site.poster), ("coverPoster", site.logo), ("background", node.art_url)],
            [("clearLogo", site.logo)],
        )
    if isinstance(node, SeasonNode):
        return _images(str(node.year), [("coverPoster", node.site.poster), ("coverPoster", node.site.logo)])
    media = node.scene if isinstance(node, EpisodeNode | SceneMovieNode) else node.movie
    first = "snapshot" if isinstance(node, EpisodeNode) else "background"
    return _images(
        media.title,
        [("coverPoster", media.poster_url), (first, media.background_url), (first, media.image_url)],
        [("background", media.background_url)] if isinstance(node, EpisodeNode) else [],
    )


def extras_get(*, rating_key: str, provider: Provider) -> None:
    """Extras are always empty (spec §3.7); a malformed key or one of the other provider still gets a 404."""
    _parse_for_provider(rating_key, provider)


def _images(alt: str, *groups: list[tuple[str, str]]) -> list[ImageRef]:
    seen: set[tuple[str, str]] = set()
    images: list[ImageRef] = []
    for group in groups:
        for image_type, url in group:
            if url and (image_type, url) not in seen:
                seen.add((image_type, url))
                images.append(ImageRef(type=image_type, url=url, alt=alt))
    return images


# --- match --------------------------------------------------------------------------------------------------------

_MATCHERS: dict[int, Callable[[MatchRequest], list[MatchResult]]] = {
    1: match_movie,
    2: match_show,
    3: match_season,
    4: match_episode,
}
_PROVIDER_TYPES: dict[Provider, frozenset[int]] = {"tv": frozenset({2, 3, 4}), "movie": frozenset({1})}


def match_get(*, request: MatchRequest) -> list[Node]:
    """Candidates for a Plex match request, best first: unknown or foreign types get none (spec §6)."""
    provider: Provider = "movie" if request.provider == "movie" else "tv"
    matcher = _MATCHERS.get(request.type)
    if matcher is None or request.type not in _PROVIDER_TYPES[provider]:
        return []
    if (pinned := _match_by_guid(request, provider)) is not None:
        return [pinned]
    nodes: list[Node] = []
    for result in matcher(request):
        node = _match_node(result, include_children=request.include_children)
        if node is not None:
            nodes.append(node)
    return nodes


_GUID_KINDS: dict[int, tuple[str, ...]] = {1: ("movie", "scene"), 2: ("site",), 3: ("season",), 4: ("scene",)}


def _match_by_guid(request: MatchRequest, provider: Provider) -> Node | None:
    """A re-match carrying our own GUID resolves to that item directly (score 100) when its type fits."""
    identifiers = (settings.PLEX_TV_IDENTIFIER, settings.PLEX_MOVIE_IDENTIFIER)
    key = ratingkeys.parse_guid(request.guid, identifiers=identifiers) if request.guid else None
    if key is None or key.kind not in _GUID_KINDS[request.type]:
        return None
    try:
        node = metadata_get(rating_key=str(key), provider=provider, include_children=request.include_children)
    except (Http404, TPDBUnavailable):
        return None
    if isinstance(node, EpisodeNode):
        return replace(node, score=100, is_brief=True)
    return replace(node, score=100)


def _match_node(result: MatchResult, *, include_children: bool) -> Node | None:
    item, score = result.item, result.score
    if result.kind == "show" and isinstance(item, Site):
        children = _seasons_of(item) if include_children else None
        return ShowNode(site=item, first_release=_first_release(item), children=children, score=score)
    if result.kind == "season" and isinstance(item, tuple):
        site, year = item
        return SeasonNode(site=site, year=year, first_release=_first_release(site, year=year), score=score)
    if result.kind == "episode" and isinstance(item, Scene) and item.site_id is not None:
        return EpisodeNode(scene=item, index=episode_index(scene=item), score=score, is_brief=True)
    if result.kind == "scene_as_movie" and isinstance(item, Scene):
        return SceneMovieNode(scene=item, score=score)
    if result.kind == "movie" and isinstance(item, Movie):
        return MovieNode(movie=item, score=score)
    logger.warning("Match result of kind %s with an unexpected item dropped", result.kind)
    return None


# --- shared reads -------------------------------------------------------------------------------------------------


def episode_index(*, scene: Scene) -> int:
    """1-based ordinal of a scene inside its (site, year), ordered by (release_date, tpdb_id); one COUNT query.

    Plex needs a number per episode and TPDB has none (spec §8.1). Ordering by date, then uuid as the tie-break,
    gives every scene a stable place; a scene back-filled later may shift the numbers after it, which is harmless
    because PMS keys episodes on the GUID, not on the number.
    """
    if scene.site_id is None:
        return 1
    same_season = Scene.objects.filter(site_id=scene.site_id)
    if scene.release_date is None:
        earlier = same_season.filter(release_date__isnull=True, tpdb_id__lt=scene.tpdb_id)
    else:
        earlier = same_season.filter(release_date__year=scene.release_date.year).filter(
            Q(release_date__lt=scene.release_date) | Q(release_date=scene.release_date, tpdb_id__lt=scene.tpdb_id)
        )
    return earlier.count() + 1


def season_year(scene: Scene) -> int:
    return scene.release_date.year if scene.release_date else UNDATED_SEASON


def _parse_for_provider(rating_key: str, provider: Provider) -> RatingKey:
    key = ratingkeys.parse(rating_key)
    allowed = ("site", "season", "scene") if provider == "tv" else ("movie", "scene")
    if key.kind not in allowed:
        raise Http404(f"Unknown ratingKey '{rating_key}' for the {provider} provider.")
    return key


def _season_scenes(site: Site, year: int) -> QuerySet[Scene]:
    scenes = Scene.objects.filter(site=site)
    if year == UNDATED_SEASON:
        return scenes.filter(release_date__isnull=True).order_by("tpdb_id")
    return scenes.filter(release_date__year=year).order_by("release_date", "tpdb_id")


def _seasons_of(site: Site) -> list[SeasonNode]:
    """A show's seasons: its years that have scenes, from one GROUP BY query (ExtractYear + Min)."""
    rows = (
        Scene.objects.filter(site=site)
        .annotate(season=ExtractYear("release_date"))
        .values("season")
        .annotate(first_release=Min("release_date"))
        .order_by(F("season").asc(nulls_first=True))
    )
    return [
        SeasonNode(site=site, year=row["season"] or UNDATED_SEASON, first_release=row["first_release"]) for row in rows
    ]


def _first_release(site: Site, *, year: int | None = None) -> datetime.date | None:
    scenes = Scene.objects.filter(site=site)
    if year == UNDATED_SEASON:
        return None
    if year is not None:
        scenes = scenes.filter(release_date__year=year)
    first: datetime.date | None = scenes.aggregate(first=Min("release_date"))["first"]
    return first


def _site_art(site: Site) -> str:
    """TPDB sites have no background: use the newest scene's background as the show's art."""
    url = (
        Scene.objects.filter(site=site, release_date__isnull=False)
        .exclude(background_url="")
        .order_by("-release_date")
        .values_list("background_url", flat=True)
        .first()
    )
    return url or ""


def _with_credits(scenes: QuerySet[Scene]) -> QuerySet[Scene]:
    credits = ScenePerformer.objects.select_related("performer__parent").order_by("order", "id")
    return scenes.prefetch_related(Prefetch("credits", queryset=credits))


def _site_get(key: RatingKey) -> Site:
    """A site by our slug, else its TPDB numeric id, else its TPDB uuid; fetched from TPDB by id/uuid if not stored."""
    value = key.value
    is_numeric = value.isdigit() and len(value) <= 18  # a longer number fits no bigint, so no TPDB id
    lookup = Q(slug=value)
    if is_numeric:
        lookup |= Q(tpdb_numeric_id=int(value))
    if ratingkeys.is_uuid(value):
        lookup |= Q(tpdb_id=uuid.UUID(value))
    sites = list(Site.objects.filter(lookup).select_related("network", "parent"))
    by_slug = [site for site in sites if site.slug == value]
    if by_slug or sites:
        return (by_slug or sites)[0]
    if key.kind == "season" or not (is_numeric or ratingkeys.is_uuid(value)):
        raise Http404(f"Unknown ratingKey '{key}'.")
    fetched: Site = _fetch_and_store("site", value, is_stored=False)
    return fetched


def _scene_get(key: RatingKey) -> Scene:
    scene = _with_credits(Scene.objects.select_related("site__network", "site__parent")).filter(tpdb_id=key.value)
    found = scene.first()
    if found is not None and _completed("scene", found):
        found = scene.first()
    if found is not None:
        _queue_refresh_if_stale(found)
        return found
    _fetch_and_store("scene", key.value, is_stored=False)
    return _fetched_or_unavailable("scene", key, scene.first())


def _movie_get(key: RatingKey) -> Movie:
    credits = MoviePerformer.objects.select_related("performer__parent").order_by("order", "id")
    movies = Movie.objects.select_related("site").prefetch_related(Prefetch("credits", queryset=credits))
    found = movies.filter(tpdb_id=key.value).first()
    if found is not None and _completed("movie", found):
        found = movies.filter(tpdb_id=key.value).first()
    if found is not None:
        _queue_refresh_if_stale(found)
        return found
    _fetch_and_store("movie", key.value, is_stored=False)
    return _fetched_or_unavailable("movie", key, movies.filter(tpdb_id=key.value).first())


def _fetched_or_unavailable(kind: str, key: RatingKey, item: M | None) -> M:
    """The row TPDB's answer was stored as; an answer about another id (nothing stored under ours) is a 503."""
    if item is None:
        logger.warning("TPDB answered the %s %s with another item; treated as unavailable", kind, key.value)
        raise TPDBUnavailable(f"TPDB answered the {kind} '{key.value}' with another item; try again later.")
    return item


def _completed(kind: Literal["scene", "movie"], item: Scene | Movie) -> bool:
    """Fetch the detail of a row stored from a search item (no tags, no directors) before Plex first reads it, since
    Plex keeps what it gets; True when the row was updated. TPDB failing (or a try in the last 10 minutes) serves the
    stored row as it is."""
    if item.is_complete or item.is_missing_upstream or not cache.add(f"complete-tried:{kind}:{item.pk}", 1, 600):
        return False
    try:
        _fetch_and_store(kind, str(item.tpdb_id), is_stored=True)
    except (Http404, TPDBUnavailable):
        return False
    return True


def _queue_refresh_if_stale(item: Scene | Movie) -> None:
    """Serve a stored item as it is, but past its TTL queue one background refresh (at most one per REFRESH_GUARD_S).

    TPDB being down never delays or fails the answer: the refresh runs in Celery, which retries it with backoff.
    """
    is_scene = isinstance(item, Scene)
    ttl_s = settings.CACHE_TTL_SCENE_DETAIL if is_scene else settings.CACHE_TTL_MOVIE_DETAIL
    if item.is_missing_upstream:
        return
    fresh_for_s = (item.fetched_at - timezone.now()).total_seconds() + ttl_s
    if fresh_for_s > 0:
        answer_valid_for(fresh_for_s)  # a cached answer must not hide the moment the item goes stale
        return
    kind = "scene" if is_scene else "movie"
    if not cache.add(f"refresh-queued:{kind}:{item.pk}", 1, timeout=REFRESH_GUARD_S):
        return
    try:
        if is_scene:
            enqueue(scene_refresh_task, scene_id=item.pk)
        else:
            enqueue(movie_refresh_task, movie_id=item.pk)
    except Exception:  # a broker outage must not turn a servable answer into a 500
        cache.delete(f"refresh-queued:{kind}:{item.pk}")
        logger.warning("Could not queue the refresh of %s %s", kind, item.pk, exc_info=True)


def _leaf_exists(key: RatingKey) -> None:
    model: type[Scene] | type[Movie] = Scene if key.kind == "scene" else Movie
    if not model.objects.filter(tpdb_id=key.value).exists():
        raise Http404(f"Unknown ratingKey '{key}'.")


_FETCH_AND_STORE: dict[str, Callable[..., Any]] = {
    "site": site_fetch_from_tpdb,
    "scene": scene_fetch_from_tpdb,
    "movie": movie_fetch_from_tpdb,
}


def _fetch_and_store(kind: Literal["site", "scene", "movie"], tpdb_id: str, *, is_stored: bool) -> Any:
    """Fetch one item TPDB has and we do not, store it, return the row. 404 from TPDB → Http404, remembered for
    CACHE_TTL_NOT_FOUND so a repeat costs no call; failure → 503. A never-stored item spends the client's share."""
    missing_key = cache_key("tpdb-missing", {"kind": kind, "id": tpdb_id.lower()})
    if cache.get(missing_key):
        raise Http404(f"TPDB has no {kind} '{tpdb_id}'.")
    if not is_stored:
        _spend_unknown_item_share()
    try:
        return _FETCH_AND_STORE[kind](ref=tpdb_id, lane="interactive")
    except UpstreamNotFoundError as exc:
        cache.set(missing_key, 1, timeout=settings.CACHE_TTL_NOT_FOUND)
        raise Http404(f"TPDB has no {kind} '{tpdb_id}'.") from exc
    except UpstreamError as exc:
        logger.warning("Could not fetch %s %s from TPDB: %s", kind, tpdb_id, exc.__class__.__name__)
        raise TPDBUnavailable(f"The {kind} is not stored yet and TPDB is unreachable; try again later.") from exc


def _spend_unknown_item_share() -> None:
    """One client address may spend at most TPDB_UNKNOWN_ITEM_SHARE of the TPDB rate on items we do not store, so
    strangers asking for made-up keys cannot take the whole bucket from Plex. Outside a web request, or from Plex's
    own address: no limit."""
    address = current_client_address()
    share = settings.TPDB_UNKNOWN_ITEM_SHARE
    if not address or share >= 1 or is_plex_server(address):
        return  # Plex's own address (PLEX_SERVER_ADDRESSES) reads what it matched: never capped
    per_minute = max(1, int(settings.TPDB_RATE_LIMIT * 60 * share))
    limit = Limit(key=f"tpdb_unknown_{address}", requests=per_minute, period_s=60)
    try:
        verdict = sliding_window_hit([limit], now=time.time())
    except REDIS_FAILURES:  # Redis unreachable (reported once by its guard): serving Plex matters more
        return
    except Exception:  # anything else from the counters: serving Plex still matters more than counting it
        logger.warning("Unknown-item share counters failed; fetch admitted uncounted", exc_info=True)
        return
    if verdict.refused is not None:
        wait_s = max(1, round(verdict.wait_s))
        raise UnknownItemShareSpent(
            "Too many lookups of items that are not stored yet from this address; try again later.",
            extra={"retry_after": wait_s},
        )
