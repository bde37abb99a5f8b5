"""Every write that can change a Plex answer drops the cached answers (``tpdbprovider.core.responsecache``).

Saves that change nothing but bookkeeping timestamps (a refresh of unchanged TPDB data, a re-confirmed decision)
keep them. Bulk writes (``QuerySet.update``, ``bulk_create``) send no signals: their services invalidate directly.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.signals import setting_changed
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from movies.models import Movie, MoviePerformer
from scenes.models import MatchDecision, MatchPin, MetadataPolicy, Performer, Scene, ScenePerformer, TagRule
from sites.models import Site, SiteAlias
from tpdbprovider.core.responsecache import invalidate_responses, response_cache_reset

ANSWER_MODELS: tuple[type[Model], ...] = (
    Site,
    SiteAlias,
    Scene,
    ScenePerformer,
    Performer,
    Movie,
    MoviePerformer,
    MatchDecision,
    MatchPin,
    TagRule,
    MetadataPolicy,
)


def _saved(sender: type[Model], instance: Model, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if created or raw or getattr(instance, "has_changed_content", True):
        invalidate_responses()


def _deleted(sender: type[Model], **kwargs: Any) -> None:
    invalidate_responses()


def _setting_changed(**kwargs: Any) -> None:
    response_cache_reset()


def connect() -> None:
    """Connect for each answer model and its proxies (the review queue's ReviewItem is a proxy of MatchDecision)."""
    for model in apps.get_models():
        if model._meta.concrete_model in ANSWER_MODELS:
            post_save.connect(_saved, sender=model, dispatch_uid=f"responses-saved-{model._meta.label}")
            post_delete.connect(_deleted, sender=model, dispatch_uid=f"responses-deleted-{model._meta.label}")
    setting_changed.connect(_setting_changed, dispatch_uid="responses-settings")
