"""Security: per-client incoming limits, a login-only admin that the provider never leaks, no default credentials
outside DEBUG, and the TPDB API key never in a response or a log line."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.fake_tpdb import Catalog, FakeTPDB
from tests.plexapi.conftest import SCENE_UUID, spec_library  # noqa: F401  (fixture)
from tpdbprovider.core.breaker import reset_breaker
from tpdbprovider.core.ratelimit import reset_limiter

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_SCENE = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"
SECRET_KEY_VALUE = "tpdb-LIVE-key-5f0c2d9e8a7b"  # distinctive: any occurrence anywhere is a leak


@pytest.fixture
def rates(settings):
    def set_rates(plex: str, plex_search: str) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"plex": plex, "plex_search": plex_search},
        }
        cache.clear()

    yield set_rates
    cache.clear()


# --- incoming throttles -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_provider_endpoint_shares_one_budget_per_client(rates):
    rates("4/min", "100/min")
    api = APIClient(REMOTE_ADDR="192.0.2.10")
    paths = ["/tv", "/movie", "/tv/library/metadata/tpdb-site-x", "/movie/library/metadata/tpdb-movie-x/images"]
    assert [api.get(path).status_code for path in paths] == [200, 200, 404, 404]
    throttled = api.get("/tv/library/metadata/tpdb-site-x/children")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert APIClient(REMOTE_ADDR="192.0.2.11").get("/tv").status_code == 200  # another client is not affected


@pytest.mark.django_db
def test_a_client_cannot_dodge_its_limit_with_a_made_up_forwarded_for(rates):
    rates("2/min", "100/min")
    api = APIClient(REMOTE_ADDR="192.0.2.20")
    statuses = [api.get("/tv", HTTP_X_FORWARDED_FOR=f"10.9.8.{n}").status_code for n in range(4)]
    assert statuses == [200, 200, 429, 429]


@pytest.mark.django_db
def test_match_requests_are_limited_per_client_on_top_of_the_general_limit(rates):
    rates("100/min", "3/min")
    body = {"type": 2, "title": ""}
    first = APIClient(REMOTE_ADDR="192.0.2.30")
    statuses = [first.post("/tv/library/metadata/matches", body, format="json").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    other = APIClient(REMOTE_ADDR="192.0.2.31")
    assert other.post("/movie/library/metadata/matches", {"type": 1}, format="json").status_code == 200


# --- the admin ----------------------------------------------------------------------------------------------------


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser("ops-owner-7731", "ops-owner-7731@example.invalid", "pw-123456789")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/", "/admin/scenes/scene/", "/admin/auth/user/", "/admin/sites/site/"])
def test_the_admin_requires_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_provider_endpoints_expose_no_admin_data(client, staff, spec_library):  # noqa: F811
    client.force_login(staff)  # even a logged-in admin's session adds nothing to the provider answers
    paths = [
        "/tv",
        "/movie",
        f"/tv/library/metadata/tpdb-scene-{SCENE_UUID}",
        "/tv/library/metadata/tpdb-site-example-site?includeChildren=1",
        "/tv/library/metadata/tpdb-site-example-site/grandchildren",
        f"/movie/library/metadata/tpdb-scene-{SCENE_UUID}/images",
        "/tv/admin",
        "/tv/library/metadata/..%2F..%2Fadmin",
        "/health",
    ]
    for path in paths:
        response = client.get(path)
        body = response.content.decode()
        assert response.status_code in (200, 404), path
        for secret in ("ops-owner-7731", "pbkdf2", "md5$", "sessionid", "csrftoken"):
            assert secret not in body, (path, secret)
        assert "Set-Cookie" not in response.headers, path
    schema = client.get("/api/schema/").content.decode()
    assert "/admin" not in schema


# --- no default credentials outside DEBUG -------------------------------------------------------------------------


def _production(command: list[str], **overrides: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TPDB_", "ADMIN_", "DJANGO_", "DEBUG"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tpdbprovider.settings.production",
            "DJANGO_SECRET_KEY": "s" * 50,
            "ADMIN_USERNAME": "admin",
            "DATABASE_URL": "sqlite:///:memory:",
            **overrides,
        }
    )
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [[sys.executable, "manage.py", "check"], [sys.executable, "-c", "import tpdbprovider.wsgi"]],
    ids=["manage-check", "wsgi-import"],
)
def test_production_refuses_to_start_with_the_default_admin_password(command):
    refused = _production(command, ADMIN_PASSWORD="admin")
    assert refused.returncode != 0
    assert "ADMIN_PASSWORD" in refused.stderr
    started = _production(command, ADMIN_PASSWORD="a-long-real-password")
    assert started.returncode == 0, started.stderr[-2000:]


# --- the API key never leaks --------------------------------------------------------------------------------------


@pytest.fixture
def keyed_tpdb(settings):
    """A fake TPDB that only accepts SECRET_KEY_VALUE, which the settings hand to the client."""
    with FakeTPDB(Catalog.from_fixtures(), token=SECRET_KEY_VALUE) as fake:
        settings.TPDB_BASE_URL = fake.base_url
        settings.TPDB_API_KEY = SECRET_KEY_VALUE
        settings.TPDB_MAX_RETRIES = 1
        settings.TPDB_WEB_BUDGET_S = 1.0
        settings.TPDB_RATE_LIMIT = 1000.0
        settings.TPDB_RATE_BURST = 1000
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"plex": "100000/min", "plex_search": "100000/min"},
        }
        reset_limiter()
        reset_breaker()
        cache.clear()
        yield fake
    reset_breaker()
    reset_limiter()


@pytest.mark.django_db
def test_the_api_key_never_appears_in_a_response_or_a_log_line(keyed_tpdb, settings, caplog):
    api = APIClient()
    match = {"type": 4, "grandparentTitle": "Sample Studio Two", "date": "2022-02-14", "title": "Rainy Day"}
    responses = []
    caplog.set_level(logging.DEBUG)

    def scenario() -> None:
        responses.append(api.get(f"/tv/library/metadata/tpdb-scene-{FIXTURE_SCENE}"))  # fetched with the key
        responses.append(api.get("/tv/library/metadata/tpdb-scene-00000000-0000-4000-8000-00000000dead"))  # 404
        responses.append(api.post("/tv/library/metadata/matches", match, format="json"))
        responses.append(api.get("/health"))

    scenario()
    for fault in ({"status": 500}, {"html": True}, {"force_429": True, "retry_after": 1}, {"latency_s": 0.3}):
        settings.TPDB_READ_TIMEOUT_S = 0.1
        keyed_tpdb.set_faults(**fault)
        reset_breaker()
        scenario()
        keyed_tpdb.reset()
    settings.TPDB_API_KEY = "a-wrong-key-but-the-right-one-must-not-show"  # 401 from TPDB
    reset_breaker()
    responses.append(api.get("/tv/library/metadata/tpdb-scene-11111111-2222-4333-8444-555555555555"))
    keyed_tpdb.pause()
    settings.TPDB_API_KEY = SECRET_KEY_VALUE
    reset_breaker()
    scenario()

    statuses = {r.status_code for r in responses}
    assert {200, 404, 503} <= statuses  # the scenario did reach the success and the error paths
    assert any(r.levelno >= logging.WARNING and r.name.startswith("tpdbprovider.tpdb") for r in caplog.records)
    for response in responses:
        assert SECRET_KEY_VALUE not in response.content.decode(errors="replace")
        assert SECRET_KEY_VALUE not in str(response.headers)
    for record in caplog.records:
        text = record.getMessage() + repr(record.__dict__) + (str(record.exc_info) if record.exc_info else "")
        assert SECRET_KEY_VALUE not in text, record.name
    assert SECRET_KEY_VALUE not in caplog.text
