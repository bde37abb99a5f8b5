"""Work queued when a web process or a Celery worker starts."""

from __future__ import annotations

import logging

from django.db import DatabaseError

logger = logging.getLogger(__name__)


def queue_startup_work() -> None:
    """Queue the site-list sync when it was never done (a first start) or is older than CACHE_TTL_SITE_LIST.

    Never stops a start: a database that is not migrated yet or unreachable is logged, and the first matches queue
    the sync again."""
    from sites.services import site_list_sync_queue_if_due

    try:
        if site_list_sync_queue_if_due():
            logger.info("TPDB site list queued for sync at start-up")
    except DatabaseError as exc:
        logger.warning("Site-list sync not queued at start-up (%s)", exc.__class__.__name__)
