"""Load benchmark: gunicorn serving the product (production settings) vs a bare DRF endpoint in the same process.

Usage: .venv/bin/python tests/benchmarks/load_bench.py [--duration 10] [--workers 2] [--threads 4] [--connections 8]
                                                       [--queries 300] [--sqlite] [--redis-url URL | --no-redis]
                                                       [--json OUT]

Needs ``wrk`` (Debian: ``apt-get install -y wrk``) and, unless --sqlite, the local PostgreSQL on 127.0.0.1:5432
(database ``tpdbprovider_bench`` is dropped and recreated); by default the full stack's Redis too (database 14 of
127.0.0.1:6379 is flushed): throttle counters, the response cache generation and the limiter live there, as in
production. Everything runs on loopback:

1. the fake TPDB serves the match corpus; ``migrate`` and ``sync_sites`` fill a fresh database;
2. gunicorn (``--workers`` x ``--threads``, settings ``tests.benchmarks.bench_settings``) starts, the first
   ``--queries`` corpus match requests are POSTed twice and each matched item's metadata is read once, so answers
   are in the database and the caches;
3. per scenario, unmeasured wrk passes of ``--warmup`` seconds until under 1 % of answers miss the response cache
   (every worker process holds its own), then
   ``--duration`` seconds measured with the same connections: the bare endpoint, the provider root (``GET /tv``),
   warm match POSTs (corpus bodies, round robin), warm metadata GETs (episode, show, children); p50, p99 and req/s;
4. ``hit_path.py`` times, in one process without HTTP, a cached answer against the bare endpoint and with the request
   log line, the throttle round trip and the generation read switched off in turn (what bounds the ratios);
5. gunicorn is restarted, 10,000 mixed requests are sent, and each worker's VmRSS is read from /proc.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
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

from tests.fake_tpdb import Catalog, FakeTPDB  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "match-corpus"
VENV_BIN = Path(sys.executable).parent
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "tpdbprovider_bench"
GOALS = {
    "match_p50_vs_bare": 1.5,
    "metadata_rps_vs_bare": 0.6,
    "match_p50_vs_root": 3.0,
    "metadata_p50_vs_root": 2.0,
    "p99_ms": 100,
    "worker_rss_mb": 200,
}

LUA = """
local items = {}
for line in io.lines("%s") do
  local method, path, body = line:match("^(%%u+)\\t([^\\t]*)\\t?(.*)$")
  items[#items + 1] = {method, path, body}
end
local i = 0
init = function(args) math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) %% 1000); i = math.random(#items) end
request = function()
  i = i %% #items + 1
  local it = items[i]
  if it[1] == "POST" then
    return wrk.format("POST", it[2], {["Content-Type"] = "application/json"}, it[3])
  end
  return wrk.format("GET", it[2])
end
hits, misses = 0, 0
response = function(status, headers, body)
  local state = headers["X-Response-Cache"]
  if state == "hit" then hits = hits + 1 elseif state == "miss" then misses = misses + 1 end
end
local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local h, m = 0, 0
  for _, t in ipairs(threads) do h = h + t:get("hits"); m = m + t:get("misses") end
  io.write(string.format("response-cache hits %%d misses %%d\\n", h, m))
end
"""


def _http(base: str, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}{path}", data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, None


def _prepare_database(tmp: Path, use_sqlite: bool) -> str:
    if use_sqlite:
        return f"sqlite:///{tmp / 'bench.sqlite3'}"
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_BENCH_DB}"')
    return f"postgres://postgres@127.0.0.1:5432/{PG_BENCH_DB}"


def _prepare_redis(redis_url: str) -> str:
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
    return redis_url


def _environment(database_url: str, redis_url: str, fake: FakeTPDB) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TPDB_", "DJANGO_", "ADMIN_", "REDIS_", "CACHE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.benchmarks.bench_settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(40),
        ADMIN_USERNAME="bench",
        ADMIN_PASSWORD=secrets.token_urlsafe(18),
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        TPDB_BASE_URL=fake.base_url,
        TPDB_API_KEY=fake.token,
        TPDB_RATE_LIMIT="1000",
        TPDB_RATE_BURST="1000",
        PYTHONPATH=str(ROOT),
    )
    return env


class Gunicorn:
    def __init__(self, env: dict[str, str], port: int, workers: int, threads: int, log: Path) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self._cmd = [
            str(VENV_BIN / "gunicorn"),
            "tpdbprovider.wsgi:application",
            f"--workers={workers}",
            f"--threads={threads}",
            f"--bind=127.0.0.1:{port}",
            "--timeout=120",
        ]
        self._env, self._log = env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Gunicorn:
        with self._log.open("ab") as log:
            self.proc = subprocess.Popen(self._cmd, cwd=ROOT, env=self._env, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if _http(self.base, "GET", "/health")[0] in (200, 503) and len(self.worker_pids()) > 0:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not start; see {self._log}")

    def worker_pids(self) -> list[int]:
        assert self.proc is not None
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def warm(base: str, queries: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """POST every query twice and GET every item they matched (fill database and caches); return the match lines
    and the metadata paths."""
    match_lines, metadata_paths = [], set()
    for _ in range(2):
        for query in queries:
            path = f"/{query['provider']}/library/metadata/matches"
            status, body = _http(base, "POST", path, query["request"])
            if status != 200:
                continue
            for item in body["MediaContainer"]["Metadata"]:
                provider = query["provider"]
                metadata_paths.add(f"/{provider}/library/metadata/{item['ratingKey']}")
                if item.get("grandparentRatingKey"):
                    metadata_paths.add(f"/tv/library/metadata/{item['grandparentRatingKey']}")
                    metadata_paths.add(f"/tv/library/metadata/{item['grandparentRatingKey']}/children")
                    metadata_paths.add(f"/tv/library/metadata/{item['parentRatingKey']}/children")
    for path in sorted(metadata_paths):  # Plex reads each matched item once (this completes search-stored rows)
        _http(base, "GET", path)
    for query in queries:
        body = json.dumps(query["request"], separators=(",", ":"))
        match_lines.append(f"POST\t/{query['provider']}/library/metadata/matches\t{body}")
    return match_lines, sorted(metadata_paths)


def settle(fake: FakeTPDB, quiet_s: float = 3.0, limit_s: float = 120.0) -> None:
    """Wait until background prefetches stop calling TPDB, so they do not run during a measurement."""
    deadline = time.monotonic() + limit_s
    last, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = fake.stats()["received"]
        if count != last:
            last, quiet_since = count, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_s:
            return
        time.sleep(0.2)


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(base: str, lines: list[str], tmp: Path, name: str, *, duration_s: int, connections: int) -> dict[str, Any]:
    items = tmp / f"{name}.tsv"
    items.write_text("\n".join(lines) + "\n", encoding="utf-8")
    script = tmp / f"{name}.lua"
    script.write_text(LUA % items, encoding="utf-8")
    threads = min(connections, 2)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration_s}s", "--latency", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    latency = {
        m[0]: float(m[1]) * _UNITS_MS[m[2]] for m in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    }
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    cache_counts = re.search(r"response-cache hits (\d+) misses (\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "p50_ms": latency.get("50"),
        "p99_ms": latency.get("99"),
        "rps": rps,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(0) if errors else "",
        "response_cache": {"hits": int(cache_counts.group(1)), "misses": int(cache_counts.group(2))}
        if cache_counts
        else None,
    }


def warm_up(base: str, lines: list[str], tmp: Path, name: str, args: argparse.Namespace) -> int:
    """Unmeasured wrk passes of ``--warmup`` seconds until under 1 % of answers miss the response cache (every worker
    process holds its own; at most 10 passes). Returns the number of passes."""
    for passes in range(1, 11):
        result = wrk(base, lines, tmp, name, duration_s=args.warmup, connections=args.connections)
        counts = result["response_cache"] or {"hits": 0, "misses": 0}
        if counts["misses"] <= 0.01 * (counts["hits"] + counts["misses"]):
            return passes
    return passes


def mixed_requests(base: str, lines: list[str], total: int, threads: int) -> dict[str, int]:
    """Send exactly ``total`` requests from ``threads`` threads, cycling through ``lines``; count statuses."""
    counts: dict[str, int] = {}
    lock = threading.Lock()
    next_index = iter(range(total))

    def run() -> None:
        for i in next_index:
            method, path, *rest = lines[i % len(lines)].split("\t")
            status, _ = _http(base, method, path, json.loads(rest[0]) if rest and rest[0] else None)
            with lock:
                counts[str(status)] = counts.get(str(status), 0) + 1

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--mixed", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--warmup", type=int, default=3, help="seconds of each unmeasured warm-up pass")
    parser.add_argument("--sqlite", action="store_true", help="SQLite file instead of the local PostgreSQL")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="flushed first")
    parser.add_argument("--no-redis", action="store_true", help="no REDIS_URL: locmem cache per worker")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        sys.stderr.write("wrk not found: apt-get install -y wrk\n")
        return 2

    tmp = Path(tempfile.mkdtemp(prefix="tpdb-load-"))
    queries = [json.loads(line) for line in (CORPUS / "queries.jsonl").read_text().splitlines() if line.strip()]
    queries = queries[: args.queries]
    report: dict[str, Any] = {"config": {k: v for k, v in vars(args).items() if k != "json"}}
    with FakeTPDB(Catalog.from_corpus(CORPUS), token="bench-token") as fake:
        redis_url = "" if args.no_redis else _prepare_redis(args.redis_url)
        env = _environment(_prepare_database(tmp, args.sqlite), redis_url, fake)
        report["config"]["database"] = env["DATABASE_URL"].split("://")[0]
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([*manage, "sync_sites"], cwd=ROOT, env=env, check=True, capture_output=True)
        log = tmp / "gunicorn.log"
        server_args = (env, args.port, args.workers, args.threads, log)
        with Gunicorn(*server_args) as server:
            started = time.monotonic()
            match_lines, metadata_paths = warm(server.base, queries)
            settle(fake)
            report["warm"] = {"queries": len(queries), "metadata_paths": len(metadata_paths)}
            report["warm"]["seconds"] = round(time.monotonic() - started, 1)
            metadata_lines = [f"GET\t{p}" for p in metadata_paths]
            tpdb_before = fake.stats()["received"]
            scenarios = {
                "bare": ["GET\t/bench/bare"],
                "root": ["GET\t/tv"],  # the provider root: the whole product's stack, no item behind it
                "match": match_lines,
                "metadata": metadata_lines,
            }
            for name, lines in scenarios.items():
                report.setdefault("warmup_passes", {})[name] = warm_up(server.base, lines, tmp, name, args)
                report[name] = wrk(
                    server.base, lines, tmp, name, duration_s=args.duration, connections=args.connections
                )
                print(name, report[name], flush=True)
            report["tpdb_calls_during_load"] = fake.stats()["received"] - tpdb_before

        scene_paths = [p for p in metadata_paths if "tpdb-scene-" in p] or metadata_paths
        with (tmp / "hit_path.log").open("w") as hit_log:  # logs go to a file, as gunicorn's do
            breakdown = subprocess.run(
                [sys.executable, str(Path(__file__).with_name("hit_path.py")), scene_paths[0], match_lines[0]],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=hit_log, text=True, check=True,
            )  # fmt: skip
        report["hit_path_us"] = json.loads(breakdown.stdout.strip().splitlines()[-1])
        print("hit_path_us", report["hit_path_us"], flush=True)

        with Gunicorn(*server_args) as server:
            report["memory"] = {"rss_mb_at_start": {p: round(rss_mb(p), 1) for p in server.worker_pids()}}
            mixed = match_lines[:100] + metadata_lines + ["GET\t/bench/bare", "GET\t/tv", "GET\t/health"]
            report["memory"]["statuses"] = mixed_requests(server.base, mixed, args.mixed, args.connections)
            report["memory"]["rss_mb_after"] = {p: round(rss_mb(p), 1) for p in server.worker_pids()}
            report["memory"]["requests"] = args.mixed

    bare, root, match, metadata = report["bare"], report["root"], report["match"], report["metadata"]
    report["ratios"] = {
        "match_p50_vs_bare": round(match["p50_ms"] / bare["p50_ms"], 2),
        "metadata_rps_vs_bare": round(metadata["rps"] / bare["rps"], 2),
        "match_p50_vs_root": round(match["p50_ms"] / root["p50_ms"], 2),
        "metadata_p50_vs_root": round(metadata["p50_ms"] / root["p50_ms"], 2),
        "p99_ms": max(match["p99_ms"], metadata["p99_ms"]),
        "worker_rss_mb": max(report["memory"]["rss_mb_after"].values()),
    }
    report["goals"] = GOALS
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
