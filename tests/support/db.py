"""The database a test runs on: SQLite by default, a real PostgreSQL with EDU_MONITOR_TEST_DB=postgresql."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.migrate import upgrade
from support.postgres import PostgresServer, start_postgres

BACKEND = os.environ.get("EDU_MONITOR_TEST_DB", "sqlite")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One server per test run; each test gets its own database in it."""
    base = Path(tempfile.mkdtemp(prefix="edu-monitor-pg-"))  # outside pytest's root-only tmp dirs
    try:
        server = start_postgres(base)
    except (RuntimeError, OSError) as exc:
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"EDU_MONITOR_TEST_DB=postgresql but no server could start: {exc}")
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database for this test."""
    if BACKEND == "postgresql":
        server: PostgresServer = request.getfixturevalue("pg_server")
        url = server.create_database(f"t_{uuid.uuid4().hex[:12]}")
    else:
        url = f"sqlite:///{tmp_path / 'test.db'}"
    upgrade(url)
    return url
