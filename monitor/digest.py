"""Digests: the fresh items a digest route collected since its last digest, rendered and sent once."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import structlog
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from monitor.channels import Channels, SendReport
from monitor.db import session_scope
from monitor.deliver import alert_item, claim, finish, load_alert_items, operator_failure_notice, receipts
from monitor.itemquery import attachment_texts
from monitor.models import Alert, DigestRun, Document, Item, utcnow
from monitor.reminders import china_today, deadline_notes
from monitor.render import AlertItem, DeadlineNote, digest_html
from monitor.route import attachment_match, matches
from monitor.settings import DeliveryConfig, RouteConfig
from monitor.store import items_with_documents, routed_rows

log = structlog.get_logger()


@dataclass
class DigestOutcome:
    route: str
    tag: str
    items: int
    status: str  # sent | retry | failed | empty | written
    where: str = ""


def last_digest_at(engine: Engine, route: str) -> datetime | None:
    with session_scope(engine) as session:
        return session.exec(select(DigestRun.sent_at).where(DigestRun.route == route)
                            .order_by(col(DigestRun.sent_at).desc())).first()


def preview_items(engine: Engine, route: RouteConfig, since: datetime,
                  source_names: Mapping[str, str], item_pages: str | None = None) -> list[AlertItem]:
    """Items first seen since `since` that the route selects (for --out previews; marks nothing).
    A document's attachment text counts for its first item, as when alerts are written."""
    with session_scope(engine) as session:
        rows = session.exec(items_with_documents()
                            .where(Item.first_seen_at >= since, col(Document.duplicate_of).is_(None))
                            .order_by(col(Item.id))).all()
        texts = attachment_texts(session, [doc.id for _, doc in rows]) if route.keywords else {}
    return [alert_item(item, doc, source_names, attachment_match(route, routed), item_pages)
            for item, doc, routed in routed_rows(rows, texts) if matches(route, routed)]


def pending_items(engine: Engine, route: RouteConfig, source_names: Mapping[str, str],
                  item_pages: str | None = None) -> list[AlertItem]:
    """The items waiting in the ledger for this route's next digest (de-duplicated across tags)."""
    with session_scope(engine) as session:
        rows = session.exec(select(Alert).where(Alert.route == route.name, Alert.mode == "digest",
                                                Alert.status == "pending")).all()
        session.expunge_all()
    return load_alert_items(engine, [row.item_id for row in rows], source_names, rows, item_pages)


def send_digest(engine: Engine, channels: Channels, route: RouteConfig, config: DeliveryConfig,
                source_names: Mapping[str, str], now: datetime | None = None,
                echo: Callable[[str], None] = print, *, tags: Sequence[str] | None = None,
                retries_only: bool = False) -> list[DigestOutcome]:
    """Claim this route's pending digest rows per tag, send one digest per tag, mark them.

    Rows that already reached some of the tag's URLs (an earlier, partly failed send) go out in
    a digest of their own that skips those URLs, so new items still reach every URL. Each digest
    also lists the route's upcoming deadlines as of `now`.
    """
    now = now or utcnow()
    outcomes = []
    upcoming = upcoming_notes(engine, route, now, source_names, config.item_pages)
    for tag in tags if tags is not None else route.notify:
        rows = claim(engine, ("digest",), now, route=route.name, tag=tag, limit=100_000, retries_only=retries_only)
        if not rows:
            outcomes.append(DigestOutcome(route.name, tag, 0, "empty"))
            continue
        start = last_digest_at(engine, route.name) or now - timedelta(days=1)
        for done, batch in _by_receipts(rows):
            outcomes.append(_send_batch(engine, channels, route, tag, batch, done, (start, now), config,
                                        source_names, echo, upcoming))
    return outcomes


def _by_receipts(rows: Sequence[Alert]) -> list[tuple[set[str], list[Alert]]]:
    groups: dict[frozenset[str], list[Alert]] = {}
    for row in rows:
        groups.setdefault(frozenset(receipts([row])), []).append(row)
    return [(set(done), batch) for done, batch in groups.items()]


def _send_batch(engine: Engine, channels: Channels, route: RouteConfig, tag: str, rows: list[Alert],
                done: set[str], window: tuple[datetime, datetime], config: DeliveryConfig,
                source_names: Mapping[str, str], echo: Callable[[str], None],
                upcoming: Sequence[DeadlineNote] = ()) -> DigestOutcome:
    now = window[1]
    items = load_alert_items(engine, [a.item_id for a in rows], source_names, rows, config.item_pages)
    report, where = _send(channels, tag, items, route, window, done, config, echo, upcoming)
    status = finish(engine, rows, report, config, now)
    if status == "sent":
        with session_scope(engine) as session:
            session.add(DigestRun(route=route.name, channel_tag=tag, items=len(items), sent_at=now,
                                  item_ids=[i.item_id for i in items], started_at=window[0]))
    errors = "; ".join(report.errors.values())
    log.info("digest.done", route=route.name, tag=tag, items=len(items), status=status, errors=errors or None)
    if status == "failed":
        operator_failure_notice(engine, rows, errors, config, now)
    return DigestOutcome(route.name, tag, len(items), status, where)


def _send(channels: Channels, tag: str, items: Sequence[AlertItem], route: RouteConfig,
          window: tuple[datetime, datetime], skip: set[str], config: DeliveryConfig,
          echo: Callable[[str], None], upcoming: Sequence[DeadlineNote] = ()) -> tuple[SendReport, str]:
    start, end = window
    if channels.has(tag):
        return channels.send_digest(tag, list(items), route.name, start, end, skip=skip, upcoming=upcoming), "channels"
    path = write_digest_file(config.digest_dir, items, route.name, start, end, upcoming)
    echo(f"digest {route.name}: {len(items)} items written to {path}")
    return SendReport(delivered={"file"}, errors={}), str(path)


def write_digest_file(folder: Path, items: Sequence[AlertItem], route: str, start: datetime, end: datetime,
                      upcoming: Sequence[DeadlineNote] = ()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"digest-{route}-{end:%Y%m%d-%H%M%S}.html"
    path.write_text(digest_html(list(items), route, start, end, upcoming), encoding="utf-8")
    return path


def upcoming_notes(engine: Engine, route: RouteConfig, now: datetime, source_names: Mapping[str, str],
                   item_pages: str | None = None) -> list[DeadlineNote]:
    """The digest's "upcoming deadlines": the next `upcoming_deadlines` working days' deadlines of
    the notices the route selects (0: no such section)."""
    if not route.upcoming_deadlines:
        return []
    return deadline_notes(engine, route, china_today(now), route.upcoming_deadlines, source_names, item_pages)


def retry_due_digests(engine: Engine, channels: Channels, routes: Sequence[RouteConfig], config: DeliveryConfig,
                      source_names: Mapping[str, str], now: datetime | None = None) -> list[DigestOutcome]:
    """A digest that failed is retried by the delivery loop when its backoff is over, not tomorrow.

    Only the failed rows of the failed tag go out: the route's other tags, and items that arrived
    since, wait for the next scheduled digest.
    """
    now = now or utcnow()
    outcomes: list[DigestOutcome] = []
    with session_scope(engine) as session:
        due = set(session.exec(select(Alert.route, Alert.channel_tag).where(
            Alert.mode == "digest", Alert.status == "pending", col(Alert.attempts) > 0,
            Alert.next_attempt_at <= now)).all())
    for route in routes:
        tags = [tag for tag in route.notify if (route.name, tag) in due]
        if tags:
            outcomes += send_digest(engine, channels, route, config, source_names, now, echo=log.info,
                                    tags=tags, retries_only=True)
    return outcomes
