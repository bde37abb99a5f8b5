"""gunicorn hooks used by ``manage.py serve``."""

from typing import Any


def post_worker_init(worker: Any) -> None:
    """Embedded default (no Redis): this worker also runs the beat schedule (refreshes, cache cleanup, site sync).
    Every worker makes sure TPDB's site list is on its way, so the first file Plex sends finds its site stored."""
    from tpdbprovider.core.scheduler import start_embedded_beat
    from tpdbprovider.core.startup import announce_service_started

    start_embedded_beat()
    announce_service_started(role="web")


def worker_exit(server: Any, worker: Any) -> None:
    """A stopping worker drops the embedded jobs it has not started, so Ctrl-C (or a restart) does not wait for them."""
    import logging

    from tpdbprovider.core.tasks import embedded_shutdown

    dropped = embedded_shutdown()
    if dropped:
        logging.getLogger(__name__).info(
            "Stopping: %d queued background jobs dropped (asked for again when needed)", dropped
        )
