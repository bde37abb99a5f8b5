"""Print CacheService.get_stats(), as a table or JSON."""

import json
from typing import Any

from django.core.management.base import BaseCommand

from tpdbprovider.core.cache import cache_service


class Command(BaseCommand):
    help = "Show cache statistics (entries, active, expired, hits) overall and per endpoint."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def handle(self, *args: Any, **options: Any) -> None:
        stats = cache_service.get_stats()
        if options["json"]:
            self.stdout.write(json.dumps(stats, indent=2, sort_keys=True))
            return
        self.stdout.write(
            f"entries {stats['total_entries']}  active {stats['active_entries']}  "
            f"expired {stats['expired_entries']}  hits {stats['total_hits']}"
        )
        self.stdout.write(f"{'endpoint':<16}{'entries':>10}{'active':>10}{'expired':>10}{'hits':>10}")
        for endpoint, row in sorted(stats["by_endpoint"].items()):
            self.stdout.write(
                f"{endpoint:<16}{row['entries']:>10}{row['active']:>10}{row['expired']:>10}{row['hits']:>10}"
            )
