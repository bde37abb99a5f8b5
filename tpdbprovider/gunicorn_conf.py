"""gunicorn hooks used by ``manage.py serve``."""

from typing import Any


def post_worker_init(worker: Any) -> None:
    """Embedded default (no Redis): this worker also runs the beat schedule (refreshes, cache cleanup, site sync)."""
    from tpdbprovider.core.scheduler import start_embedded_beat

    start_embedded_beat()
