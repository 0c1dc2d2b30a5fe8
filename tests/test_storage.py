"""Models round-trip on SQLite; migrations reach head with no drift from the models."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from monitor.db import make_engine, session_scope
from monitor.migrate import check
from monitor.models import Alert, Document, Item, SourceState, utcnow
from support.db import BACKEND

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def db_url(database_url: str) -> str:
    return database_url


def test_migrations_reach_head_without_drift(db_url: str) -> None:
    check(db_url)  # raises when models and migrations differ
    tables = set(inspect(make_engine(db_url)).get_table_names())
    assert {"document", "item", "itemlabel", "sourcestate", "alert", "httpcache", "digestrun"} <= tables


def test_the_alembic_command_works_from_pyproject_alone(tmp_path: Path) -> None:
    """What the README tells a developer to run: `alembic upgrade head`, then `alembic check`."""
    for name in ("pyproject.toml", "migrations"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    env = {**os.environ, "EDU_MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}"}
    env.pop("EDU_MONITOR_CONFIG", None)
    for command in (["upgrade", "head"], ["check"]):
        done = subprocess.run([sys.executable, "-m", "alembic", *command], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
    assert "No new upgrade operations detected" in done.stdout + done.stderr


@pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite pragmas")
def test_sqlite_runs_in_wal_mode_with_foreign_keys(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_document_and_item_round_trip_with_aware_timestamps(db_url: str) -> None:
    engine = make_engine(db_url)
    published = dt.datetime(2024, 5, 8, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with session_scope(engine) as session:
        doc = Document(source_id="x", url="http://a/1.html", title="通知", published_at=published,
                       text="正文", content_hash="h", meta={"发文字号": "甘教办〔2024〕18号"})
        session.add(doc)
        session.flush()
        session.add(Item(document_id=doc.id, seq=1, title="t", text="正文", labels=["meeting"],
                         evidence={"meeting": ["召开"]}, date=dt.date(2024, 5, 8), fingerprint="f",
                         figures=[{"text": "3家", "value": 3, "unit": "家"}]))
    with session_scope(engine) as session:
        doc = session.exec(select(Document)).one()
        item = session.exec(select(Item)).one()
    assert doc.published_at == published and doc.published_at.tzinfo is not None
    assert doc.meta == {"发文字号": "甘教办〔2024〕18号"}
    assert item.labels == ["meeting"] and item.date == dt.date(2024, 5, 8)
    assert item.first_seen_at.tzinfo is not None


def test_unique_keys_make_repeats_fail(db_url: str) -> None:
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        session.add(Document(source_id="x", url="http://a/1.html", content_hash="h"))
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(Document(source_id="y", url="http://a/1.html", content_hash="h2"))
    with session_scope(engine) as session:
        session.add(Alert(key="item:1:r:ops", route="r", channel_tag="ops", mode="instant"))
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(Alert(key="item:1:r:ops", route="r", channel_tag="ops", mode="instant"))


def test_naive_timestamps_are_refused(db_url: str) -> None:
    engine = make_engine(db_url)
    with pytest.raises(Exception, match="naive"), session_scope(engine) as session:
        session.add(SourceState(source_id="x", last_poll_at=dt.datetime(2024, 1, 1)))


def test_source_state_defaults(db_url: str) -> None:
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        session.add(SourceState(source_id="moe", last_success_at=utcnow()))
    with engine.connect() as conn:
        row = conn.exec_driver_sql("select status, consecutive_failures from sourcestate").one()
    assert tuple(row) == ("ok", 0)
