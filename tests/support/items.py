"""Stored items for tests of routing and delivery, written through the real store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.db import session_scope
from monitor.models import Document
from monitor.settings import RouteConfig
from monitor.store import SaveResult, save_document

NOW = datetime(2024, 6, 3, 2, 0, tzinfo=UTC)


@dataclass
class Parsed:
    """The attributes store.save_document reads from an understood item."""

    seq: int
    title: str
    text: str
    labels: list[str] = field(default_factory=list)
    evidence: dict = field(default_factory=dict)
    section: str | None = None
    region: str | None = "甘肃"
    regions_mentioned: list[str] = field(default_factory=list)
    date: str | None = None
    date_end: str | None = None
    figures: list = field(default_factory=list)
    redacted: bool = False


def app_item(seq: int = 1, title: str = "教育App专项治理") -> Parsed:
    return Parsed(seq, title, f"第{seq}项：省教育厅部署教育App备案和专项治理工作，共排查1209家企业，"
                              "要求各地于月底前完成排查，并将整改情况报送省教育厅。",
                  labels=["app_governance"], evidence={"app_governance": ["教育App", "备案"]},
                  figures=[{"text": "1209家", "value": 1209, "unit": "家"}], date="2024-06-01")


def store_document(engine: Any, url: str, items: list[Any], routes: list[RouteConfig],
                   title: str = "关于开展教育App专项治理的通知", now: datetime = NOW) -> SaveResult:
    doc = Document(source_id="gansu-tzgg", url=url, title=title, text=title + "".join(i.title + i.text for i in items),
                   published_at=now - timedelta(days=1), content_hash="")
    with session_scope(engine) as session:
        return save_document(session, doc, items, routes, timedelta(days=7), now=now)
