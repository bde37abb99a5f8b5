"""The metadata policy (tag rules, genre cap, role genders, female-first) as Plex sees it through the endpoints."""

from __future__ import annotations

import pytest
from django.test import Client

from movies.models import Performer
from scenes.models import MetadataPolicy, Scene, TagRule
from scenes.policy import metadata_policy_genres, metadata_policy_invalidate
from tests.plexapi.conftest import MOVIE_UUID, SCENE_UUID

pytestmark = pytest.mark.django_db

EPISODE = f"/tv/library/metadata/tpdb-scene-{SCENE_UUID}"
MOVIE = f"/movie/library/metadata/tpdb-movie-{MOVIE_UUID}"


def item(api, url: str) -> dict:
    response = api.get(url)
    assert response.status_code == 200, response.content
    (metadata,) = response.json()["MediaContainer"]["Metadata"]
    return metadata


def genres(api, url: str = EPISODE) -> list[str]:
    return [g["tag"] for g in item(api, url).get("Genre", [])]


def roles(api, url: str = EPISODE) -> list[str]:
    return [r["tag"] for r in item(api, url).get("Role", [])]


def set_tags(tags: list[str]) -> None:
    Scene.objects.filter(tpdb_id=SCENE_UUID).update(tags=tags)


def set_genders(one: str, two: str) -> None:
    """ "Performer One" is credited directly; "Performer Two" through the credit record "P. Two" (gender on the parent)."""
    Performer.objects.filter(name="Performer One", scenes__tpdb_id=SCENE_UUID).update(gender=one)
    Performer.objects.filter(name="Performer Two").update(gender=two)


def rules(*rows: tuple[str, str, str]) -> None:
    TagRule.objects.bulk_create(TagRule(tag=tag, action=action, target=target) for tag, action, target in rows)
    metadata_policy_invalidate()


def policy(**fields: object) -> None:
    MetadataPolicy.objects.create(**fields)
    metadata_policy_invalidate()


def test_without_rules_the_tags_are_the_genres(api, spec_library):
    assert genres(api) == ["Outdoor", "Romantic"]


def test_a_drop_rule_removes_the_tag_ignoring_case(api, spec_library):
    rules(("outdoor", "drop", ""))
    assert genres(api) == ["Romantic"]


def test_a_rename_rule_changes_the_name(api, spec_library):
    rules(("Romantic", "rename", "Romance"))
    assert genres(api) == ["Outdoor", "Romance"]


def test_merge_rules_fold_several_tags_into_one_genre(api, spec_library):
    set_tags(["Outdoors", "Outside", "Outdoor", "4K"])
    rules(("Outdoors", "merge", "Outdoor"), ("outside", "merge", "Outdoor"))
    assert genres(api) == ["Outdoor", "4K"]


def test_the_genre_cap_keeps_kept_tags_first(api, spec_library):
    set_tags([f"Tag {n}" for n in range(30)] + ["Favourite"])
    rules(("favourite", "keep", ""))
    policy(genre_cap=3)
    assert genres(api) == ["Favourite", "Tag 0", "Tag 1"]


def test_the_default_cap_is_twenty_genres(api, spec_library):
    set_tags([f"Tag {n}" for n in range(30)])
    assert len(genres(api)) == 20


def test_a_merge_into_a_dropped_tag_drops_it(api, spec_library):
    rules(("Outdoor", "merge", "Nature"), ("nature", "drop", ""))
    assert genres(api) == ["Romantic"]


def test_rules_apply_to_movies_too(api, spec_library):
    rules(("Feature", "rename", "Feature Film"))
    assert genres(api, MOVIE) == ["Feature Film"]


def test_female_performers_come_first_by_default(api, spec_library):
    set_genders("Male", "Female")
    assert roles(api) == ["Performer Two", "Performer One"]


def test_female_first_can_be_switched_off(api, spec_library):
    set_genders("Male", "Female")
    policy(is_female_first=False)
    assert roles(api) == ["Performer One", "Performer Two"]


def test_only_the_chosen_genders_appear_as_roles(api, spec_library):
    set_genders("Male", "Female")
    policy(role_genders=["Female"])
    assert roles(api) == ["Performer Two"]
    assert item(api, EPISODE)["Role"][0]["order"] == 1


def test_a_performer_without_a_gender_counts_as_unknown(api, spec_library):
    set_genders("", "Female")
    policy(role_genders=[""])
    assert roles(api) == ["Performer One"]


def test_an_admin_edit_applies_to_the_next_request_without_a_restart(api, spec_library, admin_client: Client):
    assert genres(api) == ["Outdoor", "Romantic"]  # the policy is now cached

    response = admin_client.post("/admin/scenes/tagrule/add/", {"tag": "Outdoor", "action": "drop", "target": ""})
    assert response.status_code == 302
    assert genres(api) == ["Romantic"]

    response = admin_client.post(
        "/admin/scenes/metadatapolicy/add/", {"genre_cap": "0", "role_genders": ["Female"], "is_female_first": "on"}
    )
    assert response.status_code == 302
    assert genres(api) == []
    assert roles(api) == []  # nobody in the fixture is female yet

    admin_client.post(f"/admin/scenes/tagrule/{TagRule.objects.get().pk}/delete/", {"post": "yes"})
    admin_client.post(
        f"/admin/scenes/metadatapolicy/{MetadataPolicy.objects.get().pk}/change/",
        {"genre_cap": "20", "role_genders": [], "is_female_first": "on"},
    )
    assert genres(api) == ["Outdoor", "Romantic"]
    assert roles(api) == ["Performer One", "Performer Two"]


def test_a_warm_policy_costs_no_query(spec_library, django_assert_num_queries):
    metadata_policy_genres(tags=["warm"])
    with django_assert_num_queries(0):
        assert metadata_policy_genres(tags=["Outdoor"]) == ["Outdoor"]
