"""Delete cache rows expired for longer than the stale grace period."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tpdbprovider.core.cache import cache_service


class Command(BaseCommand):
    help = (
        "Delete cache entries that expired more than --grace seconds ago (default: CACHE_STALE_GRACE_SEARCH_S for "
        "search answers, CACHE_STALE_GRACE_S for the rest), then trim the cache to CACHE_MAX_MB."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--grace", type=int, default=None, help="seconds past expiry to keep rows (stale mode)")
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        grace_s = options["grace"]
        if grace_s is not None and grace_s < 0:
            raise CommandError("--grace must be 0 or more seconds.")
        if options["dry_run"]:
            count = cache_service.count_expired(grace_s=grace_s)
            self.stdout.write(f"would remove {count} expired cache entries (dry run)")
            return
        removed = cache_service.clear_expired(grace_s=grace_s)
        self.stdout.write(f"removed {removed} expired cache entries (and any beyond CACHE_MAX_MB)")
