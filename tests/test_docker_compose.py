"""No Docker engine here: parse docker/compose.yml and check it refers to things that exist in the project."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker" / "compose.yml").read_text())
SERVICES = COMPOSE["services"]
ENTRYPOINT = (ROOT / "docker" / "entrypoint.sh").read_text()
DOCKERFILE = (ROOT / "docker" / "Dockerfile").read_text()


def test_the_stack_has_web_worker_beat_redis_and_postgres() -> None:
    assert {"web", "worker", "beat", "redis", "postgres"} <= set(SERVICES)


def test_every_service_has_a_healthcheck_or_depends_on_healthy_ones() -> None:
    for name in ("web", "worker", "redis", "postgres"):
        assert "healthcheck" in SERVICES[name], name
    for name in ("web", "worker", "beat"):
        conditions = {dep: spec["condition"] for dep, spec in SERVICES[name]["depends_on"].items()}
        assert conditions == {"postgres": "service_healthy", "redis": "service_healthy"}


def test_app_services_use_roles_the_entrypoint_knows() -> None:
    for name in ("web", "worker", "beat"):
        role = SERVICES[name]["command"][0]
        assert re.search(rf"^\s+{role}\)", ENTRYPOINT, re.M), role


def test_app_environment_points_at_the_compose_services() -> None:
    for name in ("web", "worker", "beat"):
        env = SERVICES[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["DJANGO_SETTINGS_MODULE"] == "tpdbprovider.settings.production"
        assert (ROOT / "tpdbprovider" / "settings" / "production.py").exists()


def test_every_variable_the_settings_read_is_documented_in_env_example() -> None:
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", example, re.M))
    read = set()
    for path in (ROOT / "tpdbprovider").rglob("*.py"):
        read |= set(re.findall(r"env(?:_\w+)?(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]+)\"", path.read_text()))
    read -= {"TEST_DATABASE_URL"}  # test-only
    assert read - documented == set()


def test_entrypoint_commands_exist_in_the_project() -> None:
    for command in re.findall(r"python manage.py (\w+)", ENTRYPOINT):
        found = list(ROOT.glob(f"*/management/commands/{command}.py")) + list(
            ROOT.glob(f"tpdbprovider/*/management/commands/{command}.py")
        )
        django_builtin = command in {"migrate", "collectstatic"}
        assert found or django_builtin, command
    assert "celery -A tpdbprovider" in ENTRYPOINT
    assert (ROOT / "tpdbprovider" / "celery.py").exists()


def test_the_image_runs_as_a_non_root_user_with_the_entrypoint() -> None:
    assert re.search(r"^USER app$", DOCKERFILE, re.M)
    assert "docker/entrypoint.sh" in DOCKERFILE
    assert "requirements.txt" in DOCKERFILE
