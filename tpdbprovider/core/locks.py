"""Cross-process locks on the default Django cache, so that no job runs twice at once.

``cache.add`` is atomic on Redis (``SET NX``) and on locmem, so exactly one caller acquires. Each holder stores a
random token and releases only if the lock still holds that token: a job that outlived ``ttl_s`` must not delete
the lock a newer holder took after expiry. On Redis the compare-and-delete is one Lua script (atomic); on other
backends (locmem: one process) a get/compare/delete is enough.

A holder that dies without releasing (a worker process killed with SIGKILL) must not block the job for ``ttl_s``: a
lock longer than the lease (setting ``LOCK_LEASE_S``, 60 s) is taken for one lease and renewed by a heartbeat thread
while its holder runs (up to ``ttl_s`` in all), so a dead holder's lock is gone within one lease. Redis failing on
release is logged, not raised: the lease expires by itself.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
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
# Same, but extends the lock's life to ARGV[2] milliseconds.
_COMPARE_AND_EXTEND_LUA = """
if redis.call("GET", KEYS[1]) == ARGV[1] then
    return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0
"""


def lock_lease_s() -> int:
    """How long a lock outlives a holder that died without releasing it, at most."""
    return int(settings.LOCK_LEASE_S)


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
    lease_s = min(ttl_s, lock_lease_s())
    is_acquired = bool(backend.add(key, token, timeout=lease_s))  # None (Redis unreachable) is "not acquired"
    if not is_acquired:
        logger.info("Lock %s is held elsewhere; skipping", name)
    heartbeat = (
        _Heartbeat(backend, key, token, lease_s=lease_s, ttl_s=ttl_s) if is_acquired and ttl_s > lease_s else None
    )
    try:
        yield is_acquired
    finally:
        if heartbeat is not None:
            heartbeat.stop()
        if is_acquired and not _release_quietly(backend, key, token, name):
            logger.warning("Lock %s expired before release (ttl_s=%s); another holder may have run", name, ttl_s)


class _Heartbeat:
    """Renew a held lock every third of its lease, until stopped or until ``ttl_s`` after it was taken."""

    def __init__(self, backend: Any, key: str, token: str, *, lease_s: int, ttl_s: int) -> None:
        self._args = (backend, key, token)
        self._lease_s = lease_s
        self._ends_at = time.monotonic() + ttl_s
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lock-heartbeat:{key}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(self._lease_s / 3):
            remaining_s = self._ends_at - time.monotonic()
            if remaining_s <= 0:
                return
            try:
                if not _extend(*self._args, seconds=min(self._lease_s, remaining_s)):
                    return  # lost (expired and taken by someone else): leave it alone
            except Exception:  # Redis unreachable: try again next beat; the lease runs out on its own
                logger.warning("Could not renew lock %s", self._args[1], exc_info=True)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)


def _extend(backend: Any, key: str, token: str, *, seconds: float) -> bool:
    if isinstance(backend, RedisCache):
        client = backend.client
        redis_key = client.make_key(key)
        milliseconds = max(int(seconds * 1000), 1)
        script = _COMPARE_AND_EXTEND_LUA
        return bool(client.get_client(write=True).eval(script, 1, redis_key, client.encode(token), milliseconds))
    if backend.get(key) != token:
        return False
    return bool(backend.touch(key, max(int(seconds), 1)))


def _release_quietly(backend: Any, key: str, token: str, name: str) -> bool:
    try:
        return _release(backend, key, token)
    except Exception:  # Redis unreachable: the lease expires by itself
        logger.warning("Could not release lock %s; it expires within %s s", name, lock_lease_s(), exc_info=True)
        return True


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
