"""The review queue and the operations pages in the admin, driven through admin_client."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.test import Client
from django.utils import timezone
from model_bakery import baker

from scenes.matching import MatchRequest, request_json, request_key_for
from scenes.models import MatchDecision, MatchPin, Scene
from tpdbprovider.core.models import CacheEntry

pytestmark = pytest.mark.django_db

QUEUE = "/admin/scenes/reviewitem/"
OPERATIONS = "/admin/core/cacheentry/operations/"
FIXTURE_SCENE = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"
HOSTILE = '<script>alert("plex")</script>'
HOSTILE_FILE = '<img src=x onerror="alert(1)">.mp4'


def candidate(scene: Scene | None = None, *, title: str = "A Candidate", confidence: int = 55, **extra: object) -> dict:
    return {
        "rating_key": f"tpdb-scene-{scene.tpdb_id if scene else uuid.uuid4()}",
        "kind": "scene",
        "title": title,
        "site": "Example Studio",
        "date": "2022-01-03",
        "performers": ["Alex Sample"],
        "confidence": confidence,
        "breakdown": {"site": "exact", "site_points": 30.0, "date_points": 25},
        "duplicates": [],
        **extra,
    }


def make_decision(filename: str = "/tv/Example Studio - 2022-01-03.mp4", **fields: object) -> MatchDecision:
    req = MatchRequest(provider="tv", type=4, grandparent_title="Example Studio", filename=filename)
    values: dict[str, object] = {
        "state": MatchDecision.State.ABSTAINED,
        "candidates": [],
        "parsed": {"site_tokens": ["example", "studio"], "dates": ["2022-01-03"], "title": ""},
        "reason": "below_threshold",
        "confidence": 55,
    }
    values.update(fields)
    return MatchDecision.objects.create(
        provider="tv", request_type=4, request_key=request_key_for(req), request=request_json(req), **values
    )


def make_scene(**fields: object) -> Scene:
    values: dict[str, object] = {
        "tpdb_id": uuid.uuid4(),
        "tpdb_numeric_id": 4242,
        "title": "Stored Candidate",
        "release_date": dt.date(2022, 1, 3),
        "poster_url": "https://cdn.example.test/candidate/poster.jpg",
        "tags": [],
        "directors": [],
    }
    values.update(fields)
    return baker.make(Scene, site=None, **values)


# --- the queue ----------------------------------------------------------------------------------------------------


def test_the_queue_lists_entries_to_review_and_escapes_what_plex_sent(admin_client: Client):
    make_decision(filename=f"/tv/{HOSTILE_FILE}", candidates=[candidate(title=HOSTILE)])
    make_decision(filename="/tv/sure.mp4", state=MatchDecision.State.AUTO, confidence=99)

    response = admin_client.get(QUEUE)
    page = response.content.decode()

    assert response.context["cl"].result_count == 1
    assert HOSTILE not in page and HOSTILE_FILE not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.mp4" in page
    assert "&lt;script&gt;alert(&quot;plex&quot;)&lt;/script&gt; (Example Studio, 2022-01-03) <b>55</b>" in page
    assert "sure.mp4" not in page


def test_the_admin_index_links_the_review_queue_and_the_operations_page(admin_client: Client):
    page = admin_client.get("/admin/").content.decode()
    assert f'href="{QUEUE}"' in page
    assert f'href="{OPERATIONS}"' in page


def test_the_entry_page_shows_the_request_parsed_fields_and_scored_candidates_with_thumbnails(admin_client: Client):
    scene = make_scene()
    decision = make_decision(
        filename=f"/tv/{HOSTILE}.mp4", candidates=[candidate(scene, title=HOSTILE), candidate(title="Unstored One")]
    )

    response = admin_client.get(f"{QUEUE}{decision.pk}/change/")
    page = response.content.decode()

    assert response.status_code == 200
    assert HOSTILE not in page
    assert "&lt;script&gt;" in page
    assert "Example Studio" in page and "2022-01-03" in page  # what Plex sent and what was parsed
    assert "site_points" in page and "30.0" in page  # the score breakdown
    assert '<img class="review-thumb" src="https://cdn.example.test/candidate/poster.jpg"' in page
    assert "no image" in page  # the candidate that is not stored has no poster
    assert page.count('value="Approve"') == 2


def test_a_hostile_poster_url_is_never_rendered_as_an_image(admin_client: Client):
    scene = make_scene(poster_url="https://x.test/p.jpg")
    Scene.objects.filter(pk=scene.pk).update(poster_url='javascript:alert(1)//"><script>')
    decision = make_decision(candidates=[candidate(scene)])
    page = admin_client.get(f"{QUEUE}{decision.pk}/change/").content.decode()
    assert "javascript:" not in page and "no image" in page


def test_approving_a_candidate_pins_it_and_leaves_the_queue(admin_client: Client):
    scene = make_scene()
    decision = make_decision(candidates=[candidate(scene)])

    response = admin_client.post(f"{QUEUE}{decision.pk}/approve/", {"rating_key": f"tpdb-scene-{scene.tpdb_id}"})

    assert response.status_code == 302 and response["Location"] == QUEUE
    pin = MatchPin.objects.get()
    assert (pin.request_key, pin.tpdb_id, pin.tpdb_numeric_id) == (decision.request_key, scene.tpdb_id, 4242)
    assert admin_client.get(QUEUE).context["cl"].result_count == 0


def test_approving_junk_shows_an_error_and_pins_nothing(admin_client: Client):
    decision = make_decision()
    response = admin_client.post(f"{QUEUE}{decision.pk}/approve/", {"rating_key": HOSTILE}, follow=True)
    assert response.status_code == 200
    assert "is not a scene or movie rating key" in response.content.decode()
    assert HOSTILE not in response.content.decode()
    assert not MatchPin.objects.exists()


def test_the_actions_refuse_get_requests(admin_client: Client):
    decision = make_decision()
    assert admin_client.get(f"{QUEUE}{decision.pk}/not-in-tpdb/").status_code == 405
    assert not MatchPin.objects.exists()


def test_marking_not_in_tpdb_from_the_entry_page_writes_a_pin(admin_client: Client):
    decision = make_decision()
    admin_client.post(f"{QUEUE}{decision.pk}/not-in-tpdb/")
    assert MatchPin.objects.get().is_not_in_tpdb is True
    decision.refresh_from_db()
    assert decision.state == MatchDecision.State.NOT_IN_TPDB


def test_rerunning_from_the_entry_page_runs_the_matcher_again(admin_client: Client, fake_tpdb):
    decision = make_decision(filename="Example Studio - 2022-01-03 - Sunny Afternoon Picnic.mp4")
    response = admin_client.post(f"{QUEUE}{decision.pk}/rerun/", follow=True)
    assert "Re-ran the match: Matched automatically" in response.content.decode()
    decision.refresh_from_db()
    assert decision.state == MatchDecision.State.AUTO


def test_searching_tpdb_from_the_entry_page_lists_approvable_results(admin_client: Client, fake_tpdb):
    decision = make_decision()
    page = admin_client.get(f"{QUEUE}{decision.pk}/change/", {"q": FIXTURE_SCENE}).content.decode()
    assert "Sunny Afternoon Picnic" in page
    assert f'name="rating_key" value="tpdb-scene-{FIXTURE_SCENE}"' in page


def test_the_bulk_actions_pin_the_top_candidate_or_mark_not_in_tpdb(admin_client: Client):
    top, other = make_scene(title="Top"), make_scene(title="Other")
    first = make_decision(filename="a.mp4", candidates=[candidate(top, confidence=60), candidate(other)])
    second = make_decision(filename="b.mp4")
    admin_client.post(QUEUE, {"action": "approve_top_candidates", "_selected_action": [first.pk]})
    admin_client.post(QUEUE, {"action": "mark_not_in_tpdb", "_selected_action": [second.pk]})
    pins = {p.request_key: p for p in MatchPin.objects.all()}
    assert pins[first.request_key].tpdb_id == top.tpdb_id
    assert pins[second.request_key].is_not_in_tpdb is True


def test_the_bulk_rerun_reports_the_new_states(admin_client: Client, fake_tpdb):
    decision = make_decision(filename="Example Studio - 2022-01-03 - Sunny Afternoon Picnic.mp4")
    response = admin_client.post(QUEUE, {"action": "rerun_matches", "_selected_action": [decision.pk]}, follow=True)
    assert "Re-ran 1 match(es): 1 Matched automatically." in response.content.decode()


def test_the_queue_shows_a_pin_that_a_refresh_flagged_as_needing_a_rematch(admin_client: Client):
    decision = make_decision(state=MatchDecision.State.PINNED)
    MatchPin.objects.create(provider="tv", request_key=decision.request_key, rating_key="tpdb-scene-x")
    assert admin_client.get(QUEUE).context["cl"].result_count == 0
    MatchPin.objects.update(is_needs_rematch=True)
    response = admin_client.get(QUEUE)
    assert response.context["cl"].result_count == 1
    assert '<td class="field-state_label">Needs rematch (TPDB lost the item)</td>' in response.content.decode()


@pytest.mark.parametrize("url", [QUEUE, OPERATIONS])
def test_staff_pages_send_anonymous_users_to_the_login(client: Client, url: str):
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_non_staff_users_cannot_pin(client: Client, django_user_model):
    user = django_user_model.objects.create_user(username="viewer", password="pw-viewer-123")
    client.force_login(user)
    decision = make_decision()
    client.post(f"{QUEUE}{decision.pk}/not-in-tpdb/")
    assert not MatchPin.objects.exists()


# --- operations ---------------------------------------------------------------------------------------------------


def test_the_operations_page_shows_cache_stats_and_upstream_status(admin_client: Client):
    CacheEntry.objects.create(key="k1", endpoint="scene_detail", value={}, expires_at=timezone.now() + dt.timedelta(1))
    page = admin_client.get(OPERATIONS).content.decode()
    assert "scene_detail" in page
    for section in ("breaker-state", "tokens-left", "blocked-until", "calls-last-hour", "recent-errors"):
        assert f'id="{section}"' in page
    assert "closed" in page


def test_refreshing_an_item_tpdb_lost_shows_a_message_not_a_500(admin_client: Client, fake_tpdb):
    scene = make_scene()
    response = admin_client.post(f"{OPERATIONS}refresh/", {"rating_key": f"tpdb-scene-{scene.tpdb_id}"}, follow=True)
    assert response.status_code == 200
    assert "(404)" in response.content.decode()
    scene.refresh_from_db()
    assert scene.is_missing_upstream is True


def test_refreshing_an_item_neither_stored_nor_in_tpdb_says_so(admin_client: Client, fake_tpdb):
    rating_key = f"tpdb-movie-{uuid.uuid4()}"
    response = admin_client.post(f"{OPERATIONS}refresh/", {"rating_key": rating_key}, follow=True)
    assert response.status_code == 200
    assert f"TPDB has no {rating_key} (404), and nothing is stored for it." in response.content.decode()


def test_refreshing_an_item_updates_it_from_tpdb(admin_client: Client, fake_tpdb):
    make_scene(tpdb_id=uuid.UUID(FIXTURE_SCENE), title="Old title")
    response = admin_client.post(f"{OPERATIONS}refresh/", {"rating_key": f"tpdb-scene-{FIXTURE_SCENE}"}, follow=True)
    assert "Refreshed “Sunny Afternoon Picnic”" in response.content.decode()
    assert Scene.objects.get(tpdb_id=FIXTURE_SCENE).title == "Sunny Afternoon Picnic"


@pytest.mark.parametrize("rating_key", ["junk", "tpdb-site-example", ""])
def test_refreshing_a_bad_rating_key_shows_a_message(admin_client: Client, rating_key: str):
    response = admin_client.post(f"{OPERATIONS}refresh/", {"rating_key": rating_key}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "is not a scene or movie rating key" in page or "Enter a rating key" in page


def test_refreshing_while_tpdb_is_down_shows_a_message(admin_client: Client, settings):
    settings.TPDB_BASE_URL = "http://127.0.0.1:9"
    settings.TPDB_MAX_RETRIES = 0
    settings.TPDB_CONNECT_TIMEOUT_S = 0.5
    response = admin_client.post(f"{OPERATIONS}refresh/", {"rating_key": f"tpdb-scene-{uuid.uuid4()}"}, follow=True)
    assert response.status_code == 200
    assert "TPDB could not be reached" in response.content.decode()


def test_clear_expired_deletes_only_entries_past_the_grace_period(admin_client: Client, settings):
    settings.CACHE_STALE_GRACE_S = 3600
    now = timezone.now()
    CacheEntry.objects.create(key="old", endpoint="scene_detail", value={}, expires_at=now - dt.timedelta(days=2))
    CacheEntry.objects.create(key="stale", endpoint="scene_detail", value={}, expires_at=now - dt.timedelta(minutes=5))
    response = admin_client.post(f"{OPERATIONS}clear-expired/", follow=True)
    assert "Cleared 1 expired cache entry." in response.content.decode()
    assert list(CacheEntry.objects.values_list("key", flat=True)) == ["stale"]
