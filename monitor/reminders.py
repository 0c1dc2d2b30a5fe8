"""Deadline reminders: a route's `remind_before: N` sends one message per deadline of each notice it
selects, N working days before the deadline on the Chinese calendar (调休 make-up days included),
through the alert ledger like any alert.

Deadlines are Beijing dates, so "today" is Beijing's. A reminder is due from its day through the
deadline day: a job that did not run on the day reminds late, once; a row still unsent when the
deadline has passed is marked `expired`, never sent. Notices are selected by the route's alert
matching (labels, regions, sources, keywords with attachment text) on their items, without the
freshness rule: a deadline is about the days ahead, however old the notice that set it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

import structlog
from sqlalchemy import Text, cast, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.channels import Channels, SendReport
from monitor.db import session_scope
from monitor.deliver import alert_item, load_alert_items, receipts
from monitor.itemquery import attachment_texts
from monitor.models import Alert, Document, Item, utcnow
from monitor.render import DISPLAY_TZ, AlertItem, DeadlineNote, render_reminder
from monitor.route import attachment_match, matches
from monitor.settings import RouteConfig
from monitor.store import add_alert, items_with_documents, routed_rows
from monitor.workdays import add_workdays

log = structlog.get_logger()
REMIND_AT = dt.time(8, 0)  # a reminder written earlier in its day waits for the working day to start


def china_today(now: dt.datetime) -> dt.date:
    return now.astimezone(DISPLAY_TZ).date()


def reminder_key(document_id: int, day: dt.date, route: str, tag: str) -> str:
    """The ledger key: one reminder per notice, deadline day, route and channel tag, ever."""
    return f"remind:{document_id}:{day.isoformat()}:{route}:{tag}"


def reminder_deadline(key: str) -> dt.date:
    return dt.date.fromisoformat(key.split(":")[2])


def _deadline_days(session: Session, first: dt.date, last: dt.date) -> dict[int, list[dt.date]]:
    """Document id → its deadline days within [first, last] (originals only: a copy has no items)."""
    rows = session.exec(select(Document.id, Document.deadlines)
                        .where(col(Document.duplicate_of).is_(None), cast(Document.deadlines, Text) != "[]"))
    found: dict[int, list[dt.date]] = {}
    for doc_id, deadlines in rows:
        days = sorted({day for day in map(_day, deadlines or []) if day and first <= day <= last})
        if days:
            found[doc_id] = days
    return found


def _day(deadline: dict[str, str]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(deadline.get("date"))[:10])
    except ValueError:
        return None


def _texts(item: AlertItem, day: dt.date) -> list[str]:
    return list(dict.fromkeys(d.get("text", "") for d in item.deadlines if d.get("date") == day.isoformat()))


def deadline_notes(engine: Engine, route: RouteConfig, today: dt.date, workdays: int,
                   source_names: Mapping[str, str], item_pages: str | None = None) -> list[DeadlineNote]:
    """Deadlines from `today` through `workdays` working days ahead, of the notices the route selects
    (through their first matching item, as alerts do), soonest first."""
    with session_scope(engine) as session:
        days = _deadline_days(session, today, add_workdays(today, workdays))
        rows = session.exec(items_with_documents().where(col(Item.document_id).in_(list(days)))
                            .order_by(col(Item.id))).all() if days else []
        texts = attachment_texts(session, list(days)) if route.keywords and days else {}
    chosen: dict[int, AlertItem] = {}
    for item, doc, routed in routed_rows(rows, texts):
        if doc.id not in chosen and matches(route, routed):
            chosen[doc.id] = alert_item(item, doc, source_names, attachment_match(route, routed), item_pages)
    notes = [DeadlineNote(found, day, _texts(found, day), doc_id)
             for doc_id, found in chosen.items() for day in days[doc_id]]
    return sorted(notes, key=lambda n: (n.date, n.document_id or 0))


def write_reminders(engine: Engine, routes: Sequence[RouteConfig], now: dt.datetime | None = None) -> int:
    """Queue the reminders due today (or missed on an earlier day, the deadline not yet passed) for
    every route with `remind_before`; a reminder already in the ledger is not written again."""
    now = now or utcnow()
    today = china_today(now)
    send_at = max(now, dt.datetime.combine(today, REMIND_AT, DISPLAY_TZ))
    written = 0
    for route in (r for r in routes if r.remind_before is not None):
        notes = deadline_notes(engine, route, today, route.remind_before or 0, {})
        with session_scope(engine) as session:
            for note in notes:
                written += sum(add_alert(session, _row(note, route, tag, now, send_at))
                               for tag in dict.fromkeys(route.notify))
    if written:
        log.info("reminders.written", rows=written, day=today.isoformat())
    return written


def _row(note: DeadlineNote, route: RouteConfig, tag: str, now: dt.datetime, send_at: dt.datetime) -> Alert:
    return Alert(key=reminder_key(note.document_id or 0, note.date, route.name, tag), item_id=note.item.item_id,
                 document_id=note.document_id, source_id=note.item.source_id, route=route.name, channel_tag=tag,
                 mode="reminder", created_at=now, next_attempt_at=send_at, attachment_match=note.item.attachment_match)


def drop_expired(engine: Engine, alerts: Sequence[Alert], now: dt.datetime) -> list[Alert]:
    """Claimed reminders whose deadline has passed are marked expired instead of being sent; the
    other rows are returned (a reminder the day after the deadline helps nobody)."""
    today = china_today(now)
    late = [a.id for a in alerts if a.mode == "reminder" and reminder_deadline(a.key) < today]
    if late:
        with session_scope(engine) as session:
            session.exec(update(Alert).where(col(Alert.id).in_(late))  # type: ignore[call-overload]
                         .values(status="expired", claimed_by=None, last_error="the deadline passed before it was sent"))
        log.warning("reminders.expired", rows=len(late))
    return [a for a in alerts if a.id not in late]


def send_reminder(engine: Engine, channels: Channels, alert: Alert, source_names: Mapping[str, str],
                  echo: Callable[[str], None], item_pages: str | None = None) -> SendReport:
    """One reminder row → one message (to the console when its tag has no channel)."""
    day = reminder_deadline(alert.key)
    found = load_alert_items(engine, [alert.item_id], source_names, [alert], item_pages)
    if not found:  # retention never drops the item of a waiting row; a hand-edited database might
        return SendReport(errors={"ledger": f"item {alert.item_id} of this reminder is no longer stored"})
    note = DeadlineNote(found[0], day, _texts(found[0], day), alert.document_id)
    if not channels.has(alert.channel_tag):
        echo(render_reminder(note, alert.route, "text").body)
        return SendReport(delivered={"console"}, errors={})
    return channels.send_reminder(alert.channel_tag, note, alert.route, skip=receipts([alert]))
