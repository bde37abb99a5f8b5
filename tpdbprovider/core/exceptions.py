"""Errors that carry their own HTTP status to the Plex exception handler."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, extra: dict[str, Any] | None = None, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
        if status_code is not None:
            self.status_code = status_code


class UpstreamError(Exception):
    """The metadata source (TPDB) failed. ``tpdb.errors`` subclasses these three, so interfaces (the Plex exception
    handler, views, tasks) can tell the failures apart without importing ``tpdb``."""

    message: str


class UpstreamNotFoundError(UpstreamError):
    """The metadata source does not know this item."""


class UpstreamRateLimitedError(UpstreamError):
    """The metadata source is rate limiting us: wait ``retry_after`` seconds."""

    retry_after: float
