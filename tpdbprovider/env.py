"""The only environment reader. Every setting comes from here, validated, with the variable named on error.

Run ``python -m tpdbprovider.env --init .env`` to write a first ``.env`` with a random secret key and admin password
(or to fill them in a ``.env`` copied from ``.env.example``, where they are blank).
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import logging
import os
import re
import secrets
import socket
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
_ENV_FILE = BASE_DIR / ".env"
if _ENV_FILE.is_file():
    environ.Env.read_env(str(_ENV_FILE), overwrite=False)

_RATE_RE = re.compile(r"^\d+/(s|sec|second|m|min|minute|h|hour|d|day)$")
_IDENTIFIER_RE = re.compile(r"^[a-zA-Z0-9.]+$")
#: Passwords that count as "default" and are refused outside DEBUG.
DEFAULT_PASSWORDS = frozenset({"", "admin", "password", "changeme", "change-me", "secret", "tpdbprovider", "123456"})


def _fail(name: str, value: object, why: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"Setting {name}={value!r} is invalid: {why}.")


def _raw(name: str, default: str) -> str:
    """The variable's text; unset, empty or blank means the default (``cp .env.example .env`` leaves many empty)."""
    value = str(env.str(name, default=""))
    return value if value.strip() else default


def env_str(name: str, default: str) -> str:
    return _raw(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = _raw(name, "").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise _fail(name, raw, "expected a boolean such as true or false")


def env_float(name: str, default: float, *, minimum: float = 0.0, exclusive: bool = False) -> float:
    raw = _raw(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise _fail(name, raw, "expected a number") from None
    if value != value or value < minimum or (exclusive and value == minimum):  # NaN or out of range
        raise _fail(name, raw, f"must be {'>' if exclusive else '>='} {minimum}")
    return value


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    raw = _raw(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise _fail(name, raw, "expected a whole number") from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise _fail(name, raw, f"must be {bound}")
    return value


def env_url(name: str, default: str, *, schemes: tuple[str, ...] = ("http", "https")) -> str:
    raw = _raw(name, default).strip()
    parsed = urlparse(raw)
    if parsed.scheme not in schemes or not parsed.netloc:
        raise _fail(name, raw, f"expected a URL starting with {' or '.join(s + '://' for s in schemes)}")
    return raw.rstrip("/")


def env_rate(name: str, default: str) -> str:
    raw = _raw(name, default).strip()
    if not _RATE_RE.match(raw):
        raise _fail(name, raw, "expected a rate such as 100/min")
    return raw


def env_identifier(name: str, default: str) -> str:
    raw = _raw(name, default).strip()
    if not _IDENTIFIER_RE.match(raw):
        raise _fail(name, raw, "a Plex provider identifier may only contain letters, digits and dots")
    return raw


def env_list(name: str, default: list[str]) -> list[str]:
    raw = _raw(name, ",".join(default))
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choices(name: str, default: list[str], *, choices: tuple[str, ...]) -> list[str]:
    """A comma-separated subset of ``choices`` (case-insensitive, repeats dropped, order kept); ``none`` is the empty
    list (an empty value means the default, as for every variable)."""
    if _raw(name, "").strip().lower() == "none":
        return []
    items: list[str] = []
    for item in env_list(name, default):
        value = item.lower()
        if value not in choices:
            raise _fail(name, item, f"expected a comma-separated list of {', '.join(choices)}, or none")
        if value not in items:
            items.append(value)
    return items


def env_title_format(name: str, default: str) -> str:
    """A title template with exactly one ``{name}`` placeholder and no other braces (``Network: {name}``)."""
    raw = _raw(name, default).strip()
    if raw.count("{name}") != 1 or "{" in raw.replace("{name}", "") or "}" in raw.replace("{name}", ""):
        raise _fail(name, raw, "expected a title with one {name} placeholder and no other braces, e.g. Network: {name}")
    return raw


def env_networks(name: str, default: list[str]) -> list[str]:
    """A comma-separated list of addresses or networks (``192.168.1.10``, ``10.0.0.0/8``, ``::1``), validated;
    ``none`` is the empty list (an empty value means the default, as for every variable)."""
    if _raw(name, "").strip().lower() == "none":
        return []
    items = env_list(name, default)
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise _fail(name, item, "expected IP addresses or networks such as 192.168.1.10 or 10.0.0.0/8") from None
    return items


def database_config(name: str, default: str) -> dict[str, Any]:
    raw = _raw(name, default).strip()
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme not in environ.Env.DB_SCHEMES:
        raise _fail(name, raw, "unknown database scheme; use postgres://, sqlite:/// or mysql://")
    try:
        config = environ.Env.db_url_config(raw)
    except Exception as exc:  # django-environ raises several types for junk URLs
        raise _fail(name, raw, f"not a database URL ({exc.__class__.__name__})") from None
    return dict(config)


def sqlite_options(*, busy_timeout_s: float) -> dict[str, object]:
    """SQLite as a concurrent backend: WAL (readers never block the writer), a busy timeout (a writer waits for the
    lock instead of failing), and ``BEGIN IMMEDIATE`` for every transaction (the write lock is taken up front, so a
    transaction that read first can never fail on upgrading its lock, which the busy timeout cannot help with)."""
    return {
        "timeout": busy_timeout_s,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def test_database_url() -> str:
    """Tests use the local PostgreSQL when one answers on 127.0.0.1:5432, else in-memory SQLite."""
    if _reachable("127.0.0.1", 5432):
        return "postgres://postgres@127.0.0.1:5432/test"
    return "sqlite:///:memory:"


MIN_PASSWORD_LENGTH = 10  # the MinimumLengthValidator of AUTH_PASSWORD_VALIDATORS says the same
#: Looked for in the stored hashes of active staff users at start-up, with each user's own username. Each costs one
#: hash (about 1 s with Django's PBKDF2), so the list is short: the defaults and the commonest passwords of 8+ chars.
WEAK_PASSWORDS = DEFAULT_PASSWORDS | {"password1", "12345678", "123456789", "qwertyui", "admin123", "qwerty123"}


def _is_weak(*, username: str, password: str) -> bool:
    """The validators that need no user object: length, Django's common-password list, all digits, the username."""
    from django.contrib.auth.password_validation import CommonPasswordValidator

    folded = password.strip().lower()
    return (
        folded in DEFAULT_PASSWORDS
        or len(password) < MIN_PASSWORD_LENGTH
        or folded in CommonPasswordValidator().passwords
        or password.isdigit()
        or folded == username.strip().lower()
    )


def check_admin_credentials(*, username: str, password: str) -> None:
    """Refuse empty, default or weak admin credentials; called outside DEBUG."""
    if not username.strip():
        raise ImproperlyConfigured("ADMIN_USERNAME is empty: set it (and ADMIN_PASSWORD) outside DEBUG.")
    if _is_weak(username=username, password=password):
        raise ImproperlyConfigured(
            f"ADMIN_PASSWORD is empty, a default, a common password or shorter than {MIN_PASSWORD_LENGTH} characters: "
            "set a real one outside DEBUG (python -m tpdbprovider.env --init .env writes a random one)."
        )


def weak_staff_users() -> list[str]:
    """Usernames of active staff users whose stored password is a known default or weak one (WEAK_PASSWORDS or their
    username), checked against the hash; [] before the first migrate. Hashes found strong are listed (as digests) in
    DATA_DIR/checked-staff-passwords, so a restart does not hash every candidate again."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import check_password
    from django.db import connection

    user_model = get_user_model()
    if user_model._meta.db_table not in connection.introspection.table_names():
        return []
    verdicts = Path(settings.DATA_DIR) / "checked-staff-passwords"
    try:
        known_strong = set(verdicts.read_text(encoding="utf-8").split())
    except OSError:
        known_strong = set()
    weak: list[tuple[str, str]] = []
    strong: list[tuple[str, str]] = []
    for user in user_model.objects.filter(is_active=True, is_staff=True).order_by("pk"):
        if not user.has_usable_password():
            continue
        username = str(user.get_username())
        digest = hashlib.sha256(f"{sorted(WEAK_PASSWORDS)}:{username}:{user.password}".encode()).hexdigest()
        if digest in known_strong:
            continue
        candidates = sorted(WEAK_PASSWORDS | {username, username.lower()})
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # PBKDF2 releases the GIL
            checks = [pool.submit(check_password, candidate, user.password) for candidate in candidates]
            is_weak = any(check.result() for check in as_completed(checks))  # stops at the first match
            pool.shutdown(cancel_futures=True)
        (weak if is_weak else strong).append((username, digest))
    if strong:
        try:
            verdicts.parent.mkdir(parents=True, exist_ok=True)
            with verdicts.open("a", encoding="utf-8") as lines:
                lines.writelines(f"{digest}\n" for _, digest in strong)
        except OSError:
            logging.getLogger(__name__).warning("Could not write %s; the check runs in full next time", verdicts)
    return [username for username, _ in weak]


def check_staff_credentials() -> None:
    """Refuse to serve while an active staff user in the database has a default or weak password (outside DEBUG).
    A database that cannot be reached is logged and left to fail the requests that need it, as before."""
    from django.db import DatabaseError

    try:
        weak = weak_staff_users()
    except DatabaseError:
        logging.getLogger(__name__).warning("Could not check the staff users' passwords", exc_info=True)
        return
    if weak:
        names = ", ".join(repr(name) for name in weak)
        raise ImproperlyConfigured(
            f"Staff user {names} has a default or weak password, so the service refuses to start outside DEBUG. "
            f"Fix it with `python manage.py changepassword {weak[0]}` (or set ADMIN_USERNAME/ADMIN_PASSWORD and run "
            "`python manage.py ensure_admin`), or remove its staff status."
        )


def write_initial_env(path: Path) -> str | None:
    """Write a first .env with a random secret key and admin password, or fill those left blank in an existing one
    (a copy of .env.example); returns the new admin password, None when it wrote none."""
    generated = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "ADMIN_USERNAME": "admin",
        "ADMIN_PASSWORD": secrets.token_urlsafe(18),
    }
    if not path.exists():
        path.write_text(
            "# Written by `python -m tpdbprovider.env --init`. See .env.example for every option.\n"
            + "".join(f"{name}={value}\n" for name, value in generated.items())
            + "TPDB_API_KEY=\n",
            encoding="utf-8",
        )
        path.chmod(0o600)
        return generated["ADMIN_PASSWORD"]
    lines = path.read_text(encoding="utf-8").splitlines()
    filled: set[str] = set()
    for number, line in enumerate(lines):
        name, sep, value = line.partition("=")
        name = name.strip()
        if sep and name in generated and not value.strip() and name not in filled:
            lines[number] = f"{name}={generated[name]}"
            filled.add(name)
    if not filled:
        return None
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return generated["ADMIN_PASSWORD"] if "ADMIN_PASSWORD" in filled else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--init", metavar="PATH", required=True, help="write a first .env at PATH, or fill the secrets left blank in it"
    )
    args = parser.parse_args(argv)
    existed = Path(args.init).exists()
    password = write_initial_env(Path(args.init))
    if password is None:
        sys.stdout.write(f"{args.init} exists; its secrets are set, nothing written.\n")
    else:
        done = f"Filled the blank secrets in {args.init}" if existed else f"Wrote {args.init}"
        sys.stdout.write(f"{done}. Admin password: {password} (change it in {args.init}).\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
