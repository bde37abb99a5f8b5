from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client


@pytest.mark.django_db
def test_health_reports_database_cache_and_tpdb_key(client: Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["database"]["ok"] is True
    assert body["database"]["vendor"] == connection.vendor
    assert body["cache"]["ok"] is True
    assert body["tpdb"]["api_key_set"] is True
    assert body["status"] == "ok"


@pytest.mark.django_db
def test_health_is_degraded_but_serving_without_an_api_key(client: Client, settings) -> None:
    settings.TPDB_API_KEY = ""
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["tpdb"]["api_key_set"] is False


@pytest.mark.django_db
def test_health_answers_503_when_the_database_is_unreachable(client: Client, monkeypatch) -> None:
    def broken_cursor(*args, **kwargs):
        raise connection.OperationalError("connection refused")

    # The health view must turn a dead database into 503, not a 500: simulate the driver failing.
    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "down"
    assert response.json()["database"]["ok"] is False


def test_health_never_shows_the_api_key(client: Client, settings) -> None:
    settings.TPDB_API_KEY = "super-secret-token-value"
    assert "super-secret-token-value" not in client.get("/health").content.decode()
