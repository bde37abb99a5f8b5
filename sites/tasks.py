"""Site tasks: the daily site-list sync. Thin: call one service. (The site-year prefetch is in scenes.tasks.)"""

from __future__ import annotations

import logging

from celery import Task, shared_task

from sites.services import sites_sync_from_tpdb
from tpdbprovider.core.locks import lock_lease_s, single_flight
from tpdbprovider.core.tasks import TRANSIENT_RETRY
from tpdbprovider.tpdb.retry import MAX_RETRIES, run_with_tpdb_retries

logger = logging.getLogger(__name__)


def lock_held(task: Task) -> str:
    """The job's lock is held: skip, unless this message is a redelivery. Then the holder was most likely this very
    task in a worker that died (its lease ends within LOCK_LEASE_S), so try again once the lease is over."""
    if (task.request.delivery_info or {}).get("redelivered"):
        raise task.retry(countdown=lock_lease_s(), max_retries=MAX_RETRIES)
    return "skipped"


@shared_task(bind=True, acks_late=True, name="sites.tasks.sites_sync", **TRANSIENT_RETRY)
def sites_sync(self: Task) -> str:
    with single_flight("sites_sync", ttl_s=3600) as is_acquired:
        if not is_acquired:
            return lock_held(self)
        summary = run_with_tpdb_retries(self, sites_sync_from_tpdb)
    return f"fetched {summary.fetched}, created {summary.created}"
