from typing import Any

from django.apps import AppConfig


class ScenesConfig(AppConfig):
    name = "scenes"

    def ready(self) -> None:
        from movies.media import media_lost_upstream

        media_lost_upstream.connect(_flag_pins_for_rematch, dispatch_uid="scenes.flag_pins_for_rematch")


def _flag_pins_for_rematch(sender: Any, item: Any, **kwargs: Any) -> None:
    """A refresh found a scene or movie gone from TPDB: the pins on it need a rematch (scenes.services)."""
    from scenes.services import pins_flag_needs_rematch

    pins_flag_needs_rematch(tpdb_id=item.tpdb_id)
