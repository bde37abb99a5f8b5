"""gunicorn hooks used by ``manage.py serve``."""

from typing import Any


def post_worker_init(worker: Any) -> None:
    """Embedded default (no Redis): this worker also runs the beat schedule (refreshes, cache cleanup, site sync).
    Every worker makes sure TPDB's site list is on its way, so the first file Plex sends finds its site stored."""
    from tpdbprovider.core.scheduler import start_embedded_beat
    from tpdbprovider.core.startup import announce_service_started

    start_embedded_beat()
    announce_service_started(role="web")
