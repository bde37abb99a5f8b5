from typing import Any

from scenes.items import scene_get_or_fetch
from tpdbprovider.tpdb.client import tpdb_client
from tpdbprovider.tpdb.commands import FetchOneCommand


class Command(FetchOneCommand):
    help = "Fetch one scene (uuid, numeric id, slug or TPDB URL) and store it."
    kind = "scene"

    def fetch(self, ref: str) -> Any:
        return tpdb_client(lane="background").get_scene(ref)

    def store(self, ref: str) -> Any:
        return scene_get_or_fetch(ref=ref, is_forced=True, lane="background")
