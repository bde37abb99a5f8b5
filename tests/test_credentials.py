"""Credentials are checked where they live: the validators on ensure_admin, and the stored hashes of staff users at
start-up outside DEBUG (a DEBUG run's admin/admin never reaches production unnoticed)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError

from tpdbprovider.env import check_admin_credentials, check_staff_credentials, weak_staff_users

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path  # where the strong verdicts are remembered


def _user(username: str, password: str, *, is_staff: bool = True, is_active: bool = True):
    return get_user_model().objects.create_user(
        username, password=password, is_staff=is_staff, is_active=is_active, is_superuser=is_staff
    )


@pytest.mark.django_db
def test_active_staff_users_with_a_default_or_weak_stored_password_are_named():
    _user("admin", "admin")  # a DEBUG run's throwaway
    _user("ops", "password1")
    _user("same-as-name", "same-as-name")
    _user("owner", "Correct-Horse-Battery-9")
    _user("retired", "admin", is_active=False)
    _user("viewer", "admin", is_staff=False)
    assert weak_staff_users() == ["admin", "ops", "same-as-name"]
    with pytest.raises(ImproperlyConfigured, match="changepassword admin"):
        check_staff_credentials()


@pytest.mark.django_db
def test_a_strong_stored_password_passes_is_remembered_and_a_later_change_is_checked_afresh(tmp_path):
    _user("owner", "Correct-Horse-Battery-9")
    check_staff_credentials()
    assert len((tmp_path / "checked-staff-passwords").read_text().split()) == 1
    check_staff_credentials()
    assert len((tmp_path / "checked-staff-passwords").read_text().split()) == 1  # not checked (nor added) again
    user = get_user_model().objects.get(username="owner")
    user.set_password("admin")  # changed behind the remembered verdict: the new hash is checked afresh
    user.save()
    assert weak_staff_users() == ["owner"]


@pytest.mark.parametrize("password", ["password1", "12345678", "qwertyui", "admin123", "short-9", "owner"])
def test_the_environment_guard_refuses_common_passwords(password):
    with pytest.raises(ImproperlyConfigured, match="ADMIN_PASSWORD"):
        check_admin_credentials(username="owner", password=password)


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["password1", "12345678", "admin123", "9876543210"])
def test_ensure_admin_applies_the_password_validators(settings, password):
    settings.ADMIN_PASSWORD = password
    with pytest.raises(CommandError, match="too weak"):
        call_command("ensure_admin")
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_in_debug_ensure_admin_warns_about_a_weak_password_but_creates_the_user(settings, capsys):
    settings.DEBUG = True
    settings.ADMIN_PASSWORD = "admin"
    call_command("ensure_admin")
    assert "too weak" in capsys.readouterr().err
    assert get_user_model().objects.get(username=settings.ADMIN_USERNAME).check_password("admin")


# --- start-up, as production starts: migrate, then the WSGI application ------------------------------------------


def _production(db_path: Path, code: list[str], **overrides: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TPDB_", "ADMIN_", "DJANGO_", "DEBUG"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tpdbprovider.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "ADMIN_USERNAME": "owner",
            "ADMIN_PASSWORD": "a-long-real-password",
            "DATABASE_URL": f"sqlite:///{db_path}",
            **overrides,
        }
    )
    return subprocess.run(
        [sys.executable, *code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )


def _set_password_script(username: str, password: str) -> list[str]:
    # A cheap PBKDF2 hash (the iteration count lives in the hash): production's 1,000,000 would cost seconds here.
    encoded = make_password(password, hasher="md5").split("$")  # only to get a salt
    return [
        "-c",
        "import django; django.setup()\n"
        "from django.contrib.auth import get_user_model\n"
        "from django.contrib.auth.hashers import PBKDF2PasswordHasher\n"
        f"user, _ = get_user_model().objects.get_or_create(username={username!r})\n"
        "user.is_staff = user.is_superuser = True\n"
        f"user.password = PBKDF2PasswordHasher().encode({password!r}, {encoded[1]!r}, iterations=1000)\n"
        "user.save()\n",
    ]


@pytest.mark.slow
def test_a_weak_password_in_the_database_stops_start_up(tmp_path):
    db_path = tmp_path / "prod.sqlite3"
    migrated = _production(db_path, ["manage.py", "migrate", "--noinput"])  # an empty database migrates
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    started = _production(db_path, ["-c", "import tpdbprovider.wsgi"])
    assert started.returncode == 0, started.stderr[-2000:]  # no staff user yet
    assert _production(db_path, _set_password_script("admin", "admin")).returncode == 0

    refused = _production(db_path, ["-c", "import tpdbprovider.wsgi"])
    assert refused.returncode != 0
    assert "Staff user 'admin' has a default or weak password" in refused.stderr
    assert "changepassword admin" in refused.stderr
    assert _production(db_path, ["-c", "import tpdbprovider.wsgi"], DEBUG="true").returncode == 0

    assert _production(db_path, _set_password_script("admin", "Correct-Horse-Battery-9")).returncode == 0
    fixed = _production(db_path, ["-c", "import tpdbprovider.wsgi"])
    assert fixed.returncode == 0, fixed.stderr[-2000:]
