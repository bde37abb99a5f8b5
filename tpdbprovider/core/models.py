"""Shared model bases and the persistent cache tier."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.base import DEFERRED
from django.utils import timezone

BOOKKEEPING_FIELDS = frozenset({"created_at", "updated_at", "fetched_at"})


def fit_to_column(*, value: str, model: type[models.Model], field_name: str) -> str:
    """The value if it fits the column, else "" (used for URLs: a cut URL is a broken URL)."""
    max_length = getattr(model._meta.get_field(field_name), "max_length", None) or 0
    return value if len(value) <= max_length else ""


class ChangeTrackedModel(models.Model):
    """Remembers the values a row was loaded with, so a save can tell whether it changed anything (Django's
    documented ``from_db`` pattern); a no-op refresh then invalidates no cached Plex answer."""

    _loaded_values: dict[str, Any]  # set by from_db; absent on rows never loaded

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Any:
        instance = super().from_db(db, field_names, values)
        instance._loaded_values = {
            name: value for name, value in zip(field_names, values, strict=True) if value is not DEFERRED
        }
        return instance

    @property
    def has_changed_content(self) -> bool:
        """True unless every stored field except the bookkeeping timestamps still holds the value it was loaded with.

        A row never loaded from the database (just created, or built by hand) counts as changed."""
        loaded: dict[str, Any] | None = getattr(self, "_loaded_values", None)
        if loaded is None:
            return True
        for field in self._meta.concrete_fields:
            if field.name in BOOKKEEPING_FIELDS:
                continue
            if field.attname not in loaded or loaded[field.attname] != _comparable(field, getattr(self, field.attname)):
                return True
        return False


def _comparable(field: Any, value: Any) -> Any:
    """The value as the database would give it back (a uuid string as a UUID), so equal data compares equal."""
    try:
        return field.to_python(value)
    except Exception:  # a value the field cannot convert is certainly a change
        return value


class TimeStampedModel(ChangeTrackedModel):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TPDBRecord(TimeStampedModel):
    """A row mirrored from TPDB: keyed by its uuid, with when it was fetched and whether the detail form was seen."""

    tpdb_id = models.UUIDField(unique=True, help_text="TPDB uuid")
    tpdb_numeric_id = models.BigIntegerField(null=True, blank=True, db_index=True, help_text="TPDB _id / id")
    fetched_at = models.DateTimeField(default=timezone.now, db_index=True)
    is_complete = models.BooleanField(default=False, help_text="Stored from a detail response, not a search item")
    is_missing_upstream = models.BooleanField(
        default=False, db_index=True, help_text="TPDB answered 404 on the last refresh; the last good data is kept"
    )

    class Meta:
        abstract = True


class CacheEntry(TimeStampedModel):
    """The persistent cache tier: one TPDB answer, kept past expiry so it can be served stale."""

    key = models.CharField(max_length=64, unique=True)
    endpoint = models.CharField(max_length=64, db_index=True)
    params = models.JSONField(default=dict)
    value = models.JSONField(null=True)
    expires_at = models.DateTimeField(db_index=True)
    hits = models.BigIntegerField(default=0)
    size_bytes = models.PositiveIntegerField(default=0, help_text="Length of the value's JSON (for CACHE_MAX_MB)")

    class Meta:
        verbose_name_plural = "cache entries"

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key[:12]}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
