"""Storage benchmark: SQLite file size per matched file after N corpus match requests, the fake TPDB behind them.

Usage: .venv/bin/python tests/benchmarks/storage_bench.py [--corpus DIR] [--limit N] [--every K]

Starts from an empty SQLite database, syncs the site list, POSTs N corpus match requests to the real matches
endpoints and reads the metadata of every item they matched (as Plex does next). It then prints the database size
after VACUUM twice: right after the run, and at steady state, once the hourly cache cleanup has run past the
moment the run's cached search answers outlived their stale grace (the cleanup runs with its clock moved forward;
nothing else is changed). Rows per table and the persistent cache by endpoint are printed too.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.match_benchmark import DEFAULT_CORPUS, configure_django, load_queries, run_benchmark  # noqa: E402


def vacuumed_size_bytes(path: Path) -> int:
    """The file size after a WAL checkpoint and VACUUM (what the data needs, not what SQLite has yet to reuse)."""
    from django.db import connections

    connections.close_all()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("VACUUM")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def table_rows(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        names = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        counts = {name: db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}
    return {name: count for name, count in sorted(counts.items()) if count}


def cache_by_endpoint(path: Path) -> dict[str, tuple[int, int]]:
    """endpoint -> (rows, bytes of their JSON values)."""
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT endpoint, COUNT(*), SUM(LENGTH(value)) FROM core_cacheentry GROUP BY endpoint")
        return {endpoint: (count, size or 0) for endpoint, count, size in rows}


def read_matched_metadata(rows: list[dict[str, Any]]) -> int:
    """GET the metadata of every answered match, on the provider that answered it; returns how many were read."""
    from django.test import Client

    client = Client()
    read = 0
    for row in rows:
        if row["answer"]:
            provider = "tv" if row["library"] == "tv" else "movie"
            response = client.get(f"/{provider}/library/metadata/{row['answer']}")
            if response.status_code != 200:
                raise RuntimeError(f"{row['qid']}: metadata HTTP {response.status_code}")
            read += 1
    return read


def steady_state_cleanup() -> int:
    """Run the hourly cleanup as it runs once every search answer of this run is past its TTL and stale grace."""
    from django.conf import settings
    from django.utils import timezone

    from tpdbprovider.core.cache import CacheService

    ahead = timedelta(seconds=settings.CACHE_TTL_SCENE_SEARCH + stale_grace_s("scene_search") + 3600)
    return CacheService(clock=lambda: timezone.now() + ahead).clear_expired()


def stale_grace_s(endpoint: str) -> int:
    from tpdbprovider.core.cache import endpoint_stale_grace_s

    return endpoint_stale_grace_s(endpoint)


def report(label: str, path: Path, matched: int) -> None:
    size = vacuumed_size_bytes(path)
    print(f"{label}: {size / 1e6:.2f} MB, {size / max(matched, 1) / 1000:.1f} kB per matched file")
    for endpoint, (count, size_bytes) in cache_by_endpoint(path).items():
        print(f"  cache {endpoint:<14} {count:>6} rows {size_bytes / 1e6:>8.2f} MB of JSON")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--every", type=int, default=1, help="take every K-th query")
    args = parser.parse_args()

    from tests.fake_tpdb import Catalog, FakeTPDB

    queries = load_queries(args.corpus, limit=args.limit, every=args.every)
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeTPDB(Catalog.from_corpus(args.corpus), token="bench-token") as fake,
    ):
        path = Path(tmp) / "bench.sqlite3"
        configure_django(path, fake_url=fake.base_url, token="bench-token")
        summary = run_benchmark(queries, fake=fake)
        matched = read_matched_metadata(summary["rows"])
        print(f"{len(queries)} match requests, {matched} matched files, {summary['tpdb_calls']} TPDB calls")
        report("after the run", path, matched)
        print(f"  rows: {table_rows(path)}")
        removed = steady_state_cleanup()
        print(f"steady-state cleanup removed {removed} cache rows")
        report("steady state", path, matched)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
