"""Cross-process locks on the default Django cache, so that no job runs twice at once.

``cache.add`` is atomic on Redis (``SET NX``) and on locmem, so exactly one caller acquires. Each holder stores a
random token and releases only if the lock still holds that token: a job that outlived ``ttl_s`` must not delete
the lock a newer holder took after expiry. On Redis the compare-and-delete is one Lua script (atomic); on other
backends (locmem: one process) a get/compare/delete is enough.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.cache import caches
from django_redis.cache import RedisCache

logger = logging.getLogger(__name__)

LOCK_KEY_PREFIX = "lock:"

# KEYS[1] = the lock key, ARGV[1] = this holder's encoded token. Deletes only if the token still matches.
_COMPARE_AND_DELETE_LUA = """
if redis.call("GET", KEYS[1]) == ARGV[1] then
    return redis.call("DEL", KEYS[1])
end
return 0
"""


@contextmanager
def single_flight(name: str, ttl_s: int) -> Iterator[bool]:
    """Yield True if this caller took the lock ``name`` (held for at most ``ttl_s``), False if someone holds it.

    The lock is released on exit only when this caller acquired it and still owns it.
    """
    if ttl_s < 1:
        raise ValueError(f"single_flight ttl_s must be >= 1, got {ttl_s!r}")
    backend = caches["default"]
    key = LOCK_KEY_PREFIX + name
    token = secrets.token_hex(16)
    is_acquired = bool(backend.add(key, token, timeout=ttl_s))
    if not is_acquired:
        logger.info("Lock %s is held elsewhere; skipping", name)
    try:
        yield is_acquired
    finally:
        if is_acquired and not _release(backend, key, token):
            logger.warning("Lock %s expired before release (ttl_s=%s); another holder may have run", name, ttl_s)


def _release(backend: Any, key: str, token: str) -> bool:
    """Delete ``key`` if it still holds ``token``; return whether it did."""
    if isinstance(backend, RedisCache):
        client = backend.client
        redis_key = client.make_key(key)
        deleted = client.get_client(write=True).eval(_COMPARE_AND_DELETE_LUA, 1, redis_key, client.encode(token))
        return bool(deleted)
    if backend.get(key) != token:
        return False
    backend.delete(key)
    return True
