"""Storage: documents, items and their alert rows in one transaction; all de-duplication lives here."""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from types import SimpleNamespace
from typing import Any, Protocol

from sqlalchemy import Table, bindparam, func, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

# The read side lives in monitor.itemquery; its names stay importable from here.
from monitor.itemquery import (  # noqa: F401
    ItemQuery,
    count_items_by_label,
    item_json,
    items_with_documents,
    query_items,
)
from monitor.models import (
    Alert,
    ArticleFailure,
    AttachmentText,
    Document,
    HttpCache,
    Item,
    ItemLabel,
    ItemSearch,
    utcnow,
)
from monitor.normalize import fingerprint, for_matching
from monitor.route import RoutedItem, attachment_match, select_routes
from monitor.search import search_body
from monitor.settings import RouteConfig

# Shorter items (a withheld "(略)" entry, a one-line heading) recur month after month and are news each time.
MIN_DEDUP_TEXT = 40


@dataclass
class SaveResult:
    document_id: int | None
    duplicate_of: int | None = None
    new_items: int = 0
    alerts: int = 0
    skipped: bool = False  # the URL was already stored
    alert_ids: list[int] = field(default_factory=list)


def stored_urls(session: Session, urls: Iterable[str]) -> set[str]:
    """Which of these URLs are already stored (checked in chunks to keep the IN list small)."""
    urls = list(dict.fromkeys(urls))
    found: set[str] = set()
    for start in range(0, len(urls), 500):
        chunk = urls[start:start + 500]
        found.update(session.exec(select(Document.url).where(col(Document.url).in_(chunk))).all())
    return found


GONE = frozenset({404, 410})  # answers that may be given up on; anything else is retried for good
GIVE_UP_AFTER = 5  # "gone" answers in a row for one article link …
GIVE_UP_SPAN = timedelta(days=2)  # … over at least this long (sites list pages before they exist)


def failing_articles(session: Session, urls: Sequence[str]) -> dict[str, bool]:
    """Article URLs with failures on record → whether they were given up on."""
    found: dict[str, bool] = {}
    for start in range(0, len(urls), 500):
        rows = session.exec(select(ArticleFailure.url, ArticleFailure.given_up)
                            .where(col(ArticleFailure.url).in_(urls[start:start + 500])))
        found.update((url, given_up) for url, given_up in rows)
    return found


def record_article_failure(session: Session, source_id: str, url: str, error: str, gone: bool,
                           now: datetime) -> bool:
    """Count one failed fetch of an article; True when it is now given up on.

    Only a link that kept answering "gone" (404/410, a redirect off the site, an invalid URL) on GIVE_UP_AFTER
    polls in a row, spread over GIVE_UP_SPAN, is given up: any other failure (a timeout, a 5xx)
    says nothing about the article and starts the count again.
    """
    row = session.get(ArticleFailure, url) or ArticleFailure(url=url, source_id=source_id, first_failed_at=now)
    if not gone:  # a timeout or 5xx breaks the streak of "gone" answers
        row.failures, row.first_failed_at = 0, now
    else:
        if not row.failures:
            row.first_failed_at = now
        row.failures += 1
    row.last_error, row.last_failed_at = error[:2000], now
    row.given_up = row.failures >= GIVE_UP_AFTER and now - row.first_failed_at >= GIVE_UP_SPAN
    session.add(row)
    return row.given_up


def clear_article_failure(session: Session, url: str) -> None:
    row = session.get(ArticleFailure, url)
    if row is not None:
        session.delete(row)


def given_up_counts(session: Session) -> dict[str, int]:
    """Articles given up on, per source (for `sources list`)."""
    rows = session.exec(select(ArticleFailure.source_id, func.count()).where(col(ArticleFailure.given_up))
                        .group_by(ArticleFailure.source_id))
    return dict(rows.all())


