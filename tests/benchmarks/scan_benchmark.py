"""A library-like first scan: the corpus files of its 20 biggest sites sent to a fresh stack with workers running.

Usage: .venv/bin/python tests/benchmarks/scan_benchmark.py [--corpus DIR] [--sites 20] [--rate 2] [--limit N]

What runs (all on 127.0.0.1): the in-project fake TPDB limited to --rate requests/s, a fresh PostgreSQL database
(or a SQLite file when PostgreSQL is not reachable), Redis as broker, cache and shared limiter (our own limiter set to
the same rate, as a user sets TPDB_RATE_LIMIT), gunicorn serving the providers and one Celery worker. The site list is
synced first (counted), then each file's match request is POSTed in order, as Plex does during a scan. Prints TPDB
calls in total and per matched file, wall time, p50/p99 match latency and how many matches needed no TPDB call.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.match_benchmark import DEFAULT_CORPUS, load_queries  # noqa: E402
from tests.fake_tpdb import Catalog, FakeTPDB  # noqa: E402

REDIS_URL = os.environ.get("SCAN_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def library_queries(corpus: Path, top_sites: int) -> list[dict[str, Any]]:
    """Queries whose answer is a scene of one of the ``top_sites`` sites with the most such queries."""
    with gzip.open(corpus / "catalog.json.gz", "rt", encoding="utf-8") as fh:
        scene_site = {s["id"]: s["site_id"] for s in json.load(fh)["scenes"]}
    queries = [q for q in load_queries(corpus) if q["gold"] and q["gold"][0].startswith("tpdb-scene-")]
    counts = collections.Counter(scene_site.get(q["gold"][0].removeprefix("tpdb-scene-")) for q in queries)
    keep = {site for site, _ in counts.most_common(top_sites)}
    return [q for q in queries if scene_site.get(q["gold"][0].removeprefix("tpdb-scene-")) in keep]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_database(tmp: str) -> str:
    try:
        import psycopg

        name = f"tpdb_scan_bench_{os.getpid()}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgres://postgres@127.0.0.1:5432/{name}"
    except Exception as exc:  # no PostgreSQL here: a SQLite file shared by web and worker
        print(f"PostgreSQL not usable ({exc.__class__.__name__}); using SQLite", file=sys.stderr)
        return f"sqlite:///{tmp}/scan.sqlite3"


def wait_for(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up")


def post(url: str, body: dict[str, Any]) -> tuple[dict[str, Any], int, float]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        payload = json.loads(response.read())
        calls = int(response.headers.get("X-TPDB-Calls", "0"))
    return payload, calls, (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--rate", type=float, default=2.0)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()

    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    queries = library_queries(args.corpus, args.sites)[: args.limit]
    port = free_port()
    procs: list[subprocess.Popen[bytes]] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeTPDB(Catalog.from_corpus(args.corpus), token="scan-token", rate=args.rate, burst=5) as fake,
    ):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tpdbprovider.settings.production",
            "DJANGO_SECRET_KEY": "scan-benchmark-secret",
            "ADMIN_USERNAME": "bench",
            "ADMIN_PASSWORD": "scan-benchmark-password",
            "DATABASE_URL": fresh_database(tmp),
            "REDIS_URL": REDIS_URL,
            "TPDB_BASE_URL": fake.base_url,
            "TPDB_API_KEY": fake.token,
            "TPDB_RATE_LIMIT": str(args.rate),
            "TPDB_RATE_BURST": "5",
            "RATE_LIMIT_DEFAULT": "1000000/min",
            "RATE_LIMIT_SEARCH": "1000000/min",
            "DJANGO_LOG_LEVEL": "WARNING",
            "HOST": "127.0.0.1",
            "PORT": str(port),
        }
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        started = time.perf_counter()
        subprocess.run([*manage, "sync_sites"], cwd=ROOT, env=env, check=True, stderr=subprocess.DEVNULL)
        sync_calls = fake.stats()["received"]
        try:
            procs.append(subprocess.Popen([*manage, "serve", "--workers", "2"], cwd=ROOT, env=env))
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "tpdbprovider", "worker", "--loglevel=WARNING", "-c", "2"],
                    cwd=ROOT,
                    env=env,
                )
            )
            wait_for(f"http://127.0.0.1:{port}/health")
            latencies, matched, local, per_request_calls = [], 0, 0, 0
            for record in queries:
                payload, calls, ms = post(
                    f"http://127.0.0.1:{port}/{record['provider']}/library/metadata/matches", record["request"]
                )
                latencies.append(ms)
                per_request_calls += calls
                local += calls == 0
                matched += bool(payload["MediaContainer"].get("Metadata"))
            time.sleep(2)  # let the worker finish what the last matches queued
            wall = time.perf_counter() - started
            stats = fake.stats()
            cache_stats = json.loads(
                subprocess.run(
                    [*manage, "cache_stats", "--json"], cwd=ROOT, env=env, capture_output=True, check=True
                ).stdout.decode()
            )
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=30)
    latencies.sort()
    total_calls = stats["received"]
    hits, loads = cache_stats["total_hits"], cache_stats["total_entries"]
    print(f"files {len(queries)} from the {args.sites} biggest sites; matched {matched}")
    print(
        f"TPDB calls: {total_calls} in total ({sync_calls} for the site sync, {per_request_calls} inside match requests,"
    )
    print(f"            the rest by the worker's prefetches); {total_calls / max(matched, 1):.2f} per matched file")
    print(f"429s from the fake: {stats['rate_limited']}")
    print(
        f"wall {wall:.1f} s; match latency p50 {statistics.median(latencies):.0f} ms, "
        f"p99 {latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]:.0f} ms"
    )
    print(f"matches answered with no TPDB call: {local}/{len(queries)} ({100 * local / max(len(queries), 1):.1f} %)")
    print(f"persistent cache: {loads} entries, {hits} hits")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
