"""The Celery app: Redis broker when REDIS_URL is set, in-process (eager) tasks otherwise."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tpdbprovider.settings.production")

app = Celery("tpdbprovider")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["tpdbprovider.core"])
