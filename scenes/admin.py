"""Admin for scenes and their credits, the review queue (pins) and the metadata policy (tag rules)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from movies.admin import LockedFieldsAdmin
from movies.models import Performer
from scenes import (
    admin_catalog,  # noqa: F401  adds the catalog action to the site admin
    admin_operations,  # noqa: F401  registers the cache admin and the operations pages
)
from scenes.models import (
    MatchDecision,
    MatchPin,
    MetadataPolicy,
    ReviewItem,
    Scene,
    ScenePerformer,
    TagRule,
)
from scenes.policy import KNOWN_GENDERS, metadata_policy_invalidate
from scenes.review import (
    ReviewError,
    decision_rerun,
    pin_approve,
    pin_not_in_tpdb,
    review_candidate_posters,
    review_queue,
    review_search,
)
from tpdbprovider.core.exceptions import ItemUnavailableError


class ScenePerformerInline(admin.TabularInline):
    model = ScenePerformer
    extra = 0
    raw_id_fields = ("performer",)


@admin.register(Scene)
class SceneAdmin(LockedFieldsAdmin):
    list_display = (
        "title",
        "site",
        "release_date",
        "duration_s",
        "is_complete",
        "is_missing_upstream",
        "fetched_at",
        "locked",
    )
    list_filter = ("is_complete", "is_missing_upstream", "release_date")
    search_fields = ("title", "slug", "=tpdb_id", "=tpdb_numeric_id", "site__name")
    date_hierarchy = "release_date"
    raw_id_fields = ("site",)
    readonly_fields = ("tpdb_id", "locked", "created_at", "updated_at")
    inlines = (ScenePerformerInline,)
    list_select_related = ("site",)


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


# --- review queue -------------------------------------------------------------------------------------------------


def thumbnail(url: str | None, *, alt: str, size_px: int = 96) -> SafeString:
    """An <img> for an http(s) URL (escaped), else a placeholder; nothing from TPDB or Plex is trusted."""
    if not url or not url.startswith(("https://", "http://")):
        return format_html('<span class="review-noimg" style="width:{}px">no image</span>', size_px)
    return format_html(
        '<img class="review-thumb" src="{}" alt="{}" width="{}" loading="lazy" referrerpolicy="no-referrer">',
        url,
        alt,
        size_px,
    )


def plex_sent_summary(request: dict[str, Any]) -> str:
    """One line for the list: the file's basename, else the titles Plex sent."""
    filename = str(request.get("filename") or "").replace("\\", "/").rsplit("/", 1)[-1]
    if filename:
        return filename[:160]
    parts = [
        str(request.get(k)) for k in ("grandparent_title", "parent_title", "title", "date", "year") if request.get(k)
    ]
    return " · ".join(parts)[:160] or "(nothing)"


