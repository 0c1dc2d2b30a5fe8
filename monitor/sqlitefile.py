"""SQLite details that the engine and the ORM-free warm pass (monitor/sweep.py) share: the file
behind a database URL, the settings of every connection, and how a UTC timestamp is stored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# SQLAlchemy's text form of a DateTime on SQLite; UTCDateTime stores UTC, without the zone.
_STORED = "%Y-%m-%d %H:%M:%S.%f"


def sqlite_file(database_url: str) -> str | None:
    """The file of a `sqlite:///…` URL; None for any other database, an in-memory one, or a URL with
    options or escapes (those are left to SQLAlchemy's own parsing)."""
    if not database_url.startswith("sqlite:///"):
        return None
    path = database_url.removeprefix("sqlite:///")
    return None if path in {"", ":memory:"} or any(c in path for c in "?%#") else path


def apply_pragmas(dbapi_conn: Any, *_: Any) -> None:
    """WAL, foreign keys, NORMAL sync and a 30 s busy timeout: set on every new connection."""
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def stored_timestamp(moment: datetime) -> str:
    """An aware datetime as the models' UTC timestamp columns store it on SQLite."""
    return moment.astimezone(UTC).strftime(_STORED)
