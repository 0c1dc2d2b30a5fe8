"""Alembic environment: the models' metadata, batch mode for SQLite, the engine rules of monitor.db."""

from __future__ import annotations

from alembic import context
from alembic.util.exc import CommandError
from sqlalchemy import text
from sqlmodel import SQLModel

from monitor import models  # noqa: F401  (registers the tables)
from monitor.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def database_url() -> str:
    """Set by monitor.migrate; from the `alembic` command line, the service's own settings."""
    from monitor.settings import load_settings

    try:
        url = config.get_main_option("sqlalchemy.url")
    except CommandError:  # configured from pyproject.toml only: there is no alembic.ini to read
        url = None
    return url or load_settings().database_url


# Made by migration 0004 with raw DDL, outside the models: FTS5's table (and its shadow tables)
# and the pg_trgm index are not drift.
FULLTEXT_OBJECTS = ("item_fts", "ix_itemsearch_body_trgm")


def include_name(name: str | None, type_: str, _parents: dict) -> bool:
    return not (name and type_ in ("table", "index") and name.startswith(FULLTEXT_OBJECTS))


def run_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True, include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()


# Scale-out workers start together and each migrates on start: on PostgreSQL they take turns on
# this advisory lock (held to the migration transaction's end), so the second finds the schema at
# head instead of racing the first's CREATE TABLE. SQLite's own write lock serialises its writers.
MIGRATION_LOCK = 727271


def run_online() -> None:
    engine = make_engine(database_url())
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite", compare_type=True,
                          include_name=include_name)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
