"""Retention (raw HTML after `raw_days`, items with their labels and alerts after `item_days`), and
SQLite's planner statistics kept fresh."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from monitor.db import session_scope
from monitor.models import Alert, Document, Item, ItemLabel, ItemSearch, utcnow
from monitor.settings import RetentionConfig

log = structlog.get_logger()


@dataclass
class HousekeepingStats:
    raw_pages_dropped: int = 0
    items_deleted: int = 0


def housekeep(engine: Engine, retention: RetentionConfig, now: datetime | None = None) -> HousekeepingStats:
    now = now or utcnow()
    stats = HousekeepingStats()
    with session_scope(engine) as session:
        if retention.raw_days > 0:
            cutoff = now - timedelta(days=retention.raw_days)
            result = session.exec(update(Document).where(col(Document.fetched_at) < cutoff,  # type: ignore[call-overload]
                                                         col(Document.raw_html).is_not(None)).values(raw_html=None))
            stats.raw_pages_dropped = result.rowcount or 0
        if retention.item_days > 0:
            cutoff = now - timedelta(days=retention.item_days)
            old = select(Item.id).where(col(Item.first_seen_at) < cutoff)
            # Alerts still waiting are kept (and so are their items): retention never loses an alert.
            waiting = select(Alert.item_id).where(col(Alert.status).in_(["pending", "sending"]),
                                                  col(Alert.item_id).is_not(None))
            doomed = [i for i in session.exec(old.where(col(Item.id).not_in(waiting))).all()]
            for start in range(0, len(doomed), 500):
                chunk = doomed[start:start + 500]
                session.exec(delete(ItemLabel).where(col(ItemLabel.item_id).in_(chunk)))  # type: ignore[call-overload]
                session.exec(delete(ItemSearch).where(col(ItemSearch.item_id).in_(chunk)))  # type: ignore[call-overload]
                session.exec(delete(Alert).where(col(Alert.item_id).in_(chunk)))  # type: ignore[call-overload]
                session.exec(delete(Item).where(col(Item.id).in_(chunk)))  # type: ignore[call-overload]
            stats.items_deleted = len(doomed)
    if engine.dialect.name == "sqlite":
        # SQLite has no autovacuum/autoanalyze: refresh the planner's statistics so label and date
        # queries keep their indexes as the tables grow (cheap: it only analyzes what changed).
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA optimize")
    log.info("housekeeping.done", raw_pages_dropped=stats.raw_pages_dropped, items_deleted=stats.items_deleted)
    return stats
