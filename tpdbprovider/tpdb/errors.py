"""Typed TPDB errors. Messages never contain the API key.

They extend ``core.exceptions``' upstream errors, which is what code outside the services catches and maps."""

from __future__ import annotations

from tpdbprovider.core.exceptions import UpstreamError, UpstreamNotFoundError, UpstreamRateLimitedError


class TPDBError(UpstreamError):
    """Any failure talking to TPDB."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.message!r}, status_code={self.status_code!r})"


class TPDBNotFoundError(TPDBError, UpstreamNotFoundError):
    """404: TPDB does not know this id."""

    def __init__(self, message: str = "Not found on TPDB.", status_code: int | None = 404) -> None:
        super().__init__(message, status_code)


class TPDBRateLimitError(TPDBError, UpstreamRateLimitedError):
    """429: wait retry_after seconds before the next call."""

    def __init__(
        self, message: str = "TPDB rate limit hit.", retry_after: float = 30.0, status_code: int = 429
    ) -> None:
        super().__init__(message, status_code)
        self.retry_after = retry_after


class TPDBUnavailableError(TPDBError):
    """5xx, timeout, refused connection, a non-JSON body, or the circuit breaker is open."""


class TPDBUnusableAnswerError(TPDBUnavailableError):
    """TPDB answered, but in a shape our schemas cannot store (no usable id): treated like an outage, never a 500."""


class TPDBConfigurationError(TPDBError):
    """The client cannot call TPDB as configured (for example no TPDB_API_KEY)."""
