"""model-bakery recipes shared by the tests, and a loader for the real TPDB JSON in tests/fixtures/tpdb/."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

from model_bakery.recipe import Recipe, foreign_key, related, seq

from movies.models import Movie, Performer
from scenes.models import Scene, ScenePerformer
from sites.models import Site

FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures" / "tpdb"


def tpdb_json(name: str) -> dict[str, Any]:
    """A fresh copy of one fixture body (``{"data": …}``)."""
    return json.loads((FIXTURES_DIR / name).read_text())


site = Recipe(
    Site,
    tpdb_id=uuid.uuid4,
    tpdb_numeric_id=seq(70000),
    name=seq("Recipe Studio "),
    slug=seq("recipe-studio-"),
    short_name=seq("recipestudio"),
    is_complete=True,
)
performer = Recipe(Performer, tpdb_id=uuid.uuid4, tpdb_numeric_id=seq(80000), name=seq("Recipe Performer "))
scene_performer = Recipe(ScenePerformer, performer=foreign_key(performer), credited_name=seq("Credited "))
scene = Recipe(
    Scene,
    tpdb_id=uuid.uuid4,
    tpdb_numeric_id=seq(90000),
    title=seq("Recipe Scene "),
    site=foreign_key(site),
    release_date=dt.date(2022, 1, 3),
    is_complete=True,
)
scene_with_performers = scene.extend(credits=related(scene_performer, scene_performer))
movie = Recipe(
    Movie,
    tpdb_id=uuid.uuid4,
    tpdb_numeric_id=seq(95000),
    title=seq("Recipe Movie "),
    site=foreign_key(site),
    year=2016,
    studio="Recipe Pictures",
)
