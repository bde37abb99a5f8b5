"""A first scan as a user runs it: corpus files sent to a freshly started service, every setting as shipped.

Usage: .venv/bin/python tests/benchmarks/scan_benchmark.py [--stack embedded|full] [--clients 1] [--corpus DIR]
       [--sites 20 | --sites 0] [--rate 4] [--limit N] [--settle 120] [--list-tags] [--log-out FILE]
       [--order path|corpus] [--json OUT]

What runs (all on 127.0.0.1): the in-project fake TPDB, answering 429 above --rate calls/s; then either the embedded
default (`manage.py serve` on a fresh SQLite file, no Redis: one process with the task thread and beat) or the full
stack (gunicorn, one Celery worker, Redis as broker, cache and shared limiter, a fresh PostgreSQL database). Nothing
is synced beforehand: the service's start-up work queues TPDB's site list, as on a user's first start. Each file's
match is POSTed and what matched is read back (``--clients`` at once, as Plex's scanner does). Prints answers by
status (5xx, our 429s), TPDB calls per matched file and TPDB's 429s, wall time, p50/p99 match latency, the share of
matches that needed no TPDB call, and error lines in the server log. TPDB's calls are split by kind (searches, catalog
pages, detail completions, the site list) and set against the physical limit of that scan: the pages of the sites
involved (100 scenes a page) plus the site list's pages. After the scan it waits (``--settle`` seconds at most) until
the background work it queued is done, and prints the calls again: what the scan cost, all told. ``--list-tags``
serves list items with their tags, as the real 2023 captures show (tpdb-fixtures/real/): a stored list item is then
complete and Plex's read of it needs no detail call; without it, the documented thinner list form (no tags).
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.match_benchmark import DEFAULT_CORPUS, load_queries  # noqa: E402
from tests.fake_tpdb import Catalog, FakeTPDB  # noqa: E402

REDIS_URL = os.environ.get("SCAN_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
PAGE_SIZE = 100  # scenes per catalog page (scenes.catalog.PAGE_SIZE)
NO_ANSWER = 0  # the status counted for a request the service did not answer within 120 s


def physical_limit(corpus: Path, queries: list[dict[str, Any]]) -> tuple[int, int, int]:
    """(sites involved, their catalog pages, site-list pages): the fewest calls that store every scene they have."""
    with gzip.open(corpus / "catalog.json.gz", "rt", encoding="utf-8") as fh:
        raw = json.load(fh)
    scene_site = {s["id"]: s["site_id"] for s in raw["scenes"]}
    per_site = collections.Counter(scene_site.values())
    involved = {scene_site.get(q["gold"][0].removeprefix("tpdb-scene-")) for q in queries if q["gold"]} - {None}
    pages = sum(-(-per_site[site] // PAGE_SIZE) for site in involved)
    return len(involved), pages, -(-len(raw.get("sites", ())) // PAGE_SIZE)


def calls_by_kind(fake: FakeTPDB) -> collections.Counter[str]:
    kinds: collections.Counter[str] = collections.Counter()
    for record in fake.requests:
        if record.path == "/scenes" and "site_id=" in record.query:
            kinds["catalog pages"] += 1
        elif record.path in ("/scenes", "/movies", "/jav"):
            kinds["searches"] += 1
        elif record.path.startswith(("/scenes/", "/movies/", "/jav/")):
            kinds["details"] += 1
        elif record.path.startswith("/sites"):
            kinds["sites"] += 1
        else:
            kinds["other"] += 1
    return kinds


def settle(fake: FakeTPDB, quiet_s: float, max_s: float) -> float:
    """Wait until TPDB has heard nothing for ``quiet_s`` (the queued background work is done), ``max_s`` at most."""
    started = time.monotonic()
    last, last_change = fake.stats()["received"], time.monotonic()
    while time.monotonic() - started < max_s and time.monotonic() - last_change < quiet_s:
        time.sleep(0.5)
        now = fake.stats()["received"]
        if now != last:
            last, last_change = now, time.monotonic()
    return time.monotonic() - started


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


def call(url: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any], int, float]:
    """(status, JSON body, X-TPDB-Calls, ms); an HTTP error status is returned, not raised."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            status, raw, calls = response.status, response.read(), response.headers.get("X-TPDB-Calls", "0")
    except urllib.error.HTTPError as exc:
        status, raw, calls = exc.code, exc.read(), exc.headers.get("X-TPDB-Calls", "0")
    except (TimeoutError, urllib.error.URLError) as exc:  # no answer in 120 s (or none at all): counted, not fatal
        print(f"no answer from {url}: {exc}", file=sys.stderr)
        status, raw, calls = NO_ANSWER, b"", "0"
    ms = (time.perf_counter() - started) * 1000
    try:
        payload = json.loads(raw or b"{}")
    except ValueError:
        payload = {}
    return status, payload, int(calls or 0), ms


