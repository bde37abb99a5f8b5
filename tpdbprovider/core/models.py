"""Shared model bases and the persistent cache tier."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


def fit_to_column(*, value: str, model: type[models.Model], field_name: str) -> str:
    """The value if it fits the column, else "" (used for URLs: a cut URL is a broken URL)."""
    max_length = getattr(model._meta.get_field(field_name), "max_length", None) or 0
    return value if len(value) <= max_length else ""


class TimeStampedModel(models.Model):
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
