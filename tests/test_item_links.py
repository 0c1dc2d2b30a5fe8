"""With web.base_url set, alerts and digests link each item to its page in the web view."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from sqlmodel import select

from monitor.channels import Channels
from monitor.cli import AppContext
from monitor.db import make_engine, session_scope
from monitor.deliver import deliver_pending
from monitor.digest import send_digest
from monitor.models import Item
from monitor.render import render_instant
from monitor.settings import DeliveryConfig, RouteConfig, load_settings
from support.items import NOW, app_item, store_document
from support.smtp import mailto, parts, smtp_server
from support.webapp import fetch, web_app

INSTANT = RouteConfig(name="apps-now", labels=["app_governance"], notify=["ops"], mode="instant")
DIGEST = RouteConfig(name="daily", labelled_only=True, notify=["digest"], mode="digest")
BASE = "https://monitor.example.com"


def test_instant_email_links_to_the_item_page_and_the_original(database_url: str) -> None:
    engine = make_engine(database_url)
    store_document(engine, "http://127.0.0.1:9/a/1.html", [app_item(1)], [INSTANT])
    with session_scope(engine) as session:
        item_id = session.exec(select(Item.id)).one()
    with smtp_server() as box:
        channels = Channels({"ops": [mailto(box, "ops@test.local")]})
        stats = deliver_pending(engine, channels, DeliveryConfig().linking_items(BASE + "/"), {}, now=NOW)
    body = parts(box.to("ops@test.local")[0])
    assert stats.sent == 1
    assert f'href="{BASE}/items/{item_id}"' in body["text/html"] and 'href="http://127.0.0.1:9/a/1.html"' in body["text/html"]


def test_without_base_url_messages_link_only_the_original(database_url: str) -> None:
    engine = make_engine(database_url)
    store_document(engine, "http://127.0.0.1:9/a/1.html", [app_item(1)], [INSTANT])
    printed: list[str] = []
    deliver_pending(engine, Channels({}), DeliveryConfig(), {}, now=NOW, echo=printed.append)
    assert "/items/" not in printed[0] and "详情" not in printed[0] and "http://127.0.0.1:9/a/1.html" in printed[0]
    store_document(engine, "http://127.0.0.1:9/a/2.html", [app_item(2, "教育App备案")], [INSTANT], title="第二份")
    deliver_pending(engine, Channels({}), DeliveryConfig().linking_items(BASE), {}, now=NOW, echo=printed.append)
    assert f"详情：{BASE}/items/2" in printed[1]  # the plain-text message names the page too


def test_markdown_and_slack_link_the_page_and_keep_the_original(database_url: str) -> None:
    engine = make_engine(database_url)
    store_document(engine, "http://127.0.0.1:9/a/1.html", [app_item(1)], [INSTANT])
    from monitor.deliver import load_alert_items

    items = load_alert_items(engine, [1], {}, item_pages=BASE)
    markdown = render_instant(items, "apps-now", "markdown").body
    slack = render_instant(items, "apps-now", "slack").body
    assert f"]({BASE}/items/1)" in markdown and "[原文](http://127.0.0.1:9/a/1.html)" in markdown
    assert f"<{BASE}/items/1|" in slack and "<http://127.0.0.1:9/a/1.html|原文>" in slack


def test_a_digest_links_its_items_and_the_link_opens_the_item(database_url: str, tmp_path: Path) -> None:
    engine = make_engine(database_url)
    store_document(engine, "http://127.0.0.1:9/a/1.html", [app_item(1), app_item(2, "教育App备案")], [DIGEST])
    with web_app(database_url) as base:
        config = DeliveryConfig(digest_dir=tmp_path).linking_items(base)
        [outcome] = send_digest(engine, Channels({}), DIGEST, config, {}, now=NOW, echo=lambda _line: None)
        html = Path(outcome.where).read_text(encoding="utf-8")
        links = re.findall(r'href="(' + re.escape(base) + r'/items/\d+)"', html)
        assert len(links) == 2
        assert all("教育App" in fetch(link).text for link in links)


def test_the_cli_hands_web_base_url_to_delivery(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text(yaml.safe_dump({"web": {"base_url": BASE + "/"}}), encoding="utf-8")
    assert AppContext(load_settings(path)).delivery_config().item_pages == BASE
    path.write_text(yaml.safe_dump({}), encoding="utf-8")
    assert AppContext(load_settings(path)).delivery_config().item_pages is None
