"""Accuracy floor on a fixed subset of the dev match corpus, end to end through the matches endpoints.

The corpus (tests/fixtures/match-corpus, a copy of the shared dev corpus) is served by the in-project fake TPDB over
HTTP; the database starts empty, so site sync, retrieval, scoring and the abstain rule are all exercised. The floors
sit a little below the figures measured when they were set (see the README); never tune on query ids.
"""

from __future__ import annotations

import pytest

from tests.benchmarks.match_benchmark import DEFAULT_CORPUS, load_queries, run_benchmark
from tests.fake_tpdb import Catalog, FakeTPDB

pytestmark = pytest.mark.slow
EVERY = 7  # every 7th query: 286 of the 2,000, all five naming families


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

    overall = summary["overall"]
    assert overall["queries"] == 286
    assert overall["wrong_match_rate"] <= 0.5
    assert overall["precision_at_1"] >= 99.0
    assert overall["recall_of_answerable"] >= 88.0
    for name, rates in summary["by"].items():
        assert rates["wrong_match_rate"] <= 2.0, name
    assert summary["tpdb_calls_per_query"] <= 2.5
