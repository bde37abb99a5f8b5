"""How long the answer being built stays true.

Code that builds an answer says when what it shows goes out of date (``answer_valid_for``: the stored-row rules of
``core.fetching`` call it with the moment a stored item goes stale, so that reading it then queues the refresh); a
cache of rendered answers (``plexapi.responsecache``) opens an ``answer_validity()`` around the build and keeps the
answer no longer than it says. Outside one, the calls do nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class AnswerValidity:
    seconds: float = float("inf")


_validity_var: ContextVar[AnswerValidity | None] = ContextVar("answer_validity", default=None)


def answer_valid_for(seconds: float) -> None:
    """Called while an answer is built: keep it at most ``seconds``. No-op outside ``answer_validity()``."""
    validity = _validity_var.get()
    if validity is not None:
        validity.seconds = min(validity.seconds, seconds)


@contextmanager
def answer_validity() -> Iterator[AnswerValidity]:
    """Collect what the code inside says about how long its answer stays true (the shortest it said)."""
    validity = AnswerValidity()
    token = _validity_var.set(validity)
    try:
        yield validity
    finally:
        _validity_var.reset(token)
