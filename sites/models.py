"""TPDB sites (Plex shows) and the editable site aliases the matcher resolves names with."""

from __future__ import annotations

from django.db import models

from tpdbprovider.core.models import TimeStampedModel, TPDBRecord


class Site(TPDBRecord):
    # Our own slug: derived from the name when first stored, never changed (it is inside Plex GUIDs).
    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=255, db_index=True)
    short_name = models.CharField(max_length=255, blank=True, db_index=True)
    url = models.URLField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    logo = models.URLField(max_length=1000, blank=True)
    favicon = models.URLField(max_length=1000, blank=True)
    poster = models.URLField(max_length=1000, blank=True)
    parent_tpdb_id = models.BigIntegerField(null=True, blank=True, help_text="TPDB parent_id (kept before we store it)")
    network_tpdb_id = models.BigIntegerField(null=True, blank=True, help_text="TPDB network_id")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    network = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="network_sites")
    is_collection_shown = models.BooleanField(
        "Plex collections",
        default=True,
        help_text="Items of this site (and, for a parent site or network, of its sites) list this site's collections "
        "in Plex movie libraries; off: none of its collections is sent or served",
    )

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class SiteAlias(TimeStampedModel):
    """Another name for a site (abbreviation such as ``bex``, an old name); editable in admin."""

    class Source(models.TextChoices):
        DEFAULT = "default", "Shipped default"
        ADMIN = "admin", "Added by a person"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=120, unique=True, help_text="Lower-case letters and digits only")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.ADMIN)

    class Meta:
        verbose_name_plural = "site aliases"
        ordering = ("alias",)

    def __str__(self) -> str:
        return f"{self.alias} → {self.site_id}"


class SiteYearSync(TimeStampedModel):
    """A site's scenes for one year were fetched from TPDB (the prefetch that makes the next match local)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="year_syncs")
    year = models.PositiveSmallIntegerField()
    synced_at = models.DateTimeField()
    scene_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "year"], name="uniq_site_year_sync")]

    def __str__(self) -> str:
        return f"{self.site_id}/{self.year}"


class SiteListSync(TimeStampedModel):
    """One finished sync of TPDB's whole site list. Until the first one, an unknown site may just not be loaded yet:
    a match that abstained for want of a site then is not reused, and the first start queues the sync."""

    finished_at = models.DateTimeField(db_index=True)
    site_count = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)

    class Meta:
        get_latest_by = "finished_at"

    def __str__(self) -> str:
        return f"{self.site_count} sites at {self.finished_at:%Y-%m-%d %H:%M}"
