"""The image is lean and safe: .dockerignore keeps secrets, environments, data, caches and tests out; the runtime
requirements carry no dev tool and no pin that nothing needs; the Dockerfile installs only those, in two stages, as a
non-root user. No Docker engine here, so these read the files."""

from __future__ import annotations

import re
from importlib.metadata import distribution, packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "docker" / "Dockerfile").read_text()

DEV_TOOLS = {
    "pytest",
    "pytest-django",
    "model-bakery",
    "responses",
    "hypothesis",
    "schemathesis",
    "selenium",
    "ruff",
    "mypy",
    "django-stubs",
    "djangorestframework-stubs",
    "celery-types",
    "types-pyyaml",
    "types-requests",
    "import-linter",
}
# Runtime pins that no module names: Django's postgresql backend loads psycopg, psycopg loads its binary build,
# redis-py uses hiredis when installed.
LOADED_BY_ANOTHER = {"psycopg": "django", "psycopg-binary": "psycopg", "hiredis": "redis"}


def _pins(name: str) -> dict[str, tuple[str, set[str]]]:
    """``{package: (version, via)}`` of a requirements file; ``via`` is the ``# via a, b`` comment's packages."""
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        spec, _, comment = line.partition("#")
        if not spec.strip() or spec.startswith("-r"):
            continue
        package, version = spec.strip().split("==")
        via = {canonicalize_name(v.strip()) for v in comment.removeprefix(" via").split(",") if v.strip()}
        pins[canonicalize_name(package)] = (version, via)
    return pins


RUNTIME = _pins("requirements.txt")
DEV = _pins("requirements-dev.txt")


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parent directories decides; ``!`` re-includes."""
    decision = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        body = pattern.removeprefix("!").strip("/")
        regex = re.escape(body).replace(r"\*\*", ".*").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(re.fullmatch(regex, prefix) for prefix in prefixes):
            decision = not negate
    return decision


def _requires(package: str) -> set[str]:
    """What ``package`` asks for, including what the extras it asks for add (selenium wants ``urllib3[socks]``)."""
    names = set()
    for line in distribution(package).requires or []:
        requirement = Requirement(line)
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue  # only asked for by an extra of ``package``, or not on this Python
        names.add(canonicalize_name(requirement.name))
        for extra in requirement.extras:
            for sub in distribution(requirement.name).requires or []:
                sub_requirement = Requirement(sub)
                if sub_requirement.marker and sub_requirement.marker.evaluate({"extra": extra}):
                    names.add(canonicalize_name(sub_requirement.name))
    return names


@pytest.fixture(scope="module")
def ignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".env.local",
        ".venv/bin/python",
        ".git/HEAD",
        "data/tpdbprovider.sqlite3",
        "data/static/admin/css/base.css",
        "tests/fixtures/match-corpus/catalog.json.gz",
        "tests/fixtures/tpdb/scene.json",
        "scenes/__pycache__/models.cpython-311.pyc",
        ".mypy_cache/3.11/cache.db",
        ".pytest_cache/v/cache",
        ".ruff_cache/content",
        ".import_linter_cache/x.json",
        ".hypothesis/examples/x",
        "requirements-dev.txt",
    ],
)
def test_dockerignore_keeps_secrets_environments_data_caches_and_tests_out(
    path: str, ignore_patterns: list[str]
) -> None:
    assert _ignored(path, ignore_patterns)


@pytest.mark.parametrize(
    "path", ["manage.py", "requirements.txt", "docker/entrypoint.sh", "tpdbprovider/settings/production.py"]
)
def test_dockerignore_keeps_what_the_image_needs(path: str, ignore_patterns: list[str]) -> None:
    assert (ROOT / path).exists()
    assert not _ignored(path, ignore_patterns)


def test_the_runtime_requirements_hold_no_dev_tool_and_the_dev_list_holds_them_all() -> None:
    assert DEV_TOOLS & set(RUNTIME) == set()
    assert set(DEV) >= DEV_TOOLS
    assert (ROOT / "requirements-dev.txt").read_text().count("-r requirements.txt\n") == 1
    assert set(RUNTIME) & set(DEV) == set()  # one pin per package


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_every_transitive_pin_is_required_by_the_package_it_names(name: str) -> None:
    pins = _pins(name)
    for package, (version, via) in pins.items():
        assert distribution(package).version == version, package
        for parent in via:
            assert parent in pins or parent in RUNTIME, (package, parent)
            needs = _requires(parent)
            assert package in needs, f"{package} is pinned 'via {parent}', which does not require it"


def test_every_direct_runtime_pin_is_used_by_the_service() -> None:
    sources = "\n".join(
        path.read_text()
        for app in ("tpdbprovider", "sites", "scenes", "movies", "plexapi")
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    )
    modules_of: dict[str, set[str]] = {}
    for module, dists in packages_distributions().items():
        for dist in dists:
            modules_of.setdefault(canonicalize_name(dist), set()).add(module)
    for package, (_, via) in RUNTIME.items():
        if via:
            continue
        if package in LOADED_BY_ANOTHER:
            assert canonicalize_name(LOADED_BY_ANOTHER[package]) in RUNTIME, package
            continue
        used = any(re.search(rf"\b{re.escape(module)}\b", sources) for module in modules_of[package])
        assert used, f"{package} is pinned in requirements.txt but the service never names it"


def test_the_dockerfile_is_multi_stage_installs_only_runtime_requirements_and_runs_as_non_root() -> None:
    stages = re.split(r"^FROM ", DOCKERFILE, flags=re.M)[1:]
    assert len(stages) >= 2
    assert "requirements-dev" not in DOCKERFILE
    assert re.search(r"pip install -r \S*requirements\.txt", stages[0])
    final = stages[-1]
    assert "COPY --from=" in final
    users = re.findall(r"^USER (\S+)$", final, re.M)
    assert users and users[-1] not in {"root", "0"}
