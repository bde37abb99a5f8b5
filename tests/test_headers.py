"""The headers on each kind of answer: Cache-Control on provider answers and /health, a CSP on the admin, and behind
HTTPS secure cookies, HSTS and a redirect that leaves Plex alone; `check --deploy` is clean with HTTPS on."""

from __future__ import annotations

import importlib
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import clear_url_caches
from rest_framework.test import APIClient

from tests.plexapi.conftest import SCENE_UUID, spec_library  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_a_provider_answer_says_how_long_plex_or_a_proxy_may_keep_it(spec_library, settings):  # noqa: F811
    api = APIClient()
    for path in ("/tv", "/movie", f"/tv/library/metadata/tpdb-scene-{SCENE_UUID}"):
        response = api.get(path)
        assert response.status_code == 200, path
        assert response["Cache-Control"] == "max-age=300", path
        assert "Content-Security-Policy" not in response.headers
    settings.PLEX_CACHE_MAX_AGE_S = 0
    assert api.get("/tv")["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_a_provider_error_is_never_kept(settings):
    api = APIClient()
    missing = api.get("/tv/library/metadata/tpdb-site-not-a-site")
    assert missing.status_code == 404
    assert missing["Cache-Control"] == "no-store"
    assert api.get("/tv/no/such/path")["Cache-Control"] == "no-store"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"plex": "1/min"}}
    cache.clear()
    api.get("/movie")
    throttled = api.get("/movie")
    assert throttled.status_code == 429
    assert throttled["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_health_is_never_kept():
    response = APIClient().get("/health")
    assert response["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" not in response.headers


@pytest.mark.django_db
def test_admin_pages_carry_a_content_security_policy_and_are_not_cached(client):
    login = client.get("/admin/login/")
    assert login.status_code == 200
    policy = login["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"):
        assert directive in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "no-store" in login["Cache-Control"]
    client.force_login(get_user_model().objects.create_superuser("owner", "o@example.invalid", "Long-enough-pw-1"))
    index = client.get("/admin/")
    assert index.status_code == 200
    assert index["Content-Security-Policy"] == policy


@pytest.mark.django_db
def test_the_schema_and_its_docs_can_be_turned_off(settings, client):
    import tpdbprovider.urls

    assert client.get("/api/schema/").status_code == 200
    settings.API_SCHEMA_ENABLED = False
    importlib.reload(tpdbprovider.urls)
    clear_url_caches()
    try:
        assert client.get("/api/schema/").status_code == 404
        assert client.get("/api/docs/").status_code == 404
        assert client.get("/tv").status_code == 200
    finally:
        settings.API_SCHEMA_ENABLED = True
        importlib.reload(tpdbprovider.urls)
        clear_url_caches()


def _production(code: list[str], **overrides: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TPDB_", "ADMIN_", "DJANGO_", "DEBUG"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tpdbprovider.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "ADMIN_USERNAME": "owner",
            "ADMIN_PASSWORD": "a-long-real-password",
            "DATABASE_URL": "sqlite:///:memory:",
            **overrides,
        }
    )
    return subprocess.run(
        [sys.executable, *code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.slow
def test_check_deploy_is_clean_with_https_on():
    result = _production(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], DJANGO_HTTPS="true")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    off = _production(["manage.py", "check", "--deploy"], DJANGO_HTTPS="false")
    assert {"security.W004", "security.W008", "security.W012", "security.W016"} <= set(
        word.strip(":()") for word in (off.stdout + off.stderr).split()
    )


_PROBE = """
import json, django
django.setup()
from django.test import Client
c = Client()
def seen(r):
    return {"status": r.status_code, "location": r.get("Location", ""), "hsts": r.get("Strict-Transport-Security", ""),
            "cookies": {k: bool(v["secure"]) for k, v in r.cookies.items()}}
print(json.dumps({
    "plain_admin": seen(c.get("/admin/login/")),
    "https_admin": seen(c.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR="192.0.2.5")),
    "plain_tv": seen(c.get("/tv")),
}))
"""


@pytest.mark.slow
def test_behind_an_https_proxy_the_admin_gets_hsts_and_secure_cookies_while_plex_keeps_plain_http():
    result = _production(["-c", _PROBE], DJANGO_HTTPS="true", DJANGO_NUM_PROXIES="1")
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plain_admin"]["status"] == 301
    assert seen["plain_admin"]["location"].startswith("https://")
    https = seen["https_admin"]
    assert https["status"] == 200
    assert https["hsts"].startswith("max-age=31536000")
    assert https["cookies"] == {"csrftoken": True}
    assert seen["plain_tv"]["status"] == 200  # no redirect for Plex
    assert seen["plain_tv"]["hsts"] == ""
