"""Where a cached Plex answer's time goes: run by load_bench.py in a child process with the benchmark's environment.

Usage (load_bench.py does this): python tests/benchmarks/hit_path.py METADATA_PATH 'POST<TAB>PATH<TAB>BODY'

In one process, through Django's test client (no HTTP), it times the bare endpoint and a cached metadata and match
answer, then the metadata answer again with parts switched off one by one: the request log line, the throttle (one
Redis round trip) and the response cache's generation read (another). Each figure is the best of 3 runs of N requests; prints JSON.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _best_us(request: Callable[[], Any], count: int = 2000) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(count):
            request()
        best = min(best, (time.perf_counter() - started) / count * 1e6)
    return round(best, 1)


def main(argv: list[str]) -> int:
    import django

    django.setup()
    from django.test import Client

    from plexapi import responsecache, throttles

    metadata_path, match_line = argv
    _, match_path, match_body = match_line.split("\t")
    client = Client()

    def metadata() -> Any:
        return client.get(metadata_path)

    def match() -> Any:
        return client.post(match_path, match_body, content_type="application/json")

    for warm in (metadata, match):
        warm()
        assert warm()["X-Response-Cache"] == "hit", "the answer is not cached: nothing to break down"
    report = {
        "bare_us": _best_us(lambda: client.get("/bench/bare")),
        "match_hit_us": _best_us(match),
        "metadata_hit_us": _best_us(metadata),
    }
    logging.disable(logging.CRITICAL)
    report["metadata_hit_without_log_line_us"] = _best_us(metadata)
    throttles.PlexRateThrottle.allow_request = lambda self, request, view: True  # type: ignore[method-assign]
    report["metadata_hit_without_log_or_throttle_us"] = _best_us(metadata)
    generation = responsecache.current_generation()
    responsecache.current_generation = lambda: generation
    report["metadata_hit_without_log_throttle_or_generation_us"] = _best_us(metadata)
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
