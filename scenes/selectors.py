"""Read-only queries on scenes and performers."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, Min, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce, ExtractYear

from movies.models import MediaFields
from scenes.models import Scene, ScenePerformer
from sites.models import Site, SiteYearSync
from tpdbprovider.matching.ratingkeys import UNDATED_SEASON


def _uuid_or_none(value: str | uuid.UUID) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def scene_get(*, tpdb_id: str | uuid.UUID | None = None, scene_id: int | None = None) -> Scene | None:
    """A scene by TPDB uuid or by our primary key; None when absent or the uuid is malformed."""
    if scene_id is not None:
        return Scene.objects.select_related("site").filter(pk=scene_id).first()
    key = _uuid_or_none(tpdb_id) if tpdb_id is not None else None
    return Scene.objects.select_related("site").filter(tpdb_id=key).first() if key else None


def scenes_with_credits(scenes: QuerySet[Scene]) -> QuerySet[Scene]:
    """``scenes`` with their credits in credit order, each with its performer and parent: one extra query."""
    credits = ScenePerformer.objects.select_related("performer__parent").order_by("order", "id")
    return scenes.prefetch_related(Prefetch("credits", queryset=credits))


def scene_with_credits(*, tpdb_id: str | uuid.UUID | None = None, slug: str | None = None) -> Scene | None:
    """A scene by TPDB uuid (or by its TPDB slug) with its site (network, parent) and ordered credits (performer,
    parent) loaded in two queries; None when absent or the uuid is malformed."""
    scenes = Scene.objects.select_related("site__network", "site__parent")
    if slug is not None:
        return scenes_with_credits(scenes.filter(slug=slug)).first() if slug else None
    key = _uuid_or_none(tpdb_id) if tpdb_id is not None else None
    return scenes_with_credits(scenes.filter(tpdb_id=key)).first() if key else None


def scene_exists(*, tpdb_id: str | uuid.UUID) -> bool:
    key = _uuid_or_none(tpdb_id)
    return key is not None and Scene.objects.filter(tpdb_id=key).exists()


def scenes_for_site_dates(*, site_ids: Iterable[int], dates_from: dt.date, dates_to: dt.date) -> QuerySet[Scene]:
    """Stored scenes of these sites (our pks) released between the two dates, inclusive."""
    return Scene.objects.filter(site_id__in=list(site_ids), release_date__range=(dates_from, dates_to))


# --- a site's scenes as a show: seasons by release year, episodes by their stored number --------------------------


@dataclass(frozen=True)
class Season:
    year: int  # UNDATED_SEASON (0) for the scenes without a release date
    first_release: dt.date | None


def season_year(scene: Scene) -> int:
    return scene.release_date.year if scene.release_date else UNDATED_SEASON


def site_seasons(*, site: Site) -> list[Season]:
    """A site's seasons: the years that have scenes, undated first, from one GROUP BY query (ExtractYear + Min)."""
    rows = (
        Scene.objects.filter(site=site)
        .annotate(season=ExtractYear("release_date"))
        .values("season")
        .annotate(first_release=Min("release_date"))
        .order_by(F("season").asc(nulls_first=True))
    )
    return [Season(year=row["season"] or UNDATED_SEASON, first_release=row["first_release"]) for row in rows]


def site_first_release(*, site: Site, year: int | None = None) -> dt.date | None:
    """The earliest release date of the site's scenes (of one season with ``year``; None for the undated one)."""
    if year == UNDATED_SEASON:
        return None
    scenes = Scene.objects.filter(site=site)
    if year is not None:
        scenes = scenes.filter(release_date__year=year)
    first: dt.date | None = scenes.aggregate(first=Min("release_date"))["first"]
    return first


def site_art_url(*, site: Site) -> str:
    """TPDB sites have no background: the newest dated scene's background stands in as the site's art ("" if none)."""
    url = (
        Scene.objects.filter(site=site, release_date__isnull=False)
        .exclude(background_url="")
        .order_by("-release_date")
        .values_list("background_url", flat=True)
        .first()
    )
    return url or ""


# A show's tags are counted over this many of its newest scenes: one bounded query however big the site.
SHOW_TAG_SCENES = 200
SHOW_TAGS = 10


def site_common_tags(*, site: Site) -> list[str]:
    """The ``SHOW_TAGS`` tags most common among the site's ``SHOW_TAG_SCENES`` newest scenes, most common first (ties by
    name): TPDB gives sites no tags, and Plex shows genres on shows, not on episodes."""
    newest = Scene.objects.filter(site=site).order_by(F("release_date").desc(nulls_last=True), "-pk")
    counts: Counter[str] = Counter()
    for tags in newest.values_list("tags", flat=True)[:SHOW_TAG_SCENES]:
        names = {_tag_name(tag) for tag in tags or ()} if isinstance(tags, list) else set()
        counts.update(name for name in names if name)
    return [name for name, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:SHOW_TAGS]]


