"""The admin login locks out an address, or a username, after a few failures; Plex is never affected."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

PASSWORD = "Correct-Horse-Battery-9"
ATTACKER = "198.51.100.7"


@pytest.fixture
def owner(db):
    return get_user_model().objects.create_superuser("owner", "owner@example.invalid", PASSWORD)


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}


def _login(client: Client, username: str, password: str, **headers: str) -> int:
    response = client.post("/admin/login/?next=/admin/", {"username": username, "password": password}, **headers)
    return response.status_code


@pytest.mark.django_db
def test_a_brute_force_on_the_login_is_locked_out_and_plex_still_answers(owner):
    attacker = Client(REMOTE_ADDR=ATTACKER)
    statuses = [_login(attacker, "owner", f"guess-{n}") for n in range(3)]
    assert statuses == [200, 200, 429]  # the form again with its error, then locked at the limit
    assert _login(attacker, "owner", PASSWORD) == 429  # the right password no longer helps
    assert _login(attacker, "someone-else", "guess") == 429  # the address is locked, whatever the username
    assert attacker.get("/tv").status_code == 200
    assert attacker.get("/movie").status_code == 200
    assert attacker.get("/health").status_code in (200, 503)


@pytest.mark.django_db
def test_a_username_is_locked_whatever_address_the_guesses_come_from(owner):
    for n in range(2):
        assert _login(Client(REMOTE_ADDR=f"203.0.113.{n + 1}"), "owner", f"guess-{n}") == 200
    assert _login(Client(REMOTE_ADDR="203.0.113.3"), "owner", "guess-3") == 429
    assert _login(Client(REMOTE_ADDR="203.0.113.50"), "owner", PASSWORD) == 429
    call_command("axes_reset_username", "owner")
    assert _login(Client(REMOTE_ADDR="203.0.113.50"), "owner", PASSWORD) == 302  # into the admin


@pytest.mark.django_db
def test_a_made_up_forwarded_for_does_not_get_around_the_lockout(owner):
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for n in range(2):
        assert _login(attacker, f"user-{n}", "guess", HTTP_X_FORWARDED_FOR=f"10.9.8.{n}") == 200
    assert _login(attacker, "user-9", "guess", HTTP_X_FORWARDED_FOR="10.9.8.99") == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


@pytest.mark.django_db
def test_behind_one_proxy_the_address_the_proxy_saw_is_locked_not_the_one_the_client_wrote(owner, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    for n in range(2):
        assert _login(proxy, f"user-{n}", "guess", HTTP_X_FORWARDED_FOR=f"10.9.8.{n}, {ATTACKER}") == 200
    assert _login(proxy, "user-9", "guess", HTTP_X_FORWARDED_FOR=f"10.9.8.99, {ATTACKER}") == 429
    assert _login(proxy, "owner", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.44") == 302  # another client behind it
    assert _login(proxy, "owner", "guess", HTTP_X_FORWARDED_FOR="not-an-address") == 200  # junk: no 500


@pytest.mark.django_db
def test_a_lockout_shows_in_the_admin_and_the_reset_command_lifts_it(owner, client):
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for n in range(4):
        _login(attacker, "nobody", f"guess-{n}")
    client.force_login(owner)
    page = client.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert ATTACKER in page.content.decode()
    call_command("axes_reset_ip", ATTACKER)
    assert _login(attacker, "owner", PASSWORD) == 302
