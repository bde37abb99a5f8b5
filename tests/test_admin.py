from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from model_bakery import baker

from movies.models import Movie, MoviePerformer, Performer
from scenes.models import MatchDecision, MatchPin, Scene, ScenePerformer
from sites.models import Site, SiteAlias
from tpdbprovider.core.models import CacheEntry

ALL_MODELS = [
    Site,
    SiteAlias,
    Scene,
    Performer,
    ScenePerformer,
    MatchDecision,
    MatchPin,
    Movie,
    MoviePerformer,
    CacheEntry,
]


@pytest.mark.django_db
def test_ensure_admin_creates_then_updates_the_user(settings) -> None:
    call_command("ensure_admin")
    user = get_user_model().objects.get(username=settings.ADMIN_USERNAME)
    assert user.is_superuser and user.check_password(settings.ADMIN_PASSWORD)
    settings.ADMIN_PASSWORD = "another-long-password"
    call_command("ensure_admin")
    user.refresh_from_db()
    assert user.check_password("another-long-password")
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db
def test_ensure_admin_refuses_missing_credentials(settings) -> None:
    settings.ADMIN_PASSWORD = ""
    with pytest.raises(CommandError, match="ADMIN_PASSWORD"):
        call_command("ensure_admin")


def test_every_model_is_registered_in_admin() -> None:
    assert [m for m in ALL_MODELS if m not in admin.site._registry] == []


@pytest.mark.django_db
def test_admin_requires_a_login(client: Client) -> None:
    response = client.get("/admin/scenes/scene/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_admin_lists_and_opens_every_model_after_login(admin_client: Client, model) -> None:
    obj = baker.make(model, _fill_optional=False)
    meta = model._meta
    listing = admin_client.get(f"/admin/{meta.app_label}/{meta.model_name}/")
    assert listing.status_code == 200
    change = admin_client.get(f"/admin/{meta.app_label}/{meta.model_name}/{obj.pk}/change/")
    assert change.status_code == 200


@pytest.mark.django_db
def test_the_admin_stylesheet_is_served_without_a_separate_web_server(client: Client, settings, tmp_path) -> None:
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", "--noinput", verbosity=0)
    from whitenoise.middleware import WhiteNoiseMiddleware

    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE
    middleware = WhiteNoiseMiddleware(lambda request: None)
    assert "/static/admin/css/base.css" in middleware.files
