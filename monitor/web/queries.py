"""What the web view reads: filters from a URL, keyset pages of items, one item with its document
and siblings, sources with their health, sent digests. Every query is bounded by a LIMIT."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session, col, select

from monitor.models import DigestRun, Document, Item, SourceState, utcnow
from monitor.route import matches
from monitor.settings import RouteConfig, parse_moment
from monitor.store import ItemQuery, items_with_documents, query_items, routed_item

PAGE = 50
MAX_PAGE = 200
ROUTE_SCAN = 5_000  # items a route feed looks through for its newest matches
FILTERS = ("label", "region", "source", "since", "until", "q", "limit")


class BadRequest(ValueError):
    """A URL parameter that cannot be used: answered with 400 and this message."""


MAX_ID = 2**63 - 1  # the databases' integer keys


def row_id(value: Any) -> int | None:
    """A URL's row id (`/items/{id}`, `?before=`) if a database could hold it, else None."""
    text = str(value)
    return int(text) if text.isdigit() and 0 < int(text) <= MAX_ID else None


def encode_cursor(item: Item) -> str:
    raw = f"{item.first_seen_at.isoformat()}|{item.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, _, item_id = raw.partition("|")
        stamp = datetime.fromisoformat(moment)
        number = row_id(item_id)
        if stamp.tzinfo is None or number is None:
            raise ValueError("not one of ours")
        return stamp, number
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadRequest(f"cursor: {cursor[:40]!r} is not a cursor this service gave out") from None


def _int_param(params: Any, name: str, default: int, high: int) -> int:
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(f"{name}: {value[:20]!r} is not a number") from None
    if not 1 <= number <= high:
        raise BadRequest(f"{name}: must be between 1 and {high}")
    return number


def _moment(params: Any, name: str, now: datetime, end_of_day: bool = False) -> datetime | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    try:
        return parse_moment(value, now, end_of_day=end_of_day)
    except ValueError as exc:
        raise BadRequest(f"{name}: {exc}") from None


def _values(params: Any, name: str) -> list[str]:
    return [v.strip() for v in params.getlist(name) if v.strip()][:20]


def item_query(params: Any, default_limit: int = PAGE) -> ItemQuery:
    """The filters of `/`, `/feed.atom` and `/api/items` from a query string (repeatable label,
    region, source; since/until as a date or a duration; q; cursor; limit ≤ 200)."""
    now = utcnow()
    cursor = params.get("cursor")
    return ItemQuery(labels=_values(params, "label"), regions=_values(params, "region"),
                     sources=_values(params, "source"), since=_moment(params, "since", now),
                     until=_moment(params, "until", now, end_of_day=True),
                     text=(params.get("q") or "").strip()[:200],
                     before=decode_cursor(cursor) if cursor else None,
                     limit=_int_param(params, "limit", default_limit, MAX_PAGE))


def item_page(session: Session, query: ItemQuery) -> tuple[list[tuple[Item, Document]], str | None]:
    """One page of items newest first and the cursor of the next page (None on the last one)."""
    limit = query.limit or PAGE
    rows = query_items(session, replace(query, limit=limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1][0]) if more and rows else None


def route_items(session: Session, route: RouteConfig, limit: int = PAGE) -> list[tuple[Item, Document]]:
    """The newest items the route selects — `route.matches`, the test its alerts pass — looking
    through at most ROUTE_SCAN items (its labels, regions and sources narrow them in SQL first)."""
    base = ItemQuery(labels=route.labels, regions=route.regions, sources=route.sources, limit=500)
    found: list[tuple[Item, Document]] = []
    scanned = 0
    while len(found) < limit and scanned < ROUTE_SCAN:
        rows = query_items(session, base)
        found += [(i, d) for i, d in rows if d.duplicate_of is None and matches(route, routed_item(i, d))]
        scanned += len(rows)
        if len(rows) < (base.limit or 0):
            break
        base = replace(base, before=(rows[-1][0].first_seen_at, rows[-1][0].id))
    return found[:limit]


@dataclass
class ItemDetail:
    item: Item
    document: Document
    siblings: list[Item]


def item_detail(session: Session, item_id: int, sibling_limit: int = 200) -> ItemDetail | None:
    item = session.get(Item, item_id)
    if item is None:
        return None
    document = session.get(Document, item.document_id)
    siblings = session.exec(select(Item).where(Item.document_id == item.document_id, Item.id != item.id)
                            .order_by(col(Item.seq)).limit(sibling_limit)).all()
    return ItemDetail(item, document, list(siblings))


def source_rows(session: Session, catalog: Sequence[Any]) -> list[tuple[Any, SourceState | None]]:
    """Every catalog source with its health (the catalog is at most a few thousand entries)."""
    states = {s.source_id: s for s in session.exec(select(SourceState)).all()}
    return [(source, states.get(source.id)) for source in catalog]


def digest_runs(session: Session, before: int | None, limit: int = PAGE) -> list[DigestRun]:
    stmt = select(DigestRun).order_by(col(DigestRun.id).desc()).limit(limit)
    if before:
        stmt = stmt.where(col(DigestRun.id) < before)
    return list(session.exec(stmt).all())


def items_by_id(session: Session, ids: Sequence[int]) -> list[tuple[Item, Document]]:
    rows: list[tuple[Item, Document]] = []
    for start in range(0, len(ids), 500):
        chunk = list(ids[start:start + 500])
        rows += session.exec(items_with_documents().where(col(Item.id).in_(chunk))).all()
    return sorted(rows, key=lambda row: row[0].id or 0)


def filter_values(params: Mapping[str, Any]) -> dict[str, list[str]]:
    """The filters a request set (an empty form field sets none), to keep them in the form and in
    links to the next page and the feed."""
    found = {name: [v for v in params.getlist(name) if v.strip()] for name in FILTERS}  # type: ignore[attr-defined]
    return {name: values for name, values in found.items() if values}


def with_query(path: str, params: Mapping[str, Any]) -> str:
    """`path?a=1&b=2`, or just `path` when there is nothing to add."""
    query = urlencode(params, doseq=True)
    return f"{path}?{query}" if query else path
