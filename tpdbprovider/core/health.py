"""What /health reports: database, cache, TPDB configuration."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection


def _check_database() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        return {"ok": False, "vendor": connection.vendor, "error": exc.__class__.__name__}
    return {"ok": True, "vendor": connection.vendor, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _check_cache() -> dict[str, Any]:
    backend = "redis" if settings.REDIS_URL else "in-process"
    try:
        cache.set("health:ping", "1", 10)
        ok = cache.get("health:ping") == "1"
    except Exception as exc:  # a Redis outage degrades, it does not stop serving from the database
        return {"ok": False, "backend": backend, "error": exc.__class__.__name__}
    return {"ok": ok, "backend": backend}


def health_report() -> dict[str, Any]:
    """``status`` is ok, degraded (serving, something is off) or down (the database is unreachable)."""
    database = _check_database()
    cache_state = _check_cache()
    tpdb = {"api_key_set": bool(settings.TPDB_API_KEY), "base_url": settings.TPDB_BASE_URL}
    if not database["ok"]:
        status = "down"
    elif not cache_state["ok"] or not tpdb["api_key_set"]:
        status = "degraded"
    else:
        status = "ok"
    return {"status": status, "version": settings.APP_VERSION, "database": database, "cache": cache_state, "tpdb": tpdb}
