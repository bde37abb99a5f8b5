"""Site tasks: the daily site-list sync and the site-year prefetch. Thin: reload by id, call one service."""

from __future__ import annotations

import logging

from celery import Task, shared_task

from sites.models import Site
from sites.services import site_mark_missing_upstream, site_year_prefetch, sites_sync_from_tpdb
from tpdbprovider.core.locks import single_flight
from tpdbprovider.tpdb.errors import TPDBNotFoundError
from tpdbprovider.tpdb.retry import run_with_tpdb_retries

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, name="sites.tasks.sites_sync")
def sites_sync(self: Task) -> str:
    with single_flight("sites_sync", ttl_s=3600) as is_acquired:
        if not is_acquired:
            return "skipped"
        summary = run_with_tpdb_retries(self, sites_sync_from_tpdb)
    return f"fetched {summary.fetched}, created {summary.created}"


@shared_task(bind=True, acks_late=True, name="sites.tasks.site_year_prefetch")
def site_year_prefetch_task(self: Task, site_id: int, year: int) -> str:
    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        return "gone"
    with single_flight(f"site_year:{site_id}:{year}", ttl_s=1800) as is_acquired:
        if not is_acquired:
            return "skipped"
        try:
            count = run_with_tpdb_retries(self, lambda: site_year_prefetch(site=site, year=year))
        except TPDBNotFoundError:
            site_mark_missing_upstream(site=site)
            return "missing upstream"
    return f"stored {count}"
