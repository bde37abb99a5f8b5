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


START = "import django; django.setup(); from django.conf import settings; print('OK')"
# A request through the whole middleware stack (sessions and CSRF need a non-empty SECRET_KEY).
SERVE = (
    "import django; django.setup(); from django.test import Client; "
    "print('STATUS', Client().get('/tv', HTTP_HOST='localhost').status_code)"
)


def _start(
    env_overrides: dict[str, str], settings_module: str = "tpdbprovider.settings.production", code: str = START
) -> str:
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
        [sys.executable, "-c", code],
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
        ("PLEX_COLLECTION_LEVELS", "site,studio"),
        ("PLEX_COLLECTION_NETWORK_TITLE", "Network: {title}"),
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
    monkeypatch.setenv("PLEX_SERVER_ADDRESSES", "none")
    assert env_networks("PLEX_SERVER_ADDRESSES", ["10.0.0.0/8"]) == []
    monkeypatch.setenv("PLEX_SERVER_ADDRESSES", "plex.local")
    with pytest.raises(ImproperlyConfigured, match="PLEX_SERVER_ADDRESSES"):
        env_networks("PLEX_SERVER_ADDRESSES", [])


def test_collection_levels_are_a_checked_subset_and_none_turns_them_off(monkeypatch):
    from tpdbprovider.env import env_choices

    choices = ("site", "parent", "network")
    monkeypatch.setenv("PLEX_COLLECTION_LEVELS", " Network, site,network ")
    assert env_choices("PLEX_COLLECTION_LEVELS", ["site"], choices=choices) == ["network", "site"]
    monkeypatch.setenv("PLEX_COLLECTION_LEVELS", "none")
    assert env_choices("PLEX_COLLECTION_LEVELS", ["site"], choices=choices) == []
    monkeypatch.setenv("PLEX_COLLECTION_LEVELS", "")
    assert env_choices("PLEX_COLLECTION_LEVELS", ["site", "network"], choices=choices) == ["site", "network"]
    monkeypatch.setenv("PLEX_COLLECTION_LEVELS", "site,label")
    with pytest.raises(ImproperlyConfigured, match="PLEX_COLLECTION_LEVELS"):
        env_choices("PLEX_COLLECTION_LEVELS", [], choices=choices)


@pytest.mark.parametrize("value", ["Network", "{name} {name}", "{name} {x}", "Net }{name}", "{0}"])
def test_a_collection_title_needs_exactly_one_name_placeholder(monkeypatch, value):
    from tpdbprovider.env import env_title_format

    monkeypatch.setenv("PLEX_COLLECTION_NETWORK_TITLE", value)
    with pytest.raises(ImproperlyConfigured, match="PLEX_COLLECTION_NETWORK_TITLE"):
        env_title_format("PLEX_COLLECTION_NETWORK_TITLE", "{name}")
    monkeypatch.setenv("PLEX_COLLECTION_NETWORK_TITLE", " Network: {name} ")
    assert env_title_format("PLEX_COLLECTION_NETWORK_TITLE", "{name}") == "Network: {name}"


def _env_file(path: Path) -> dict[str, str]:
    lines = (line.partition("=") for line in path.read_text().splitlines() if not line.startswith("#"))
    return {name.strip(): value.strip() for name, sep, value in lines if sep}


def test_in_debug_without_a_secret_key_requests_are_served() -> None:
    output = _start({"DEBUG": "true", "DJANGO_SECRET_KEY": "", "ADMIN_PASSWORD": ""}, code=SERVE)
    assert "STATUS 200" in output, output


def test_empty_values_mean_the_default() -> None:
    code = START.replace("print('OK')", "print(settings.DATABASES['default']['ENGINE'], settings.ALLOWED_HOSTS, 'OK')")
    output = _start({"DATABASE_URL": "", "PORT": "", "TPDB_RATE_LIMIT": " ", "DJANGO_ALLOWED_HOSTS": ""}, code=code)
    assert "django.db.backends.sqlite3 ['*'] OK" in output, output


def test_a_copy_of_env_example_starts_in_debug_as_it_is() -> None:
    example = _env_file(ROOT / ".env.example")
    assert example["DATABASE_URL"] == "" and example["DJANGO_SECRET_KEY"] == ""
    output = _start({**example, "DEBUG": "true"}, code=SERVE)
    assert "STATUS 200" in output, output


def test_a_copy_of_env_example_starts_once_make_env_fills_its_blank_secrets(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    target.write_text((ROOT / ".env.example").read_text())
    assert "OK" not in _start(_env_file(target))  # production refuses the blank secret key and admin password

    password = write_initial_env(target)

    values = _env_file(target)
    assert password and values["ADMIN_PASSWORD"] == password and len(values["DJANGO_SECRET_KEY"]) >= 40
    assert values["TPDB_BASE_URL"] == "https://api.theporndb.net"  # everything else is left as it was
    assert _start(values).strip().endswith("OK")
    assert write_initial_env(target) is None
