from django.contrib import admin

from sites.models import Site, SiteAlias, SiteYearSync


class SiteAliasInline(admin.TabularInline):
    model = SiteAlias
    extra = 1
    fields = ("alias", "source")


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "slug",
        "short_name",
        "tpdb_numeric_id",
        "parent",
        "network",
        "is_collection_shown",
        "is_missing_upstream",
    )
    list_editable = ("is_collection_shown",)
    list_filter = ("is_complete", "is_missing_upstream", "is_collection_shown")
    search_fields = ("name", "short_name", "slug", "=tpdb_id", "=tpdb_numeric_id")
    readonly_fields = ("slug", "tpdb_id", "created_at", "updated_at", "fetched_at")
    raw_id_fields = ("parent", "network")
    inlines = (SiteAliasInline,)


@admin.register(SiteAlias)
class SiteAliasAdmin(admin.ModelAdmin):
    list_display = ("alias", "site", "source")
    list_filter = ("source",)
    search_fields = ("alias", "site__name")
    raw_id_fields = ("site",)


@admin.register(SiteYearSync)
class SiteYearSyncAdmin(admin.ModelAdmin):
    list_display = ("site", "year", "scene_count", "synced_at")
    list_filter = ("year",)
    search_fields = ("site__name",)
    raw_id_fields = ("site",)
