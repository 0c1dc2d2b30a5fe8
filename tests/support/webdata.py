"""Items for the web view's tests, stored through the real store (save_document, record_poll)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.catalog import Source
from monitor.db import make_engine, session_scope
from monitor.models import Document
from monitor.settings import RouteConfig
from monitor.store import save_document
from support.items import Parsed

T0 = datetime(2025, 3, 1, 1, 0, tzinfo=UTC)
XSS = '<script>alert("x")</script>门户网站漏洞通报'


def put(engine: Any, source: str, url: str, title: str, items: list[Parsed], hours: int,
        routes: list[RouteConfig] | None = None, meta: dict | None = None, attachment_text: str = "") -> int:
    """Store one document first seen `hours` after T0, its 附件1 read as `attachment_text`; returns its id."""
    doc = Document(source_id=source, url=url, title=title, published_at=T0 + timedelta(hours=hours - 12),
                   text=title + "".join(i.title + i.text for i in items), content_hash="", meta=meta or {},
                   attachments=[{"name": "附件1：名单.xlsx", "url": url.replace(".html", ".xlsx")}])
    with session_scope(engine) as session:
        return save_document(session, doc, items, routes or [], timedelta(days=7), now=T0 + timedelta(hours=hours),
                             attachment_texts=[attachment_text]).document_id


def fill(database_url: str) -> dict[str, Any]:
    """A small history: an app notice (simplified), a traditional-script security report with two
    items, a notice whose scraped title carries markup, and a long report for paging."""
    engine = make_engine(database_url)
    put(engine, "gansu-tzgg", "http://127.0.0.1:9/gansu/app.html", "关于开展教育App专项治理的通知", [
        Parsed(1, "教育App专项治理", "省教育厅部署教育App备案核查和专项治理工作，共排查1209家企业。",
               labels=["app_governance"], evidence={"app_governance": ["教育App", "备案"]},
               figures=[{"text": "1209家", "value": 1209, "unit": "家"}], date="2025-02-28")], hours=1,
        meta={"发文字号": "甘教发〔2025〕3号"}, attachment_text="序号 学校名称\n1 临夏县北塬学校\n2 和政县三合中学")
    put(engine, "hk-jyj", "http://127.0.0.1:9/hk/report.html", "教育資訊化工作簡報", [
        Parsed(1, "網絡安全等級保護測評", "各高等學校開展網絡安全等級保護測評工作，發現問題及時整改。",
               labels=["cybersecurity"], evidence={"cybersecurity": ["網絡安全", "等級保護"]}, region="广东"),
        Parsed(2, "智慧教育平台上線", "省級智慧教育平台正式上線運行，匯聚課程資源。",
               labels=["platform_launch"], evidence={"platform_launch": ["正式上線"]}, region="广东")], hours=2)
    put(engine, "moe-tzgg", "http://127.0.0.1:9/moe/incident.html", "网络安全通报", [
        Parsed(1, XSS, '监测发现部分高校门户网站存在高危漏洞<img src=x onerror=alert(1)>，要求限期整改。',
               labels=["security_incident"], evidence={"security_incident": ["漏洞", "<b>通报</b>"]},
               region="全国")], hours=3)
    put(engine, "gansu-tzgg", "http://127.0.0.1:9/gansu/points.html", "2025年教育信息化工作要点", [
        Parsed(n, f"第{n}项工作任务", f"推进第{n}项教育数字化重点任务，完善数据治理机制和标准体系建设。")
        for n in range(1, 8)], hours=4)
    engine.dispose()
    return {"total": 11}


def catalog() -> list[Source]:
    def source(sid: str, name: str, region: str) -> Source:
        return Source.model_validate({"id": sid, "name": name, "region": region, "preset": "trs",
                                      "url": f"http://127.0.0.1:9/{sid}/"})
    return [source("gansu-tzgg", "甘肃省教育厅 通知公告", "甘肃"), source("hk-jyj", "香港教育局 <通告>", "广东"),
            source("moe-tzgg", "教育部 通知", "全国")]


def showcase(database_url: str) -> None:
    """A believable morning's findings, for the screenshot in the docs."""
    engine = make_engine(database_url)
    put(engine, "moe-tzgg", "http://127.0.0.1:9/moe/t20250301_1.html", "教育系统网络安全通报（2025年第2期）", [
        Parsed(1, "部分高校门户网站存在高危漏洞的通报", "近期监测发现部分高校门户网站内容管理系统存在高危漏洞，"
               "已向15所高校发出整改通知，要求3个工作日内完成修复并报送整改报告。", labels=["security_incident"],
               evidence={"security_incident": ["漏洞", "通报", "整改"]}, region="全国", date="2025-02-27",
               figures=[{"text": "15所", "value": 15, "unit": "所"}])], hours=1)
    put(engine, "gansu-tzgg", "http://127.0.0.1:9/gansu/t20250301_2.html", "关于开展教育App备案核查的通知", [
        Parsed(1, "开展教育App备案核查和专项治理", "对全省教育移动应用开展备案核查，下架未备案App 23个，"
               "受理投诉举报41起。", labels=["app_governance"], evidence={"app_governance": ["教育App", "备案"]},
               figures=[{"text": "23个", "value": 23, "unit": "个"}, {"text": "41起", "value": 41, "unit": "起"}],
               date="2025-02-28")], hours=2)
    put(engine, "hk-jyj", "http://127.0.0.1:9/gd/t20250301_3.html", "广东教育信息化工作简报（第3期）", [
        Parsed(1, "省级智慧教育平台2.0上线", "平台汇聚优质课程资源1.5万节，面向全省中小学师生开放。",
               labels=["platform_launch", "digital_resources"], region="广东",
               evidence={"platform_launch": ["上线"], "digital_resources": ["课程资源"]},
               figures=[{"text": "1.5万节", "value": 15000, "unit": "节"}]),
        Parsed(2, "组织网络安全攻防演练", "组织全省高校开展网络安全攻防演练，68家单位参加，发现并整改隐患190个。",
               labels=["cybersecurity"], evidence={"cybersecurity": ["攻防演练"]}, region="广东",
               figures=[{"text": "68家", "value": 68, "unit": "家"}])], hours=3)
    engine.dispose()
