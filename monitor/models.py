"""Database tables. Sources live in YAML; the database keeps documents, items, state and the alert ledger.

Every timestamp is timezone-aware UTC. The unique keys are what make re-polling and
re-routing idempotent: a document URL is stored once, an item once per (document, seq),
an alert once per ledger key (item, route, channel tag).
"""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import JSON, Column, Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC and returns them aware (SQLite forgets the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(*, index: bool = False, nullable: bool = True, default: bool = False) -> Any:
    """A timezone-aware UTC timestamp column."""
    return Field(
        default_factory=utcnow if default else lambda: None,
        sa_column=Column(UTCDateTime(), index=index, nullable=nullable),
    )


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


class Document(SQLModel, table=True):
    """One fetched article or report page."""

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(index=True, max_length=100)
    url: str = Field(sa_column=Column(sa.String(2000), unique=True, nullable=False))
    title: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
    kind: str = Field(default="article", max_length=20)
    period: str | None = Field(default=None, max_length=10)
    region: str | None = Field(default=None, max_length=10)
    publisher: str | None = Field(default=None, max_length=200)
    published_at: datetime | None = _ts(index=True)
    fetched_at: datetime = _ts(nullable=False, default=True)
    text: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
    raw_html: str | None = Field(default=None, sa_column=Column(sa.Text, nullable=True))
    content_hash: str = Field(index=True, max_length=64)  # of the normalised text: finds republished copies
    duplicate_of: int | None = Field(default=None, foreign_key="document.id", index=True)
    meta: dict[str, Any] = _json(dict)  # 信息公开 table: 索引号, 发文字号, 发文机关, 成文日期 …
    attachments: list[dict[str, Any]] = _json(list)  # {name, url, type, bytes, chars, error}; text in AttachmentText
    doc_number: str | None = Field(default=None, max_length=200)  # 发文字号
    issuer: str | None = Field(default=None, max_length=200)  # 发文机关
    signed_at: dt.date | None = None  # 成文日期
    deadlines: list[dict[str, str]] = Field(  # [{date, text}]
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default=sa.text("'[]'")))


class AttachmentText(SQLModel, table=True):
    """The text read from one attachment (position `seq` in its document's `attachments` list), kept
    apart so item lists and alerts never load it; routing reads it once, when the document is stored."""

    document_id: int = Field(foreign_key="document.id", primary_key=True)
    seq: int = Field(primary_key=True)
    text: str = Field(default="", sa_column=Column(sa.Text, nullable=False))


