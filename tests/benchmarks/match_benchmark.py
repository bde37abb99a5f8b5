"""End-to-end match benchmark: the corpus's Plex requests POSTed to the real matches endpoints, TPDB faked over HTTP.

Usage: .venv/bin/python tests/benchmarks/match_benchmark.py --corpus DIR [--limit N] [--every K] [--json OUT]
                                                          [--rate R --burst B] [--no-sync-sites]
                                                          [--database-url URL] [--clients N]

Starts from an empty database (a temporary SQLite file, or ``--database-url`` flushed first, so retrieval is
exercised), serves the corpus catalog from tests/fake_tpdb.py,
syncs the site list the way `manage.py sync_sites` does (counted), then posts each query (in order, or spread over
``--clients`` concurrent clients as a scan with several Plex workers) and prints
precision@1, recall@1, abstain, wrong-match and false-accept rates, TPDB calls per query and latency, overall and per
pattern and library. ``run_benchmark()`` is also used by the CI regression test on a fixed subset.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DEFAULT_CORPUS = ROOT / "tests" / "fixtures" / "match-corpus"


def load_queries(corpus: Path, *, limit: int | None = None, every: int = 1) -> list[dict[str, Any]]:
    lines = (corpus / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    queries = [json.loads(line) for i, line in enumerate(lines) if line.strip() and i % every == 0]
    return queries[:limit] if limit else queries


def _rates(rows: list[dict[str, Any]]) -> dict[str, float]:
    q = len(rows)
    answered = [r for r in rows if r["answer"]]
    correct = [r for r in answered if r["answer"] in r["gold"]]
    no_gold = [r for r in rows if not r["gold"]]
    has_gold = q - len(no_gold)
    a, c = len(answered), len(correct)
    return {
        "queries": q,
        "precision_at_1": 100.0 * c / a if a else 100.0,
        "recall_at_1": 100.0 * c / q if q else 0.0,
        "recall_of_answerable": 100.0 * c / has_gold if has_gold else 0.0,
        "abstain_rate": 100.0 * (1 - a / q) if q else 0.0,
        "wrong_match_rate": 100.0 * (a - c) / q if q else 0.0,
        "false_accept_rate": 100.0 * sum(1 for r in no_gold if r["answer"]) / len(no_gold) if no_gold else 0.0,
        "utility": c - 7 * (a - c),
    }


def summarize(rows: list[dict[str, Any]], tpdb_calls: int, wall_s: float) -> dict[str, Any]:
    latencies = sorted(r["ms"] for r in rows)
    by: dict[str, dict[str, Any]] = {}
    for key in ("pattern", "library"):
        groups: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        for r in rows:
            groups[f"{key}:{r[key]}"].append(r)
        by.update({name: _rates(group) for name, group in sorted(groups.items())})
    return {
        "overall": _rates(rows),
        "by": by,
        "errors": sum(1 for r in rows if r.get("error")),
        "tpdb_calls": tpdb_calls,
        "tpdb_calls_per_query": tpdb_calls / len(rows) if rows else 0.0,
        "wall_s": wall_s,
        "latency_ms_p50": statistics.median(latencies) if latencies else 0.0,
        "latency_ms_p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0,
    }


def _post(client: Any, record: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    response = client.post(
        f"/{record['provider']}/library/metadata/matches", data=record["request"], content_type="application/json"
    )
    ms = (time.perf_counter() - t0) * 1000
    error = None
    items = []
    if response.status_code == 200:
        items = response.json()["MediaContainer"].get("Metadata") or []
    else:  # counted (and listed), not fatal: a full run still reports every figure
        error = f"HTTP {response.status_code} {response.content[:300]!r}"
    return {
        "qid": record["qid"],
        "pattern": record["pattern"],
        "library": record["library"],
        "gold": record["gold"],
        "answer": items[0]["ratingKey"] if items else None,
        "ms": ms,
        "error": error,
    }


def run_benchmark(
    queries: list[dict[str, Any]], *, fake: Any, sync_sites: bool = True, progress: bool = False, clients: int = 1
) -> dict[str, Any]:
    """Post every query to the matches endpoint of this (already configured) Django process; return the summary.

    With ``clients`` > 1 the queries are shared out over that many threads, each its own client and connection."""
    from django.db import connections
    from django.test import Client

    before = fake.stats()
    calls_before = before["received"]
    started = time.perf_counter()
    if sync_sites:
        from sites.services import sites_sync_from_tpdb

        sites_sync_from_tpdb()
    bar: Any = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(queries), unit="query", file=sys.stderr)
    local = threading.local()

    def post(record: dict[str, Any]) -> dict[str, Any]:
        if not hasattr(local, "client"):
            local.client = Client()
        row = _post(local.client, record)
        if bar is not None:
            bar.update()
        return row

    if clients <= 1:
        rows = [post(record) for record in queries]
    else:

        def close_connections() -> None:
            connections.close_all()

        with concurrent.futures.ThreadPoolExecutor(max_workers=clients) as pool:
            rows = list(pool.map(post, queries))
            list(pool.map(lambda _: close_connections(), range(clients)))
    if bar is not None:
        bar.close()
    after = fake.stats()
    routes = {
        route: count - before["by_route"].get(route, 0)
        for route, count in after["by_route"].items()
        if count > before["by_route"].get(route, 0)
    }
    summary = summarize(rows, after["received"] - calls_before, time.perf_counter() - started)
    return summary | {"tpdb_calls_by_route": routes, "rows": rows}


def configure_django(
    database_path: Path, *, fake_url: str, token: str, tpdb_rate: float | None = None, database_url: str = ""
) -> None:
    """Point a fresh process at an empty database (SQLite file, or ``database_url`` flushed) and the fake TPDB, with
    incoming throttles out of the way.

    Our own TPDB limiter runs at ``tpdb_rate`` (the fake's limit, as a user sets TPDB_RATE_LIMIT to TPDB's), or
    effectively unlimited when the fake has no limit.
    """
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "tpdbprovider.settings.production",
            "DJANGO_SECRET_KEY": "benchmark-only-secret-key",
            "ADMIN_USERNAME": "bench",
            "ADMIN_PASSWORD": "benchmark-password",
            "DATABASE_URL": database_url or f"sqlite:///{database_path}",
            "REDIS_URL": "",
            "TPDB_BASE_URL": fake_url,
            "TPDB_API_KEY": token,
            "RATE_LIMIT_DEFAULT": "1000000/min",
            "RATE_LIMIT_SEARCH": "1000000/min",
            "DJANGO_LOG_LEVEL": "WARNING",
            "TPDB_RATE_LIMIT": str(tpdb_rate or 10000),
            "TPDB_RATE_BURST": "8" if tpdb_rate else "10000",
        }
    )
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    settings.TASKS_IN_BACKGROUND_THREAD = False  # prefetches finish before the next query, as with a fast worker
    call_command("migrate", verbosity=0)
    if database_url:
        call_command("flush", interactive=False, verbosity=0)


def print_table(summary: dict[str, Any]) -> None:
    header = (
        f"{'slice':<18}{'Q':>6}{'prec@1':>9}{'rec@1':>8}{'rec|ans':>9}{'abstain':>9}{'wrong':>8}{'f-acc':>8}{'U':>7}"
    )
    print(header)
    for name, rates in [("overall", summary["overall"]), *summary["by"].items()]:
        print(
            f"{name:<18}{rates['queries']:>6}{rates['precision_at_1']:>9.2f}{rates['recall_at_1']:>8.2f}"
            f"{rates['recall_of_answerable']:>9.2f}{rates['abstain_rate']:>9.2f}{rates['wrong_match_rate']:>8.2f}"
            f"{rates['false_accept_rate']:>8.2f}{rates['utility']:>7}"
        )
    print(
        f"errors {summary['errors']}, "
        f"TPDB calls {summary['tpdb_calls']} ({summary['tpdb_calls_per_query']:.2f}/query incl. site sync), "
        f"wall {summary['wall_s']:.1f} s, latency p50 {summary['latency_ms_p50']:.1f} ms "
        f"p99 {summary['latency_ms_p99']:.1f} ms"
    )
    if summary.get("tpdb_calls_by_route"):
        print(
            "TPDB calls by route: " + ", ".join(f"{k} {v}" for k, v in sorted(summary["tpdb_calls_by_route"].items()))
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--every", type=int, default=1, help="take every K-th query (a fixed subset)")
    parser.add_argument("--json", type=Path, default=None, help="write the summary and per-query rows here")
    parser.add_argument("--rate", type=float, default=None, help="fake TPDB rate limit, requests/s (default none)")
    parser.add_argument("--burst", type=int, default=None)
    parser.add_argument("--no-sync-sites", action="store_true")
    parser.add_argument("--errors", action="store_true", help="list the wrong answers")
    parser.add_argument("--database-url", default="", help="run on this database (flushed first) instead of SQLite")
    parser.add_argument("--clients", type=int, default=1, help="concurrent clients posting the queries")
    args = parser.parse_args()

    from tests.fake_tpdb import Catalog, FakeTPDB

    queries = load_queries(args.corpus, limit=args.limit, every=args.every)
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeTPDB(Catalog.from_corpus(args.corpus), token="bench-token", rate=args.rate, burst=args.burst) as fake,
    ):
        configure_django(
            Path(tmp) / "bench.sqlite3",
            fake_url=fake.base_url,
            token="bench-token",
            tpdb_rate=args.rate,
            database_url=args.database_url,
        )
        summary = run_benchmark(
            queries, fake=fake, sync_sites=not args.no_sync_sites, progress=True, clients=args.clients
        )
    print_table(summary)
    for row in summary["rows"]:
        if row["error"]:
            print(f"ERROR {row['qid']} {row['pattern']} {row['error']}")
    if args.errors:
        for row in summary["rows"]:
            if row["answer"] and row["answer"] not in row["gold"]:
                print(f"WRONG {row['qid']} {row['pattern']} answer={row['answer']} gold={row['gold']}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
