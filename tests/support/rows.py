"""What a poll left in the database, read back detached so a test can look at it after the session."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import select

from monitor.db import session_scope
from monitor.models import Document, SourceState


def source_state(engine: Engine, source_id: str) -> SourceState:
    with session_scope(engine) as session:
        row = session.get(SourceState, source_id)
        assert row is not None, f"no SourceState for {source_id}"
        session.expunge(row)
        return row


def document_urls(engine: Engine) -> list[str]:
    with session_scope(engine) as session:
        return sorted(session.exec(select(Document.url)).all())
