"""One error body for every endpoint: {"code", "message", "extra"}; never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from tpdbprovider.core.exceptions import ApplicationError
from tpdbprovider.tpdb.errors import TPDBError, TPDBNotFoundError, TPDBRateLimitError

logger = logging.getLogger(__name__)


def _body(code: str, message: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "extra": extra or {}}


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for field, value in detail.items():
            return f"{field}: {_first_message(value)}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def plex_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, exceptions.ValidationError):
        return Response(
            _body("invalid", _first_message(exc.detail), {"fields": exc.detail}), status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, exceptions.ParseError):
        return Response(_body("malformed", "The request body is not valid JSON."), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404 | TPDBNotFoundError | exceptions.NotFound):
        return Response(_body("not_found", str(exc) or "Not found."), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        return Response(
            _body("throttled", f"Too many requests; retry in {wait} s.", {"retry_after": wait}),
            status=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(wait)},
        )
    if isinstance(exc, TPDBRateLimitError):
        wait = max(1, int(exc.retry_after or 1))
        return Response(
            _body("tpdb_rate_limited", "TPDB is rate limiting us; try again later.", {"retry_after": wait}),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(wait)},
        )
    if isinstance(exc, TPDBError):
        logger.warning("TPDB error reached a view: %s", exc)
        return Response(_body("tpdb_error", str(exc)), status=status.HTTP_502_BAD_GATEWAY)
    if isinstance(exc, ApplicationError):
        retry_after = exc.extra.get("retry_after")
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
