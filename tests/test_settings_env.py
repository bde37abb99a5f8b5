"""Settings come from the environment; bad values stop start-up naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from tpdbprovider.env import check_admin_credentials, write_initial_env

ROOT = Path(__file__).resolve().parent.parent


def _start(env_overrides: dict[str, str], settings_module: str = "tpdbprovider.settings.production") -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TPDB_", "CACHE_TTL", "RATE_LIMIT", "ADMIN_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": settings_module,
            "DJANGO_SECRET_KEY": "k" * 50,
            "ADMIN_USERNAME": "owner",
            "ADMIN_PASSWORD": "a-long-real-password",
            "DATABASE_URL": "sqlite:///:memory:",
        }
    )
    env.update(env_overrides)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; print('OK')"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.stdout + result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TPDB_RATE_LIMIT", "abc"),
        ("TPDB_RATE_LIMIT", "-1"),
        ("CACHE_TTL_SCENE_SEARCH", "-5"),
        ("TPDB_BASE_URL", "not a url"),
        ("DATABASE_URL", "nonsense://"),
        ("RATE_LIMIT_SEARCH", "lots"),
        ("PORT", "99999"),
        ("PLEX_TV_IDENTIFIER", "tv.plex.agents.custom.tpdb-tv"),
        ("DEBUG", "maybe"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(name: str, value: str) -> None:
    output = _start({name: value})
    assert "OK" not in output
    assert name in output


def test_good_environment_starts() -> None:
    assert _start({"TPDB_RATE_LIMIT": "4.5", "CACHE_TTL_SCENE_SEARCH": "60"}).strip().endswith("OK")


def test_a_missing_api_key_does_not_stop_start_up() -> None:
    assert _start({"TPDB_API_KEY": ""}).strip().endswith("OK")


@pytest.mark.parametrize("password", ["", "admin", "changeme", "short"])
def test_outside_debug_default_admin_credentials_are_refused(password: str) -> None:
    output = _start({"ADMIN_PASSWORD": password})
    assert "OK" not in output
    assert "ADMIN_PASSWORD" in output


def test_outside_debug_an_empty_secret_key_is_refused() -> None:
    output = _start({"DJANGO_SECRET_KEY": ""})
    assert "DJANGO_SECRET_KEY" in output


def test_in_debug_default_credentials_are_allowed() -> None:
    assert _start({"ADMIN_PASSWORD": "", "DEBUG": "true"}).strip().endswith("OK")


def test_check_admin_credentials_accepts_a_real_password() -> None:
    check_admin_credentials(username="owner", password="a-long-real-password")
    with pytest.raises(ImproperlyConfigured):
        check_admin_credentials(username="", password="a-long-real-password")


def test_initial_env_gets_a_random_password_once(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    first = write_initial_env(target)
    assert first and len(first) >= 16
    assert "ADMIN_PASSWORD=" + first in target.read_text()
    assert write_initial_env(target) is None
    assert oct(target.stat().st_mode & 0o777) == "0o600"


def test_plex_server_addresses_must_be_addresses_or_networks(monkeypatch):
    from tpdbprovider.env import env_networks

    monkeypatch.setenv("PLEX_SERVER_ADDRESSES", "192.168.1.5, 10.0.0.0/8,::1")
    assert env_networks("PLEX_SERVER_ADDRESSES", []) == ["192.168.1.5", "10.0.0.0/8", "::1"]
    monkeypatch.setenv("PLEX_SERVER_ADDRESSES", "plex.local")
    with pytest.raises(ImproperlyConfigured, match="PLEX_SERVER_ADDRESSES"):
        env_networks("PLEX_SERVER_ADDRESSES", [])
