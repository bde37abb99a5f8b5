"""PostgreSQL restarted and down under a real gunicorn worker, on a private PostgreSQL (never the shared one).

The worker keeps its database connection between requests (CONN_MAX_AGE), as in production: a restart must cost a
reconnect, not a 500 (CONN_HEALTH_CHECKS), and while the database is down provider endpoints answer 503 with
Retry-After, as /health says "down". Nothing stored before the outage is lost.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.fake_tpdb import FakeTPDB

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.slow]

SCENE = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"
KNOWN_MATCH = {
    "type": 4,
    "grandparentTitle": "Standalone Studio",
    "date": "2021-11-30",
    "filename": "Standalone Studio/Standalone Studio - 2021-11-30 - Mountain Cabin Weekend.mp4",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivatePostgres:
    """initdb + pg_ctl in a temp dir on a free port, run as the postgres user when we are root."""

    def __init__(self, bindir: str, datadir: Path) -> None:
        self.bindir, self.datadir, self.port = bindir, datadir, _free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/tpdb"

    def _run(self, *args: str) -> None:
        command = [os.path.join(self.bindir, args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.datadir), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.datadir} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.datadir), "-o", options, "-l", str(self.datadir / "log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def createdb(self) -> None:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "tpdb")


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not bindirs or not os.path.exists(os.path.join(bindirs[-1], "initdb")):
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: initdb refuses root")
    tmp = Path(tempfile.mkdtemp(prefix="tpdb-pg-"))
    datadir = tmp / "data"
    if os.geteuid() == 0:
        shutil.chown(tmp, user="postgres")
    server = PrivatePostgres(bindirs[-1], datadir)
    server.init()
    server.start()
    try:
        server.createdb()
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped by the test
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def web(private_postgres: PrivatePostgres, fake_tpdb: FakeTPDB) -> Iterator[str]:
    """One gunicorn worker (sync, one thread: one persistent connection) on the private database."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tpdbprovider.settings.production",
        "DJANGO_SECRET_KEY": "pg-fault-test-secret",
        "ADMIN_USERNAME": "pgtest",
        "ADMIN_PASSWORD": "pg-fault-test-password",
        "DATABASE_URL": private_postgres.url,
        "REDIS_URL": "",
        "TPDB_BASE_URL": fake_tpdb.base_url,
        "TPDB_API_KEY": fake_tpdb.token,
        "TPDB_RATE_LIMIT": "50",
        "RATE_LIMIT_DEFAULT": "100000/min",
        "RATE_LIMIT_SEARCH": "100000/min",
        "PLEX_RESPONSE_CACHE_TTL_S": "0",  # every request reads the database
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
    gunicorn = [sys.executable, "-m", "gunicorn", "tpdbprovider.wsgi", "-w", "1", "--threads", "1"]
    process = subprocess.Popen(
        [*gunicorn, "-b", f"127.0.0.1:{port}", "--timeout", "60"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"{base}/health", timeout=10)
            break
        except (requests.ConnectionError, requests.Timeout):
            assert process.poll() is None, process.stderr.read() if process.stderr else "gunicorn died"
            time.sleep(0.2)
    yield base
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def _metadata(base: str) -> requests.Response:
    return requests.get(f"{base}/tv/library/metadata/tpdb-scene-{SCENE}", timeout=30)


def _match(base: str) -> requests.Response:
    return requests.post(f"{base}/tv/library/metadata/matches", json=KNOWN_MATCH, timeout=30)


def test_a_restarted_postgres_costs_a_reconnect_not_a_500_and_an_outage_answers_503(private_postgres, web):
    stored = _metadata(web)
    assert stored.status_code == 200, stored.text[:300]
    title = stored.json()["MediaContainer"]["Metadata"][0]["title"]
    matched = _match(web).json()["MediaContainer"]["Metadata"]
    assert [m["ratingKey"] for m in matched] == ["tpdb-scene-0c1d2e3f-4a5b-4c6d-8e7f-8a9b0c1d2e3f"]

    for _ in range(2):
        private_postgres.restart()  # the worker's persistent connection is now dead
        first = _metadata(web)
        assert first.status_code == 200, first.text[:300]
        assert _match(web).status_code == 200

    private_postgres.stop()
    statuses = []
    for response in (_metadata(web), _match(web), _metadata(web)):
        statuses.append(response.status_code)
        assert response.status_code == 503, response.text[:300]
        assert response.json()["code"] == "database_unavailable"
        assert int(response.headers["Retry-After"]) > 0
    health = requests.get(f"{web}/health", timeout=30)
    assert health.json()["status"] == "down"

    private_postgres.start()
    back = _metadata(web)
    assert back.status_code == 200, back.text[:300]
    assert back.json()["MediaContainer"]["Metadata"][0]["title"] == title  # nothing stored was lost
    assert [m["ratingKey"] for m in _match(web).json()["MediaContainer"]["Metadata"]] == [
        m["ratingKey"] for m in matched
    ]
