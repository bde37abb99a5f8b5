from typing import Any

from django.core.management.base import CommandError

from scenes.catalog import site_year_prefetch
from sites.services import site_get_or_fetch
from tpdbprovider.tpdb.commands import TPDBCommand


class Command(TPDBCommand):
    help = "Fetch one site's scenes (one year with --year) so matches for it are answered locally."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("site", help="our slug, the TPDB numeric id or the TPDB uuid")
        parser.add_argument("--year", type=int, default=None, help="only scenes released in this year")
        self.add_dry_run(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        key, year = options["site"].strip(), options["year"]
        if not key or len(key) > 120:
            raise CommandError("Give a site slug, numeric id or uuid.")
        if year is not None and not 1900 <= year <= 2100:
            raise CommandError("--year must be between 1900 and 2100.")
        site = site_get_or_fetch(ref=key.lower(), lane="background")  # slugs are lower-case
        with self.progress(f"{site.name} {year or 'all years'}") as progress:
            count = site_year_prefetch(site=site, year=year, is_dry_run=options["dry_run"], progress=progress)
        prefix = "would store" if options["dry_run"] else "stored"
        self.stdout.write(f"{prefix} {count} scenes of {site.name} ({site.slug}) for {year or 'all years'}")
