from typing import Any

from django.core.management.base import CommandError

from movies.services import movie_fetch_from_tpdb
from scenes.services import tpdb_ref_id
from sites.management.tpdb_command import TPDBCommand
from tpdbprovider.tpdb.client import tpdb_client


class Command(TPDBCommand):
    help = "Fetch one movie (uuid, numeric id, slug or TPDB URL) and store it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("movie", help="uuid, numeric id, slug or https://theporndb.net/movies/… URL")
        self.add_dry_run(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        ref = tpdb_ref_id(options["movie"])
        if not ref or len(ref) > 200 or "/" in ref:
            raise CommandError(f"Not a movie reference: {options['movie'][:200]!r}")
        with self.progress("movie") as progress:
            if options["dry_run"]:
                data = tpdb_client(lane="background").get_movie(ref)
                progress(1, 1)
                self.stdout.write(f"would store movie {data.id}: {data.title}")
                return
            movie = movie_fetch_from_tpdb(ref=ref, lane="background")
            progress(1, 1)
        self.stdout.write(f"stored movie {movie.tpdb_id}: {movie.title}")
