from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from tpdbprovider.core.logging import ContextFilter, JsonFormatter, request_id_var


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("tpdb.test", logging.INFO, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_json_lines_carry_the_request_id_and_extra_fields() -> None:
    token = request_id_var.set("req-123")
    try:
        record = _record("match %s", "done", provider="tv", ms=12.5, tpdb_calls=1)
        ContextFilter().filter(record)
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["message"] == "match done"
    assert line["request_id"] == "req-123"
    assert (line["provider"], line["ms"], line["tpdb_calls"]) == ("tv", 12.5, 1)


def test_the_filter_masks_the_api_key_and_admin_password(settings) -> None:
    settings.TPDB_API_KEY = "tpdb-key-abcdef123456"
    settings.ADMIN_PASSWORD = "admin-pass-987654321"
    record = _record("calling with %s and %s", settings.TPDB_API_KEY, settings.ADMIN_PASSWORD)
    ContextFilter().filter(record)
    text = record.getMessage()
    assert "tpdb-key-abcdef123456" not in text
    assert "admin-pass-987654321" not in text
    assert text.count("***") == 2


def test_json_formatter_masks_secrets_in_extra_fields(settings) -> None:
    settings.TPDB_API_KEY = "tpdb-key-abcdef123456"
    record = _record("headers", header="Bearer tpdb-key-abcdef123456")
    assert "tpdb-key-abcdef123456" not in JsonFormatter().format(record)


@pytest.mark.django_db
def test_each_response_echoes_a_request_id(client: Client) -> None:
    assert len(client.get("/health")["X-Request-ID"]) >= 8
    assert client.get("/health", HTTP_X_REQUEST_ID="plex-abc.1")["X-Request-ID"] == "plex-abc.1"


@pytest.mark.django_db
def test_a_hostile_request_id_is_replaced(client: Client) -> None:
    response = client.get("/health", HTTP_X_REQUEST_ID="x" * 500 + "\n<script>")
    assert response["X-Request-ID"] != "x" * 500 + "\n<script>"
    assert len(response["X-Request-ID"]) <= 64
