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


class ItemNotFoundError(ApplicationError):
    """The item is neither stored nor known to the metadata source (or the key names nothing): 404."""

    status_code = 404
    code = "not_found"


class ItemUnavailableError(ApplicationError):
    """The item is not stored and the metadata source could not be asked: 503, never a 500."""

    status_code = 503
    code = "tpdb_unavailable"


class UnknownItemShareSpentError(ItemUnavailableError):
    """This client has used its share of metadata-source calls for items we do not store: 503 with Retry-After."""

    code = "tpdb_share_spent"
