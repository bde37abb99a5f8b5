"""The embedded default under load, as a new user runs it: a fresh SQLite file served by ``manage.py serve`` (one
gunicorn worker with four threads, the in-process task thread and beat, no Redis), every setting as shipped except
the TPDB pace (raised so the test takes seconds, not minutes: what is under test is our database, not TPDB's limit).

Eight clients send corpus match requests and read back what matched, while TPDB's site list is synced twice over:
by the start-up sync on the task thread and by ``manage.py sync_sites`` in another process. Nothing may answer 5xx,
Plex's own address (127.0.0.1) is never refused, every matched item reads back, and the server logs no error.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.benchmarks.match_benchmark import DEFAULT_CORPUS, load_queries
from tests.benchmarks.scan_benchmark import call, free_port, scan
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
    port = free_port()
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
    sync = subprocess.Popen(
        [*embedded_server["manage"], "sync_sites"],
        cwd=ROOT,
        env=embedded_server["env"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    out = scan(base, queries, CLIENTS)  # each match, then a metadata read of what matched
    _, sync_errors = sync.communicate(timeout=300)
    statuses, matched = out["statuses"], out["keys"]
    print(f"embedded load: {len(matched)} matched of {len(queries)}; answers by status {dict(statuses)}")
    assert sync.returncode == 0, sync_errors.decode(errors="replace")[-2000:]
    assert not [s for s in statuses if s >= 500], statuses
    assert statuses[429] == 0, statuses
    assert sum(statuses.values()) >= QUERIES
    assert len(matched) >= QUERIES // 3, f"only {len(matched)} of {QUERIES} matched"
    unreadable = [
        key for key, provider in matched.items() if call(f"{base}/{provider}/library/metadata/{key}")[0] != 200
    ]
    assert unreadable == []
