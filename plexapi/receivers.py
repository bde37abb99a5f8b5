"""Which writes drop the cached Plex answers (``plexapi.responsecache``): any write to a table an answer
is built from. The response cache watches those tables at the database boundary, so saves, bulk updates and
deletes all count, and no service or model has to remember to invalidate."""

from __future__ import annotations

from typing import Any

from django.core.signals import setting_changed
from django.db.models import Model

from movies.models import Movie, MoviePerformer, Performer
from plexapi.responsecache import invalidate_on_writes_to, response_cache_reset
from scenes.models import MatchDecision, MatchPin, MetadataPolicy, Scene, ScenePerformer, TagRule
from sites.models import Site, SiteAlias

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


def answer_tables() -> set[str]:
    """The answer models' tables (the credit tables are the performers' explicit ``through`` models, listed above;
    proxies such as the review queue's ReviewItem share their model's table)."""
    return {model._meta.db_table for model in ANSWER_MODELS}


def _setting_changed(**kwargs: Any) -> None:
    response_cache_reset()


def connect() -> None:
    invalidate_on_writes_to(answer_tables())
    setting_changed.connect(_setting_changed, dispatch_uid="responses-settings")
