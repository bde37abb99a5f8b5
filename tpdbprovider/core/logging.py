"""Request ids, a context filter that masks secrets, and the JSON formatter."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


@dataclass
class TPDBActivity:
    """What one web request asked of TPDB: ``asks`` counts client requests (including ones refused without any HTTP,
    e.g. breaker open or no key), ``calls`` the HTTP attempts among them."""

    asks: int = 0
    calls: int = 0


tpdb_activity_var: ContextVar[TPDBActivity | None] = ContextVar("tpdb_activity", default=None)

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "request_id"}


def count_tpdb_ask() -> None:
    """Counted by the TPDB client for each request it is given, before it decides whether to send it."""
    activity = tpdb_activity_var.get()
    if activity is not None:
        activity.asks += 1


def count_tpdb_call() -> None:
    """Counted by the TPDB client for each HTTP attempt, so the request log can say how many were made."""
    activity = tpdb_activity_var.get()
    if activity is not None:
        activity.calls += 1


def request_tpdb_activity() -> TPDBActivity | None:
    """This web request's TPDB activity so far; None outside a request (tasks, commands)."""
    return tpdb_activity_var.get()


def _secrets() -> list[str]:
    values = [getattr(settings, "TPDB_API_KEY", ""), getattr(settings, "ADMIN_PASSWORD", "")]
    return [v for v in values if v and len(v) >= 4]


def mask_secrets(text: str) -> str:
    for secret in _secrets():
        text = text.replace(secret, "***")
    return text


class ContextFilter(logging.Filter):
    """Adds request_id to every record and masks the TPDB key and admin password as a backstop."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        if _secrets():
            message = record.getMessage()
            masked = mask_secrets(message)
            if masked != message:
                record.msg, record.args = masked, None
        return True


class DropServiceUnavailable(logging.Filter):
    """For ``django.request``: a 503 is an outage answer whose cause is already logged once (database, TPDB), so
    Django's own line per 503 response is dropped; 500s still get through."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) != 503


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        payload.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS})
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return mask_secrets(json.dumps(payload, default=str))


class RequestContextMiddleware:
    """Sets X-Request-ID (echoed) and counts the request's TPDB calls (X-TPDB-Calls); the provider app logs its
    requests with them (``plexapi.middleware``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex[:16]
        token = request_id_var.set(request_id)
        activity = TPDBActivity()
        activity_token = tpdb_activity_var.set(activity)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            response["X-TPDB-Calls"] = str(activity.calls)
            return response
        finally:
            tpdb_activity_var.reset(activity_token)
            request_id_var.reset(token)
