from typing import Any

from django.core.management.base import CommandError

from scenes.services import scene_fetch_from_tpdb, tpdb_ref_id
from sites.management.tpdb_command import TPDBCommand
from tpdbprovider.tpdb.client import tpdb_client


class Command(TPDBCommand):
    help = "Fetch one scene (uuid, numeric id, slug or TPDB URL) and store it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("scene", help="uuid, numeric id, slug or https://theporndb.net/scenes/… URL")
        self.add_dry_run(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        ref = tpdb_ref_id(options["scene"])
        if not ref or len(ref) > 200 or "/" in ref:
            raise CommandError(f"Not a scene reference: {options['scene'][:200]!r}")
        with self.progress("scene") as progress:
            if options["dry_run"]:
                data = tpdb_client(lane="background").get_scene(ref)
                progress(1, 1)
                self.stdout.write(f"would store scene {data.id}: {data.title}")
                return
            scene = scene_fetch_from_tpdb(ref=ref, lane="background")
            progress(1, 1)
        self.stdout.write(f"stored scene {scene.tpdb_id}: {scene.title}")
