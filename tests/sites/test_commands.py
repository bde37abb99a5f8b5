"""The sync commands: output, --dry-run, progress, exit codes; over the fake TPDB on real HTTP."""

from __future__ import annotations

import datetime
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from movies.models import Movie
from scenes.models import MatchPin, Scene
from sites.models import Site, SiteAlias, SiteYearSync

SCENE_UUID = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"
ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_sync_sites_stores_every_site_and_seeds_aliases(fake_tpdb) -> None:
    out, _ = _run("sync_sites")
    assert Site.objects.filter(tpdb_numeric_id=4101, name="Example Studio").exists()
    assert "stored" in out and "sites" in out
    # cached for CACHE_TTL_SITE_LIST: the second sync makes no TPDB call
    calls = fake_tpdb.count()
    _run("sync_sites")
    assert fake_tpdb.count() == calls


@pytest.mark.django_db
def test_sync_sites_dry_run_changes_nothing(fake_tpdb) -> None:
    out, _ = _run("sync_sites", "--dry-run")
    assert out.startswith("would store")
    assert Site.objects.count() == 0 and SiteAlias.objects.count() == 0


@pytest.mark.django_db
def test_sync_scene_accepts_a_url_and_stores_the_scene(fake_tpdb) -> None:
    out, _ = _run("sync_scene", f"https://theporndb.net/scenes/{SCENE_UUID}")
    assert f"stored scene {SCENE_UUID}" in out
    scene = Scene.objects.get(tpdb_id=SCENE_UUID)
    assert scene.is_complete and scene.credits.count() > 0


@pytest.mark.django_db
def test_sync_scene_dry_run_fetches_but_stores_nothing(fake_tpdb) -> None:
    out, _ = _run("sync_scene", SCENE_UUID, "--dry-run")
    assert out.startswith("would store scene")
    assert Scene.objects.count() == 0
    assert fake_tpdb.count(path_prefix="/scenes/") == 1


@pytest.mark.django_db
def test_sync_scene_unknown_id_is_a_clear_error(fake_tpdb) -> None:
    with pytest.raises(CommandError, match="Not found on TPDB"):
        _run("sync_scene", "00000000-0000-4000-8000-000000000000")


@pytest.mark.django_db
def test_sync_movie_stores_the_movie(fake_tpdb) -> None:
    from tests.recipes import tpdb_json

    movie_uuid = tpdb_json("movie_detail.json")["data"]["id"]
    out, _ = _run("sync_movie", movie_uuid)
    assert "stored movie" in out
    assert Movie.objects.filter(tpdb_id=movie_uuid).exists()


@pytest.mark.django_db
def test_sync_site_fetches_the_site_and_its_year(fake_tpdb) -> None:
    out, _ = _run("sync_site", "4101", "--year", "2022")
    site = Site.objects.get(tpdb_numeric_id=4101)
    assert Scene.objects.filter(site=site, release_date__year=2022).exists()
    assert SiteYearSync.objects.filter(site=site, year=2022).exists()
    assert f"of {site.name} ({site.slug}) for 2022" in out


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [(("sync_site", "x", "--year", "3000"), "--year"), (("refresh_stale", "--older-than", "-1"), "--older-than")],
)
def test_bad_arguments_are_clear_errors(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        _run(*args)


def test_a_bad_argument_exits_non_zero_with_a_message() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "sync_site", "some-site", "--year", "nope"],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "tpdbprovider.settings.test", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "--year" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.django_db
def test_tpdb_down_is_a_clear_error_not_a_traceback(settings) -> None:
    settings.TPDB_BASE_URL = "http://127.0.0.1:9"
    settings.TPDB_MAX_RETRIES = 0
    with pytest.raises(CommandError, match="TPDB failed"):
        _run("sync_scene", SCENE_UUID)


@pytest.mark.django_db
def test_refresh_stale_refreshes_due_rows_and_flags_missing_ones(fake_tpdb) -> None:
    _run("sync_scene", SCENE_UUID)
    old = timezone.now() - datetime.timedelta(days=90)
    Scene.objects.update(fetched_at=old)
    gone = Scene.objects.create(tpdb_id="11111111-1111-4111-8111-111111111111", title="Gone", fetched_at=old)
    MatchPin.objects.create(provider="movie", request_key="k", rating_key="x", tpdb_id=gone.tpdb_id)
    out, _ = _run("refresh_stale", "--dry-run")
    assert out.startswith("would refresh 2 scenes")
    assert Scene.objects.get(pk=gone.pk).fetched_at == old
    out, _ = _run("refresh_stale")
    assert "refreshed 1, missing upstream 1, failed 0" in out
    gone.refresh_from_db()
    assert gone.is_missing_upstream and gone.title == "Gone"
    assert MatchPin.objects.get(tpdb_id=gone.tpdb_id).is_needs_rematch
    assert Scene.objects.get(tpdb_id=SCENE_UUID).fetched_at > old
