"""The admin works under its Content-Security-Policy: real headless Chromium reports no violation on its pages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model

from tests.browser import chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-browser-test-password"
PAGES = [
    "/admin/",
    "/admin/scenes/scene/",
    "/admin/scenes/scene/add/",
    "/admin/sites/site/add/",
    "/admin/auth/user/{pk}/change/",
    "/admin/axes/accessattempt/",
]


@pytest.fixture
def logging_browser() -> Iterator[object]:
    with chromium(capabilities={"goog:loggingPrefs": {"browser": "ALL"}}) as driver:
        yield driver


def test_the_admin_pages_break_no_rule_of_their_content_security_policy(logging_browser, live_server):
    from selenium.webdriver.common.by import By

    driver = logging_browser
    user = get_user_model().objects.create_superuser("csp-owner", "csp@example.test", PASSWORD)
    driver.get(f"{live_server.url}/admin/login/")
    driver.find_element(By.NAME, "username").send_keys("csp-owner")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    driver.find_element(By.ID, "user-tools")  # logged in: the admin's own scripts and styles ran
    messages = [entry["message"] for entry in driver.get_log("browser")]
    for page in (p.format(pk=user.pk) for p in PAGES):
        driver.get(f"{live_server.url}{page}")
        driver.find_element(By.ID, "content")
        messages += [f"{page}: {entry['message']}" for entry in driver.get_log("browser")]
    # The calendar and clock widgets are built by script on the add forms: open one to run that code too.
    driver.get(f"{live_server.url}/admin/scenes/scene/add/")
    shortcuts = driver.find_elements(By.CSS_SELECTOR, ".datetimeshortcuts a")
    if shortcuts:
        shortcuts[-1].click()
    messages += [entry["message"] for entry in driver.get_log("browser")]
    assert [m for m in messages if "Content Security Policy" in m] == []
