"""Base for the sync commands: TPDB failures become a clear error and exit 1, progress shows as a bar."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from tpdbprovider.tpdb.errors import TPDBError, TPDBNotFoundError


class TPDBCommand(BaseCommand):
    def add_dry_run(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="fetch and count, change nothing in the database")

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except TPDBNotFoundError as exc:
            raise CommandError(f"Not found on TPDB: {exc.message}") from None
        except TPDBError as exc:
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
