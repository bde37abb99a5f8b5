"""Writes for sites mirrored from TPDB."""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from sites.models import Site
from tpdbprovider.tpdb.schemas import TPDBSite

SLUG_MAX_LENGTH = 100  # leaves room for "-<numeric id>" inside Site.slug's 120 characters
# A site embedded without a uuid (legacy bodies) is stored under a stable stand-in until TPDB sends the real one.
LEGACY_SITE_NAMESPACE = uuid.UUID("7f0e4a52-9c1b-4d53-8a8e-2b5f6c1d0e91")


def site_slug_from_name(*, name: str, tpdb_numeric_id: int) -> str:
    """Lower-case letters, digits and ``-``; ``site-<id>`` when the name has none of them."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:SLUG_MAX_LENGTH].strip("-")
    return slug or f"site-{tpdb_numeric_id}"


def _unique_slug(*, name: str, tpdb_numeric_id: int) -> str:
    slug = site_slug_from_name(name=name, tpdb_numeric_id=tpdb_numeric_id)
    if not Site.objects.filter(slug=slug).exists():
        return slug
    slug = f"{slug}-{tpdb_numeric_id}"
    if not Site.objects.filter(slug=slug).exists():
        return slug
    return f"{slug}-{uuid.uuid4().hex[:6]}"


def fit_to_column(*, value: str, model: type[Model], field_name: str) -> str:
    """The value if it fits the column, else "" (used for URLs: a cut URL is a broken URL)."""
    max_length = getattr(model._meta.get_field(field_name), "max_length", None) or 0
    return value if len(value) <= max_length else ""


@transaction.atomic
def site_upsert_from_tpdb(*, data: TPDBSite) -> Site:
    """Create or update one site, keyed on its uuid (or numeric id when TPDB sent none). The slug never changes."""
    site = None
    if data.uuid:
        site = Site.objects.select_for_update().filter(tpdb_id=data.uuid).first()
    if site is None:
        site = Site.objects.select_for_update().filter(tpdb_numeric_id=data.id).first()
    name = data.name or (site.name if site else f"Site {data.id}")
    values: dict[str, Any] = {
        "tpdb_numeric_id": data.id,
        "name": name[:255],
        "short_name": data.short_name,
        "url": fit_to_column(value=data.url, model=Site, field_name="url"),
        "description": data.description,
        "logo": fit_to_column(value=data.logo, model=Site, field_name="logo"),
        "favicon": fit_to_column(value=data.favicon, model=Site, field_name="favicon"),
        "poster": fit_to_column(value=data.poster, model=Site, field_name="poster"),
        "parent_tpdb_id": data.parent_id,
        "network_tpdb_id": data.network_id,
        "parent": _related_site(tpdb_numeric_id=data.parent_id, own_id=data.id),
        "network": _related_site(tpdb_numeric_id=data.network_id, own_id=data.id),
        "fetched_at": timezone.now(),
        "is_missing_upstream": False,
    }
    if site is None:
        tpdb_id = data.uuid or str(uuid.uuid5(LEGACY_SITE_NAMESPACE, str(data.id)))
        slug = _unique_slug(name=name, tpdb_numeric_id=data.id)
        site = Site.objects.create(tpdb_id=tpdb_id, slug=slug, is_complete=data.uuid is not None, **values)
    else:
        if data.uuid:
            values.update(tpdb_id=data.uuid, is_complete=True)
        for name, value in values.items():
            setattr(site, name, value)
        site.save()
    # Children stored before this site now get their foreign keys (a sync visits sites in any order).
    Site.objects.filter(parent_tpdb_id=data.id, parent__isnull=True).exclude(pk=site.pk).update(parent=site)
    Site.objects.filter(network_tpdb_id=data.id, network__isnull=True).exclude(pk=site.pk).update(network=site)
    return site


def _related_site(*, tpdb_numeric_id: int | None, own_id: int) -> Site | None:
    """The stored parent/network site; None for a self-reference (tpdb-api.md §7 quirk 8) or one not stored yet."""
    if tpdb_numeric_id is None or tpdb_numeric_id == own_id:
        return None
    return Site.objects.filter(tpdb_numeric_id=tpdb_numeric_id).first()


def site_mark_missing_upstream(*, site: Site) -> None:
    """TPDB answered 404 for this site: flag it and keep the last good data."""
    Site.objects.filter(pk=site.pk).update(is_missing_upstream=True, updated_at=timezone.now())
    site.is_missing_upstream = True
