"""A person approves a review-queue candidate in real headless Chromium; Plex's next match gets that candidate."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from model_bakery import baker
from rest_framework.test import APIClient

from scenes.matching import MatchRequest, request_json, request_key_for
from scenes.models import MatchDecision, MatchPin, Scene
from sites.models import Site
from tests.browser import chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = Path("/tmp/review_queue.png")
MOVIE_MATCH = "/movie/library/metadata/matches"
PASSWORD = "a-long-browser-test-password"


@pytest.fixture
def browser() -> Iterator[object]:
    with chromium("--window-size=1280,1400") as driver:
        yield driver


def test_a_candidate_approved_in_the_browser_is_what_plex_gets_next(browser, live_server):
    from selenium.webdriver.common.by import By

    get_user_model().objects.create_superuser("reviewer", "reviewer@example.test", PASSWORD)
    site = baker.make(Site, tpdb_id=uuid.uuid4(), tpdb_numeric_id=4101, slug="example-studio", name="Example Studio")
    right = baker.make(
        Scene,
        tpdb_id=uuid.uuid4(),
        tpdb_numeric_id=900001,
        title="Sunny Afternoon Picnic",
        release_date=dt.date(2022, 1, 3),
        site=site,
        poster_url=f"{live_server.url}/static/admin/img/icon-yes.svg",
        tags=[],
        directors=[],
    )
    wrong = baker.make(Scene, tpdb_id=uuid.uuid4(), tpdb_numeric_id=900002, title="Rainy Morning", site=site, tags=[])
    body = {"type": 1, "title": "Picnic", "filename": "/films/Example Studio - Picnic <b>bold</b>.mkv"}
    req = MatchRequest(provider="movie", type=1, title=body["title"], filename=body["filename"])
    decision = MatchDecision.objects.create(
        provider="movie",
        request_type=1,
        request_key=request_key_for(req),
        request=request_json(req),
        parsed={"site_tokens": ["example", "studio"], "title": "Picnic", "dates": []},
        candidates=[_candidate(wrong, 58, site_points=30.0), _candidate(right, 54, site_points=30.0)],
        confidence=58,
        state=MatchDecision.State.ABSTAINED,
        reason="margin",
    )

    browser.get(f"{live_server.url}/admin/login/?next=/admin/")
    browser.find_element(By.NAME, "username").send_keys("reviewer")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    browser.find_element(By.LINK_TEXT, "Review queue").click()
    browser.find_element(By.CSS_SELECTOR, f'a[href="/admin/scenes/reviewitem/{decision.pk}/change/"]').click()

    card = browser.find_element(By.CSS_SELECTOR, f'.review-card[data-rating-key="tpdb-scene-{right.tpdb_id}"]')
    assert "Sunny Afternoon Picnic" in card.text
    assert "<b>bold</b>" in browser.find_element(By.ID, "review-request").text  # shown as text, not markup
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT))
    card.find_element(By.CSS_SELECTOR, "form.review-approve input[type=submit]").click()

    assert "Pinned tpdb-scene-" in browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text
    assert MatchPin.objects.get().tpdb_numeric_id == 900001
    response = APIClient().post(MOVIE_MATCH, body, format="json")
    (item,) = response.json()["MediaContainer"]["Metadata"]
    assert (item["ratingKey"], item["title"], item["score"]) == (f"tpdb-scene-{right.tpdb_id}", right.title, 100)


def _candidate(scene: Scene, confidence: int, **breakdown: float) -> dict:
    return {
        "rating_key": f"tpdb-scene-{scene.tpdb_id}",
        "kind": "scene",
        "title": scene.title,
        "site": "Example Studio",
        "date": scene.release_date.isoformat() if scene.release_date else None,
        "performers": ["Alex Sample", "Jordan Example"],
        "confidence": confidence,
        "breakdown": {"site": "exact", "title": "partial", "date": "none", **breakdown},
        "duplicates": [],
    }
