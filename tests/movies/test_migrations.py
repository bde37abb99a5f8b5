"""The move of Performer from the scenes app to movies (movies/0003, scenes/0004) keeps every row and every link."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("movies", "0002_locked_fields"), ("scenes", "0003_locked_fields")]
AFTER = [("movies", "0003_performer_from_scenes"), ("scenes", "0004_performer_to_movies")]


def _migrate(targets: list[tuple[str, str]]):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()  # the applied set changed
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] not in {"movies", "scenes"}]
    return executor.loader.project_state([*others, *targets]).apps


@pytest.fixture(autouse=True)
def _latest_schema_after():
    """Leave the test database at the newest migrations (later ones than AFTER exist), as the next tests expect."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_performers_and_their_credits_survive_the_move_to_movies():
    old = _migrate(BEFORE)
    try:
        performer_model = old.get_model("scenes", "Performer")
        parent = performer_model.objects.create(tpdb_id=uuid.uuid4(), name="Jane Doe", is_parent=True, aliases=["JD"])
        credit = performer_model.objects.create(tpdb_id=uuid.uuid4(), name="Jane D", parent=parent, gender="Female")
        scene = old.get_model("scenes", "Scene").objects.create(
            tpdb_id=uuid.uuid4(), title="A scene", release_date=datetime.date(2024, 5, 1)
        )
        old.get_model("scenes", "ScenePerformer").objects.create(
            scene=scene, performer=credit, credited_name="Jane", order=0
        )
        movie = old.get_model("movies", "Movie").objects.create(tpdb_id=uuid.uuid4(), title="A movie")
        old.get_model("movies", "MoviePerformer").objects.create(movie=movie, performer=parent, order=0)
        old_content_type = old.get_model("contenttypes", "ContentType").objects.get(model="performer")
        assert old_content_type.app_label == "scenes"  # the reverse step gave it back to scenes
    finally:
        new = _migrate(AFTER)

    performers = new.get_model("movies", "Performer")
    assert performers._meta.db_table == "scenes_performer"
    moved_credit = performers.objects.get(pk=credit.pk)
    assert (moved_credit.name, moved_credit.gender, moved_credit.parent_id) == ("Jane D", "Female", parent.pk)
    assert performers.objects.get(pk=parent.pk).aliases == ["JD"]
    assert list(performers.objects.get(pk=parent.pk).credits.values_list("pk", flat=True)) == [credit.pk]
    scene_credit = new.get_model("scenes", "ScenePerformer").objects.get(scene_id=scene.pk)
    assert (scene_credit.performer_id, scene_credit.credited_name) == (credit.pk, "Jane")
    assert list(new.get_model("scenes", "Scene").objects.get(pk=scene.pk).performers.all()) == [moved_credit]
    assert list(new.get_model("movies", "Movie").objects.get(pk=movie.pk).performers.values_list("pk", flat=True)) == [
        parent.pk
    ]
    content_type = new.get_model("contenttypes", "ContentType").objects.get(pk=old_content_type.pk)
    assert content_type.app_label == "movies"  # the admin permissions and log entries follow the model
    codenames = set(
        new.get_model("auth", "Permission").objects.filter(content_type=content_type).values_list("codename", flat=True)
    )
    assert "change_performer" in codenames


@pytest.mark.django_db(transaction=True)
def test_a_new_performer_row_gets_a_fresh_id_after_the_move():
    """The table's id sequence (PostgreSQL) or rowid (SQLite) carries on: no clash with the rows kept."""
    from movies.models import Performer

    old = _migrate(BEFORE)
    try:
        kept = old.get_model("scenes", "Performer").objects.create(tpdb_id=uuid.uuid4(), name="Kept")
    finally:
        _migrate(AFTER)
    added = Performer.objects.create(tpdb_id=uuid.uuid4(), name="Added")
    assert added.pk > kept.pk
    assert set(Performer.objects.values_list("name", flat=True)) == {"Kept", "Added"}
