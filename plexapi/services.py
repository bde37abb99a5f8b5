"""MetadataService: the Plex adapter between the views and the domain, for what the provider endpoints serve.

Each answer is one domain call: ``site_get_or_fetch`` / ``scene_get_or_fetch`` / ``movie_get_or_fetch`` (stored, else
fetched from TPDB and stored; they raise core exceptions) and the show reads of ``scenes.selectors`` (seasons, first
release, art, episode order). Each result is a small "node" that pairs a row with what Plex needs around it (episode
index, season year, score); the serializers in ``plexapi/serializers.py`` shape nodes into Plex JSON.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from django.conf import settings
from django.http import Http404

from movies.items import movie_get_or_fetch
from movies.models import Movie
from movies.selectors import movie_exists
from plexapi import ratingkeys
from plexapi.ratingkeys import CollectionLevel, RatingKey
from scenes.catalog import catalog_pending_years, site_catalog_start
from scenes.episodes import episode_numbers_ensure, scene_episode_index
from scenes.items import scene_get_or_fetch
from scenes.matching import (
    MatchRequest,
    MatchResult,
    automatic_score,
    match_episode,
    match_movie,
    match_season,
    match_show,
)
from scenes.models import Scene
from scenes.selectors import (
    scene_exists,
    scenes_with_credits,
    season_scenes,
    site_art_url,
    site_common_tags,
    site_episodes,
    site_first_release,
    site_seasons,
)
from sites.models import Site
from sites.selectors import site_get_by_ref, site_is_network, sites_by_pk
from sites.services import site_get_or_fetch
from tpdbprovider.core.budget import request_lane
from tpdbprovider.core.exceptions import ItemNotFoundError, ItemUnavailableError
from tpdbprovider.matching.ratingkeys import UNDATED_SEASON

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
    tags: tuple[str, ...] = ()  # the most common tags of its scenes (metadata only)


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
    display_title: str | None = None  # a Fix Match candidate's title, with its site and date


@dataclass(frozen=True)
class CollectionRef:
    """One Plex collection named after a site: its site collection, or its network collection (spec §3.3)."""

    level: CollectionLevel
    site: Site


@dataclass(frozen=True)
class MovieNode:
    movie: Movie
    score: int | None = None
    collections: tuple[CollectionRef, ...] = ()


@dataclass(frozen=True)
class SceneMovieNode:
    """A scene served on the movie provider: ratingKey ``tpdb-scene-<uuid>``, type movie, studio = site."""

    scene: Scene
    score: int | None = None
    collections: tuple[CollectionRef, ...] = ()
    display_title: str | None = None  # a Fix Match candidate's title, with its site and date


@dataclass(frozen=True)
class CollectionNode:
    """``/library/collections/<ratingKey>``: the collection and its art (the site poster or a scene background)."""

    collection: CollectionRef
    art_url: str = ""


ItemNode = ShowNode | SeasonNode | EpisodeNode | MovieNode | SceneMovieNode
Node = ItemNode | CollectionNode


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


# Feature keys are relative to the registered URL (spec §1.2); collections exist in movie libraries only (§3.3).
_FEATURES: tuple[tuple[str, str], ...] = (("metadata", "/library/metadata"), ("match", "/library/metadata/matches"))
COLLECTION_FEATURE = ("collection", "/library/collections")


@dataclass(frozen=True)
class ProviderDefinition:
    identifier: str
    title: str
    version: str
    types: tuple[int, ...]
    features: tuple[tuple[str, str], ...] = _FEATURES


def provider_definition(*, provider: Provider) -> ProviderDefinition:
    """The MediaProvider object (spec §1.2): a TV provider declares 2, 3 and 4; a movie provider only 1, and the
    collection feature while any collection level is on."""
    suffix, types = (" (TV)", (2, 3, 4)) if provider == "tv" else (" (Movies)", (1,))
    is_collecting = provider == "movie" and bool(settings.PLEX_COLLECTION_LEVELS)
    return ProviderDefinition(
        identifier=provider_identifier(provider=provider),
        title=f"{settings.APP_NAME}{suffix}",
        version=settings.APP_VERSION,
        types=types,
        features=(*_FEATURES, COLLECTION_FEATURE) if is_collecting else _FEATURES,
    )


# --- metadata -----------------------------------------------------------------------------------------------------


def metadata_get(*, rating_key: str, provider: Provider, include_children: bool = False) -> Node:
    """One item for ``/library/metadata/<ratingKey>``; Http404 when unknown or not served by this provider."""
    node = _metadata_node(rating_key=rating_key, provider=provider, include_children=include_children)
    return _with_collections([node])[0]


def _metadata_node(*, rating_key: str, provider: Provider, include_children: bool = False) -> ItemNode:
    key = _parse_for_provider(rating_key, provider)
    if key.kind == "site":
        site = _site_get(key)
        if include_children:
            site_catalog_start(site=site, is_inline=True)  # show-first: the newest page now, the rest in the worker
        children = _seasons_of(site) if include_children else None
        first_release = site_first_release(site=site)
        return ShowNode(
            site=site,
            first_release=first_release,
            art_url=site_art_url(site=site),
            children=children,
            tags=tuple(site_common_tags(site=site)),
        )
    if key.kind == "season":
        site = _site_get(key)
        assert key.year is not None
        episodes = None
        if include_children:
            site_catalog_start(site=site, year=key.year, is_inline=True)  # show-first: this season now
            episodes = _season_episodes(site, key.year)
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
        total = episode_numbers_ensure(site=site, year=key.year)
        scenes = season_scenes(site=site, year=key.year)
        page = scenes_with_credits(scenes.select_related("site"))[offset : offset + limit] if limit else []
        items: list[Node] = [_episode(s) for s in page]
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
    total = episode_numbers_ensure(site=site)
    if not limit:
        return Page(offset=offset, total_size=total)
    page = scenes_with_credits(site_episodes(site=site).select_related("site"))[offset : offset + limit]
    items: list[Node] = [_episode(s) for s in page]
    return Page(items=items, offset=offset, total_size=total)


def images_get(*, rating_key: str, provider: Provider) -> list[ImageRef]:
    """Every candidate image of an item, for the Plex image picker (spec §3.6)."""
    node = _metadata_node(rating_key=rating_key, provider=provider)
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
    """Candidates for a Plex match request, best first: unknown or foreign types get none (spec §6).

    An automatic answer is scored on 85..100 (``automatic_score``); a Fix Match list keeps the confidences, names
    each scene's site and date in its title, and lists an item once.
    """
    provider: Provider = "movie" if request.provider == "movie" else "tv"
    matcher = _MATCHERS.get(request.type)
    if matcher is None or request.type not in _PROVIDER_TYPES[provider]:
        return []
    with request_lane("manual" if request.manual else "interactive"):  # Fix Match first, then automatic matches
        if (pinned := _match_by_guid(request, provider)) is not None:
            return _with_collections([pinned])
        nodes: list[Node] = []
        seen: set[tuple[str, int, int | None]] = set()
        for result in matcher(request):
            if result.identity in seen:
                continue
            seen.add(result.identity)
            if not request.manual and result.kind in ("show", "season"):
                # Show-first: Plex will place the show's files against its seasons; fetch them (this season or the
                # newest page now, the rest of the site in the worker).
                site, year = result.item if isinstance(result.item, tuple) else (result.item, None)
                if isinstance(site, Site):
                    site_catalog_start(site=site, year=year, is_inline=True)
            score = result.score if request.manual else automatic_score(result.score)
            node = _match_node(result, score=score, include_children=request.include_children)
            if node is not None:
                nodes.append(_fix_match_titled(node) if request.manual else node)
    return _with_collections(nodes)


def _fix_match_titled(node: Node) -> Node:
    """A Fix Match list shows Plex's title and year only: a scene's site and release date go into its title."""
    if not isinstance(node, EpisodeNode | SceneMovieNode):
        return node
    scene = node.scene
    context = [part for part in (scene.site.name if scene.site else "", _iso(scene.release_date)) if part]
    return replace(node, display_title=f"{scene.title} ({', '.join(context)})" if context else None)


def _iso(day: datetime.date | None) -> str:
    return day.isoformat() if day else ""


_GUID_KINDS: dict[int, tuple[str, ...]] = {1: ("movie", "scene"), 2: ("site",), 3: ("season",), 4: ("scene",)}


def _match_by_guid(request: MatchRequest, provider: Provider) -> Node | None:
    """A re-match carrying our own GUID resolves to that item directly (score 100) when its type fits."""
    identifiers = (settings.PLEX_TV_IDENTIFIER, settings.PLEX_MOVIE_IDENTIFIER)
    key = ratingkeys.parse_guid(request.guid, identifiers=identifiers) if request.guid else None
    if key is None or key.kind not in _GUID_KINDS[request.type]:
        return None
    try:
        node = _metadata_node(rating_key=str(key), provider=provider, include_children=request.include_children)
    except (Http404, ItemNotFoundError, ItemUnavailableError):
        return None
    if isinstance(node, EpisodeNode):
        return replace(node, score=100, is_brief=True)
    return replace(node, score=100)


def _match_node(result: MatchResult, *, score: int, include_children: bool) -> Node | None:
    item = result.item
    if result.kind == "show" and isinstance(item, Site):
        children = _seasons_of(item) if include_children else None
        return ShowNode(site=item, first_release=site_first_release(site=item), children=children, score=score)
    if result.kind == "season" and isinstance(item, tuple):
        site, year = item
        episodes = _season_episodes(site, year) if include_children else None
        first_release = site_first_release(site=site, year=year)
        return SeasonNode(site=site, year=year, first_release=first_release, children=episodes, score=score)
    if result.kind == "episode" and isinstance(item, Scene) and item.site_id is not None:
        return EpisodeNode(scene=item, index=scene_episode_index(scene=item), score=score, is_brief=True)
    if result.kind == "scene_as_movie" and isinstance(item, Scene):
        return SceneMovieNode(scene=item, score=score)
    if result.kind == "movie" and isinstance(item, Movie):
        return MovieNode(movie=item, score=score)
    logger.warning("Match result of kind %s with an unexpected item dropped", result.kind)
    return None


# --- collections (movie libraries, spec §3.3, §3.8) -------------------------------------------------------------


def collection_get(*, rating_key: str) -> CollectionNode:
    """One collection for ``/library/collections/<ratingKey>``, from stored sites only (no TPDB call); Http404 when
    the key is not a collection, names no stored site (or no network), or its level or site is switched off."""
    key = ratingkeys.parse(rating_key)
    site = site_get_by_ref(ref=key.value) if key.kind == "collection" and key.level is not None else None
    if site is None or key.level is None or not site.is_collection_shown or not _is_level_served(key.level):
        raise Http404(f"Unknown collection '{rating_key}'.")
    if key.level == "network" and not site_is_network(site=site):
        raise Http404(f"Unknown collection '{rating_key}'.")
    return CollectionNode(
        collection=CollectionRef(level=key.level, site=site), art_url=site.poster or site_art_url(site=site)
    )


def collection_title(*, collection: CollectionRef) -> str:
    """The collection's name in Plex: the site or network title format with the site's name in it."""
    template = (
        settings.PLEX_COLLECTION_NETWORK_TITLE if collection.level == "network" else settings.PLEX_COLLECTION_SITE_TITLE
    )
    return str(template).replace("{name}", collection.site.name)


def _is_level_served(level: CollectionLevel) -> bool:
    levels = settings.PLEX_COLLECTION_LEVELS
    return "network" in levels if level == "network" else bool({"site", "parent"} & set(levels))


def _with_collections(nodes: list[Node]) -> list[Node]:
    """Movie-library items with the collections of their site (spec §3.3): related sites come from what is stored,
    in one query for the whole answer (none when the rows are loaded already), never from TPDB."""
    levels = settings.PLEX_COLLECTION_LEVELS
    if not levels:
        return nodes
    sites = [site for node in nodes if (site := _collection_site(node)) is not None]
    related: dict[int, Site] = {}
    missing: set[int] = set()
    for site in sites:
        for name, descriptor, related_id in (
            ("parent", Site.parent, site.parent_id),
            ("network", Site.network, site.network_id),
        ):
            if related_id is None or name not in levels:
                continue
            if descriptor.is_cached(site):  # loaded with the row (select_related): no query
                related[related_id] = getattr(site, name)
            else:
                missing.add(related_id)
    related.update(sites_by_pk(pks=missing - set(related)))
    return [
        replace(node, collections=_site_collections(site, related))
        if isinstance(node, MovieNode | SceneMovieNode) and (site := _collection_site(node)) is not None
        else node
        for node in nodes
    ]


def _collection_site(node: Node) -> Site | None:
    if isinstance(node, SceneMovieNode):
        return node.scene.site
    if isinstance(node, MovieNode):
        return node.movie.site
    return None


def _site_collections(site: Site, related: Mapping[int, Site]) -> tuple[CollectionRef, ...]:
    """Site, parent site and network collections, as the levels setting asks; a self-reference is no parent, but a
    site TPDB names its own network is one; a parent or network not stored (yet) is left out."""
    levels = settings.PLEX_COLLECTION_LEVELS
    refs: list[CollectionRef] = []
    if "site" in levels:
        refs.append(CollectionRef(level="site", site=site))
    parent = related.get(site.parent_id) if site.parent_id is not None and site.parent_id != site.pk else None
    if "parent" in levels and parent is not None:
        refs.append(CollectionRef(level="site", site=parent))
    if site.network_id is not None and site.network_id != site.pk:
        network = related.get(site.network_id)
    else:
        network = site if site.network_tpdb_id is not None and site.network_tpdb_id == site.tpdb_numeric_id else None
    if "network" in levels and network is not None:
        refs.append(CollectionRef(level="network", site=network))
    unique = {(ref.level, ref.site.pk): ref for ref in refs if ref.site.is_collection_shown}
    return tuple(unique.values())


# --- shared reads -------------------------------------------------------------------------------------------------


def _parse_for_provider(rating_key: str, provider: Provider) -> RatingKey:
    key = ratingkeys.parse(rating_key)
    allowed = ("site", "season", "scene") if provider == "tv" else ("movie", "scene")
    if key.kind not in allowed:
        raise Http404(f"Unknown ratingKey '{rating_key}' for the {provider} provider.")
    return key


def _episode(scene: Scene, *, is_brief: bool = False) -> EpisodeNode:
    """An episode with its stored number (one stored after the page was numbered gets its number now)."""
    return EpisodeNode(scene=scene, index=scene_episode_index(scene=scene), is_brief=is_brief)


def _season_episodes(site: Site, year: int) -> list[EpisodeNode]:
    """Every episode of a season, numbered, brief (an embedded ``Children`` list)."""
    episode_numbers_ensure(site=site, year=year)
    return [_episode(s, is_brief=True) for s in season_scenes(site=site, year=year).select_related("site")]


def _seasons_of(site: Site) -> list[SeasonNode]:
    """The seasons stored, and the years a catalog walk has not reached yet (no first release known): Plex places a
    show's files against this list, and reading one of those seasons fetches it."""
    seasons = [SeasonNode(site=site, year=s.year, first_release=s.first_release) for s in site_seasons(site=site)]
    pending = catalog_pending_years(site=site) - {s.year for s in seasons}
    seasons += [SeasonNode(site=site, year=year, first_release=None) for year in pending]
    return sorted(seasons, key=lambda s: (s.year != UNDATED_SEASON, s.year))


def _site_get(key: RatingKey) -> Site:
    """A show or season key's site; a season names a show we must already store, a show may be fetched."""
    return site_get_or_fetch(ref=key.value, is_fetched=key.kind == "site")


def _leaf_exists(key: RatingKey) -> None:
    is_stored = scene_exists(tpdb_id=key.value) if key.kind == "scene" else movie_exists(tpdb_id=key.value)
    if not is_stored:
        raise Http404(f"Unknown ratingKey '{key}'.")
