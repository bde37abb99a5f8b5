"""Every documented setting has an effect: what .env.example documents is read by the settings, and every setting of
ours is read by the code (or by Django or the library whose namespace it carries)."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import global_settings

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_DIR = ROOT / "tpdbprovider" / "settings"
# Settings named for the library that reads them, and Django's required ones that global_settings leaves out.
READ_BY_A_LIBRARY = ("AXES_", "CELERY_", "CORS_", "SPECTACULAR_", "REST_FRAMEWORK")
DJANGO_REQUIRED = {"ROOT_URLCONF"}


def _code_outside_settings() -> str:
    return "\n".join(
        path.read_text()
        for app in ("tpdbprovider", "sites", "scenes", "movies", "plexapi")
        for path in (ROOT / app).rglob("*.py")
        if SETTINGS_DIR not in path.parents and "migrations" not in path.parts
    )


def test_every_variable_in_env_example_is_read_by_the_settings() -> None:
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    read = set()
    for path in (ROOT / "tpdbprovider").rglob("*.py"):
        read |= set(re.findall(r"(?:env\w*|database_config)(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]+)\"", path.read_text()))
    assert documented - read == set()


def test_every_setting_of_ours_is_read_somewhere() -> None:
    settings_text = "\n".join(path.read_text() for path in SETTINGS_DIR.glob("*.py"))
    code = _code_outside_settings()
    defined = re.findall(r"^([A-Z][A-Z0-9_]+)(?::[^=\n]+)? = ", (SETTINGS_DIR / "base.py").read_text(), re.M)
    unused = [
        name
        for name in defined
        if not hasattr(global_settings, name)
        and name not in DJANGO_REQUIRED
        and not name.startswith(READ_BY_A_LIBRARY)
        and not re.search(rf"\b{name}\b", code)
        and len(re.findall(rf"(?<!\")\b{name}\b(?!\")", settings_text)) < 2  # not used to build another setting
    ]
    assert unused == []
