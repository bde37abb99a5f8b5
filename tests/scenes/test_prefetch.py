"""The catalog walk end to end: after a site's second matched file, later files of that site cost no TPDB call."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from sites.models import SiteYearSync
from tests.scenes.plex_match import post_episode_match


def _match(client: Client, filename: str) -> tuple[list[dict], int]:
    return post_episode_match(client, "Example Studio", filename)


@pytest.mark.django_db
def test_the_second_match_of_a_site_stores_its_catalog_and_the_next_file_costs_nothing(
    client, fake_tpdb, django_capture_on_commit_callbacks
):
    call_command("sync_sites", verbosity=0)
    with django_capture_on_commit_callbacks(execute=True):
        first, first_calls = _match(client, "Example Studio - 2022-02-20 - Nothing Like It.mp4")
        assert first == [] and first_calls == 1  # abstained: an unmatched file does not count
        picnic, _ = _match(client, "Example Studio - 2022-01-10 - Sunny Afternoon Picnic Part 2.mp4")
        assert picnic[0]["title"] == "Sunny Afternoon Picnic Part 2"
        assert not SiteYearSync.objects.exists()  # one matched file is not a library yet
        second, _ = _match(client, "Example Studio - 2022-01-03 - Sunny Afternoon Picnic.mp4")
        assert second[0]["title"] == "Sunny Afternoon Picnic"
    assert SiteYearSync.objects.filter(site__tpdb_numeric_id=4101, year=2022).exists()

    again, again_calls = _match(client, "Example.Studio.22.01.10.Sunny.Afternoon.Picnic.Part.2.XXX.1080p.mp4")
    assert again[0]["title"] == "Sunny Afternoon Picnic Part 2"
    assert again_calls == 0
