"""Read-only queries on sites."""

from __future__ import annotations

import datetime
import uuid

from sites.models import Site, SiteListSync


def site_get_by_key(*, key: str) -> Site | None:
    """A site by our slug, its TPDB numeric id, or its TPDB uuid."""
    key = key.strip()
    if not key:
        return None
    if key.isdigit():
        return Site.objects.filter(tpdb_numeric_id=int(key)).first()
    try:
        return Site.objects.filter(tpdb_id=uuid.UUID(key)).first()
    except ValueError:
        return Site.objects.filter(slug=key.lower()).first()


def site_get_by_tpdb_numeric_id(*, tpdb_numeric_id: int) -> Site | None:
    return Site.objects.filter(tpdb_numeric_id=tpdb_numeric_id).first()


def site_list_synced_at() -> datetime.datetime | None:
    """When TPDB's whole site list was last stored (None: never, so unknown sites may simply not be loaded yet)."""
    return SiteListSync.objects.order_by("-finished_at").values_list("finished_at", flat=True).first()
