from django.contrib import admin

from movies.models import Movie, MoviePerformer
from scenes.admin import LockedFieldsAdmin


class MoviePerformerInline(admin.TabularInline):
    model = MoviePerformer
    extra = 0
    raw_id_fields = ("performer",)


@admin.register(Movie)
class MovieAdmin(LockedFieldsAdmin):
    list_display = ("title", "studio", "year", "release_date", "is_complete", "is_missing_upstream", "locked")
    list_filter = ("is_complete", "is_missing_upstream", "year")
    search_fields = ("title", "slug", "studio", "=tpdb_id")
    raw_id_fields = ("site",)
    readonly_fields = ("tpdb_id", "locked", "created_at", "updated_at")
    inlines = (MoviePerformerInline,)


@admin.register(MoviePerformer)
class MoviePerformerAdmin(admin.ModelAdmin):
    list_display = ("movie", "performer", "credited_name", "order")
    raw_id_fields = ("movie", "performer")
