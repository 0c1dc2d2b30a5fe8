"""The web view's own database engine: it cannot write, and no query runs longer than a few seconds.

A URL is untrusted input, so whatever query it leads to is bounded twice: by LIMITs in the queries,
and here by the database — SQLite's progress handler interrupts a statement past its deadline and
`query_only` refuses writes; PostgreSQL gets `statement_timeout` and read-only transactions.
"""

from __future__ import annotations

import math
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from monitor.db import make_engine

QUERY_SECONDS = 5.0
_PROGRESS_STEPS = 10_000  # SQLite VM instructions between two looks at the clock


def read_only_engine(database_url: str, seconds: float = QUERY_SECONDS) -> Engine:
    if database_url.startswith("postgresql"):
        options = f"-c statement_timeout={int(seconds * 1000)} -c default_transaction_read_only=on"
        return make_engine(database_url, threads=4, connect_args={"options": options})
    engine = make_engine(database_url, threads=4)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_guard)
        event.listen(engine, "before_cursor_execute", _start_clock(seconds))
    return engine


def _sqlite_guard(dbapi_conn: Any, record: Any) -> None:
    deadline = record.info["deadline"] = [math.inf]
    dbapi_conn.execute("PRAGMA query_only=ON")
    dbapi_conn.set_progress_handler(lambda: time.monotonic() > deadline[0], _PROGRESS_STEPS)


def _start_clock(seconds: float) -> Any:
    def start(conn: Any, *_args: Any) -> None:
        conn.info["deadline"][0] = time.monotonic() + seconds
    return start
