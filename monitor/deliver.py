"""The delivery loop: claim pending alert rows atomically, send them, record the receipt.

Exactly-once, as far as a channel allows: a row is claimed by one UPDATE … WHERE status='pending'
(safe with several loops on SQLite or PostgreSQL), sent, and marked in its own short transaction
right after the channel answers. The one window left — a crash after the channel accepted and
before the mark — is bounded by `claim_timeout`: such a row goes back to pending and may be sent
once more. Per-URL receipts mean a retry only goes to the URLs that did not accept it yet.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, col, select

from monitor.channels import Channels, SendReport
from monitor.db import session_scope
from monitor.models import Alert, Document, Item, utcnow
from monitor.render import AlertItem, render_instant, render_operator
from monitor.settings import DeliveryConfig
from monitor.store import add_alert, items_with_documents

log = structlog.get_logger()
BATCH = 200
MARK_RETRY_FIRST = 0.5  # seconds before the first retry of a mark the database refused; doubled each time
MARK_RETRY_MAX = 10.0


@dataclass
class DeliverStats:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0


def alert_item(item: Item, doc: Document, source_names: Mapping[str, str],
               match: dict[str, str] | None = None, item_pages: str | None = None) -> AlertItem:
    """What a message shows of a stored item. `match`: the attachment (and its line) in which the
    route's keywords were found; with `item_pages` (web.base_url) it links to its page."""
    return AlertItem(
        title=item.title or doc.title, text=item.text, section=item.section, labels=list(item.labels),
        evidence=dict(item.evidence), region=item.region,
        date=item.date.isoformat() if item.date else None,
        date_end=item.date_end.isoformat() if item.date_end else None, figures=list(item.figures),
        document_title=doc.title, document_url=doc.url, source_id=doc.source_id,
        source_name=source_names.get(doc.source_id, doc.source_id), published_at=doc.published_at,
        doc_number=doc.doc_number, deadlines=list(doc.deadlines or []), attachment_match=match,
        item_id=item.id, page_url=f"{item_pages}/items/{item.id}" if item_pages else None,
    )


def release_abandoned(session: Session, config: DeliveryConfig, now: datetime) -> int:
    """Rows left in 'sending' by a crashed loop go back to pending after claim_timeout."""
    stmt = (update(Alert).where(col(Alert.status) == "sending", col(Alert.claimed_at) < now - config.claim_timeout)
            .values(status="pending", claimed_by=None))
    return session.exec(stmt).rowcount or 0  # type: ignore[call-overload]


def release(engine: Engine, alerts: Sequence[Alert]) -> int:
    """Hand claimed rows that were never sent back to the queue at once (a clean shutdown)."""
    ids, released = [a.id for a in alerts], 0
    with session_scope(engine) as session:
        for start in range(0, len(ids), 500):
            stmt = (update(Alert).where(col(Alert.id).in_(ids[start:start + 500]), col(Alert.status) == "sending")
                    .values(status="pending", claimed_by=None))
            released += session.exec(stmt).rowcount or 0  # type: ignore[call-overload]
    return released


def claim(engine: Engine, modes: Sequence[str], now: datetime, *, route: str | None = None,
          tag: str | None = None, limit: int = BATCH, retries_only: bool = False) -> list[Alert]:
    """Atomically take up to `limit` due rows; a row is only ever returned to one claimant.

    `retries_only` takes just the rows an earlier send failed on (a digest's retry, which must not
    pull in the items that have since been waiting for the next scheduled digest).
    """
    token = uuid.uuid4().hex
    with session_scope(engine) as session:
        due = select(Alert.id).where(col(Alert.status) == "pending", col(Alert.mode).in_(list(modes)),
                                     col(Alert.next_attempt_at) <= now)
        if route:
            due = due.where(Alert.route == route)
        if tag:
            due = due.where(Alert.channel_tag == tag)
        if retries_only:
            due = due.where(col(Alert.attempts) > 0)
        ids = list(session.exec(due.order_by(col(Alert.id)).limit(limit)).all())
        for start in range(0, len(ids), 500):  # bounded IN lists (SQLite caps bound parameters)
            chunk = ids[start:start + 500]
            session.exec(update(Alert).where(col(Alert.id).in_(chunk), col(Alert.status) == "pending")  # type: ignore[call-overload]
                         .values(status="sending", claimed_by=token, claimed_at=now))
    if not ids:
        return []
    with session_scope(engine) as session:
        return list(session.exec(select(Alert).where(Alert.claimed_by == token, Alert.status == "sending")
                                 .order_by(col(Alert.id))).all())


