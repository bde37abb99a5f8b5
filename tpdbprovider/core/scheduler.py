"""The beat schedule for the embedded default: with no Redis there is no Celery beat, so one thread in the web
process runs ``CELERY_BEAT_SCHEDULE`` itself (tasks run on the embedded task thread, see ``core.tasks``)."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from celery import current_app
from django.conf import settings
from django.utils import timezone

from tpdbprovider.core.tasks import submit_embedded

logger = logging.getLogger(__name__)
CHECK_EVERY_S = 30.0
_started = threading.Event()


def run_due(last_run: dict[str, datetime], now: datetime) -> list[str]:
    """Queue every schedule entry due since its last run; returns their names."""
    current_app.loader.import_default_modules()  # autodiscovered task modules are imported lazily
    started = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        since, delta, _ = entry["schedule"].remaining_delta(last_run.setdefault(name, now))
        if since + delta <= now:  # the next crontab time after the last run has passed
            last_run[name] = now
            submit_embedded(current_app.tasks[entry["task"]], {})
            started.append(name)
    return started


def start_embedded_beat() -> bool:
    """Start the schedule thread once per process, only in the embedded default; True if it was started now."""
    if settings.REDIS_URL or _started.is_set():
        return False
    _started.set()

    def loop() -> None:
        last_run: dict[str, datetime] = {}
        stop = threading.Event()
        while not stop.wait(CHECK_EVERY_S):
            try:
                for name in run_due(last_run, timezone.now()):
                    logger.info("embedded beat queued %s", name)
            except Exception:  # the schedule thread must outlive a bad run
                logger.exception("embedded beat failed")

    threading.Thread(target=loop, name="tpdb-embedded-beat", daemon=True).start()
    return True
