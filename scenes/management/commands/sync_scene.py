from typing import Any

from scenes.services import scene_fetch_from_tpdb
from tpdbprovider.tpdb.client import tpdb_client
from tpdbprovider.tpdb.commands import FetchOneCommand


class Command(FetchOneCommand):
    help = "Fetch one scene (uuid, numeric id, slug or TPDB URL) and store it."
    kind = "scene"

    def fetch(self, ref: str) -> Any:
        return tpdb_client(lane="background").get_scene(ref)

    def store(self, ref: str) -> Any:
        return scene_fetch_from_tpdb(ref=ref, lane="background")
