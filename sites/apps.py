from typing import Any

from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "sites"

    def ready(self) -> None:
        from tpdbprovider.core.startup import service_started

        service_started.connect(_queue_site_list_sync, dispatch_uid="sites.queue_site_list_sync")


def _queue_site_list_sync(**_: Any) -> None:
    """A first start (or a site list older than CACHE_TTL_SITE_LIST) queues TPDB's site list, so the first file
    finds its site stored. A database not migrated yet, or unreachable, is logged by the sender; the first matches
    queue the sync again."""
    from sites.services import site_list_sync_queue_if_due

    site_list_sync_queue_if_due()