@admin.register(ReviewItem)
class ReviewItemAdmin(admin.ModelAdmin):
    """Abstained, weak or lost matches; the entry page shows the evidence and pins an answer."""

    list_display = ("updated_at", "provider", "plex_sent", "state_label", "top_candidate", "reason")
    list_display_links = ("updated_at", "plex_sent")
    list_filter = ("provider", "state")
    search_fields = ("request__filename", "request__title", "request__grandparent_title", "chosen_rating_key")
    actions = ("approve_top_candidates", "mark_not_in_tpdb", "rerun_matches")
    review_template = "admin/scenes/reviewitem/review.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReviewItem]:
        return review_queue()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="What Plex sent")
    def plex_sent(self, obj: ReviewItem) -> str:
        return plex_sent_summary(obj.request or {})

    @admin.display(description="State", ordering="state")
    def state_label(self, obj: ReviewItem) -> str:
        if getattr(obj, "has_lost_pin", False):
            return MatchDecision.State.NEEDS_REMATCH.label
        return obj.get_state_display()

    @admin.display(description="Best candidate")
    def top_candidate(self, obj: ReviewItem) -> SafeString | str:
        candidates = obj.candidates or []
        if not candidates:
            return "—"
        best = candidates[0]
        return format_html(
            "{} ({}, {}) <b>{}</b>", best.get("title"), best.get("site"), best.get("date"), best.get("confidence")
        )

    # --- bulk actions -----------------------------------------------------------------------------------------------

    @admin.action(description="Approve the top candidate (pin it)", permissions=["change"])
    def approve_top_candidates(self, request: HttpRequest, queryset: QuerySet[ReviewItem]) -> None:
        pinned, skipped = 0, 0
        for decision in queryset:
            candidates = decision.candidates or []
            if not candidates:
                skipped += 1
                continue
            try:
                pin_approve(decision=decision, rating_key=str(candidates[0].get("rating_key", "")))
            except ReviewError as exc:
                skipped += 1
                self.message_user(request, exc.message, messages.WARNING)
            else:
                pinned += 1
        self.message_user(request, f"Pinned {pinned} top candidate(s); skipped {skipped}.", messages.SUCCESS)

    @admin.action(description="Mark as not in TPDB", permissions=["change"])
    def mark_not_in_tpdb(self, request: HttpRequest, queryset: QuerySet[ReviewItem]) -> None:
        count = 0
        for decision in queryset:
            pin_not_in_tpdb(decision=decision)
            count += 1
        self.message_user(request, f"Marked {count} item(s) as not in TPDB.", messages.SUCCESS)

    @admin.action(description="Re-run the automatic match", permissions=["change"])
    def rerun_matches(self, request: HttpRequest, queryset: QuerySet[ReviewItem]) -> None:
        states: dict[str, int] = {}
        for decision in queryset:
            try:
                state = decision_rerun(decision=decision).get_state_display()
            except ReviewError as exc:
                state = exc.message
            states[state] = states.get(state, 0) + 1
        summary = ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
        self.message_user(request, f"Re-ran {sum(states.values())} match(es): {summary}.", messages.SUCCESS)

    # --- the entry page and its actions -----------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/approve/", wrap(require_POST(self.approve_view)), name="scenes_reviewitem_approve"),
            path(
                "<path:object_id>/not-in-tpdb/",
                wrap(require_POST(self.not_in_tpdb_view)),
                name="scenes_reviewitem_not_in_tpdb",
            ),
            path("<path:object_id>/rerun/", wrap(require_POST(self.rerun_view)), name="scenes_reviewitem_rerun"),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The entry page: request, parsed fields, scored candidates with thumbnails, search and the actions."""
        decision = self._decision(request, object_id, need_change=False)
        query = request.GET.get("q", "").strip()[:500]
        results: list[dict[str, Any]] = []
        if query:
            try:
                results = review_search(provider="tv" if decision.provider == "tv" else "movie", query=query)
            except ItemUnavailableError as exc:
                cause = (exc.__cause__ or exc).__class__.__name__
                self.message_user(request, f"TPDB search failed ({cause}).", messages.ERROR)
        candidates = list(decision.candidates or [])
        posters = review_candidate_posters(candidates=candidates)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Review: {plex_sent_summary(decision.request or {})}",
            "decision": decision,
            "pin": MatchPin.objects.filter(provider=decision.provider, request_key=decision.request_key).first(),
            "request_rows": _rows(decision.request),
            "parsed_rows": _rows(decision.parsed),
            "candidates": [self._card(c, posters.get(str(c.get("rating_key")), "")) for c in candidates],
            "query": query,
            "results": [self._card(r, str(r.get("poster_url") or "")) for r in results],
            "has_searched": bool(query),
            "can_change": self.has_change_permission(request, decision),
            "threshold": _threshold(),
        }
        return TemplateResponse(request, self.review_template, context)

    def approve_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        decision = self._decision(request, object_id, need_change=True)
        rating_key = request.POST.get("rating_key", "")
        try:
            pin = pin_approve(decision=decision, rating_key=rating_key, note=request.POST.get("note", ""))
        except ReviewError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(self._entry_url(decision))
        self.message_user(request, f"Pinned {pin.rating_key}: Plex gets it on the next match.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:scenes_reviewitem_changelist"))

    def not_in_tpdb_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        decision = self._decision(request, object_id, need_change=True)
        pin_not_in_tpdb(decision=decision)
        self.message_user(request, "Marked as not in TPDB: Plex gets no match for this item.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:scenes_reviewitem_changelist"))

    def rerun_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        decision = self._decision(request, object_id, need_change=True)
        try:
            rerun = decision_rerun(decision=decision)
        except ReviewError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(self._entry_url(decision))
        self.message_user(request, f"Re-ran the match: {rerun.get_state_display()}.", messages.SUCCESS)
        if review_queue().filter(pk=rerun.pk).exists():
            return HttpResponseRedirect(self._entry_url(rerun))
        return HttpResponseRedirect(reverse("admin:scenes_reviewitem_changelist"))

    def _decision(self, request: HttpRequest, object_id: str, *, need_change: bool) -> ReviewItem:
        """Any decision (also one that left the queue), after the permission check; 404 when unknown."""
        allowed = self.has_change_permission(request) if need_change else self.has_view_or_change_permission(request)
        if not allowed:
            raise PermissionDenied
        if not object_id.isdigit():
            raise Http404("Unknown review entry.")
        return get_object_or_404(ReviewItem, pk=int(object_id))

    def _entry_url(self, decision: MatchDecision) -> str:
        return reverse("admin:scenes_reviewitem_change", args=[decision.pk])

    @staticmethod
    def _card(candidate: dict[str, Any], poster_url: str) -> dict[str, Any]:
        """Template data for one candidate; the thumbnail is built with format_html, the rest is auto-escaped."""
        breakdown = candidate.get("breakdown")
        breakdown = breakdown if isinstance(breakdown, dict) else {}
        performers = candidate.get("performers")
        performers = performers if isinstance(performers, list) else []
        duplicates = candidate.get("duplicates")
        duplicates = duplicates if isinstance(duplicates, list) else []
        return {
            "rating_key": str(candidate.get("rating_key", "")),
            "kind": candidate.get("kind", ""),
            "title": candidate.get("title", ""),
            "site": candidate.get("site", ""),
            "date": candidate.get("date") or "",
            "performers": ", ".join(str(p) for p in performers),
            "confidence": candidate.get("confidence"),
            "breakdown": sorted(breakdown.items()),
            "duplicates": [str(d) for d in duplicates],
            "thumb": thumbnail(poster_url, alt=str(candidate.get("title", ""))),
        }


def _rows(data: Any) -> list[tuple[str, str]]:
    """A stored JSON object as (name, text) rows; lists joined, empty values as a dash."""
    if not isinstance(data, dict):
        return []
    rows = []
    for name, value in sorted(data.items()):
        text = ", ".join(str(v) for v in value) if isinstance(value, list) else "" if value is None else str(value)
        rows.append((str(name), text or "—"))
    return rows


def _threshold() -> int:
    return int(settings.PLEX_MATCH_ACCEPT_THRESHOLD)


# --- metadata policy ----------------------------------------------------------------------------------------------


class PolicyAdminMixin:
    """Every write through the admin drops the cached policy, so the next metadata request sees it."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        metadata_policy_invalidate()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)  # type: ignore[misc]
        metadata_policy_invalidate()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        metadata_policy_invalidate()


@admin.register(TagRule)
class TagRuleAdmin(PolicyAdminMixin, admin.ModelAdmin):
    list_display = ("tag", "action", "target", "updated_at")
    list_editable = ("action", "target")
    list_filter = ("action",)
    search_fields = ("tag", "target")


class MetadataPolicyForm(forms.ModelForm):
    role_genders = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Performer genders shown as Roles. None ticked: every performer.",
    )

    class Meta:
        model = MetadataPolicy
        fields = ("genre_cap", "role_genders", "is_female_first")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = Performer.objects.exclude(gender="").values_list("gender", flat=True).distinct()[:50]
        genders = sorted({*KNOWN_GENDERS, *stored, *(self.instance.role_genders or [])})
        choices = [(g, g) for g in genders] + [("", "Unknown (no gender in TPDB)")]
        self.fields["role_genders"].choices = choices  # type: ignore[attr-defined]


@admin.register(MetadataPolicy)
class MetadataPolicyAdmin(PolicyAdminMixin, admin.ModelAdmin):
    """One row: the add page is offered only while there is none."""

    form = MetadataPolicyForm
    list_display = ("__str__", "genre_cap", "is_female_first", "role_genders", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not MetadataPolicy.objects.exists()