def stack_env(args: argparse.Namespace, tmp: str, fake: FakeTPDB, port: int) -> dict[str, str]:
    """The embedded default with every setting as shipped, or the full stack (Redis, PostgreSQL, a worker)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TPDB_", "PLEX_", "RATE_LIMIT"))},
        "DJANGO_SETTINGS_MODULE": "tpdbprovider.settings.production",
        "DJANGO_SECRET_KEY": "scan-benchmark-secret",
        "ADMIN_USERNAME": "bench",
        "ADMIN_PASSWORD": "Scan-benchmark-password-9",
        "TPDB_BASE_URL": fake.base_url,
        "TPDB_API_KEY": fake.token,
        "DJANGO_LOG_LEVEL": "WARNING",
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    if args.stack == "embedded":
        return {**env, "DATABASE_URL": f"sqlite:///{tmp}/scan.sqlite3", "REDIS_URL": ""}
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    return {**env, "DATABASE_URL": fresh_database(tmp), "REDIS_URL": REDIS_URL}


def scan(base: str, queries: list[dict[str, Any]], clients: int) -> dict[str, Any]:
    """Send each file's match, then read what matched, from ``clients`` threads at once, as Plex's scanner does."""
    work: queue.Queue[dict[str, Any]] = queue.Queue()
    for record in queries:
        work.put(record)
    out: dict[str, Any] = {"statuses": collections.Counter(), "latencies": [], "calls": 0, "local": 0, "matched": 0}
    out.update(right=0, keys={}, files=[])  # keys: each matched ratingKey and its provider
    lock = threading.Lock()

    def client() -> None:
        while True:
            try:
                record = work.get_nowait()
            except queue.Empty:
                return
            provider = record["provider"]
            status, payload, calls, ms = call(f"{base}/{provider}/library/metadata/matches", record["request"])
            found = (payload.get("MediaContainer") or {}).get("Metadata") or [] if status == 200 else []
            reads = [call(f"{base}/{provider}/library/metadata/{found[0]['ratingKey']}")] if found else []
            with lock:
                out["files"].append(
                    {
                        "qid": record["qid"],
                        "pattern": record["pattern"],
                        "status": status,
                        "calls": calls,
                        "ms": ms,
                        "found": found[0]["ratingKey"] if found else None,
                        "gold": record["gold"],
                    }
                )
                out["statuses"][status] += 1
                out["latencies"].append(ms)
                out["calls"] += calls
                out["local"] += status == 200 and calls == 0
                out["matched"] += bool(found)
                out["right"] += bool(found) and found[0]["ratingKey"] in record["gold"]
                if found:
                    out["keys"][found[0]["ratingKey"]] = provider
                for read_status, _, read_calls, _ in reads:
                    out["statuses"][read_status] += 1
                    out["calls"] += read_calls

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--sites", type=int, default=20, help="files of the N biggest sites; 0 = every query")
    parser.add_argument("--rate", type=float, default=4.0, help="the fake TPDB answers 429 above this many calls/s")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--clients", type=int, default=1, help="requests Plex sends at once")
    parser.add_argument("--stack", choices=("embedded", "full"), default="full")
    parser.add_argument("--settle", type=float, default=120.0, help="most seconds to wait for background work after")
    parser.add_argument("--log-out", type=Path, default=None, help="keep the server log here")
    parser.add_argument(
        "--order", choices=("path", "corpus"), default="path", help="files by path (as a scan walks them) or shuffled"
    )
    parser.add_argument("--json", type=Path, default=None, help="write each file's answer here (one JSON per line)")
    parser.add_argument(
        "--list-tags", action="store_true", help="TPDB's list items carry tags, as the real 2023 captures show"
    )
    args = parser.parse_args()

    queries = (library_queries(args.corpus, args.sites) if args.sites else load_queries(args.corpus))[: args.limit]
    if args.order == "path":  # Plex's scanner walks the library folder by folder, files in name order
        queries.sort(key=lambda q: str(q["request"].get("filename") or q.get("raw_path") or "").casefold())
    port = free_port()
    procs: list[subprocess.Popen[bytes]] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeTPDB(
            Catalog.from_corpus(args.corpus, list_tags=args.list_tags), token="scan-token", rate=args.rate
        ) as fake,
    ):
        env = stack_env(args, tmp, fake, port)
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        log_path = Path(tmp) / "server.log"
        started = time.perf_counter()
        with log_path.open("wb") as log:
            try:
                # As a user starts it: nothing synced beforehand, the start-up work queues the site list.
                procs.append(subprocess.Popen([*manage, "serve"], cwd=ROOT, env=env, stdout=log, stderr=log))
                if args.stack == "full":
                    worker = [sys.executable, "-m", "celery", "-A", "tpdbprovider", "worker", "--loglevel=WARNING"]
                    procs.append(subprocess.Popen([*worker, "-c", "2"], cwd=ROOT, env=env, stdout=log, stderr=log))
                wait_for(f"http://127.0.0.1:{port}/health")
                out = scan(f"http://127.0.0.1:{port}", queries, args.clients)
                wall = time.perf_counter() - started
                stats, kinds = fake.stats(), calls_by_kind(fake)
                settled_s = settle(fake, quiet_s=75.0, max_s=args.settle)  # details follow a minute after their read
                settled, settled_kinds = fake.stats(), calls_by_kind(fake)
            finally:
                for proc in procs:
                    proc.terminate()
                for proc in procs:
                    proc.wait(timeout=30)
        log_text = log_path.read_text(errors="replace")
        if args.log_out:
            args.log_out.write_text(log_text)
    if args.json:
        args.json.write_text("".join(json.dumps(row) + "\n" for row in out["files"]))
    latencies = sorted(out["latencies"])
    statuses = out["statuses"]
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    logged_errors = sum(1 for line in log_text.splitlines() if '"level": "ERROR"' in line or "Traceback" in line)
    matched = out["matched"]
    sites, pages, site_pages = physical_limit(args.corpus, queries)
    with_gold = sum(1 for q in queries if q["gold"])
    print(
        f"stack {args.stack}, {args.clients} client(s) at once, files in {args.order} order, "
        f"fake TPDB 429s above {args.rate:g} calls/s, "
        f"list items {'with tags (real 2023 shape)' if args.list_tags else 'without tags (documented shape)'}"
    )
    print(
        f"files {len(queries)}; matched {matched}, right {out['right']}; recall {out['right'] / max(with_gold, 1):.3f}"
    )
    print(
        f"answers by status: {dict(sorted(statuses.items()))}; 5xx {server_errors}, 429 (ours) {statuses[429]}, "
        f"no answer within 120 s {statuses[NO_ANSWER]}"
    )
    print(
        f"TPDB calls during the scan: {stats['received']} ({out['calls']} inside Plex requests), "
        f"{stats['received'] / max(matched, 1):.2f} per matched file; 429s from TPDB {stats['rate_limited']}"
    )
    print(f"            by kind: {dict(sorted(kinds.items()))}")
    print(
        f"TPDB calls all told (background settled {settled_s:.0f} s later): {settled['received']}, "
        f"{settled['received'] / max(matched, 1):.2f} per matched file; 429s from TPDB {settled['rate_limited']}"
    )
    print(f"            by kind: {dict(sorted(settled_kinds.items()))}")
    print(
        f"physical limit: {sites} sites, {pages} catalog pages + {site_pages} site-list pages = {pages + site_pages} "
        f"calls, {(pages + site_pages) / max(matched, 1):.2f} per matched file"
    )
    print(
        f"wall {wall:.1f} s; match latency p50 {statistics.median(latencies):.0f} ms, "
        f"p99 {latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]:.0f} ms"
    )
    print(
        f"            slowest: {', '.join(f'{ms / 1000:.1f}' for ms in latencies[-5:])} s; over 10 s: "
        f"{sum(ms > 10_000 for ms in latencies)}"
    )
    local = out["local"]
    print(f"matches answered with no TPDB call: {local}/{len(queries)} ({100 * local / max(len(queries), 1):.1f} %)")
    print(f"server log: {logged_errors} error lines, 'database is locked' {log_text.count('database is locked')} times")
    for line in [line for line in log_text.splitlines() if '"level": "ERROR"' in line][:3]:
        print(f"            {line[:400]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
