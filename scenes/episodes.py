"""Episode numbers: a scene's Plex ``index`` in its season, given the first time it is served and never changed.

A dated scene's number is its release day and a slot for that day: ``MMDD * 100 + k`` (2024-03-05 → 30501, and
30502 for the second scene of that day served), so numbers follow the release date, and storing more scenes, earlier
ones or same-day ones, never moves a number already given. A day has 99 slots; its 100th scene and later take the
season's overflow numbers 130001, 130002, … (after every day of the year). An undated scene (season 0) takes the next
number of its season. Numbers are stored in ``Scene.episode_season`` / ``episode_index`` (unique per site); only a
scene TPDB moves to another year gets a new one, in its new season (its ``parentIndex`` changes anyway).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import QuerySet

from scenes.models import Scene
from scenes.selectors import episode_count, episode_unnumbered, in_season, season_year
from sites.models import Site
from tpdbprovider.core.db import retry_on_conflict
from tpdbprovider.matching.ratingkeys import UNDATED_SEASON

DAY_SLOTS = 99
OVERFLOW_START = 130_000  # above 1231 * 100 + 99
BATCH_SIZE = 500


def day_episode_index(day: dt.date, slot: int) -> int:
    """The number of the ``slot``-th scene (1..DAY_SLOTS) served for ``day``: 2024-03-05, 1 → 30501."""
    return (day.month * 100 + day.day) * 100 + slot


def episode_numbers_assign(*, site_id: int, year: int | None = None) -> int:
    """Number every scene of the site (of season ``year`` only, when given) that has no number yet, or one of a
    season it no longer belongs to. Same-day scenes numbered together take their slots in TPDB uuid order.

    Safe when two requests number one site at once: on PostgreSQL the second waits on the site row's lock, on SQLite
    ``BEGIN IMMEDIATE`` already serialises writers; a unique-constraint race is retried. Returns how many were numbered.
    """
    return _assign(site_id, year)


def episode_numbers_ensure(*, site: Site, year: int | None = None) -> int:
    """Number the site's (season ``year``'s) scenes that lack a number, and return how many episodes it has: a single
    query once every one is numbered."""
    counts = episode_count(site=site, year=year)
    if counts.unnumbered:
        episode_numbers_assign(site_id=site.pk, year=year)
    return counts.total


def scene_episode_index(*, scene: Scene) -> int:
    """The scene's episode number, given now (to its whole season) if it has none; no query when it has one."""
    if scene.site_id is None:
        return 1
    season = season_year(scene)
    if scene.episode_index is not None and scene.episode_season == season:
        return scene.episode_index
    episode_numbers_assign(site_id=scene.site_id, year=season)
    numbered = Scene.objects.filter(pk=scene.pk).values_list("episode_season", "episode_index").first()
    if numbered is None or numbered[1] is None:  # deleted meanwhile: no number to keep
        return 1
    scene.episode_season, scene.episode_index = numbered
    return numbered[1]


@retry_on_conflict
def _assign(site_id: int, year: int | None) -> int:
    # One numbering per site at a time. FOR NO KEY UPDATE: inserts of the site's scenes (FOR KEY SHARE) never wait.
    if not list(Site.objects.select_for_update(no_key=True).filter(pk=site_id).values_list("pk", flat=True)):
        return 0
    pending = list(_pending(site_id, year).order_by("release_date", "tpdb_id").values_list("pk", "release_date"))
    if not pending:
        return 0
    seasons = {released.year if released else UNDATED_SEASON for _, released in pending}
    day_top: dict[tuple[int, int], int] = {}  # (season, MMDD * 100) → highest number given that day
    season_top: dict[int, int] = defaultdict(int)  # undated: highest number; dated: highest overflow number
    numbered = Scene.objects.filter(site_id=site_id, episode_season__in=seasons, episode_index__isnull=False)
    for held_season, held in numbered.values_list("episode_season", "episode_index"):
        if held_season is None or held is None:
            continue
        if held_season == UNDATED_SEASON or held > OVERFLOW_START:
            season_top[held_season] = max(season_top[held_season], held)
        else:
            base = held // 100 * 100
            day_top[held_season, base] = max(day_top.get((held_season, base), base), held)
    updates = []
    for pk, released in pending:
        if released is None:
            season = UNDATED_SEASON
            index = season_top[season] = season_top[season] + 1
        else:
            season, base = released.year, day_episode_index(released, 0)
            top = day_top.get((season, base), base)
            if top - base < DAY_SLOTS:
                index = day_top[season, base] = top + 1
            else:
                index = season_top[season] = max(season_top[season], OVERFLOW_START) + 1
        updates.append(Scene(pk=pk, episode_season=season, episode_index=index))
    Scene.objects.filter(site_id=site_id).bulk_update(
        updates, ["episode_season", "episode_index"], batch_size=BATCH_SIZE
    )
    return len(updates)


def _pending(site_id: int, year: int | None) -> QuerySet[Scene]:
    scenes = Scene.objects.filter(site_id=site_id)
    if year is not None:
        scenes = in_season(scenes, year=year)
    return scenes.filter(episode_unnumbered(year=year))
