"""Storing documents: items and their alert rows in one transaction, duplicates recognised, nothing twice."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import func, select

from monitor.db import make_engine, session_scope
from monitor.models import Alert, Document, Item, ItemLabel
from monitor.settings import RouteConfig
from monitor.sourcehealth import PollOutcome, record_poll
from monitor.store import ItemQuery, query_items, save_document
from support.items import NOW, Parsed

ROUTES = [
    RouteConfig(name="apps-now", labels=["app_governance"], notify=["ops", "wecom"], mode="instant"),
    RouteConfig(name="daily", labelled_only=True, notify=["digest"], mode="digest"),
]


@pytest.fixture
def engine(database_url: str):
    return make_engine(database_url)


def doc(url: str, text: str, published: datetime | None = NOW - timedelta(days=1)) -> Document:
    return Document(source_id="gansu-tzgg", url=url, title="关于开展教育App专项治理的通知", text=text,
                    published_at=published, content_hash="")


APP_ITEM = Parsed(1, "教育App专项治理", "省教育厅部署教育App备案和专项治理工作，要求各地于月底前完成排查，并将排查结果和整改情况一并报送省教育厅。",
                  labels=["app_governance"], evidence={"app_governance": ["教育App"]})
PLAIN_ITEM = Parsed(2, "工作要求", "各单位要提高认识，加强组织领导。")


def save(engine, document: Document, items: list[Parsed]):
    with session_scope(engine) as session:
        return save_document(session, document, items, ROUTES, timedelta(days=7), now=NOW)


def count(engine, model) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_items_and_alert_rows_are_written_together(engine) -> None:
    result = save(engine, doc("http://a/1.html", APP_ITEM.text + PLAIN_ITEM.text), [APP_ITEM, PLAIN_ITEM])
    assert result.new_items == 2
    with session_scope(engine) as session:
        keys = sorted(a.key for a in session.exec(select(Alert)).all())
        labels = session.exec(select(ItemLabel.label)).all()
    # app item: instant to two tags + digest; unlabelled item: nothing (digest is labelled_only)
    assert len(keys) == 3 and all(k.startswith("item:") for k in keys)
    assert labels == ["app_governance"]


def test_saving_the_same_url_again_is_a_no_op(engine) -> None:
    save(engine, doc("http://a/1.html", APP_ITEM.text), [APP_ITEM])
    again = save(engine, doc("http://a/1.html", APP_ITEM.text), [APP_ITEM])
    assert again.skipped and count(engine, Item) == 1 and count(engine, Alert) == 3


def test_a_republished_copy_is_a_duplicate_without_items_or_alerts(engine) -> None:
    save(engine, doc("http://a/1.html", "教育App专项治理。" + APP_ITEM.text), [APP_ITEM])
    copy = save(engine, doc("http://mirror/9.html", "教育App專項治理。" + APP_ITEM.text.replace("教育", "教育")),
                [APP_ITEM])
    assert copy.duplicate_of is not None and copy.new_items == 0
    assert count(engine, Document) == 2 and count(engine, Item) == 1 and count(engine, Alert) == 3


def test_a_paragraph_stored_before_is_not_news_again(engine) -> None:
    save(engine, doc("http://a/1.html", "第一份"), [APP_ITEM])
    second = save(engine, doc("http://a/2.html", "第二份，内容不同"), [APP_ITEM])
    assert second.new_items == 1 and second.alerts == 0


def test_old_documents_are_stored_but_do_not_alert(engine) -> None:
    result = save(engine, doc("http://a/old.html", "旧闻", published=NOW - timedelta(days=60)), [APP_ITEM])
    assert result.new_items == 1 and result.alerts == 0


def test_query_by_label_region_and_source(engine) -> None:
    save(engine, doc("http://a/1.html", "x"), [APP_ITEM, PLAIN_ITEM])
    with session_scope(engine) as session:
        assert len(query_items(session, ItemQuery(labels=["app_governance"]))) == 1
        assert len(query_items(session, ItemQuery(regions=["甘肃"]))) == 2
        assert query_items(session, ItemQuery(sources=["other"])) == []
        assert len(query_items(session, ItemQuery(limit=1))) == 1


def test_source_health_tells_the_operator_once_per_change(engine) -> None:
    def poll(outcome: PollOutcome):
        with session_scope(engine) as session:
            return record_poll(session, "gansu-tzgg", "甘肃 通知", outcome, operator_tag="ops",
                               failures_before_alert=3, now=NOW)

    assert poll(PollOutcome(ok=False, blocked="HTTP 412 challenge")) is not None
    assert poll(PollOutcome(ok=False, blocked="HTTP 412 challenge")) is None  # still blocked: no repeat
    recovered = poll(PollOutcome(ok=True))
    assert recovered is not None and "恢复" in recovered.title
    assert poll(PollOutcome(ok=False, error="timeout")) is None  # one failure is not yet news
    assert poll(PollOutcome(ok=False, error="timeout")) is None
    failing = poll(PollOutcome(ok=False, error="timeout"))
    assert failing is not None and "failing" in failing.title
    assert count(engine, Alert) == 3
