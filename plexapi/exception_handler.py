"""One error body for every endpoint: {"code", "message", "extra"}; never a traceback."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from tpdbprovider.core.db import is_busy
from tpdbprovider.core.exceptions import (
    ApplicationError,
    UpstreamError,
    UpstreamNotFoundError,
    UpstreamRateLimitedError,
)

logger = logging.getLogger(__name__)

RETRY_AFTER_S = 10  # what a Plex client is told to wait while the database or TPDB is unavailable
_OUTAGE_LOG_INTERVAL_S = 60.0
_outage_log = {"last": 0.0, "suppressed": 0}
_outage_lock = threading.Lock()


def _body(code: str, message: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "extra": extra or {}}


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for field, value in detail.items():
            return f"{field}: {_first_message(value)}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def _unavailable(code: str, message: str, *, retry_after_s: int) -> Response:
    return Response(
        _body(code, message, {"retry_after": retry_after_s}),
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(retry_after_s)},
    )


def plex_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, OperationalError) and is_busy(exc):  # up, but another write held the rows past every retry
        logger.warning("Database busy (%s); answering 503", str(exc).strip()[:200])
        return _unavailable("database_busy", "The database was busy with another write; try again.", retry_after_s=1)
    if isinstance(exc, OperationalError | InterfaceError):  # the database is unreachable or was restarted
        _log_database_outage(exc)
        return _unavailable(
            "database_unavailable", "The database is unreachable; try again later.", retry_after_s=RETRY_AFTER_S
        )
    if isinstance(exc, exceptions.ValidationError):
        return Response(
            _body("invalid", _first_message(exc.detail), {"fields": exc.detail}), status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, exceptions.ParseError):
        return Response(_body("malformed", "The request body is not valid JSON."), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404 | UpstreamNotFoundError | exceptions.NotFound):
        return Response(_body("not_found", str(exc) or "Not found."), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, exceptions.Throttled):
        wait = int(getattr(exc, "wait", None) or 1)  # DRF sets .wait; its stubs do not declare it
        return Response(
            _body("throttled", f"Too many requests; retry in {wait} s.", {"retry_after": wait}),
            status=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(wait)},
        )
    if isinstance(exc, UpstreamRateLimitedError):
        wait = max(1, int(exc.retry_after or 1))
        return _unavailable("tpdb_rate_limited", "TPDB is rate limiting us; try again later.", retry_after_s=wait)
    if isinstance(exc, UpstreamError):
        logger.warning("TPDB error reached a view: %s", exc)
        return Response(_body("tpdb_error", str(exc)), status=status.HTTP_502_BAD_GATEWAY)
    if isinstance(exc, ApplicationError):
        retry_after = exc.extra.get("retry_after")
        if not retry_after and exc.status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
            retry_after = RETRY_AFTER_S  # every 503 says when to come back (STYLE §2)
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        return Response(_body(exc.code, exc.message, exc.extra), status=exc.status_code, headers=headers)
    if isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        return Response(_body(str(code), _first_message(exc.detail)), status=exc.status_code)
    if isinstance(exc, PermissionDenied):
        return Response(_body("forbidden", "Forbidden."), status=status.HTTP_403_FORBIDDEN)
    # Hostile input that Django or the parser refuses while DRF reads it: the client's fault, so 4xx, never a 500.
    if isinstance(exc, RequestDataTooBig):
        return Response(_body("too_large", "The request body is too large."), status=413)
    if isinstance(exc, SuspiciousOperation):  # e.g. TooManyFieldsSent: more query parameters than allowed
        return Response(_body("bad_request", "The request was refused as malformed."), status=400)
    if isinstance(exc, RecursionError):  # pathologically nested input anywhere on the way in
        return Response(_body("malformed", "The request is nested too deeply."), status=400)
    logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
    return Response(_body("server_error", "Internal error."), status=status.HTTP_500_INTERNAL_SERVER_ERROR)


def _log_database_outage(exc: Exception) -> None:
    """One log line per outage minute, with how many failed requests it stands for, not one per request."""
    now = time.monotonic()
    with _outage_lock:
        if now - _outage_log["last"] < _OUTAGE_LOG_INTERVAL_S:
            _outage_log["suppressed"] += 1
            return
        suppressed = _outage_log["suppressed"]
        _outage_log.update(last=now, suppressed=0)
    logger.error(
        "Database unreachable (%s: %s); answering 503. %d more such requests since the last report",
        exc.__class__.__name__,
        str(exc).strip()[:200],
        suppressed,
    )