def receipts(alerts: Sequence[Alert]) -> set[str]:
    """URL ids that already accepted this message (all rows of a batch share them)."""
    done: set[str] = set()
    for alert in alerts:
        if alert.receipt:
            done.update(json.loads(alert.receipt).get("delivered", []))
    return done


def finish(engine: Engine, alerts: Sequence[Alert], report: SendReport, config: DeliveryConfig,
           now: datetime) -> str:
    """Record the outcome of one send for its rows: sent, retry later, or failed for good.

    The channel has already answered, so a database that is unreachable right now (a restart, a
    lock) is waited for, up to half of `claim_timeout`: a mark given up on leaves the rows claimed,
    they return to pending when the claim times out, and a message the channel accepted is sent again.
    """
    patience = time.monotonic() + config.claim_timeout.total_seconds() / 2
    pause = MARK_RETRY_FIRST
    while True:
        try:
            return _mark(engine, alerts, report, config, now)
        except DBAPIError as exc:
            transient = isinstance(exc, OperationalError) or exc.connection_invalidated
            if not transient or time.monotonic() + pause > patience:
                raise
            log.warning("deliver.mark_retry", rows=len(alerts), retry_in=pause,
                        error=(str(exc.orig or exc).splitlines() or [type(exc).__name__])[0])
            time.sleep(pause)
            pause = min(pause * 2, MARK_RETRY_MAX)


def _mark(engine: Engine, alerts: Sequence[Alert], report: SendReport, config: DeliveryConfig,
          now: datetime) -> str:
    delivered = sorted(receipts(alerts) | report.delivered | report.parts)
    receipt = json.dumps({"delivered": delivered, "errors": report.errors}, ensure_ascii=False)
    ids = [a.id for a in alerts]
    with session_scope(engine) as session:
        if report.ok:  # the common case, one statement per chunk even for a 5,000-item digest
            for start in range(0, len(ids), 500):
                session.exec(update(Alert).where(col(Alert.id).in_(ids[start:start + 500]))  # type: ignore[call-overload]
                             .values(status="sent", sent_at=now, last_error=None, receipt=receipt, claimed_by=None))
            return "sent"
        status = "retry"
        for alert_id in ids:
            row = session.get(Alert, alert_id)
            row.receipt, row.claimed_by = receipt, None
            row.attempts += 1
            row.last_error = "; ".join(report.errors.values())[:2000]
            row.status = "failed" if row.attempts >= config.max_attempts else "pending"
            row.next_attempt_at = now + config.backoff * (2 ** (row.attempts - 1))
            session.add(row)
            status = "retry" if row.status == "pending" else row.status
    return status


def operator_failure_notice(engine: Engine, alerts: Sequence[Alert], error: str, config: DeliveryConfig,
                            now: datetime) -> None:
    """Tell the operator that an alert was given up on (never about operator notices themselves)."""
    first = alerts[0]
    if first.mode == "operator":  # an operator notice that cannot be sent is only logged
        return
    with session_scope(engine) as session:
        add_alert(session, Alert(
            key=f"failed:{first.id}", source_id=first.source_id, route="delivery-failed",
            channel_tag=config.operator_tag, mode="operator", created_at=now, next_attempt_at=now,
            title=f"告警发送失败：{first.route} → {first.channel_tag}",
            body=(f"{len(alerts)} alert(s) of route {first.route} to tag {first.channel_tag} failed "
                  f"{config.max_attempts} times and were given up: {error}"),
        ))


