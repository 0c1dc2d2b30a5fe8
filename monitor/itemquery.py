"""Reading stored items: the filters of `items`, the web view, its feeds and API, and the JSON they show."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.orm import load_only
from sqlmodel import Session, col, select

from monitor.models import AttachmentText, Document, Item, ItemLabel
from monitor.search import matching_items


@dataclass
class ItemQuery:
    """Filters of `items`, the web view, its feeds and API; `before` is a keyset cursor
    (first_seen_at, id): the page starts after that item, however deep into history."""

    labels: Sequence[str] = ()
    regions: Sequence[str] = ()
    sources: Sequence[str] = ()
    since: datetime | None = None
    until: datetime | None = None
    text: str = ""  # full-text search (monitor.search)
    before: tuple[datetime, int] | None = None
    limit: int | None = None


def items_with_documents() -> Any:
    """SELECT items joined to their documents' summary columns: a document's text and raw page
    (tens of kilobytes each) are not what an item list, an alert or a digest shows."""
    return (select(Item, Document).join(Document, Item.document_id == Document.id)
            .options(load_only(Document.id, Document.url, Document.title, Document.source_id,  # type: ignore[arg-type]
                               Document.published_at, Document.duplicate_of, Document.doc_number,
                               Document.issuer, Document.signed_at, Document.deadlines, Document.attachments)))


def query_items(session: Session, q: ItemQuery) -> list[tuple[Item, Document]]:
    """Stored items with their documents, newest first."""
    stmt = items_with_documents()
    if q.labels:
        # A correlated EXISTS lets the planner walk items newest first (or by date range) and probe
        # the (label, item_id) index, instead of collecting every item a common label ever had.
        labelled = select(ItemLabel.item_id).where(col(ItemLabel.label).in_(list(q.labels)),
                                                   ItemLabel.item_id == Item.id)
        stmt = stmt.where(labelled.exists())
    if q.regions:
        stmt = stmt.where(col(Item.region).in_(list(q.regions)))
    if q.sources:
        stmt = stmt.where(col(Document.source_id).in_(list(q.sources)))
    if q.since:
        stmt = stmt.where(Item.first_seen_at >= q.since)
    if q.until:
        stmt = stmt.where(Item.first_seen_at < q.until)
    found = matching_items(session.get_bind().dialect.name, q.text)
    if found is not None:
        stmt = stmt.where(found)
    if q.before:
        moment, item_id = q.before
        # `<=` first: a range the first_seen_at index seeks to, on SQLite and PostgreSQL alike
        stmt = stmt.where(col(Item.first_seen_at) <= moment,
                          or_(col(Item.first_seen_at) < moment, col(Item.id) < item_id))
    stmt = stmt.order_by(col(Item.first_seen_at).desc(), col(Item.id).desc())
    if q.limit:
        stmt = stmt.limit(q.limit)
    return list(session.exec(stmt).all())


def item_json(item: Item, doc: Document) -> dict[str, Any]:
    """The `items --json` object (and /api/items'): parse's item fields plus where the item came from,
    and its id (the web view's /items/{id})."""
    from monitor.docmeta import document_json  # its date and deadline parsers are not a poll's concern

    return {
        "id": item.id, "seq": item.seq, "section": item.section, "title": item.title, "text": item.text,
        "labels": item.labels, "evidence": item.evidence, "region": item.region,
        "regions_mentioned": item.regions_mentioned,
        "date": item.date.isoformat() if item.date else None,
        "date_end": item.date_end.isoformat() if item.date_end else None,
        "figures": item.figures, "doc_titles": item.doc_titles, "redacted": item.redacted,
        "document_url": doc.url, "document_title": doc.title, "source": doc.source_id,
        "published_at": doc.published_at.isoformat() if doc.published_at else None,
        "first_seen_at": item.first_seen_at.isoformat(),
    } | document_json(doc.doc_number, doc.issuer, doc.signed_at.isoformat() if doc.signed_at else None,
                      doc.deadlines, doc.attachments)


def attachment_texts(session: Session, document_ids: Sequence[int | None]) -> dict[tuple[int, int], str]:
    """(document id, attachment position) → the text read from that attachment."""
    ids = [i for i in dict.fromkeys(document_ids) if i is not None]
    found: dict[tuple[int, int], str] = {}
    for start in range(0, len(ids), 500):
        rows = session.exec(select(AttachmentText).where(col(AttachmentText.document_id).in_(ids[start:start + 500])))
        found.update(((row.document_id, row.seq), row.text) for row in rows)
    return found


def count_items_by_label(session: Session) -> dict[str, int]:
    rows = session.exec(select(ItemLabel.label, func.count()).group_by(ItemLabel.label)).all()
    return dict(rows)
