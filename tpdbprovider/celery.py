"""The Celery app: Redis broker when REDIS_URL is set, in-process (eager) tasks otherwise."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tpdbprovider.settings.production")

app = Celery("tpdbprovider")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["tpdbprovider.core"])


@worker_ready.connect
def _queue_startup_work(**_: object) -> None:
    """A worker's start queues the site-list sync when it is due (first start of the full stack)."""
    from tpdbprovider.core.startup import announce_service_started

    announce_service_started(role="worker")
