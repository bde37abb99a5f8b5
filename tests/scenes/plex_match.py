"""Send Plex's episode match for a file, as the scanner does."""

from __future__ import annotations

from django.test import Client

MATCH = "/tv/library/metadata/matches"


def post_episode_match(client: Client, show: str, filename: str) -> tuple[list[dict], int]:
    """(the answers, X-TPDB-Calls) of a type-4 match of ``filename`` in the show folder ``show``."""
    body = {"type": 4, "grandparentTitle": show, "filename": filename}
    response = client.post(MATCH, body, content_type="application/json")
    assert response.status_code == 200
    return response.json()["MediaContainer"]["Metadata"], int(response["X-TPDB-Calls"])
