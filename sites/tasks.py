"""Site tasks: the daily site-list sync and the site-year prefetch. Thin: reload by id, call one service."""

from __future__ import annotations

import logging

from celery import Task, shared_task

from sites.models import Site
from sites.services import site_mark_missing_upstream, site_year_prefetch, sites_sync_from_tpdb
from tpdbprovider.core.locks import lock_lease_s, single_flight
from tpdbprovider.core.tasks import TRANSIENT_RETRY
from tpdbprovider.tpdb.errors import TPDBNotFoundError
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


@shared_task(bind=True, acks_late=True, name="sites.tasks.site_year_prefetch", **TRANSIENT_RETRY)
def site_year_prefetch_task(self: Task, site_id: int, year: int) -> str:
    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        return "gone"
    with single_flight(f"site_year:{site_id}:{year}", ttl_s=1800) as is_acquired:
        if not is_acquired:
            return lock_held(self)
        try:
            count = run_with_tpdb_retries(self, lambda: site_year_prefetch(site=site, year=year))
        except TPDBNotFoundError:
            site_mark_missing_upstream(site=site)
            return "missing upstream"
    return f"stored {count}"
