"""What every provider answer gets, whichever view (or no view: a 404, a throttle) produced it: how long Plex or a proxy
may keep it, and one request log line. ``core`` knows no Plex path; the provider paths are this app's."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from tpdbprovider.core.logging import request_tpdb_activity

PROVIDER_PREFIXES = ("/tv", "/movie")
logger = logging.getLogger("tpdbprovider.request")  # the request log's name from before it moved here


def is_provider_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PROVIDER_PREFIXES)


class ProviderAnswerMiddleware:
    """On provider paths: Cache-Control (PLEX_CACHE_MAX_AGE_S for a 2xx, ``no-store`` for an error) and one log line
    with the provider, the ratingKey, the status, the duration, the TPDB calls and the response cache's verdict."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_provider_path(request.path):
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        max_age_s = settings.PLEX_CACHE_MAX_AGE_S
        if 200 <= response.status_code < 300 and max_age_s > 0:
            patch_cache_control(response, max_age=max_age_s)
        else:
            patch_cache_control(response, no_store=True)
        _log(request, response, started)
        return response


def _log(request: HttpRequest, response: HttpResponse, started: float) -> None:
    path = request.path
    parts = path.strip("/").split("/")
    activity = request_tpdb_activity()
    logger.info(
        "%s %s %s",
        request.method,
        path[:200],
        response.status_code,
        extra={
            "provider": parts[0],
            "rating_key": parts[3][:80] if len(parts) > 3 and parts[2] == "metadata" else None,
            "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000, 1),
            "tpdb_calls": activity.calls if activity is not None else 0,
            "response_cache": response.get("X-Response-Cache"),
        },
    )
