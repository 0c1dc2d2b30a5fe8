"""Atom feeds (parsed by feedparser) and the route feed's selection, over HTTP."""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

import feedparser

from monitor.db import make_engine, session_scope
from monitor.route import matches
from monitor.settings import RouteConfig
from monitor.store import ItemQuery, query_items, routed_item
from support.items import Parsed
from support.webapp import fetch, web_app
from support.webdata import XSS, catalog, fill, put


def parsed_feed(url: str) -> feedparser.FeedParserDict:
    answer = fetch(url)
    assert answer.status == 200 and answer.headers["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(answer.text.encode("utf-8"))
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_feed_entries_carry_ids_links_categories_and_evidence(database_url: str) -> None:
    fill(database_url)
    with web_app(database_url, catalog()) as base:
        raw = fetch(base + "/feed.atom").text
        feed = parsed_feed(base + "/feed.atom")
        again = parsed_feed(base + "/feed.atom")
    assert len(feed.entries) == 11 and feed.feed.title and feed.feed.updated
    assert [e.id for e in feed.entries] == [e.id for e in again.entries]  # stable
    assert all(uuid.UUID(e.id.removeprefix("urn:uuid:")) for e in feed.entries) and len({e.id for e in feed.entries}) == 11
    cyber = next(e for e in feed.entries if e.title == "網絡安全等級保護測評")
    assert [t.term for t in cyber.tags] == ["cybersecurity"] and cyber.tags[0].label == "网络安全工作"
    links = {link.rel: link.href for link in cyber.links}
    assert links["alternate"] == "http://127.0.0.1:9/hk/report.html"
    assert re.fullmatch(re.escape(base) + r"/items/\d+", links["related"])
    assert "網絡安全、等級保護" in cyber.summary and "及時整改" in cyber.summary
    assert cyber.updated_parsed and cyber.published_parsed
    assert "<script" not in raw and "&lt;script&gt;" in raw  # the scraped title stays text
    assert any(e.title == XSS for e in feed.entries)


def test_feed_takes_the_filters_of_the_index_and_keeps_the_newest_fifty(database_url: str) -> None:
    fill(database_url)
    engine = make_engine(database_url)
    put(engine, "moe-tzgg", "http://127.0.0.1:9/moe/many.html", "工作动态汇编",
        [Parsed(n, f"动态第{n}条", f"第{n}条教育数字化动态，推进平台应用。") for n in range(1, 56)], hours=9)
    with web_app(database_url, catalog()) as base:
        assert len(parsed_feed(base + "/feed.atom").entries) == 50
        assert [e.title for e in parsed_feed(base + "/feed.atom?label=cybersecurity").entries] == ["網絡安全等級保護測評"]
        assert {e.title for e in parsed_feed(base + "/feed.atom?q=" + quote("上线")).entries} == {"智慧教育平台上線"}
        assert len(parsed_feed(base + "/feed.atom?region=" + quote("广东")).entries) == 2
        assert len(parsed_feed(base + "/feed.atom?source=gansu-tzgg&limit=3").entries) == 3
        self_link = parsed_feed(base + "/feed.atom?label=cybersecurity").feed.links
        assert any(link.rel == "self" and link.href.endswith("/feed.atom?label=cybersecurity") for link in self_link)


def test_route_feed_holds_exactly_what_the_route_selects(database_url: str) -> None:
    fill(database_url)
    routes = [RouteConfig(name="gd-safety", regions=["广东"], keywords=["等级保护"], notify=["x"]),
              RouteConfig(name="labelled", labelled_only=True, notify=["x"], mode="digest"),
              RouteConfig(name="incidents", labels=["security_incident", "cybersecurity"], notify=["x"])]
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        everything = query_items(session, ItemQuery())
    with web_app(database_url, catalog(), routes) as base:
        for route in routes:
            feed = parsed_feed(f"{base}/routes/{route.name}.atom")
            expected = [item.title for item, doc in everything if matches(route, routed_item(item, doc))]
            assert [e.title for e in feed.entries] == expected and expected, route.name
        assert [e.title for e in parsed_feed(f"{base}/routes/gd-safety.atom").entries] == ["網絡安全等級保護測評"]
        missing = fetch(base + "/routes/nope.atom")
        assert missing.status == 404 and "nope" in missing.text
