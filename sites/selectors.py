"""Read-only queries on sites."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable

from django.db.models import Q

from sites.models import Site, SiteListSync
from tpdbprovider.matching.ratingkeys import is_uuid

TPDB_NUMERIC_ID_MAX_DIGITS = 18  # a longer number fits no bigint, so it is no TPDB id


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


def site_ref_is_tpdb_id(*, ref: str) -> bool:
    """True when ``ref`` could be a TPDB site id (numeric or uuid), so TPDB can be asked for it."""
    return (ref.isdigit() and len(ref) <= TPDB_NUMERIC_ID_MAX_DIGITS) or is_uuid(ref)


def site_get_by_ref(*, ref: str) -> Site | None:
    """A site by our slug, else its TPDB numeric id, else its TPDB uuid (one query, parent and network loaded).

    A slug wins over a numeric id that happens to spell it, so a site whose slug is digits stays reachable."""
    lookup = Q(slug=ref)
    if ref.isdigit() and len(ref) <= TPDB_NUMERIC_ID_MAX_DIGITS:
        lookup |= Q(tpdb_numeric_id=int(ref))
    if is_uuid(ref):
        lookup |= Q(tpdb_id=uuid.UUID(ref))
    sites = list(Site.objects.filter(lookup).select_related("network", "parent"))
    by_slug = [site for site in sites if site.slug == ref]
    return next(iter(by_slug or sites), None)


def site_get_by_tpdb_numeric_id(*, tpdb_numeric_id: int) -> Site | None:
    return Site.objects.filter(tpdb_numeric_id=tpdb_numeric_id).first()


def sites_by_pk(*, pks: Iterable[int]) -> dict[int, Site]:
    """Stored sites by primary key, in one query (none when ``pks`` is empty)."""
    wanted = set(pks)
    return Site.objects.in_bulk(wanted) if wanted else {}


def site_is_network(*, site: Site) -> bool:
    """A network: TPDB names it its own network (tpdb-api §7 quirk 8), or a stored site names it as theirs."""
    if site.network_tpdb_id is not None and site.network_tpdb_id == site.tpdb_numeric_id:
        return True
    return Site.objects.filter(network=site).exclude(pk=site.pk).exists()


def site_list_synced_at() -> datetime.datetime | None:
    """When TPDB's whole site list was last stored (None: never, so unknown sites may simply not be loaded yet)."""
    return SiteListSync.objects.order_by("-finished_at").values_list("finished_at", flat=True).first()
