"""The cache-entry admin and the operations pages (staff only): cache statistics, TPDB upstream status and two
maintenance actions. They live in an app, not in ``core``, because they call the review services.

These views are interfaces: they read the cache service, the breaker and the limiter, and call the refresh service.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

import redis
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from scenes.review import ReviewError, item_refresh_now
from tpdbprovider.core.breaker import get_breaker
from tpdbprovider.core.cache import cache_service
from tpdbprovider.core.exceptions import (
    ItemNotFoundError,
    ItemUnavailableError,
    UnknownItemShareSpentError,
    UpstreamError,
    UpstreamNotFoundError,
)
from tpdbprovider.core.models import CacheEntry
from tpdbprovider.core.ratelimit import get_limiter

logger = logging.getLogger(__name__)

OPERATIONS_URL_NAME = "admin:core_operations"


class RefreshForm(forms.Form):
    rating_key = forms.CharField(
        max_length=200,
        label="Rating key",
        widget=forms.TextInput(attrs={"size": 60, "placeholder": "tpdb-scene-<uuid> or tpdb-movie-<uuid>"}),
    )


def operations_view(request: HttpRequest) -> HttpResponse:
    """Cache statistics and upstream status, with the refresh and clear-expired forms."""
    context = {
        **admin.site.each_context(request),
        "title": "Operations",
        "cache_stats": cache_service.get_stats(),
        "expired_to_clear": cache_service.count_expired(),
        "upstream": upstream_status(),
        "refresh_form": RefreshForm(),
    }
    return TemplateResponse(request, "admin/core/operations.html", context)


@require_POST
def refresh_item_view(request: HttpRequest) -> HttpResponse:
    """Refetch one scene or movie from TPDB now; every failure becomes a message, never a 500."""
    form = RefreshForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter a rating key.")
        return HttpResponseRedirect(reverse(OPERATIONS_URL_NAME))
    rating_key = form.cleaned_data["rating_key"].strip()
    try:
        item = item_refresh_now(rating_key=rating_key)
    except ReviewError as exc:
        messages.error(request, exc.message)
    except UpstreamNotFoundError:
        messages.warning(
            request,
            f"TPDB has no {rating_key} (404). A stored copy is kept and flagged missing upstream; "
            "its pins now need a rematch (see the review queue).",
        )
    except ItemNotFoundError:
        messages.warning(request, f"TPDB has no {rating_key} (404), and nothing is stored for it.")
    except UnknownItemShareSpentError as exc:
        messages.error(request, exc.message)
    except (UpstreamError, ItemUnavailableError) as exc:
        cause = (exc.__cause__ or exc).__class__.__name__
        messages.error(request, f"TPDB could not be reached ({cause}); try again later.")
    else:
        messages.success(request, f"Refreshed “{item.title}” from TPDB.")
    return HttpResponseRedirect(reverse(OPERATIONS_URL_NAME))


@require_POST
def clear_expired_view(request: HttpRequest) -> HttpResponse:
    """Delete cache rows expired for longer than the stale grace period."""
    deleted = cache_service.clear_expired()
    messages.success(request, f"Cleared {deleted} expired cache entr{'y' if deleted == 1 else 'ies'}.")
    return HttpResponseRedirect(reverse(OPERATIONS_URL_NAME))


def upstream_status() -> dict[str, Any]:
    """Breaker state, tokens left, blocked-until, last errors and calls in the last hour; Redis trouble is shown."""
    try:
        breaker, limiter = get_breaker(), get_limiter()
        state = breaker.state()
        blocked_until = limiter.blocked_until
        return {
            "is_available": True,
            "breaker_state": state.get("state"),
            "failures": state.get("failures"),
            "opened_until": _when(state.get("opened_until")),
            "tokens_left": round(limiter.available_tokens, 1),
            "burst": settings.TPDB_RATE_BURST,
            "rate_per_s": settings.TPDB_RATE_LIMIT,
            "blocked_until": _when(blocked_until),
            "calls_last_hour": breaker.calls_last_hour(),
            "errors": [{**e, "at": _when(e.get("at"))} for e in breaker.recent_errors()],
            "backend": "Redis (shared by every process)" if settings.REDIS_URL else "this process only",
        }
    except redis.RedisError as exc:
        logger.warning("Upstream status unavailable: %s", exc.__class__.__name__)
        return {"is_available": False, "problem": f"Redis unreachable ({exc.__class__.__name__})"}


def _when(unix_time: Any) -> datetime.datetime | None:
    if not isinstance(unix_time, int | float) or unix_time <= 0:
        return None
    return datetime.datetime.fromtimestamp(unix_time, tz=datetime.UTC).astimezone(timezone.get_current_timezone())


# The index template adds an "Operations" box linking to the pages below.
admin.site.index_template = "admin/tpdb_index.html"


@admin.register(CacheEntry)
class CacheEntryAdmin(admin.ModelAdmin):
    list_display = ("endpoint", "key", "expires_at", "hits", "updated_at")
    list_filter = ("endpoint",)
    search_fields = ("key",)
    readonly_fields = ("key", "endpoint", "params", "value", "expires_at", "hits", "created_at", "updated_at")

    def get_urls(self) -> list[URLPattern]:
        """The operations pages live under this admin: ``/admin/core/cacheentry/operations/`` (staff only)."""
        wrap = self.admin_site.admin_view
        return [
            path("operations/", wrap(operations_view), name="core_operations"),
            path("operations/refresh/", wrap(refresh_item_view), name="core_operations_refresh"),
            path("operations/clear-expired/", wrap(clear_expired_view), name="core_operations_clear_expired"),
            *super().get_urls(),
        ]
