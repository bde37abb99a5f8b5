"""The embedded default under load, as a new user runs it: a fresh SQLite file served by ``manage.py serve`` (one
gunicorn worker with four threads, the in-process task thread and beat, no Redis), every setting as shipped except
the TPDB pace (raised so the test takes seconds, not minutes: what is under test is our database, not TPDB's limit).

Eight clients send corpus match requests and read back what matched, while TPDB's site list is synced twice over:
by the start-up sync on the task thread and by ``manage.py sync_sites`` in another process. Nothing may answer 5xx,
Plex's own address (127.0.0.1) is never refused, every matched item reads back, and the server logs no error.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.benchmarks.match_benchmark import DEFAULT_CORPUS, load_queries
from tests.fake_tpdb import Catalog, FakeTPDB

pytestmark = [
    pytest.mark.slow,
    # It serves its own SQLite file whatever the test database is: running it in the PostgreSQL leg again proves
    # nothing more and costs a minute.
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"), reason="runs in the SQLite test leg"
    ),
]

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = 8
QUERIES = 240


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _call(url: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, {}


def _wait_for(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server exited at start"
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers (503 while TPDB has no key is fine here)
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not come up")


@pytest.fixture
def embedded_server(tmp_path):
    port = _free_port()
    log_path = tmp_path / "server.log"
    with FakeTPDB(Catalog.from_corpus(DEFAULT_CORPUS), token="load-test-token") as fake:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TPDB_", "PLEX_", "RATE_LIMIT"))},
            "DJANGO_SETTINGS_MODULE": "tpdbprovider.settings.production",
            "DEBUG": "false",
            "DJANGO_SECRET_KEY": "embedded-load-test-secret-key-0123456789",
            "ADMIN_USERNAME": "loadtest",
            "ADMIN_PASSWORD": "Embedded-load-test-password-9",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'tpdbprovider.sqlite3'}",
            "REDIS_URL": "",
            "TPDB_BASE_URL": fake.base_url,
            "TPDB_API_KEY": fake.token,
            "TPDB_RATE_LIMIT": "50",
            "TPDB_RATE_BURST": "20",
            "HOST": "127.0.0.1",
            "PORT": str(port),
        }
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        with log_path.open("wb") as log:
            server = subprocess.Popen([*manage, "serve"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                _wait_for(f"http://127.0.0.1:{port}/health", server)
                yield {"url": f"http://127.0.0.1:{port}", "env": env, "manage": manage, "fake": fake}
            finally:
                server.terminate()
                server.wait(timeout=30)
        (tmp_path / "log").write_bytes(log_path.read_bytes())
    log_text = log_path.read_text(errors="replace")
    errors = [line for line in log_text.splitlines() if '"level": "ERROR"' in line or "Traceback" in line]
    assert errors == [], "\n".join(errors[:10])
    assert "database is locked" not in log_text


def test_eight_clients_on_a_fresh_sqlite_file_while_sites_sync_get_no_5xx(embedded_server):
    base = embedded_server["url"]
    queries = load_queries(DEFAULT_CORPUS, every=7)[:QUERIES]
    work: queue.Queue[dict[str, Any]] = queue.Queue()
    for record in queries:
        work.put(record)
    statuses: Counter[int] = Counter()
    matched: dict[str, str] = {}  # ratingKey -> provider
    lock = threading.Lock()

    def client() -> None:
        while True:
            try:
                record = work.get_nowait()
            except queue.Empty:
                return
            provider = record["provider"]
            status, payload = _call(f"{base}/{provider}/library/metadata/matches", record["request"])
            found = payload.get("MediaContainer", {}).get("Metadata") or [] if status == 200 else []
            with lock:
                statuses[status] += 1
            for item in found[:1]:
                read_status, _ = _call(f"{base}/{provider}/library/metadata/{item['ratingKey']}")
                with lock:
                    statuses[read_status] += 1
                    matched[item["ratingKey"]] = provider

    sync = subprocess.Popen(
        [*embedded_server["manage"], "sync_sites"],
        cwd=ROOT,
        env=embedded_server["env"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    _, sync_errors = sync.communicate(timeout=300)

    print(f"embedded load: {len(matched)} matched of {len(queries)}; answers by status {dict(statuses)}")
    assert sync.returncode == 0, sync_errors.decode(errors="replace")[-2000:]
    assert not [s for s in statuses if s >= 500], statuses
    assert statuses[429] == 0, statuses
    assert sum(statuses.values()) >= QUERIES
    assert len(matched) >= QUERIES // 3, f"only {len(matched)} of {QUERIES} matched"
    unreadable = [
        key for key, provider in matched.items() if _call(f"{base}/{provider}/library/metadata/{key}")[0] != 200
    ]
    assert unreadable == []
