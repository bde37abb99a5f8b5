from datetime import timedelta
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone

from movies.models import Movie
from movies.services import movie_refresh_from_tpdb
from scenes.models import Scene
from scenes.selectors import media_stale
from scenes.services import scene_refresh_from_tpdb
from tpdbprovider.tpdb.commands import TPDBCommand
from tpdbprovider.tpdb.errors import TPDBError, TPDBNotFoundError


class Command(TPDBCommand):
    help = "Refetch scenes and movies due for a refresh (policy in scenes.selectors.media_stale), in this process."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--older-than", type=float, default=None, metavar="HOURS", help="refresh anything older")
        parser.add_argument("--limit", type=int, default=1000, help="most items per kind (default 1000)")
        self.add_dry_run(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        hours, limit = options["older_than"], options["limit"]
        if hours is not None and not 0 <= hours <= 24 * 3650:
            raise CommandError("--older-than must be between 0 and 87600 hours.")
        if limit < 1:
            raise CommandError("--limit must be at least 1.")
        older_than = timedelta(hours=hours) if hours is not None else None
        now = timezone.now()
        scenes = list(media_stale(model=Scene, now=now, older_than=older_than)[:limit])
        movies = list(media_stale(model=Movie, now=now, older_than=older_than)[:limit])
        if options["dry_run"]:
            self.stdout.write(f"would refresh {len(scenes)} scenes and {len(movies)} movies")
            return
        refreshed = missing = failed = 0
        with self.progress("refresh") as progress:
            items = [(scene_refresh_from_tpdb, "scene", s) for s in scenes] + [
                (movie_refresh_from_tpdb, "movie", m) for m in movies
            ]
            for done, (refresh, kind, item) in enumerate(items, start=1):
                try:
                    refresh(**{kind: item})
                    refreshed += 1
                except TPDBNotFoundError:
                    missing += 1
                except TPDBError as exc:
                    failed += 1
                    self.stderr.write(f"{kind} {item.tpdb_id}: {exc.message}")
                progress(done, len(items))
        self.stdout.write(f"refreshed {refreshed}, missing upstream {missing}, failed {failed}")
        if failed:
            raise CommandError(f"{failed} refreshes failed (TPDB errors above); run again later.")