def get_validators(session: Session, urls: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
    """(ETag, Last-Modified) of the URLs that have any, in a query per 500 URLs (one cycle's lists)."""
    found: dict[str, tuple[str | None, str | None]] = {}
    for start in range(0, len(urls), 500):
        chunk = urls[start:start + 500]
        rows = session.exec(select(HttpCache.url, HttpCache.etag, HttpCache.last_modified)
                            .where(col(HttpCache.url).in_(chunk)))
        found.update((url, (etag, modified)) for url, etag, modified in rows)
    return found


def put_validators(session: Session, url: str, etag: str | None, last_modified: str | None) -> None:
    row = session.get(HttpCache, url) or HttpCache(url=url)
    row.etag, row.last_modified, row.updated_at = etag, last_modified, utcnow()
    session.add(row)


def _iso_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _item_values(parsed_item: Any, now: datetime) -> dict[str, Any]:
    """An item's column values (a plain dict: building an Item model per row cost more than its insert)."""
    return {
        "seq": parsed_item.seq, "section": parsed_item.section,
        "title": parsed_item.title or "", "text": parsed_item.text or "", "labels": list(parsed_item.labels),
        "evidence": dict(parsed_item.evidence), "region": parsed_item.region,
        "regions_mentioned": list(parsed_item.regions_mentioned), "date": _iso_date(parsed_item.date),
        "date_end": _iso_date(parsed_item.date_end), "figures": list(parsed_item.figures),
        "doc_titles": list(getattr(parsed_item, "doc_titles", []) or []), "redacted": bool(parsed_item.redacted),
        "fingerprint": fingerprint((parsed_item.title or "") + (parsed_item.text or "")), "first_seen_at": now,
    }


def _known_fingerprints(session: Session, prints: Sequence[str]) -> set[str]:
    if not prints:
        return set()
    return set(session.execute(_KNOWN_PRINTS, {"prints": list(prints)}).scalars())


@dataclass
class DocumentDraft:
    """A document with every value its save needs computed beforehand — item rows, fingerprints,
    search text, matching routes — so the transaction that writes it holds the database's write
    lock (SQLite has one writer at a time) only for its statements."""

    doc: Document
    rows: list[dict[str, Any]]  # item column values, without ids
    bodies: list[str]  # each item's search text
    routes: list[list[tuple[RouteConfig, dict[str, str] | None]]]  # each item's routes and attachment match
    attachment_texts: Sequence[str]
    now: datetime


def draft_document(doc: Document, parsed_items: Sequence[Any], routes: Sequence[RouteConfig],
                   default_max_age: timedelta, now: datetime | None = None,
                   attachment_texts: Sequence[str] = ()) -> DocumentDraft:
    """Everything of a save that needs no database; pure."""
    now = now or utcnow()
    doc.content_hash = doc.content_hash or fingerprint(doc.text)
    doc.fetched_at = now
    rows = [_item_values(p, now) for p in parsed_items]
    files = attached(doc, attachment_texts)
    bodies, matched = [], []
    for n, row in enumerate(rows):
        bodies.append(search_body(row["title"], row["text"], doc.title, attachment_texts if n == 0 else ()))
        routed = routed_item(SimpleNamespace(**row), doc, files if n == 0 else ())
        matched.append([(route, attachment_match(route, routed))
                        for route in select_routes(routes, routed, now, default_max_age)])
    return DocumentDraft(doc, rows, bodies, matched, attachment_texts, now)


def save_document(session: Session, doc: Document, parsed_items: Sequence[Any], routes: Sequence[RouteConfig],
                  default_max_age: timedelta, now: datetime | None = None,
                  attachment_texts: Sequence[str] = ()) -> SaveResult:
    """Store a new document, its items, and the alert rows for fresh new items — all or nothing.

    A republished copy (same normalised text as a stored document) is kept as a Document pointing at
    the original, with no items of its own, so it never alerts twice. Items whose text was already
    stored elsewhere are stored but not routed. `attachment_texts` go with `doc.attachments`, in order:
    stored, and matched by route keywords on the document's first item.
    """
    return save_draft(session, draft_document(doc, parsed_items, routes, default_max_age, now, attachment_texts))


def save_draft(session: Session, draft: DocumentDraft) -> SaveResult:
    """save_document's statements, for a draft made before the transaction."""
    doc = draft.doc
    doc.duplicate_of = session.execute(_ORIGINAL, {"hash": doc.content_hash}).scalar()
    doc.id = _insert_document(session, doc)
    if doc.id is None:
        return SaveResult(document_id=None, skipped=True)
    texts = [{"document_id": doc.id, "seq": n, "text": text} for n, text in enumerate(draft.attachment_texts) if text]
    if texts:
        session.execute(_INSERT[_ATTACHMENT_TEXTS.name], texts)
    if doc.duplicate_of is not None:
        return SaveResult(document_id=doc.id, duplicate_of=doc.duplicate_of)
    result = SaveResult(document_id=doc.id, new_items=len(draft.rows))
    if not draft.rows:
        return result
    seen = _known_fingerprints(session, [r["fingerprint"] for r in draft.rows])
    _insert_items(session, doc.id, draft.rows, draft.bodies)
    result.alert_ids = insert_alerts(session, _alert_rows(draft, seen))
    result.alerts = len(result.alert_ids)
    return result


_WRITERS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_WRITERS_LOCK = threading.Lock()


def one_writer(engine: Engine) -> AbstractContextManager[Any]:
    """Held around a document's write transaction on SQLite, which takes one writer at a time:
    the poll threads then queue on a lock that hands over the moment it is free, instead of
    SQLite's busy handler, which sleeps 1, 2, 5 … 100 ms between tries. (PostgreSQL: no lock.)"""
    if engine.dialect.name != "sqlite":
        return nullcontext()
    with _WRITERS_LOCK:
        return _WRITERS.setdefault(engine, threading.Lock())


def _insert_document(session: Session, doc: Document) -> int | None:
    """The document row's id, or None when its URL is already stored (by this poll's list check
    or, at the same moment, by another source or process): the unique URL decides, in one
    statement, without an ORM flush."""
    stmt = _insert_new(session.get_bind().dialect.name, "document", "url")
    return session.execute(stmt, _values(_DOCUMENTS, doc)).scalar()


def _insert_items(session: Session, document_id: int, rows: list[dict[str, Any]], bodies: list[str]) -> None:
    """Items, their labels and search text: one executemany per table, the ids read back in one query.

    Items and labels of a document inserted a moment ago cannot exist yet: a clash there is a bug
    and still fails the save. (Not a multi-row INSERT … RETURNING: its SQL differs with every item
    count, and each connection's statement cache kept a prepared copy of each, ~10 MB.)
    """
    session.execute(_INSERT[_ITEMS.name], [row | {"document_id": document_id} for row in rows])
    ids = dict(session.execute(_ITEM_IDS, {"document": document_id}).all())
    labels = []
    for row in rows:
        row["id"] = ids[row["seq"]]
        labels.extend({"item_id": row["id"], "label": lab} for lab in dict.fromkeys(row["labels"]))
    if labels:
        session.execute(_INSERT[_LABELS.name], labels)
    search = [{"item_id": row["id"], "body": body} for row, body in zip(rows, bodies, strict=True)]
    session.execute(_INSERT[_SEARCH.name], search)


def _alert_rows(draft: DocumentDraft, seen: set[str]) -> list[dict[str, Any]]:
    """The alert rows of the fresh new items (stored items with an id)."""
    alerts: list[dict[str, Any]] = []
    for row, routes in zip(draft.rows, draft.routes, strict=True):
        if row["fingerprint"] in seen and len(row["text"]) >= MIN_DEDUP_TEXT:
            continue  # the same paragraph was stored before (a republished copy): not news
        seen.add(row["fingerprint"])
        for route, match in routes:
            alerts.extend(_alert_values(row["id"], draft.doc, route, draft.now, match))
    return alerts


_DOCUMENTS = Document.__table__  # type: ignore[attr-defined]
_ATTACHMENT_TEXTS = AttachmentText.__table__  # type: ignore[attr-defined]
_ITEMS = Item.__table__  # type: ignore[attr-defined]
_LABELS = ItemLabel.__table__  # type: ignore[attr-defined]
_SEARCH = ItemSearch.__table__  # type: ignore[attr-defined]
_ALERTS = Alert.__table__  # type: ignore[attr-defined]
# Statements of every save built once (building one costs about what running it does on SQLite).
_ORIGINAL = select(_DOCUMENTS.c.id).where(_DOCUMENTS.c.content_hash == bindparam("hash"),
                                          _DOCUMENTS.c.duplicate_of.is_(None))
_KNOWN_PRINTS = select(_ITEMS.c.fingerprint).where(_ITEMS.c.fingerprint.in_(bindparam("prints", expanding=True)))
_ITEM_IDS = select(_ITEMS.c.seq, _ITEMS.c.id).where(_ITEMS.c.document_id == bindparam("document"))
_INSERT = {table.name: insert(table) for table in (_ATTACHMENT_TEXTS, _ITEMS, _LABELS, _SEARCH)}


def _values(table: Table, row: SQLModel) -> dict[str, Any]:
    """A model's column values for a Core insert (the database assigns the id)."""
    return {column.name: getattr(row, column.name) for column in table.columns if column.name != "id"}


def attached(doc: Document, texts: Sequence[str]) -> tuple[tuple[str, str, str], ...]:
    """(name, text, matching form) of the attachments that have text, for routing."""
    names = [str(att.get("name") or att.get("url") or "") for att in doc.attachments]
    return tuple((name, text, for_matching(text)) for name, text in zip(names, texts, strict=False) if text)


def routed_rows(rows: Iterable[tuple[Item, Document]],
                texts: Mapping[tuple[int, int], str]) -> Iterator[tuple[Item, Document, RoutedItem]]:
    """Stored items (in id order) as routes see them: a document's attachment text (`texts`, from
    attachment_texts) counts for its first item only, as when its alerts were written."""
    seen: set[int | None] = set()
    for item, doc in rows:
        files = () if doc.id in seen else attached(doc, [texts.get((doc.id, n), "") for n in range(len(doc.attachments))])
        seen.add(doc.id)
        yield item, doc, routed_item(item, doc, files)


class _Routable(Protocol):
    """What routing reads of an item: a stored Item, or the column values of one being stored."""

    labels: list[str]
    region: str | None
    title: str
    text: str
    first_seen_at: datetime


def routed_item(item: _Routable, doc: Document, attachments: tuple[tuple[str, str, str], ...] = ()) -> RoutedItem:
    return RoutedItem(labels=frozenset(item.labels), region=item.region, source_id=doc.source_id,
                      text=for_matching(f"{item.title}\n{item.text}\n{doc.title}"),
                      published_at=doc.published_at, first_seen_at=item.first_seen_at, attachments=attachments)


def alert_key(item_id: int, route: str, tag: str) -> str:
    return f"item:{item_id}:{route}:{tag}"


def _alert_values(item_id: int, doc: Document, route: RouteConfig, now: datetime,
                  match: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """An item's alert rows for one route: the model's defaults (built once) and this alert's values."""
    return [_ALERT_DEFAULTS | {"key": alert_key(item_id, route.name, tag), "item_id": item_id, "document_id": doc.id,
                               "source_id": doc.source_id, "route": route.name, "channel_tag": tag,
                               "mode": route.mode, "created_at": now, "next_attempt_at": now,
                               "attachment_match": match}
            for tag in dict.fromkeys(route.notify)]


# Building an Alert model per row cost more than inserting it.
_ALERT_DEFAULTS = _values(_ALERTS, Alert(key="", route="", channel_tag="", mode=""))


def insert_alerts(session: Session, alerts: Sequence[dict[str, Any]]) -> list[int]:
    """Insert alert rows whose ledger key is new, in one statement; the ids of those inserted.

    `INSERT … ON CONFLICT (key) DO NOTHING` lets the unique key decide, also against another
    process writing the same key at the same moment, without a look-up or a savepoint per row.
    """
    if not alerts:
        return []
    stmt = _insert_new(session.get_bind().dialect.name, "alert", "key")
    return sorted(session.execute(stmt, list(alerts)).scalars().all())


@cache
def _insert_new(dialect: str, table: str, key: str) -> Any:
    """INSERT … ON CONFLICT (key) DO NOTHING RETURNING id, built once per dialect (SQLite and
    PostgreSQL spell it alike): the unique key decides whether the row is new."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as upsert
    else:
        raise NotImplementedError(f"INSERT … ON CONFLICT on {dialect}")
    target = SQLModel.metadata.tables[table]
    return upsert(target).on_conflict_do_nothing(index_elements=[key]).returning(target.c.id)


def add_alert(session: Session, alert: Alert) -> bool:
    """Insert one alert unless its ledger key exists; on success `alert.id` is set."""
    ids = insert_alerts(session, [_values(_ALERTS, alert)])
    if ids:
        alert.id = ids[0]
    return bool(ids)
