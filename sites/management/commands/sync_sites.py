from typing import Any

from sites.services import sites_sync_from_tpdb
from tpdbprovider.tpdb.commands import TPDBCommand


class Command(TPDBCommand):
    help = "Fetch every TPDB site into the local Site table (the matcher resolves site names against it)."

    def add_arguments(self, parser: Any) -> None:
        self.add_dry_run(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        with self.progress("sites") as progress:
            summary = sites_sync_from_tpdb(is_dry_run=options["dry_run"], progress=progress)
        prefix = "would store" if options["dry_run"] else "stored"
        self.stdout.write(
            f"{prefix} {summary.fetched} sites ({summary.created} new, {summary.updated} updated) "
            f"from {summary.pages} pages"
        )
