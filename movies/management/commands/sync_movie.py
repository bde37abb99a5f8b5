from typing import Any

from movies.items import movie_get_or_fetch
from tpdbprovider.tpdb.client import tpdb_client
from tpdbprovider.tpdb.commands import FetchOneCommand


class Command(FetchOneCommand):
    help = "Fetch one movie (uuid, numeric id, slug or TPDB URL) and store it."
    kind = "movie"

    def fetch(self, ref: str) -> Any:
        return tpdb_client(lane="background").get_movie(ref)

    def store(self, ref: str) -> Any:
        return movie_get_or_fetch(ref=ref, is_forced=True, lane="background")
