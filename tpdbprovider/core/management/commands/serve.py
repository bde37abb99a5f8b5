"""Serve the providers on HOST:PORT: gunicorn, or Django's dev server in DEBUG. Prints the URLs for Plex."""

import os
import socket
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from tpdbprovider.core.scheduler import start_embedded_beat
from tpdbprovider.core.startup import announce_service_started


def _lan_address() -> str:
    """Best guess at the address Plex should use; no packet is sent (UDP connect only picks a route)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed, nothing is sent
            return str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"


class Command(BaseCommand):
    help = "Serve the Plex providers on HOST:PORT (gunicorn; the dev server when DEBUG)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = settings.HOST, settings.PORT
        shown = _lan_address() if host in {"0.0.0.0", "::"} else host
        self.stdout.write(
            f"\n{settings.APP_NAME} providers on http://{host}:{port}\n"
            f"  Add these in Plex (Settings > Metadata Agents > Add Provider):\n"
            f"    TV:     http://{shown}:{port}/tv\n"
            f"    Movies: http://{shown}:{port}/movie\n"
            f"  Admin:  http://{shown}:{port}/admin/   Health: http://{shown}:{port}/health\n"
        )
        if not settings.TPDB_API_KEY:
            self.stderr.write("TPDB_API_KEY is not set: stored metadata is served, TPDB lookups fail until you set it.")
        workers = options["workers"]
        if not settings.REDIS_URL:
            # Embedded default: one process owns the SQLite writes, the task thread and the beat schedule.
            workers = 1
            self.stdout.write("  Embedded mode (no REDIS_URL): tasks and the beat schedule run inside this process.")
        if settings.DEBUG:
            start_embedded_beat()
            announce_service_started(role="web")
            call_command("runserver", f"{host}:{port}", use_reloader=False)
            return
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        argv = [
            gunicorn,
            "tpdbprovider.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--config",
            "python:tpdbprovider.gunicorn_conf",
            "--threads",
            "4",
            "--timeout",
            "120",
            "--access-logfile",
            "-",
        ]
        os.execv(gunicorn, argv)
