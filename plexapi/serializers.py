"""Plex output shapes (plex-provider-spec §1-3, §8): the only place Plex camelCase lives.

The serializers shape the nodes of ``plexapi.services``; the identifier arrives in the context as ``identifier``.
Optional keys are left out rather than sent as null; required ones (``originallyAvailableAt``) are "" when unknown.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any, ClassVar
from urllib.parse import urlsplit

from django.conf import settings
from rest_framework import serializers

from movies.models import Movie
from plexapi import ratingkeys
from plexapi.ratingkeys import UNDATED_SEASON, PlexType
from plexapi.services import (
    CollectionNode,
    CollectionRef,
    EpisodeNode,
    ImageRef,
    MovieNode,
    Node,
    ProviderDefinition,
    SceneMovieNode,
    SeasonNode,
    ShowNode,
    collection_title,
)
from scenes.models import Scene
from scenes.policy import metadata_policy_credits, metadata_policy_genres
from scenes.selectors import season_year
from sites.models import Site

PERFORMER_ROLE = "Performer"


# --- small shaping helpers ----------------------------------------------------------------------------------------


def public_url(url: str | None) -> str | None:
    """The URL unchanged when PMS's cloud image service can fetch it (absolute https, not a LAN host), else None."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return None
    if parts.scheme != "https" or not host or host == "localhost" or host.endswith((".local", ".lan", ".internal")):
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return url
    return url if address.is_global else None


def _date(value: Any) -> str:
    return value.isoformat() if value else ""


def _tags(values: Iterable[Any]) -> list[dict[str, str]]:
    """Tag-like JSON (plain names or ``{"name": …}`` objects) as Plex ``[{"tag": …}]``, without blanks or repeats."""
    names: list[str] = []
    for value in values or ():
        name = value.get("name") or value.get("tag") if isinstance(value, dict) else value
        if isinstance(name, str) and name.strip() and name.strip() not in names:
            names.append(name.strip())
    return [{"tag": name} for name in names]


def _roles(credits: Iterable[Any]) -> list[dict[str, Any]]:
    """Role from credits: the canonical (parent) performer's name when known, the credited name otherwise."""
    roles: list[dict[str, Any]] = []
    for order, credit in enumerate(credits, start=1):
        performer = credit.performer
        canonical = performer.parent if performer.parent_id else (performer if performer.is_parent else None)
        name = canonical.name if canonical is not None else (credit.credited_name or performer.name)
        source = canonical or performer
        thumb = public_url(source.image_url or source.thumbnail_url or performer.image_url or performer.face_url)
        role: dict[str, Any] = {"tag": name, "role": PERFORMER_ROLE, "thumb": thumb, "order": order}
        roles.append({k: v for k, v in role.items() if v is not None})
    return roles