def _tag_name(tag: Any) -> str:
    name = tag.get("name") or tag.get("tag") if isinstance(tag, dict) else tag
    return name.strip() if isinstance(name, str) else ""


def season_scenes(*, site: Site, year: int) -> QuerySet[Scene]:
    """One season's scenes in episode order: by their stored number (``scenes.episodes``), unnumbered ones last."""
    return in_season(Scene.objects.filter(site=site), year=year).order_by(
        F("episode_index").asc(nulls_last=True), "release_date", "tpdb_id"
    )


def site_episodes(*, site: Site) -> QuerySet[Scene]:
    """Every scene of the site, season by season (undated first), each season in episode number order."""
    return Scene.objects.filter(site=site).order_by(
        F("episode_season").asc(nulls_last=True), F("episode_index").asc(nulls_last=True), "tpdb_id"
    )


def episode_by_number(*, site: Site, year: int, index: int) -> Scene | None:
    """The scene served as episode ``index`` of season ``year``, if it still belongs to that season."""
    scenes = in_season(Scene.objects.filter(site=site, episode_season=year, episode_index=index), year=year)
    return scenes.select_related("site").first()


@dataclass(frozen=True)
class EpisodeCount:
    total: int
    unnumbered: int  # scenes without a number of their current season (``scenes.episodes`` gives them one)


def episode_count(*, site: Site, year: int | None = None) -> EpisodeCount:
    """How many episodes the site (season ``year`` only, when given) has and how many lack a number: one query."""
    scenes = Scene.objects.filter(site=site)
    if year is not None:
        scenes = in_season(scenes, year=year)
    counts = scenes.aggregate(total=Count("pk"), unnumbered=Count("pk", filter=episode_unnumbered(year=year)))
    return EpisodeCount(total=counts["total"], unnumbered=counts["unnumbered"])


def episode_unnumbered(*, year: int | None = None) -> Q:
    """Scenes (of season ``year``, or of any season) with no number yet, or a number of the season TPDB moved them
    out of."""
    if year is not None:
        return Q(episode_index__isnull=True) | ~Q(episode_season=year)
    current = Q(release_date__isnull=True, episode_season=UNDATED_SEASON) | Q(
        release_date__isnull=False, episode_season=ExtractYear("release_date")
    )
    return Q(episode_index__isnull=True) | ~current


def in_season(scenes: QuerySet[Scene], *, year: int) -> QuerySet[Scene]:
    """``scenes`` of season ``year``: released that year, or undated for the undated season."""
    if year == UNDATED_SEASON:
        return scenes.filter(release_date__isnull=True)
    return scenes.filter(release_date__year=year)


# Refresh policy: incomplete rows (seen only in a search) hourly, recent releases daily (TPDB fills them in over
# the first weeks), complete old rows monthly.
INCOMPLETE_REFRESH = dt.timedelta(hours=1)
RECENT_RELEASE = dt.timedelta(days=60)
RECENT_REFRESH = dt.timedelta(days=1)
COMPLETE_REFRESH = dt.timedelta(days=30)


def media_stale(*, model: type[MediaFields], now: dt.datetime, older_than: dt.timedelta | None = None) -> QuerySet[Any]:
    """Rows of ``model`` due for a refresh, oldest fetch first; ``older_than`` replaces the policy with one age."""
    rows = model._default_manager.filter(is_missing_upstream=False)
    if older_than is not None:
        return rows.filter(fetched_at__lt=now - older_than).order_by("fetched_at")
    incomplete = Q(is_complete=False, fetched_at__lt=now - INCOMPLETE_REFRESH)
    if model is Scene:
        # A thin row of a site-year a catalog walk stored is a list item nobody has read: a Plex read queues its detail
        # (scenes.items), and refreshing a whole 10,000-scene catalog scene by scene would cost 100 times the walk.
        incomplete &= Q(
            ~Exists(
                SiteYearSync.objects.filter(
                    site_id=OuterRef("site_id"), year=Coalesce(ExtractYear(OuterRef("release_date")), UNDATED_SEASON)
                )
            )
        )
    due = (
        incomplete
        | Q(release_date__gte=(now - RECENT_RELEASE).date(), fetched_at__lt=now - RECENT_REFRESH)
        | Q(fetched_at__lt=now - COMPLETE_REFRESH)
    )
    return rows.filter(due).order_by("fetched_at")
