"""MetadataService: the Plex adapter between the views and the domain, for what the provider endpoints serve.

Each answer is one domain call: ``site_get_or_fetch`` / ``scene_get_or_fetch`` / ``movie_get_or_fetch`` (stored, else
fetched from TPDB and stored; they raise core exceptions) and the show reads of ``scenes.selectors`` (seasons, first
release, art, episode order). Each result is a small "node" that pairs a row with what Plex needs around it (episode
index, season year, score); the serializers in ``plexapi/serializers.py`` shape nodes into Plex JSON.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from django.conf import settings
from django.http import Http404

from movies.items import movie_get_or_fetch
from movies.models import Movie
from movies.selectors import movie_exists
from plexapi import ratingkeys
from plexapi.ratingkeys import RatingKey
from scenes.catalog import site_catalog_start
from scenes.items import scene_get_or_fetch
from scenes.matching import MatchRequest, MatchResult, match_episode, match_movie, match_season, match_show
from scenes.models import Scene
from scenes.selectors import (
    scene_episode_index,
    scene_exists,
    scenes_with_credits,
    season_scenes,
    site_art_url,
    site_episodes,
    site_first_release,
    site_seasons,
)
from sites.models import Site
from sites.services import site_get_or_fetch
from tpdbprovider.core.budget import request_lane
from tpdbprovider.core.exceptions import ItemNotFoundError, ItemUnavailableError

logger = logging.getLogger(__name__)

Provider = Literal["tv", "movie"]

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 500
MAX_PAGE_START = 1_000_000_000  # keeps OFFSET inside Postgres' bigint however large the header


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
        if include_children:
            site_catalog_start(site=site, is_inline=True)  # show-first: the newest page now, the rest in the worker
        children = _seasons_of(site) if include_children else None
        first_release = site_first_release(site=site)
        return ShowNode(site=site, first_release=first_release, art_url=site_art_url(site=site), children=children)
    if key.kind == "season":
        site = _site_get(key)
        assert key.year is not None
        episodes = None
        if include_children:
            site_catalog_start(site=site, year=key.year, is_inline=True)
            scenes = season_scenes(site=site, year=key.year).select_related("site")
            episodes = [EpisodeNode(scene=s, index=i, is_brief=True) for i, s in enumerate(scenes, start=1)]
        first_release = site_first_release(site=site, year=key.year)
        return SeasonNode(site=site, year=key.year, first_release=first_release, children=episodes)
    if key.kind == "movie":
        return MovieNode(movie=movie_get_or_fetch(ref=key.value))
    scene = scene_get_or_fetch(ref=key.value, is_thin_served=True)  # a catalog-stored row: its detail comes later
    if provider == "movie":
        return SceneMovieNode(scene=scene)
    if scene.site is None:
        raise Http404(f"Scene '{rating_key}' has no site, so it cannot be an episode.")
    return EpisodeNode(scene=scene, index=scene_episode_index(scene=scene))


def children_get(*, rating_key: str, provider: Provider, offset: int, limit: int) -> Page:
    """Seasons of a show (by year) or episodes of a season (by release date, uuid); leaves have none."""
    key = _parse_for_provider(rating_key, provider)
    if key.kind == "site":
        site = _site_get(key)
        site_catalog_start(site=site, is_inline=True)
        seasons = _seasons_of(site)
        return Page(items=list(seasons[offset : offset + limit]), offset=offset, total_size=len(seasons))
    if key.kind == "season":
        site = _site_get(key)
        assert key.year is not None
        site_catalog_start(site=site, year=key.year, is_inline=True)  # this season now, the rest in the worker
        scenes = season_scenes(site=site, year=key.year)
        total = scenes.count()
        page = scenes_with_credits(scenes.select_related("site"))[offset : offset + limit] if limit else []
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
    episodes = site_episodes(site=site)
    total = episodes.count()
    if not limit:
        return Page(offset=offset, total_size=total)
    page = scenes_with_credits(episodes.select_related("site"))[offset : offset + limit]
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
    with request_lane("manual" if request.manual else "interactive"):  # Fix Match first, then automatic matches
        if (pinned := _match_by_guid(request, provider)) is not None:
            return [pinned]
        nodes: list[Node] = []
        for result in matcher(request):
            if not request.manual and result.kind in ("show", "season"):
                # Show-first: Plex will place the show's files against its seasons; fetch them (this season or the
                # newest page now, the rest of the site in the worker).
                site, year = result.item if isinstance(result.item, tuple) else (result.item, None)
                if isinstance(site, Site):
                    site_catalog_start(site=site, year=year, is_inline=True)
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
    except (Http404, ItemNotFoundError, ItemUnavailableError):
        return None
    if isinstance(node, EpisodeNode):
        return replace(node, score=100, is_brief=True)
    return replace(node, score=100)


def _match_node(result: MatchResult, *, include_children: bool) -> Node | None:
    item, score = result.item, result.score
    if result.kind == "show" and isinstance(item, Site):
        children = _seasons_of(item) if include_children else None
        return ShowNode(site=item, first_release=site_first_release(site=item), children=children, score=score)
    if result.kind == "season" and isinstance(item, tuple):
        site, year = item
        return SeasonNode(site=site, year=year, first_release=site_first_release(site=site, year=year), score=score)
    if result.kind == "episode" and isinstance(item, Scene) and item.site_id is not None:
        return EpisodeNode(scene=item, index=scene_episode_index(scene=item), score=score, is_brief=True)
    if result.kind == "scene_as_movie" and isinstance(item, Scene):
        return SceneMovieNode(scene=item, score=score)
    if result.kind == "movie" and isinstance(item, Movie):
        return MovieNode(movie=item, score=score)
    logger.warning("Match result of kind %s with an unexpected item dropped", result.kind)
    return None


# --- shared reads -------------------------------------------------------------------------------------------------


def _parse_for_provider(rating_key: str, provider: Provider) -> RatingKey:
    key = ratingkeys.parse(rating_key)
    allowed = ("site", "season", "scene") if provider == "tv" else ("movie", "scene")
    if key.kind not in allowed:
        raise Http404(f"Unknown ratingKey '{rating_key}' for the {provider} provider.")
    return key


def _seasons_of(site: Site) -> list[SeasonNode]:
    return [SeasonNode(site=site, year=s.year, first_release=s.first_release) for s in site_seasons(site=site)]


def _site_get(key: RatingKey) -> Site:
    """A show or season key's site; a season names a show we must already store, a show may be fetched."""
    return site_get_or_fetch(ref=key.value, is_fetched=key.kind == "site")


def _leaf_exists(key: RatingKey) -> None:
    is_stored = scene_exists(tpdb_id=key.value) if key.kind == "scene" else movie_exists(tpdb_id=key.value)
    if not is_stored:
        raise Http404(f"Unknown ratingKey '{key}'.")
