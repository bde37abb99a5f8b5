"""The site admin's "fetch the whole catalog" action. It lives in scenes because the catalog stores scenes (sites sits
below scenes in the import layers): the Site admin is re-registered here with the action added."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from scenes.catalog import site_catalog_start
from sites.admin import SiteAdmin
from sites.models import Site


@admin.action(description="Fetch the whole catalog from TPDB (newest year first, in the background)")
def fetch_catalog(modeladmin: admin.ModelAdmin[Site], request: HttpRequest, queryset: QuerySet[Site]) -> None:
    queued = sum(site_catalog_start(site=site, is_forced=True) for site in queryset[:100])
    modeladmin.message_user(
        request, f"Queued the catalog of {queued} site(s); the others are already under way.", messages.SUCCESS
    )


class SiteCatalogAdmin(SiteAdmin):
    actions = (fetch_catalog,)


admin.site.unregister(Site)
admin.site.register(Site, SiteCatalogAdmin)
