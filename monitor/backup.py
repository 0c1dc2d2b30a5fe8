"""Online SQLite backups through SQLite's own backup API (consistent while the daemon writes)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


def sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise ValueError("db backup copies SQLite files; for PostgreSQL use pg_dump (see docs/operations.md)")
    return Path(url.database)


def backup_sqlite(database_url: str, target: Path) -> int:
    """Copy the live database to `target`; returns the number of pages copied."""
    source = sqlite_path(database_url)
    if not source.exists():
        raise ValueError(f"{source}: no such database")
    if target.exists():
        raise ValueError(f"{target} exists; choose a new file name")
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
        pages = dst.execute("PRAGMA page_count").fetchone()[0]
        if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise ValueError(f"{target}: the copy failed its integrity check")
    return pages
