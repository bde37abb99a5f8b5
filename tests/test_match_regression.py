"""Accuracy floor on a fixed subset of the dev match corpus, end to end through the matches endpoints.

The corpus (tests/fixtures/match-corpus, a copy of the shared dev corpus v2: nine naming families) is served by the
in-project fake TPDB over HTTP; the database starts empty, so site sync, retrieval, scoring and the abstain rule are
all exercised. The floors sit a little below the figures measured on this subset when they were set (see the README's
"Measured accuracy"); never tune on query ids.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.benchmarks.match_benchmark import DEFAULT_CORPUS, load_queries, run_benchmark
from tests.fake_tpdb import Catalog, FakeTPDB

pytestmark = pytest.mark.slow
EVERY = 10  # every 10th query: 300 of the 3,000, all nine naming families


@pytest.fixture(scope="module")
def corpus_catalog() -> Catalog:
    return Catalog.from_corpus(DEFAULT_CORPUS)


@pytest.mark.django_db
def test_the_matcher_holds_its_accuracy_floors_on_the_regression_subset(settings, corpus_catalog):
    with FakeTPDB(corpus_catalog, token="regression-token") as fake:
        settings.TPDB_BASE_URL = fake.base_url
        settings.TPDB_API_KEY = fake.token
        settings.TPDB_RATE_LIMIT = 10000.0
        settings.TPDB_RATE_BURST = 10000
        unthrottled = {"plex": "1000000/min", "plex_search": "1000000/min"}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": unthrottled}
        summary = run_benchmark(load_queries(DEFAULT_CORPUS, every=EVERY), fake=fake)
    if report := os.environ.get("MATCH_REGRESSION_REPORT"):
        with open(report, "w", encoding="utf-8") as fh:
            json.dump({k: v for k, v in summary.items() if k != "rows"}, fh, indent=2)

    overall = summary["overall"]
    assert overall["queries"] == 300
    assert summary["errors"] == 0
    assert overall["wrong_match_rate"] <= 0.5
    assert overall["false_accept_rate"] <= 1.0
    assert overall["precision_at_1"] >= 99.0
    assert overall["recall_at_1"] >= RECALL_FLOOR
    assert overall["recall_of_answerable"] >= ANSWERABLE_FLOOR
    for name, rates in summary["by"].items():
        assert rates["wrong_match_rate"] <= 1.0, name
    for pattern, floor in FAMILY_RECALL_FLOORS.items():
        assert summary["by"][f"pattern:{pattern}"]["recall_at_1"] >= floor, pattern
    assert summary["tpdb_calls_per_query"] <= CALLS_CEILING


# Measured on this subset (2026-12-01, PostgreSQL and SQLite): recall@1 83.3, of answerable 92.9, wrong 0, 1.17 calls.
RECALL_FLOOR = 80.0
ANSWERABLE_FLOOR = 90.0
# Per family (10 to 93 queries each here, so a few points below the measured figure).
FAMILY_RECALL_FLOORS = {
    "P1": 85.0,  # 88.2
    "P2": 89.0,  # 92.6
    "P3": 83.0,  # 86.7
    "P4": 55.0,  # 63.0
    "P5": 33.0,  # 46.7
    "P6": 86.0,  # 93.3
    "P7": 66.0,  # 75.0
    "P8": 75.0,  # 80.4
    "P9": 90.0,  # 100
}
CALLS_CEILING = 1.25