def deliver_pending(engine: Engine, channels: Channels, config: DeliveryConfig,
                    source_names: Mapping[str, str], now: datetime | None = None,
                    echo: Callable[[str], None] = print,
                    stopping: Callable[[], bool] = lambda: False) -> DeliverStats:
    """One pass of the loop over instant alerts, deadline reminders and operator notices.

    `stopping` is asked between messages: on shutdown the rest of the claim goes back to the
    queue at once rather than waiting out claim_timeout after the restart.
    """
    from monitor.reminders import drop_expired  # reminders build on this module

    now = now or utcnow()
    stats = DeliverStats()
    with session_scope(engine) as session:
        released = release_abandoned(session, config, now)
    if released:
        log.warning("deliver.released_abandoned", rows=released)
    claimed = drop_expired(engine, claim(engine, ("instant", "operator", "reminder"), now), now)
    stats.claimed = len(claimed)
    batches = group_batches(claimed)
    for n, batch in enumerate(batches):
        if stopping():
            unsent = [alert for rest in batches[n:] for alert in rest]
            log.info("deliver.stopped", released=release(engine, unsent))
            break
        report = send_batch(engine, channels, batch, source_names, echo, config.item_pages)
        status = finish(engine, batch, report, config, now)
        _count(stats, status)
        log.info("deliver.batch", route=batch[0].route, tag=batch[0].channel_tag, rows=len(batch),
                 status=status, errors=list(report.errors.values()) or None)
        if status == "failed":
            operator_failure_notice(engine, batch, "; ".join(report.errors.values()), config, now)
    return stats


def _count(stats: DeliverStats, status: str) -> None:
    if status == "sent":
        stats.sent += 1
    elif status == "failed":
        stats.failed += 1
    else:
        stats.retried += 1


def group_batches(alerts: Sequence[Alert]) -> list[list[Alert]]:
    """One message per (route, tag, document) for items; operator notices and reminders go one by one."""
    groups: dict[tuple, list[Alert]] = defaultdict(list)
    for alert in alerts:
        key = (alert.route, alert.channel_tag, alert.document_id) if alert.mode == "instant" else ("one", alert.id)
        groups[key].append(alert)
    return list(groups.values())


def load_alert_items(engine: Engine, item_ids: Sequence[int | None],
                     source_names: Mapping[str, str], alerts: Sequence[Alert] = (),
                     item_pages: str | None = None) -> list[AlertItem]:
    """The items to show, with the attachment match their alert rows recorded (if any)."""
    ids = sorted({i for i in item_ids if i is not None})
    matches = {a.item_id: a.attachment_match for a in alerts if a.attachment_match}
    with session_scope(engine) as session:
        rows = session.exec(items_with_documents().where(col(Item.id).in_(ids)).order_by(col(Item.id))).all()
    return [alert_item(item, doc, source_names, matches.get(item.id), item_pages) for item, doc in rows]


def send_batch(engine: Engine, channels: Channels, batch: Sequence[Alert], source_names: Mapping[str, str],
               echo: Callable[[str], None], item_pages: str | None = None) -> SendReport:
    first = batch[0]
    skip = receipts(batch)
    if first.mode == "operator":
        if not channels.has(first.channel_tag):
            echo(render_operator(first.title or "", first.body or "", "text").body)
            return SendReport(delivered={"console"}, errors={})
        return channels.send_operator(first.channel_tag, first.title or "", first.body or "", skip=skip)
    if first.mode == "reminder":
        from monitor.reminders import send_reminder

        return send_reminder(engine, channels, first, source_names, echo, item_pages)
    items = load_alert_items(engine, [a.item_id for a in batch], source_names, batch, item_pages)
    if not channels.has(first.channel_tag):
        echo(render_instant(items, first.route, "text").body)
        return SendReport(delivered={"console"}, errors={})
    return channels.send_instant(first.channel_tag, items, first.route, skip=skip)
