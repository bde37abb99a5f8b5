"""Every provider answer gets its Cache-Control and one request log line (plexapi.middleware); nothing else does."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from scenes.episodes import episode_numbers_ensure
from tests.plexapi.conftest import SCENE_UUID

pytestmark = pytest.mark.django_db
EPISODE = f"/tv/library/metadata/tpdb-scene-{SCENE_UUID}"


def _request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "tpdbprovider.request"]


def test_a_provider_answer_logs_one_line_with_its_key_status_tpdb_calls_and_cache_verdict(api, spec_library, caplog):
    caplog.set_level(logging.INFO, logger="tpdbprovider.request")
    episode_numbers_ensure(site=spec_library.site)  # a season's first read stores its numbers: that answer is not kept

    api.get(EPISODE)
    api.get(EPISODE)

    first, second = _request_lines(caplog)
    assert (first.provider, first.rating_key, first.status, first.tpdb_calls) == (  # type: ignore[attr-defined]
        "tv",
        f"tpdb-scene-{SCENE_UUID}",
        200,
        0,
    )
    assert (first.response_cache, second.response_cache) == ("miss", "hit")  # type: ignore[attr-defined]
    assert first.getMessage() == f"GET {EPISODE} 200"


def test_an_unknown_provider_path_is_logged_and_never_kept(api, caplog):
    caplog.set_level(logging.INFO, logger="tpdbprovider.request")

    response = api.get("/movie/no/such/path")

    assert response.status_code == 404 and response["Cache-Control"] == "no-store"
    (line,) = _request_lines(caplog)
    assert (line.provider, line.rating_key, line.status) == ("movie", None, 404)  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", ["/health", "/admin/login/", "/tvshows", "/movies"])
def test_other_paths_get_no_request_line_and_no_provider_cache_control(api, caplog, path):
    caplog.set_level(logging.INFO, logger="tpdbprovider.request")

    response = api.get(path)

    assert _request_lines(caplog) == []
    assert "max-age=300" not in response.get("Cache-Control", "")  # PLEX_CACHE_MAX_AGE_S is for provider answers


def test_core_knows_no_provider_path():
    """The Plex paths are plexapi's: no module of tpdbprovider.core names one (issue #16)."""
    core = Path(__file__).resolve().parents[2] / "tpdbprovider" / "core"
    for source in core.rglob("*.py"):
        text = source.read_text()
        for plex_path in ('"/tv', "'/tv", '"/movie', "'/movie", "/library/metadata"):
            assert plex_path not in text, f"{source.name} names the Plex path {plex_path}"
