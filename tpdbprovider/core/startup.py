"""Start-up work, announced without knowing who does it: a web process (gunicorn's worker, or the dev server) and a
Celery worker send ``service_started``; apps connect what they need (the site-list sync, in ``sites.apps``)."""

from __future__ import annotations

import logging

from django.dispatch import Signal

logger = logging.getLogger(__name__)

service_started = Signal()


def announce_service_started(*, role: str) -> None:
    """Send ``service_started``; a receiver that fails is logged, never stops the start (``send_robust``)."""
    for receiver, result in service_started.send_robust(sender=None, role=role):
        if isinstance(result, Exception):
            logger.warning("Start-up work %s failed (%s)", getattr(receiver, "__qualname__", receiver), result)