class Item(SQLModel, table=True):
    """One reportable event or task of a document (see TAXONOMY.md)."""

    __table_args__ = (sa.UniqueConstraint("document_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    seq: int
    section: str | None = Field(default=None, sa_column=Column(sa.Text, nullable=True))
    title: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
    text: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
    labels: list[str] = _json(list)
    evidence: dict[str, list[str]] = _json(dict)
    region: str | None = Field(default=None, max_length=10, index=True)
    regions_mentioned: list[str] = _json(list)
    date: dt.date | None = None
    date_end: dt.date | None = None
    figures: list[dict[str, Any]] = _json(list)
    doc_titles: list[str] = _json(list)
    redacted: bool = False
    fingerprint: str = Field(index=True, max_length=64)  # normalised text: same item in a republished copy
    first_seen_at: datetime = _ts(index=True, nullable=False, default=True)


class ItemLabel(SQLModel, table=True):
    """Index of labels so `items --label L` is a lookup, not a JSON scan."""

    __table_args__ = (sa.Index("ix_itemlabel_label_item", "label", "item_id"),)

    item_id: int = Field(foreign_key="item.id", primary_key=True)
    label: str = Field(primary_key=True, max_length=40)


class ItemSearch(SQLModel, table=True):
    """An item's searchable text (its title and text, its document's title) in matching form.

    Kept apart from Item so the full-text index has one narrow table to follow: SQLite's FTS5
    trigram table `item_fts` reads it as external content (through triggers), PostgreSQL indexes it
    with pg_trgm; both are made by migration 0004, not by the models.
    """

    item_id: int = Field(foreign_key="item.id", primary_key=True)
    body: str = Field(default="", sa_column=Column(sa.Text, nullable=False))


class HttpCache(SQLModel, table=True):
    """Validators for conditional GET, per URL."""

    url: str = Field(sa_column=Column(sa.String(2000), primary_key=True))
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    updated_at: datetime = _ts(nullable=False, default=True)


class ArticleFailure(SQLModel, table=True):
    """An article link that keeps failing (a dead link on a live list), so it can be given up on.

    Without this a 404 behind a list would be fetched again on every poll, and the list's
    validators never saved (they wait until every article is stored), so the list never got a 304.
    """

    url: str = Field(sa_column=Column(sa.String(2000), primary_key=True))
    source_id: str = Field(max_length=100, index=True)
    failures: int = 0  # "gone" answers (404/410, redirect off the site) in a row, since first_failed_at
    last_error: str | None = Field(default=None, sa_column=Column(sa.Text, nullable=True))
    first_failed_at: datetime = _ts(nullable=False, default=True)
    last_failed_at: datetime = _ts(nullable=False, default=True)
    given_up: bool = False


class SourceState(SQLModel, table=True):
    """What the service knows about a source's health; the catalog itself stays in YAML."""

    source_id: str = Field(primary_key=True, max_length=100)
    last_poll_at: datetime | None = _ts()
    last_success_at: datetime | None = _ts()
    consecutive_failures: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(sa.Text, nullable=True))
    blocked_reason: str | None = Field(default=None, max_length=200)
    status: str = Field(default="ok", max_length=20)  # ok | failing | blocked | broken
    alerted_status: str = Field(default="ok", max_length=20)  # the status the operator was last told
    polls: int = 0
    documents: int = 0


class Alert(SQLModel, table=True):
    """The outbox: one row per message to send, claimed atomically by the delivery loop.

    `key` is the ledger's identity: ``item:<item_id>:<route>:<tag>`` for items,
    ``remind:<document_id>:<deadline>:<route>:<tag>`` for deadline reminders and
    ``source:<id>:<status>:<n>`` for operator notices, so writing the same alert twice is a no-op.
    """

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(sa.String(300), unique=True, nullable=False))
    item_id: int | None = Field(default=None, foreign_key="item.id", index=True)
    document_id: int | None = Field(default=None, foreign_key="document.id", index=True)
    source_id: str | None = Field(default=None, max_length=100)
    route: str = Field(max_length=100)
    channel_tag: str = Field(max_length=100)
    mode: str = Field(max_length=10)  # instant | digest | reminder | operator
    status: str = Field(default="pending", max_length=10, index=True)  # pending | sending | sent | failed | expired
    attempts: int = 0
    next_attempt_at: datetime = _ts(nullable=False, default=True)
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_at: datetime | None = _ts()
    title: str | None = Field(default=None, sa_column=Column(sa.Text, nullable=True))  # operator notices
    body: str | None = Field(default=None, sa_column=Column(sa.Text, nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(sa.Text, nullable=True))
    receipt: str | None = Field(default=None, sa_column=Column(sa.Text, nullable=True))
    # {"name", "line"}: the attachment whose text matched the route's keywords (the item's own text did not)
    attachment_match: dict[str, str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = _ts(nullable=False, default=True)
    sent_at: datetime | None = _ts()


class DigestRun(SQLModel, table=True):
    """One sent digest per route and tag: marks where the next digest starts, and keeps what it held
    (the window and the item ids) so the web view can show it again."""

    id: int | None = Field(default=None, primary_key=True)
    route: str = Field(max_length=100, index=True)
    channel_tag: str = Field(max_length=100)
    items: int = 0
    item_ids: list[int] = _json(list)
    started_at: datetime | None = _ts()
    sent_at: datetime = _ts(nullable=False, default=True)
