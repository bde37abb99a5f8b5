from django.contrib import admin

from tpdbprovider.core.models import CacheEntry


@admin.register(CacheEntry)
class CacheEntryAdmin(admin.ModelAdmin):
    list_display = ("endpoint", "key", "expires_at", "hits", "updated_at")
    list_filter = ("endpoint",)
    search_fields = ("key",)
    readonly_fields = ("key", "endpoint", "params", "value", "expires_at", "hits", "created_at", "updated_at")
