from django.contrib import admin

from scenes.models import MatchDecision, MatchPin, Performer, Scene, ScenePerformer


class ScenePerformerInline(admin.TabularInline):
    model = ScenePerformer
    extra = 0
    raw_id_fields = ("performer",)


@admin.register(Scene)
class SceneAdmin(admin.ModelAdmin):
    list_display = ("title", "site", "release_date", "duration_s", "is_complete", "is_missing_upstream", "fetched_at")
    list_filter = ("is_complete", "is_missing_upstream", "release_date")
    search_fields = ("title", "slug", "=tpdb_id", "=tpdb_numeric_id", "site__name")
    date_hierarchy = "release_date"
    raw_id_fields = ("site",)
    readonly_fields = ("tpdb_id", "created_at", "updated_at")
    inlines = (ScenePerformerInline,)
    list_select_related = ("site",)


@admin.register(Performer)
class PerformerAdmin(admin.ModelAdmin):
    list_display = ("name", "disambiguation", "gender", "is_parent", "parent")
    list_filter = ("gender", "is_parent")
    search_fields = ("name", "slug", "=tpdb_id")
    raw_id_fields = ("parent",)


@admin.register(ScenePerformer)
class ScenePerformerAdmin(admin.ModelAdmin):
    list_display = ("scene", "performer", "credited_name", "order")
    search_fields = ("credited_name", "performer__name", "scene__title")
    raw_id_fields = ("scene", "performer")


@admin.register(MatchDecision)
class MatchDecisionAdmin(admin.ModelAdmin):
    list_display = ("updated_at", "provider", "state", "chosen_rating_key", "confidence", "reason")
    list_filter = ("state", "provider", "request_type")
    search_fields = ("request_key", "chosen_rating_key", "reason")
    readonly_fields = ("created_at", "updated_at")


@admin.register(MatchPin)
class MatchPinAdmin(admin.ModelAdmin):
    list_display = ("provider", "request_key", "rating_key", "is_not_in_tpdb", "is_needs_rematch", "updated_at")
    list_filter = ("provider", "is_not_in_tpdb", "is_needs_rematch")
    search_fields = ("request_key", "rating_key", "note")
