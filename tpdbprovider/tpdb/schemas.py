"""Frozen dataclasses parsed from TPDB JSON (tpdb-api.md §3).

``from_json`` tolerates nulls, missing and extra keys, and the 2022, 2023 and current shapes (tests/fixtures/tpdb/
real_*.json): ids are normalised here, so a scene, movie or performer ``id`` is always its uuid ("" when TPDB sent
none, and the client refuses such an answer) and a site ``uuid`` is a real uuid or None. Every object keeps the JSON
it came from in ``raw`` (excluded from eq and repr), so callers can cache the raw JSON and rebuild with
``from_json``. Placeholder images (``default1.png``, ``male.png`` …, tpdb-api.md §7 quirk 9) become "".
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid as uuid_lib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from tpdbprovider.tpdb.errors import TPDBUnusableAnswerError

logger = logging.getLogger(__name__)

T = TypeVar("T")

_PLACEHOLDER_NAMES = ("male.png", "female.png")
_UNKNOWN_GENDERS = ("unknown", "n/a", "none")
_DETAIL_ONLY_KEYS = ("tags", "markers", "directors", "director", "scenes", "movies")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value).strip()


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _uuid_or_none(value: Any) -> str | None:
    """A uuid in its lower-case text form; None for a number (2023 bodies put the numeric id in ``uuid``) or junk."""
    if not isinstance(value, str):
        return None
    try:
        return str(uuid_lib.UUID(value.strip()))
    except ValueError:
        return None


def _ids(obj: Mapping[str, Any]) -> tuple[str, int | None]:
    """(uuid, numeric id) of a scene, movie or performer, whichever of its shapes it came in.

    Current bodies: ``id`` is the uuid, ``_id`` the number. 2022 movies: ``id`` is the number beside a separate
    ``uuid``. The uuid is "" when none of them holds one: the object cannot be stored.
    """
    own_uuid = _uuid_or_none(obj.get("uuid"))
    if own_uuid:
        return own_uuid, _int_or_none(obj.get("_id")) or _int_or_none(obj.get("id"))
    return _uuid_or_none(obj.get("id")) or "", _int_or_none(obj.get("_id"))


def _gender_or_none(value: Any) -> str | None:
    """None for a missing gender and for TPDB's "Unknown" placeholder, so a parent's real gender shows through."""
    gender = _str(value)
    return gender if gender and gender.casefold() not in _UNKNOWN_GENDERS else None


def _duration_s(obj: Mapping[str, Any]) -> int | None:
    """Seconds from ``duration``; 2022 movies send ``length`` in minutes instead (``"13"``)."""
    seconds = _int_or_none(obj.get("duration"))
    if seconds is None and (minutes := _int_or_none(obj.get("length"))) is not None:
        seconds = minutes * 60
    return seconds


def _date_or_none(value: Any) -> dt.date | None:
    text = _str(value)[:10]
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def image_url(value: Any) -> str:
    """The URL, or "" for a missing or placeholder image (a file name containing ``default``, or ``male.png``)."""
    url = _str(value)
    if not url:
        return ""
    name = urlsplit(url).path.rsplit("/", 1)[-1].lower()
    if "default" in name or name in _PLACEHOLDER_NAMES:
        return ""
    return url


def _images(value: Any) -> dict[str, str]:
    return {str(k): url for k, v in _dict(value).items() if (url := image_url(v))}


def _names(items: Any, *keys: str) -> tuple[str, ...]:
    """Names from a list of objects (first non-empty key wins) or plain strings; a lone object counts as a list."""
    if isinstance(items, dict):
        items = [items]
    names: list[str] = []
    for item in _list(items):
        name = _str(item) if not isinstance(item, dict) else next((n for k in keys if (n := _str(item.get(k)))), "")
        if name and name not in names:
            names.append(name)
    return tuple(names)


def _links(value: Any) -> dict[str, str]:
    """``links`` is ``[]``, a ``{platform: url}`` map or a list of ``{platform, url}`` (tpdb-api.md §3.1)."""
    if isinstance(value, dict):
        return {str(k): _str(v) for k, v in value.items() if _str(v)}
    links: dict[str, str] = {}
    for item in _list(value):
        item = _dict(item)
        if url := _str(item.get("url")):
            links[_str(item.get("platform")) or _str(item.get("name")) or url] = url
    return links


@dataclass(frozen=True, kw_only=True)
class TPDBSiteRef:
    """The short ``parent``/``network`` object embedded in a site."""

    id: int
    uuid: str | None = None
    name: str = ""
    short_name: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> TPDBSiteRef:
        return cls(
            id=_int_or_none(obj.get("id")) or 0,
            uuid=_uuid_or_none(obj.get("uuid")),
            name=_str(obj.get("name")),
            short_name=_str(obj.get("short_name")),
            raw=dict(obj),
        )


def _site_ref(value: Any) -> TPDBSiteRef | None:
    return TPDBSiteRef.from_json(value) if isinstance(value, dict) and _int_or_none(value.get("id")) else None


@dataclass(frozen=True, kw_only=True)
class TPDBSite:
    """A site (studio). ``uuid`` is missing on legacy bodies; ``id`` is the numeric id used in filters."""

    uuid: str | None = None
    id: int
    name: str = ""
    short_name: str = ""
    url: str = ""
    description: str = ""
    logo: str = ""
    favicon: str = ""
    poster: str = ""
    parent_id: int | None = None
    network_id: int | None = None
    parent: TPDBSiteRef | None = None
    network: TPDBSiteRef | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> TPDBSite:
        return cls(
            uuid=_uuid_or_none(obj.get("uuid")),
            id=_int_or_none(obj.get("id")) or 0,
            name=_str(obj.get("name")),
            short_name=_str(obj.get("short_name")),
            url=_str(obj.get("url")),
            description=_str(obj.get("description")),
            logo=image_url(obj.get("logo")),
            favicon=image_url(obj.get("favicon")),
            poster=image_url(obj.get("poster")),
            parent_id=_int_or_none(obj.get("parent_id")),
            network_id=_int_or_none(obj.get("network_id")),
            parent=_site_ref(obj.get("parent")),
            network=_site_ref(obj.get("network")),
            raw=dict(obj),
        )


@dataclass(frozen=True, kw_only=True)
class TPDBPerformer:
    """A canonical performer (``/performers`` or a credit's embedded ``parent``)."""

    id: str
    numeric_id: int | None = None
    slug: str = ""
    name: str = ""
    disambiguation: str = ""
    gender: str | None = None
    birthdate: dt.date | None = None
    height: str = ""
    weight: str = ""
    aliases: tuple[str, ...] = ()
    image: str = ""
    thumbnail: str = ""
    face: str = ""
    is_parent: bool = True
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> TPDBPerformer:
        extras = _dict(obj.get("extras")) or _dict(obj.get("extra"))
        tpdb_id, numeric_id = _ids(obj)
        return cls(
            id=tpdb_id,
            numeric_id=numeric_id,
            slug=_str(obj.get("slug")),
            name=_str(obj.get("name")),
            disambiguation=_str(obj.get("disambiguation")),
            gender=_gender_or_none(extras.get("gender")),
            birthdate=_date_or_none(extras.get("birthday")),
            height=_str(extras.get("height")),
            weight=_str(extras.get("weight")),
            aliases=_names(obj.get("aliases"), "name"),
            image=image_url(obj.get("image")),
            thumbnail=image_url(obj.get("thumbnail")),
            face=image_url(obj.get("face")),
            is_parent=bool(obj.get("is_parent", True)),
            raw=dict(obj),
        )


@dataclass(frozen=True, kw_only=True)
class TPDBPerformerCredit:
    """A performer as credited on one scene: the site-specific record (``name`` as credited) and its parent."""

    id: str
    numeric_id: int | None = None
    slug: str = ""
    name: str = ""
    gender: str | None = None
    image: str = ""
    thumbnail: str = ""
    face: str = ""
    parent: TPDBPerformer | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> TPDBPerformerCredit:
        # Credits spell it ``extra``, parents ``extras`` (tpdb-api.md §7 quirk 6); accept either on both.
        extra = _dict(obj.get("extra")) or _dict(obj.get("extras"))
        parent = TPDBPerformer.from_json(obj["parent"]) if isinstance(obj.get("parent"), dict) else None
        parent_performer = parent if parent and parent.id else None
        tpdb_id, numeric_id = _ids(obj)
        return cls(
            id=tpdb_id,
            numeric_id=numeric_id,
            slug=_str(obj.get("slug")),
            name=_str(obj.get("name")),
            gender=_gender_or_none(extra.get("gender")) or (parent_performer.gender if parent_performer else None),
            image=image_url(obj.get("image")),
            thumbnail=image_url(obj.get("thumbnail")),
            face=image_url(obj.get("face")),
            parent=parent_performer,
            raw=dict(obj),
        )


@dataclass(frozen=True, kw_only=True)
class TPDBScene:
    """A scene, movie or JAV title (one schema, ``type`` tells them apart). ``is_detail``: detail-only keys seen."""

    id: str
    numeric_id: int | None = None
    type: str = "Scene"
    title: str = ""
    slug: str = ""
    external_id: str = ""
    description: str = ""
    site_id: int | None = None
    date: dt.date | None = None
    url: str = ""
    image: str = ""
    back_image: str = ""
    poster: str = ""
    trailer: str = ""
    duration_s: int | None = None
    format: str = ""
    sku: str = ""
    posters: dict[str, str] = field(default_factory=dict)
    background: dict[str, str] = field(default_factory=dict)
    performers: tuple[TPDBPerformerCredit, ...] = ()
    site: TPDBSite | None = None
    tags: tuple[str, ...] = ()
    directors: tuple[str, ...] = ()
    links: dict[str, str] = field(default_factory=dict)
    is_detail: bool = False
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> TPDBScene:
        site = obj.get("site")
        site_data = TPDBSite.from_json(site) if isinstance(site, dict) and _int_or_none(site.get("id")) else None
        credits = tuple(c for p in _list(obj.get("performers")) if (c := TPDBPerformerCredit.from_json(_dict(p))).id)
        tpdb_id, numeric_id = _ids(obj)
        return cls(
            id=tpdb_id,
            numeric_id=numeric_id,
            type=_str(obj.get("type")) or "Scene",
            title=_str(obj.get("title")),
            slug=_str(obj.get("slug")),
            external_id=_str(obj.get("external_id")),
            description=_str(obj.get("description")),
            site_id=_int_or_none(obj.get("site_id")) or (site_data.id if site_data else None),
            date=_date_or_none(obj.get("date")),
            url=_str(obj.get("url")),
            image=image_url(obj.get("image")),
            # 2022 movies name their covers ``front`` and ``back``.
            back_image=image_url(obj.get("back_image")) or image_url(obj.get("back")),
            poster=image_url(obj.get("poster")) or image_url(obj.get("poster_image")) or image_url(obj.get("front")),
            trailer=_str(obj.get("trailer")),
            duration_s=_duration_s(obj),
            format=_str(obj.get("format")),
            sku=_str(obj.get("sku")),
            posters=_images(obj.get("posters")),
            background=_images(obj.get("background")),
            performers=credits,
            site=site_data,
            tags=_names(obj.get("tags"), "name", "tag"),
            directors=_names(obj.get("directors") or obj.get("director"), "name"),
            links=_links(obj.get("links")),
            is_detail=any(key in obj for key in _DETAIL_ONLY_KEYS),
            raw=dict(obj),
        )

    @property
    def poster_url(self) -> str:
        """Best portrait image: the large poster, then ``poster``, then the studio ``image``."""
        return self.posters.get("large") or self.poster or self.posters.get("medium") or self.image

    @property
    def background_url(self) -> str:
        """Best landscape image: the full background, then the large one, the studio ``image``, the back cover."""
        return self.background.get("full") or self.background.get("large") or self.image or self.back_image


# The keys ``from_json`` reads (``slim_scene_json`` keeps these and drops the rest).
_SCENE_KEYS = frozenset(
    {
        *("id", "uuid", "_id", "type", "title", "slug", "external_id", "description", "site_id", "date", "url"),
        *("image", "back_image", "back", "poster", "poster_image", "front", "trailer", "duration", "length"),
        *("format", "sku", "posters", "background", "performers", "site", "links", *_DETAIL_ONLY_KEYS),
    }
)
_SITE_KEYS = frozenset(
    {"uuid", "id", "name", "short_name", "url", "description", "logo", "favicon", "poster", "parent_id", "network_id"}
)
_SITE_REF_KEYS = frozenset({"id", "uuid", "name", "short_name"})
_PERFORMER_KEYS = frozenset(
    {"id", "uuid", "_id", "slug", "name", "disambiguation", "aliases", "image", "thumbnail", "face", "is_parent"}
)
_EXTRAS_KEYS = frozenset({"gender", "birthday", "height", "weight"})


def _pick(obj: Mapping[str, Any], keys: frozenset[str]) -> dict[str, Any]:
    return {key: value for key, value in obj.items() if key in keys}


def _slim_performer(obj: Mapping[str, Any]) -> dict[str, Any]:
    slim = _pick(obj, _PERFORMER_KEYS)
    for key in ("extra", "extras"):
        if isinstance(obj.get(key), dict):
            slim[key] = _pick(obj[key], _EXTRAS_KEYS)
    if isinstance(obj.get("parent"), dict):
        slim["parent"] = _slim_performer(obj["parent"])
    elif "parent" in obj:
        slim["parent"] = obj["parent"]
    return slim


def slim_scene_json(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A scene's or movie's JSON with only what ``TPDBScene.from_json`` reads: it parses to an equal object.

    For caching search answers, a page of full scenes whose performer bios, hashes and media make most of the bytes.
    """
    slim = _pick(obj, _SCENE_KEYS)
    site = obj.get("site")
    if isinstance(site, dict):
        slim["site"] = _pick(site, _SITE_KEYS) | {
            key: _pick(site[key], _SITE_REF_KEYS) for key in ("parent", "network") if isinstance(site.get(key), dict)
        }
    if isinstance(obj.get("performers"), list):
        slim["performers"] = [_slim_performer(p) if isinstance(p, dict) else p for p in obj["performers"]]
    if isinstance(obj.get("tags"), list):
        slim["tags"] = [_pick(t, frozenset({"name", "tag"})) if isinstance(t, dict) else t for t in obj["tags"]]
    return slim


@dataclass(frozen=True, kw_only=True)
class PageMeta:
    """Laravel paginator ``meta``; ``last_page`` falls back to ``last`` and everything to the item count."""

    current_page: int = 1
    last_page: int = 1
    per_page: int = 0
    total: int = 0

    @classmethod
    def from_json(cls, obj: Any, *, item_count: int = 0) -> PageMeta:
        meta = _dict(obj)
        current = _int_or_none(meta.get("current_page")) or 1
        last = _int_or_none(meta.get("last_page")) or _int_or_none(meta.get("last")) or current
        per_page = _int_or_none(meta.get("per_page")) or item_count
        total = _int_or_none(meta.get("total"))
        return cls(current_page=current, last_page=max(last, current), per_page=per_page, total=total or item_count)


@dataclass(frozen=True, kw_only=True)
class TPDBPage(Generic[T]):
    """One page of a list endpoint."""

    items: tuple[T, ...] = ()
    meta: PageMeta = field(default_factory=PageMeta)

    @property
    def has_next(self) -> bool:
        return self.meta.current_page < self.meta.last_page

    @classmethod
    def from_json(cls, obj: Mapping[str, Any], parse_item: Callable[[dict[str, Any]], T]) -> TPDBPage[T]:
        """Items without an id we can store by (no uuid on a scene, no numeric id on a site) are logged and left out."""
        items: list[T] = []
        for raw in _list(obj.get("data")):
            item = parse_item(raw) if isinstance(raw, dict) else None
            if item is not None and has_usable_id(item):
                items.append(item)
            else:
                logger.warning("TPDB list item without a usable id left out", extra={"kind": type(raw).__name__})
        return cls(items=tuple(items), meta=PageMeta.from_json(obj.get("meta"), item_count=len(items)))


def has_usable_id(item: Any) -> bool:
    """A scene, movie or performer needs its uuid; a site its numeric id (a uuid stand-in is derived from it)."""
    return bool(item.id)


def usable_or_raise(item: T, *, path: str) -> T:
    """The parsed detail answer, or TPDBUnusableAnswerError when it has no id we can store it by."""
    if not has_usable_id(item):
        logger.warning("TPDB answered %s with an object that has no usable id", path)
        raise TPDBUnusableAnswerError(f"TPDB answered {path} with an object that has no usable id")
    return item
