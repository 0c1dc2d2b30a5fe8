"""full-text search of items, and the content of sent digests

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06

`itemsearch` holds each item's searchable text in matching form (simplified, width-folded, so a
traditional-script query finds simplified text). SQLite indexes it with an FTS5 trigram table kept
in step by triggers; PostgreSQL with a pg_trgm GIN index when the extension is available (without
it, searches still work, by scanning). Existing items are backfilled here.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import monitor.models
from monitor.search import search_body

revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE item_fts USING fts5(body, content='itemsearch', content_rowid='item_id', "
    "tokenize='trigram')",
    "CREATE TRIGGER itemsearch_ai AFTER INSERT ON itemsearch BEGIN "
    "INSERT INTO item_fts(rowid, body) VALUES (new.item_id, new.body); END",
    "CREATE TRIGGER itemsearch_ad AFTER DELETE ON itemsearch BEGIN "
    "INSERT INTO item_fts(item_fts, rowid, body) VALUES ('delete', old.item_id, old.body); END",
    "CREATE TRIGGER itemsearch_au AFTER UPDATE ON itemsearch BEGIN "
    "INSERT INTO item_fts(item_fts, rowid, body) VALUES ('delete', old.item_id, old.body); "
    "INSERT INTO item_fts(rowid, body) VALUES (new.item_id, new.body); END",
]
PG_TRGM_INDEX = "CREATE INDEX ix_itemsearch_body_trgm ON itemsearch USING gin (body gin_trgm_ops)"


def upgrade() -> None:
    op.create_table('itemsearch',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.PrimaryKeyConstraint('item_id')
    )
    with op.batch_alter_table('digestrun', schema=None) as batch_op:
        batch_op.add_column(sa.Column('item_ids', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('started_at', monitor.models.UTCDateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        available = bind.exec_driver_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'").first()
        if available:
            op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            op.execute(PG_TRGM_INDEX)
    _backfill(bind)


def _backfill(bind: sa.Connection) -> None:
    """Search text for the items stored before this revision, a thousand at a time; a document's
    attachment texts (revision 0003) go with its first item."""
    files: dict[int, list[str]] = {}
    for doc_id, text in bind.execute(sa.text("SELECT document_id, text FROM attachmenttext ORDER BY document_id, seq")):
        files.setdefault(doc_id, []).append(text)
    rows = bind.execute(sa.text("SELECT item.id, item.title, item.text, document.title, document.id FROM item "
                                "JOIN document ON document.id = item.document_id ORDER BY item.id"))
    insert = sa.text("INSERT INTO itemsearch (item_id, body) VALUES (:item_id, :body)")
    while batch := rows.fetchmany(1000):
        bind.execute(insert, [{"item_id": r[0], "body": search_body(r[1], r[2], r[3], files.pop(r[4], ()))}
                              for r in batch])


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("itemsearch_ai", "itemsearch_ad", "itemsearch_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS item_fts")
    with op.batch_alter_table('digestrun', schema=None) as batch_op:
        batch_op.drop_column('started_at')
        batch_op.drop_column('item_ids')
    op.drop_table('itemsearch')
