"""Engine and sessions, built from the settings (never at import time)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from monitor.sqlitefile import apply_pragmas


def make_engine(database_url: str, threads: int = 8, **kwargs: Any) -> Engine:
    """An engine for SQLite (WAL, foreign keys, busy timeout) or PostgreSQL (psycopg 3).

    The pool keeps a connection for each of `threads` poll threads plus the delivery, digest and
    health threads: with fewer, every poll beyond the pool opened and closed a connection of its
    own (for SQLite with its four PRAGMAs), a fifth of a warm poll's CPU.
    """
    if not database_url.startswith("sqlite:///:memory:") and database_url not in {"sqlite://", "sqlite:///"}:
        kwargs.setdefault("pool_size", threads + 4)
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    if database_url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = create_engine(database_url, **kwargs)
        event.listen(engine, "connect", apply_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(database_url, **kwargs)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
