"""Admin for movies and their credits, for the performers both media kinds credit, and the field locks a person's edits
set on scenes and movies alike (``LockedFieldsAdmin``, which the scene admin extends too)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from movies.edits import PERFORMERS, media_fields_lock
from movies.models import MediaFields, Movie, MoviePerformer, Performer


class LockedFieldsForm(forms.ModelForm):
    """A scene or movie form with one checkbox per locked field, to hand that field back to TPDB."""

    unlock = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Unlock",
        help_text="Ticked fields take TPDB's value again on the next refresh.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locked = self.instance.locked_fields or [] if self.instance.pk else []
        self.fields["unlock"].choices = [(name, name) for name in locked]  # type: ignore[attr-defined]


class LockedFieldsAdmin(admin.ModelAdmin):
    """Scene and movie admin: a person's edits lock the fields they changed against TPDB refreshes (movies.edits)."""

    form = LockedFieldsForm
    exclude = ("locked_fields",)

    @admin.display(description="Locked fields")
    def locked(self, obj: MediaFields) -> str:
        return ", ".join(obj.locked_fields or ()) or "none"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            media_fields_lock(item=obj, edited=form.changed_data, unlocked=form.cleaned_data.get("unlock") or ())
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        unlocked = form.cleaned_data.get("unlock") or ()
        if change and PERFORMERS not in unlocked and any(formset.has_changed() for formset in formsets):
            media_fields_lock(item=form.instance, edited=(PERFORMERS,))
            form.instance.save(update_fields=["locked_fields", "updated_at"])


@admin.register(Performer)
class PerformerAdmin(admin.ModelAdmin):
    list_display = ("name", "disambiguation", "gender", "is_parent", "parent")
    list_filter = ("gender", "is_parent")
    search_fields = ("name", "slug", "=tpdb_id")
    raw_id_fields = ("parent",)


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
