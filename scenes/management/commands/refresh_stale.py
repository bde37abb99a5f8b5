from datetime import timedelta
from typing import Any

from django.core.management.base import CommandError

from scenes.items import media_refresh_now
from scenes.services import STALE_BATCH, media_stale_refresh
from tpdbprovider.tpdb.commands import TPDBCommand


class Command(TPDBCommand):
    help = "Refetch scenes and movies due for a refresh (scenes.services.media_stale_refresh), in this process."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--older-than", type=float, default=None, metavar="HOURS", help="refresh anything older")
        parser.add_argument(
            "--limit", type=int, default=STALE_BATCH, help=f"most items per kind (default {STALE_BATCH})"
        )
        self.add_dry_run(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        hours, limit = options["older_than"], options["limit"]
        if hours is not None and not 0 <= hours <= 24 * 3650:
            raise CommandError("--older-than must be between 0 and 87600 hours.")
        if limit < 1:
            raise CommandError("--limit must be at least 1.")
        older_than = timedelta(hours=hours) if hours is not None else None
        if options["dry_run"]:
            due = media_stale_refresh(refresh=None, older_than=older_than, limit=limit)
            self.stdout.write(f"would refresh {due.scenes} scenes and {due.movies} movies")
            return
        with self.progress("refresh") as progress:
            summary = media_stale_refresh(
                refresh=media_refresh_now, older_than=older_than, limit=limit, progress=progress
            )
        for failure in summary.failures:
            self.stderr.write(failure)
        failed = len(summary.failures)
        self.stdout.write(f"refreshed {summary.refreshed}, missing upstream {summary.missing}, failed {failed}")
        if failed:
            raise CommandError(f"{failed} refreshes failed (TPDB errors above); run again later.")
