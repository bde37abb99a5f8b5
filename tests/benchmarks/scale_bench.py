"""Scale benchmark: the hot Plex paths with 10,000 stored scenes, then with 1,000,000 across 5,000 sites.

Usage: .venv/bin/python tests/benchmarks/scale_bench.py [--db postgres|sqlite] [--total 1000000] [--sites 5000]
       [--small 10000] [--repeat 40]

Bulk-inserts synthetic sites and scenes (every site the same size, 200 scenes over four years, so the probed site is
the same in both runs and only the table around it grows) into a fresh database, records each site-year as stored
(``SiteYearSync``, as a catalog walk does), then times through Django's test client, on the real endpoints:
a warm match (a file of a stored, complete site-year: answered locally), an episode's metadata, and a season's
children read page by page (50 a page). Each is run ``--repeat`` times on items not asked before (no cached answer
nor decision reused). Then the table grows to ``--total`` scenes and the same is timed again on other items; the
ratios large/small are printed (target within 1.5x), with the EXPLAIN plans of the hot queries and the peak memory
of building the site index. TPDB is pointed at a closed port: any TPDB call would show in X-TPDB-Calls.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SCENES_PER_SITE = 200
YEARS = (2021, 2022, 2023, 2024)
PAGE = 50
WORDS = [
    "sunny",
    "picnic",
    "harbour",
    "lantern",
    "meadow",
    "velvet",
    "ember",
    "orchard",
    "summit",
    "canyon",
    "willow",
    "glacier",
]


def configure(db: str, tmp: str) -> str:
    if db == "postgres":
        import psycopg

        name = f"tpdb_scale_bench_{os.getpid()}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"postgres://postgres@127.0.0.1:5432/{name}"
    else:
        url = f"sqlite:///{tmp}/scale.sqlite3"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "tpdbprovider.settings.production",
            "DJANGO_SECRET_KEY": "scale-benchmark-secret",
            "ADMIN_USERNAME": "bench",
            "ADMIN_PASSWORD": "Scale-benchmark-password-9",
            "DATABASE_URL": url,
            "REDIS_URL": "",
            "TPDB_BASE_URL": "http://127.0.0.1:9",
            "TPDB_API_KEY": "scale-token",
            "TPDB_MAX_RETRIES": "0",
            "DJANGO_LOG_LEVEL": "ERROR",
        }
    )
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    settings.TASKS_IN_BACKGROUND_THREAD = False
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    from django.utils import timezone

    from sites.models import SiteListSync

    SiteListSync.objects.create(finished_at=timezone.now(), site_count=0, pages=0)  # as after the first start
    return url


def drop(url: str) -> None:
    if url.startswith("postgres"):
        from django.db import connections

        connections.close_all()
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}"')


def insert_sites(first: int, count: int) -> None:
    """Sites ``first`` … ``first + count - 1`` with their scenes and their site-years recorded as stored."""
    from django.utils import timezone

    from scenes.models import Scene
    from sites.models import Site, SiteYearSync

    now = timezone.now()
    for start in range(first, first + count, 50):
        numbers = range(start, min(start + 50, first + count))
        sites = Site.objects.bulk_create(
            [
                Site(
                    tpdb_id=uuid.UUID(int=n),
                    tpdb_numeric_id=n,
                    slug=f"scale-site-{n}",
                    name=f"Scale Site {n}",
                    short_name=f"scalesite{n}",
                    is_complete=True,
                )
                for n in numbers
            ]
        )
        if not sites[0].pk:  # SQLite before 3.35 returns no ids
            sites = list(Site.objects.filter(tpdb_numeric_id__in=list(numbers)).order_by("tpdb_numeric_id"))
        scenes = []
        for site in sites:
            n = site.tpdb_numeric_id or 0
            for i in range(SCENES_PER_SITE):
                year = YEARS[i % len(YEARS)]
                scenes.append(
                    Scene(
                        tpdb_id=uuid.UUID(int=(n << 20) + i),
                        tpdb_numeric_id=(n << 20) + i,
                        site=site,
                        title=" ".join(WORDS[(i * k + n) % len(WORDS)] for k in (1, 3, 7)).title(),
                        release_date=dt.date(year, 1, 1) + dt.timedelta(days=(i * 7) % 360),
                        is_complete=True,
                        fetched_at=now,
                    )
                )
        Scene.objects.bulk_create(scenes, batch_size=5000)
        SiteYearSync.objects.bulk_create(  # as a finished catalog walk leaves them: every year, and the undated one
            [
                SiteYearSync(site=s, year=y, synced_at=now, scene_count=SCENES_PER_SITE // 4)
                for s in sites
                for y in (*YEARS, 0)
            ]
        )


def _filler(field: object) -> str:
    """A SQL value for a column the synthetic rows do not care about."""
    from django.db import models

    if getattr(field, "null", False):
        return "NULL"
    if isinstance(field, models.JSONField):
        return "'[]'::jsonb"
    if isinstance(field, models.BooleanField):
        return "false"
    if isinstance(field, models.DateTimeField):
        return "now()"
    if isinstance(field, models.IntegerField | models.BigIntegerField | models.PositiveIntegerField):
        return "0"
    return "''"


def insert_sites_sql(first: int, count: int) -> None:
    """``insert_sites`` for PostgreSQL at scale: the same rows, generated by the server (generate_series)."""
    from django.db import connection

    from scenes.models import Scene
    from sites.models import Site, SiteYearSync

    last = first + count - 1
    site_values = {
        "tpdb_id": "md5('site-' || n)::uuid",
        "tpdb_numeric_id": "n",
        "slug": "'scale-site-' || n",
        "name": "'Scale Site ' || n",
        "short_name": "'scalesite' || n",
        "is_complete": "true",
    }
    words = ", ".join(f"'{w.title()}'" for w in WORDS)
    scene_values = {
        "tpdb_id": "md5(s.tpdb_numeric_id || '-' || i)::uuid",
        "tpdb_numeric_id": "s.tpdb_numeric_id * 1048576 + i",
        "site_id": "s.id",
        "title": f"(ARRAY[{words}])[1 + (i * 5 + s.tpdb_numeric_id) % {len(WORDS)}] || ' ' || "
        f"(ARRAY[{words}])[1 + (i * 11 + s.tpdb_numeric_id) % {len(WORDS)}] || ' ' || i",
        "release_date": "date '2021-01-01' + (i % 4) * 365 + (i * 7) % 360",
        "is_complete": "true",
    }

    def insert(model: type, values: dict[str, str], source: str) -> None:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]  # type: ignore[attr-defined]
        columns = ", ".join(f'"{f.column}"' for f in fields)
        exprs = ", ".join(values.get(f.column, values.get(f.name, _filler(f))) for f in fields)
        with connection.cursor() as cursor:
            cursor.execute(f'INSERT INTO "{model._meta.db_table}" ({columns}) SELECT {exprs} {source}')  # type: ignore[attr-defined]

    insert(Site, site_values, f"FROM generate_series({first}, {last}) n")
    insert(
        Scene,
        scene_values,
        f"FROM sites_site s, generate_series(0, {SCENES_PER_SITE - 1}) i "
        f"WHERE s.tpdb_numeric_id BETWEEN {first} AND {last}",
    )
    insert(
        SiteYearSync,
        {"site_id": "s.id", "year": "y", "synced_at": "now()", "scene_count": str(SCENES_PER_SITE // 4)},
        f"FROM sites_site s, unnest(ARRAY[{', '.join(map(str, YEARS))}, 0]) y "
        f"WHERE s.tpdb_numeric_id BETWEEN {first} AND {last}",
    )


def timed(op: Callable[[int], int], items: range) -> tuple[float, int]:
    """(median ms, TPDB calls) of ``op(i)`` over ``items``; the first two are warm-ups, not counted."""
    times, calls = [], 0
    for n, i in enumerate(items):
        started = time.perf_counter()
        calls += op(i)
        if n >= 2:
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), calls


def measure(probe: int, offset: int, repeat: int) -> dict[str, tuple[float, int]]:
    from django.test import Client

    from scenes.models import Scene

    client = Client()
    scenes = list(Scene.objects.filter(site__tpdb_numeric_id=probe).order_by("release_date", "tpdb_id"))

    def match(i: int) -> int:
        scene = scenes[(offset + i) % len(scenes)]
        filename = f"Scale Site {probe} - {scene.release_date:%Y-%m-%d} - {scene.title}.mp4"
        body = {"type": 4, "grandparentTitle": f"Scale Site {probe}", "filename": filename}
        response = client.post("/tv/library/metadata/matches", body, content_type="application/json")
        assert response.status_code == 200 and response.json()["MediaContainer"]["Metadata"], response.content[:300]
        return int(response["X-TPDB-Calls"])

    def dateless_match(i: int) -> int:  # the site's folder and the title, no date: the stored catalog answers
        scene = scenes[(offset + 5 * i + 2) % len(scenes)]
        body = {"type": 1, "title": scene.title, "filename": f"/library/Scale Site {probe}/{scene.title}.mp4"}
        response = client.post("/movie/library/metadata/matches", body, content_type="application/json")
        assert response.status_code == 200, response.content[:300]
        return int(response["X-TPDB-Calls"])

    def day_match(i: int) -> int:  # no site named: the stored scenes of that day, whatever their site
        scene = scenes[(offset + 7 * i + 3) % len(scenes)]
        body = {"type": 1, "title": scene.title, "filename": f"{scene.title} ({scene.release_date:%Y-%m-%d}).mp4"}
        response = client.post("/movie/library/metadata/matches", body, content_type="application/json")
        assert response.status_code == 200, response.content[:300]
        return int(response["X-TPDB-Calls"])

    def episode(i: int) -> int:
        scene = scenes[(offset + 3 * i + 1) % len(scenes)]
        response = client.get(f"/tv/library/metadata/tpdb-scene-{scene.tpdb_id}")
        assert response.status_code == 200, response.content[:300]
        return int(response["X-TPDB-Calls"])

    def season(i: int) -> int:
        calls = 0
        year = YEARS[i % len(YEARS)]
        for start in (0, PAGE):  # Plex pages through a season
            response = client.get(
                f"/tv/library/metadata/tpdb-season-scale-site-{probe}-{year}/children",
                HTTP_X_PLEX_CONTAINER_START=str(start),
                HTTP_X_PLEX_CONTAINER_SIZE=str(PAGE),
                QUERY_STRING=f"X-Plex-Container-Start={start}&X-Plex-Container-Size={PAGE}&r={offset + i}",
            )
            assert response.status_code == 200, response.content[:300]
            calls += int(response["X-TPDB-Calls"])
        return calls

    return {
        "warm match": timed(match, range(repeat)),
        "dateless match (site folder)": timed(dateless_match, range(repeat)),
        "site-less dated match": timed(day_match, range(repeat)),
        "episode metadata": timed(episode, range(repeat)),
        "season children (2 pages)": timed(season, range(repeat)),
    }


def explain(probe: int) -> None:
    from scenes.episodes import scene_episode_index
    from scenes.models import Scene
    from scenes.selectors import season_scenes
    from sites.models import Site

    site = Site.objects.get(tpdb_numeric_id=probe)
    scene = Scene.objects.filter(site=site).order_by("release_date").first()
    assert scene is not None and scene.release_date is not None
    window = (scene.release_date - dt.timedelta(days=2), scene.release_date + dt.timedelta(days=30))
    plans = {
        "local candidates": Scene.objects.filter(site__tpdb_numeric_id__in=[probe], release_date__range=window),
        "season page": season_scenes(site=site, year=YEARS[0])[:PAGE],
        "catalog candidates (dateless)": Scene.objects.filter(
            site__tpdb_numeric_id__in=[probe], title__icontains=scene.title.split()[0]
        ).order_by("-release_date")[:300],
        "day candidates (site-less)": Scene.objects.filter(
            release_date__in=[scene.release_date], title__icontains=scene.title.split()[0]
        ).order_by("release_date")[:300],
    }
    for name, queryset in plans.items():
        print(f"EXPLAIN {name}:\n  " + queryset.explain().replace("\n", "\n  "))
    scene_episode_index(scene=scene)


def site_index_peak_mb() -> float:
    from sites.services import site_index_get, site_index_reset

    site_index_reset()
    tracemalloc.start()
    site_index_get(force=True)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--total", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    small_sites, total_sites = args.small // SCENES_PER_SITE, args.total // SCENES_PER_SITE
    with tempfile.TemporaryDirectory() as tmp:
        url = configure(args.db, tmp)
        try:
            started = time.perf_counter()
            insert_sites(1, small_sites)
            print(
                f"{args.db}: inserted {small_sites * SCENES_PER_SITE} scenes in {time.perf_counter() - started:.1f} s"
            )
            probe = small_sites // 2
            small = measure(probe, 0, args.repeat)
            small_index = site_index_peak_mb()
            started = time.perf_counter()
            grow = insert_sites_sql if args.db == "postgres" else insert_sites
            grow(small_sites + 1, total_sites - small_sites)
            print(
                f"grew to {total_sites * SCENES_PER_SITE} scenes, {total_sites} sites in {time.perf_counter() - started:.1f} s"
            )
            from django.db import connection

            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            large = measure(probe, args.repeat * 3, args.repeat)
            large_index = site_index_peak_mb()
            explain(probe)
        finally:
            drop(url)
    print(f"{'path':28} {'10k ms':>9} {'1M ms':>9} {'ratio':>6}  TPDB calls")
    for name, (small_ms, small_calls) in small.items():
        large_ms, large_calls = large[name]
        print(f"{name:28} {small_ms:9.1f} {large_ms:9.1f} {large_ms / small_ms:6.2f}  {small_calls}/{large_calls}")
    print(
        f"site index build, peak Python memory: {small_index:.1f} MB with {small_sites} sites, "
        f"{large_index:.1f} MB with {total_sites}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
