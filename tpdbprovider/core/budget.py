"""One TPDB time budget per web request, whatever the request calls.

``RequestBudgetMiddleware`` opens a budget of ``TPDB_WEB_BUDGET_S`` for each request; every interactive TPDB client
created inside it (a search, then an inline prefetch, then a detail) gets what is left of that one budget, not a fresh
one each. Outside a request (tasks, commands, shell) there is no budget and clients use their own.

It also names the request's limiter lane (``core.ratelimit``): a Plex metadata read is ``read``, a match
``interactive`` (the match service narrows a Fix Match to ``manual``), anything else (the admin) ``interactive``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_deadline: ContextVar[float | None] = ContextVar("tpdb_request_deadline", default=None)
_lane: ContextVar[str | None] = ContextVar("tpdb_request_lane", default=None)


@contextmanager
def request_budget(budget_s: float | None = None) -> Iterator[None]:
    """Give the code inside one budget of ``budget_s`` (default ``TPDB_WEB_BUDGET_S``) seconds; nests by keeping the
    tighter deadline."""
    seconds = settings.TPDB_WEB_BUDGET_S if budget_s is None else budget_s
    deadline = time.monotonic() + seconds
    outer = _deadline.get()
    token = _deadline.set(deadline if outer is None else min(outer, deadline))
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining_budget_s() -> float | None:
    """Seconds left in the current request's budget (never negative), or None outside one."""
    deadline = _deadline.get()
    return None if deadline is None else max(deadline - time.monotonic(), 0.0)


@contextmanager
def request_lane(lane: str) -> Iterator[None]:
    """Interactive TPDB calls made inside take tokens in ``lane`` (see ``core.ratelimit``)."""
    token = _lane.set(lane)
    try:
        yield
    finally:
        _lane.reset(token)


def current_request_lane() -> str | None:
    """The lane named for the current request, or None outside one."""
    return _lane.get()


def _lane_of(path: str) -> str:
    if "/library/" in path and not path.rstrip("/").endswith("/matches"):
        return "read"
    return "interactive"


class RequestBudgetMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_budget(), request_lane(_lane_of(request.path)):
            return self.get_response(request)
