"""Retention: raw pages and old items go, alerts still waiting keep their items, nothing else is touched."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col, func, select

from monitor.db import make_engine, session_scope
from monitor.housekeeping import housekeep
from monitor.models import Alert, Document, Item, ItemLabel
from monitor.settings import RetentionConfig, RouteConfig
from monitor.store import save_document
from support.items import NOW, Parsed

ROUTES = [RouteConfig(name="apps-now", labels=["app_governance"], notify=["ops"], mode="instant")]
APP = "省教育厅部署教育App备案和专项治理工作，要求各地于月底前完成排查并报送整改情况。第{n}批。"


@pytest.fixture
def engine(database_url: str):
    return make_engine(database_url)


def store(engine, n: int, age_days: int) -> None:
    """A document with one labelled item, fetched and first seen `age_days` ago."""
    seen = NOW - timedelta(days=age_days)
    item = Parsed(1, "教育App专项治理", APP.format(n=n), labels=["app_governance"],
                  evidence={"app_governance": ["教育App"]})
    document = Document(source_id="s", url=f"http://a/{n}.html", title=f"通知{n}", text=item.text,
                        raw_html="<html>…</html>", content_hash="", published_at=seen, fetched_at=seen)
    with session_scope(engine) as session:
        save_document(session, document, [item], ROUTES, timedelta(days=3650), now=seen)


def count(engine, model, *where) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_raw_pages_and_old_items_go_but_waiting_alerts_keep_theirs(engine) -> None:
    store(engine, 1, age_days=400)  # old, its alert delivered
    store(engine, 2, age_days=400)  # old, its alert still pending
    store(engine, 3, age_days=40)   # raw page past raw_days, item kept
    store(engine, 4, age_days=1)
    with session_scope(engine) as session:
        session.exec(update(Alert).where(col(Alert.key).not_like("%:2:%")).values(status="sent"))  # type: ignore[call-overload]
        pending_item = session.exec(select(Alert.item_id).where(Alert.status == "pending")).one()

    stats = housekeep(engine, RetentionConfig(raw_days=30, item_days=365), now=NOW)

    assert stats.items_deleted == 1 and stats.raw_pages_dropped == 3
    assert count(engine, Item) == 3 and count(engine, Item, Item.id == pending_item) == 1
    assert count(engine, ItemLabel) == 3 and count(engine, Alert) == 3
    assert count(engine, Document, col(Document.raw_html).is_not(None)) == 1
    assert count(engine, Document) == 4  # documents stay: their URLs keep re-polls from storing them again


def test_zero_keeps_everything(engine) -> None:
    store(engine, 1, age_days=4000)
    stats = housekeep(engine, RetentionConfig(raw_days=0, item_days=0), now=NOW)
    assert (stats.items_deleted, stats.raw_pages_dropped) == (0, 0)
    assert count(engine, Item) == 1 and count(engine, Document, col(Document.raw_html).is_not(None)) == 1
