"""Delete cache rows expired for longer than the stale grace period."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tpdbprovider.core.cache import cache_service


class Command(BaseCommand):
    help = "Delete cache entries that expired more than --grace seconds ago (default CACHE_STALE_GRACE_S)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--grace", type=int, default=None, help="seconds past expiry to keep rows (stale mode)")
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        grace_s = settings.CACHE_STALE_GRACE_S if options["grace"] is None else options["grace"]
        if grace_s < 0:
            raise CommandError("--grace must be 0 or more seconds.")
        if options["dry_run"]:
            count = cache_service.count_expired(grace_s=grace_s)
            self.stdout.write(f"would remove {count} expired cache entries (dry run)")
            return
        removed = cache_service.clear_expired(grace_s=grace_s)
        self.stdout.write(f"removed {removed} expired cache entries")
