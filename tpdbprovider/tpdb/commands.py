"""Base for the commands that call TPDB: TPDB failures become a clear error and exit 1, progress shows as a bar."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from tpdbprovider.core.exceptions import ItemNotFoundError, ItemUnavailableError
from tpdbprovider.matching.parser import tpdb_ref_id
from tpdbprovider.tpdb.errors import TPDBError, TPDBNotFoundError


class TPDBCommand(BaseCommand):
    def add_dry_run(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="fetch and count, change nothing in the database")

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except (TPDBNotFoundError, ItemNotFoundError) as exc:
            raise CommandError(f"Not found on TPDB: {exc.message}") from None
        except (TPDBError, ItemUnavailableError) as exc:
            raise CommandError(f"TPDB failed: {exc.message}") from None

    @contextmanager
    def progress(self, desc: str) -> Iterator[Callable[[int, int], None]]:
        """A tqdm bar on stderr, driven by ``(done, total)`` callbacks from a service."""
        bar = tqdm(desc=desc, unit="item", file=self.stderr._out, disable=None)

        def update(done: int, total: int) -> None:
            bar.total = max(total, done)
            bar.update(done - bar.n)

        try:
            yield update
        finally:
            bar.close()


class FetchOneCommand(TPDBCommand):
    """``sync_scene`` / ``sync_movie``: fetch one item by uuid, numeric id, slug or TPDB URL and store it."""

    kind = ""  # "scene" or "movie"

    def fetch(self, ref: str) -> Any:
        """Fetch without storing (for --dry-run)."""
        raise NotImplementedError

    def store(self, ref: str) -> Any:
        """Fetch and store; returns the stored row."""
        raise NotImplementedError

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(self.kind, help=f"uuid, numeric id, slug or https://theporndb.net/{self.kind}s/… URL")
        self.add_dry_run(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        ref = tpdb_ref_id(options[self.kind])
        if not ref or len(ref) > 200 or "/" in ref:
            raise CommandError(f"Not a {self.kind} reference: {options[self.kind][:200]!r}")
        with self.progress(self.kind) as progress:
            if options["dry_run"]:
                data = self.fetch(ref)
                progress(1, 1)
                self.stdout.write(f"would store {self.kind} {data.id}: {data.title}")
                return
            item = self.store(ref)
            progress(1, 1)
        self.stdout.write(f"stored {self.kind} {item.tpdb_id}: {item.title}")