def _images(alt: str, pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    images = []
    for image_type, url in pairs:
        if (public := public_url(url)) is not None:
            images.append({"type": image_type, "url": public, "alt": alt})
    return images


def _studio_name(site: Site) -> str:
    """A site's studio: its network, else its parent, else the site itself (TPDB may self-reference, tpdb-api §7.8)."""
    for related in (site.network, site.parent):
        if related is not None and related.pk != site.pk:
            return related.name
    return site.name


def _site_thumb(site: Site) -> str | None:
    return public_url(site.poster) or public_url(site.logo)


def _collections(identifier: str, collections: Iterable[CollectionRef]) -> list[dict[str, str]] | None:
    """An item's ``Collection`` array (spec §3.3): guid, key and tag, with the site's summary, logo and poster."""
    entries = []
    for collection in collections:
        site = collection.site
        rating_key = ratingkeys.collection_key(collection.level, site.slug)
        entry = {
            "guid": ratingkeys.build_guid(identifier, "collection", rating_key),
            "key": ratingkeys.collection_path(rating_key),
            "tag": collection_title(collection=collection),
            "summary": site.description or None,
            "thumb": public_url(site.logo) or public_url(site.poster),
            "art": public_url(site.poster),
        }
        entries.append({k: v for k, v in entry.items() if v is not None})
    return entries or None


# --- items --------------------------------------------------------------------------------------------------------


class PlexItemSerializer(serializers.Serializer[Any]):
    """Base for Metadata items: ``_finish`` adds ``type``, a match candidate's ``score`` and Fix Match title, and drops
    None values."""

    plex_type: ClassVar[PlexType]

    def guid(self, plex_type: PlexType, rating_key: str) -> str:
        return ratingkeys.build_guid(self.context["identifier"], plex_type, rating_key)

    def _finish(self, instance: Any, data: dict[str, Any]) -> dict[str, Any]:
        data = {"type": self.plex_type, **data}
        if getattr(instance, "score", None) is not None:
            data["score"] = instance.score
        if getattr(instance, "display_title", None):
            data["title"] = instance.display_title
        return {key: value for key, value in data.items() if value is not None}


class ShowSerializer(PlexItemSerializer):
    plex_type = "show"

    def to_representation(self, instance: ShowNode) -> dict[str, Any]:
        site = instance.site
        rating_key = ratingkeys.site_key(site.slug)
        studio = _studio_name(site)
        thumb, art = _site_thumb(site), public_url(instance.art_url)
        data: dict[str, Any] = {
            "ratingKey": rating_key,
            "key": ratingkeys.metadata_key(rating_key, with_children=True),
            "guid": self.guid("show", rating_key),
            "title": site.name,
            "summary": site.description,
            "studio": studio,
            "contentRating": settings.PLEX_CONTENT_RATING,
            "isAdult": True,
            "originallyAvailableAt": _date(instance.first_release),
            "year": instance.first_release.year if instance.first_release else None,
            "thumb": thumb,
            "art": art,
            "Image": _images(
                site.name, [("coverPoster", thumb or ""), ("background", art or ""), ("clearLogo", site.logo)]
            ),
            "Genre": _tags(metadata_policy_genres(tags=instance.tags)) or None,
            "Network": [{"tag": studio}],
            "Studio": [{"tag": studio}],
            "Guid": [{"id": f"tpdb://site/{site.tpdb_numeric_id or site.tpdb_id}"}],
        }
        if instance.children is not None:
            seasons = SeasonSerializer(instance.children, many=True, context=self.context).data
            data["Children"] = {"size": len(seasons), "Metadata": seasons}
        return self._finish(instance, data)


class SeasonSerializer(PlexItemSerializer):
    plex_type = "season"

    def to_representation(self, instance: SeasonNode) -> dict[str, Any]:
        site, year = instance.site, instance.year
        rating_key = ratingkeys.season_key(site.slug, year)
        show_key = ratingkeys.site_key(site.slug)
        thumb = _site_thumb(site)
        data: dict[str, Any] = {
            "ratingKey": rating_key,
            "key": ratingkeys.metadata_key(rating_key, with_children=True),
            "guid": self.guid("season", rating_key),
            "title": str(year) if year != UNDATED_SEASON else "Undated",
            "index": year,
            "originallyAvailableAt": _date(instance.first_release),
            "year": year if year != UNDATED_SEASON else None,
            "parentRatingKey": show_key,
            "parentKey": ratingkeys.metadata_key(show_key),
            "parentGuid": self.guid("show", show_key),
            "parentType": "show",
            "parentTitle": site.name,
            "parentThumb": thumb,
            "thumb": thumb,
            "Image": _images(str(year), [("coverPoster", thumb or "")]) or None,
        }
        if instance.children is not None:
            episodes = EpisodeSerializer(instance.children, many=True, context=self.context).data
            data["Children"] = {"size": len(episodes), "Metadata": episodes}
        return self._finish(instance, data)


class EpisodeSerializer(PlexItemSerializer):
    """Full episode (spec §8.7); ``is_brief`` nodes (match candidates, embedded children) get the §8.4 shape."""

    plex_type = "episode"

    def to_representation(self, instance: EpisodeNode) -> dict[str, Any]:
        scene = instance.scene
        site = scene.site
        assert site is not None  # services never build an episode without a site
        year = season_year(scene)
        rating_key = ratingkeys.scene_key(scene.tpdb_id)
        season_key = ratingkeys.season_key(site.slug, year)
        show_key = ratingkeys.site_key(site.slug)
        poster, background = public_url(scene.poster_url), public_url(scene.background_url or scene.image_url)
        data: dict[str, Any] = {
            "ratingKey": rating_key,
            "key": ratingkeys.metadata_key(rating_key),
            "guid": self.guid("episode", rating_key),
            "title": scene.title,
            "originallyAvailableAt": _date(scene.release_date),
            "year": scene.release_date.year if scene.release_date else None,
            "index": instance.index,
            "parentIndex": year,
            "parentRatingKey": season_key,
            "parentKey": ratingkeys.metadata_key(season_key),
            "parentGuid": self.guid("season", season_key),
            "parentType": "season",
            "parentTitle": str(year) if year != UNDATED_SEASON else "Undated",
            "grandparentRatingKey": show_key,
            "grandparentKey": ratingkeys.metadata_key(show_key),
            "grandparentGuid": self.guid("show", show_key),
            "grandparentType": "show",
            "grandparentTitle": site.name,
        }
        if instance.is_brief:
            data["thumb"] = poster or background
            return self._finish(instance, data)
        data.update(
            {
                "summary": scene.description,
                "duration": scene.duration_s * 1000 if scene.duration_s else None,
                "contentRating": settings.PLEX_CONTENT_RATING,
                "isAdult": True,
                "grandparentThumb": _site_thumb(site),
                "thumb": background or poster,
                "Image": _images(scene.title, [("snapshot", background or ""), ("coverPoster", poster or "")]),
                "Genre": _tags(metadata_policy_genres(tags=scene.tags)),
                "Role": _roles(metadata_policy_credits(credits=scene.credits.all())),
                "Director": _tags(scene.directors),
                "Guid": [{"id": f"tpdb://scene/{scene.tpdb_id}"}],
            }
        )
        return self._finish(instance, data)


class MovieSerializer(PlexItemSerializer):
    """A TPDB movie (spec §8.8) or a scene served as a movie (ratingKey ``tpdb-scene-<uuid>``, studio = site)."""

    plex_type = "movie"

    def to_representation(self, instance: MovieNode | SceneMovieNode) -> dict[str, Any]:
        media: Movie | Scene
        if isinstance(instance, MovieNode):
            media = instance.movie
            rating_key, tpdb_guid = ratingkeys.movie_key(media.tpdb_id), f"tpdb://movie/{media.tpdb_id}"
            studio = media.studio or (media.site.name if media.site else "")
            year = media.year or (media.release_date.year if media.release_date else None)
        else:
            media = instance.scene
            rating_key, tpdb_guid = ratingkeys.scene_key(media.tpdb_id), f"tpdb://scene/{media.tpdb_id}"
            studio = media.site.name if media.site else ""
            year = media.release_date.year if media.release_date else None
        poster, background = public_url(media.poster_url), public_url(media.background_url or media.image_url)
        data: dict[str, Any] = {
            "ratingKey": rating_key,
            "key": ratingkeys.metadata_key(rating_key),
            "guid": self.guid("movie", rating_key),
            "title": media.title,
            "summary": media.description,
            "studio": studio or None,
            "contentRating": settings.PLEX_CONTENT_RATING,
            "isAdult": True,
            "originallyAvailableAt": _date(media.release_date),
            "year": year,
            "duration": media.duration_s * 1000 if media.duration_s else None,
            "thumb": poster or background,
            "art": background,
            "Image": _images(media.title, [("coverPoster", poster or ""), ("background", background or "")]),
            "Genre": _tags(metadata_policy_genres(tags=media.tags)),
            "Role": _roles(metadata_policy_credits(credits=media.credits.all())),
            "Director": _tags(media.directors),
            "Studio": [{"tag": studio}] if studio else None,
            "Collection": _collections(self.context["identifier"], instance.collections),
            "Guid": [{"id": tpdb_guid}],
        }
        return self._finish(instance, data)


class CollectionSerializer(PlexItemSerializer):
    """A site or network collection (spec §3.8): the site's logo as thumb, its poster or a scene background as art."""

    plex_type = "collection"

    def to_representation(self, instance: CollectionNode) -> dict[str, Any]:
        collection = instance.collection
        site = collection.site
        rating_key = ratingkeys.collection_key(collection.level, site.slug)
        title = collection_title(collection=collection)
        thumb = public_url(site.logo) or public_url(site.poster)
        art = public_url(instance.art_url)
        data: dict[str, Any] = {
            "ratingKey": rating_key,
            "key": ratingkeys.collection_path(rating_key),
            "guid": self.guid("collection", rating_key),
            "subtype": "movie",
            "title": title,
            "summary": site.description,
            "originallyAvailableAt": "",
            "isAdult": True,
            "thumb": thumb,
            "art": art,
            "Image": _images(
                title, [("coverPoster", thumb or ""), ("background", art or ""), ("clearLogo", site.logo)]
            ),
        }
        return self._finish(instance, data)


_ITEM_SERIALIZERS: dict[type, type[PlexItemSerializer]] = {
    ShowNode: ShowSerializer,
    SeasonNode: SeasonSerializer,
    EpisodeNode: EpisodeSerializer,
    MovieNode: MovieSerializer,
    SceneMovieNode: MovieSerializer,
    CollectionNode: CollectionSerializer,
}


# --- containers ---------------------------------------------------------------------------------------------------


def media_container(
    items: Iterable[Node], *, identifier: str, offset: int = 0, total_size: int | None = None
) -> dict[str, Any]:
    """``{"MediaContainer": {offset, totalSize, identifier, size, Metadata}}`` (spec §2.3, §3.1, §3.5)."""
    context = {"identifier": identifier}
    metadata = [_ITEM_SERIALIZERS[type(item)](item, context=context).data for item in items]
    return {
        "MediaContainer": {
            "offset": offset,
            "totalSize": len(metadata) if total_size is None else total_size,
            "identifier": identifier,
            "size": len(metadata),
            "Metadata": metadata,
        }
    }


def image_container(images: list[ImageRef], *, identifier: str) -> dict[str, Any]:
    """``{"MediaContainer": {…, "Image": [{type, url, alt}]}}`` (spec §3.6); only publicly reachable URLs."""
    shaped = [{"type": i.type, "url": url, "alt": i.alt} for i in images if (url := public_url(i.url)) is not None]
    return {
        "MediaContainer": {
            "offset": 0,
            "totalSize": len(shaped),
            "identifier": identifier,
            "size": len(shaped),
            "Image": shaped,
        }
    }


class MediaProviderSerializer(serializers.Serializer[Any]):
    """The provider root (spec §1.2, §8.2, §8.3). Feature keys are relative: PMS joins them to the registered URL."""

    def to_representation(self, instance: ProviderDefinition) -> dict[str, Any]:
        scheme = [{"scheme": instance.identifier}]
        return {
            "MediaProvider": {
                "identifier": instance.identifier,
                "title": instance.title,
                "version": instance.version,
                "Types": [{"type": plex_type, "Scheme": scheme} for plex_type in instance.types],
                "Feature": [{"type": feature, "key": key} for feature, key in instance.features],
            }
        }


# --- OpenAPI documentation shapes (drf-spectacular reads these; responses are built by the code above) ------------


class _SchemeDoc(serializers.Serializer[Any]):
    scheme = serializers.CharField()


class _TypeDoc(serializers.Serializer[Any]):
    type = serializers.IntegerField()
    Scheme = _SchemeDoc(many=True)


class _FeatureDoc(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=["metadata", "match", "collection"])
    key = serializers.CharField()


class _MediaProviderDoc(serializers.Serializer[Any]):
    identifier = serializers.CharField()
    title = serializers.CharField()
    version = serializers.CharField()
    Types = _TypeDoc(many=True)
    Feature = _FeatureDoc(many=True)


class MediaProviderResponseDoc(serializers.Serializer[Any]):
    MediaProvider = _MediaProviderDoc()


class _MetadataDoc(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=["movie", "show", "season", "episode", "collection"])
    ratingKey = serializers.CharField()
    key = serializers.CharField()
    guid = serializers.CharField()
    title = serializers.CharField()
    originallyAvailableAt = serializers.CharField(help_text="YYYY-MM-DD or empty when unknown")
    score = serializers.IntegerField(required=False, help_text="match candidates only, 0-100")


class _ContainerDoc(serializers.Serializer[Any]):
    offset = serializers.IntegerField()
    totalSize = serializers.IntegerField()
    identifier = serializers.CharField()
    size = serializers.IntegerField()
    Metadata = _MetadataDoc(many=True)


class MediaContainerResponseDoc(serializers.Serializer[Any]):
    MediaContainer = _ContainerDoc()


class _ImageDoc(serializers.Serializer[Any]):
    type = serializers.CharField()
    url = serializers.URLField()
    alt = serializers.CharField()


class _ImageContainerDoc(serializers.Serializer[Any]):
    offset = serializers.IntegerField()
    totalSize = serializers.IntegerField()
    identifier = serializers.CharField()
    size = serializers.IntegerField()
    Image = _ImageDoc(many=True)


class ImageContainerResponseDoc(serializers.Serializer[Any]):
    MediaContainer = _ImageContainerDoc()


class ErrorResponseDoc(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()
    extra = serializers.DictField()
