"""Load-benchmark settings: production settings plus a URLconf with a bare comparison endpoint (never in the product)."""

from tpdbprovider.settings.production import *  # noqa: F403
from tpdbprovider.settings.production import REST_FRAMEWORK

ROOT_URLCONF = "tests.benchmarks.bench_urls"
# One loopback client sends every request: lift our incoming limits (the throttle still runs, so its cost counts).
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"plex": "100000000/min", "plex_search": "100000000/min"},
}
