"""The web view over HTTP (uvicorn on 127.0.0.1) against a database filled through the store:
escaping, filters, Chinese search in both scripts, keyset paging, item/source/digest pages, no writes."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from monitor.catalog import Source
from monitor.channels import Channels
from monitor.cli import cli
from monitor.db import make_engine, session_scope
from monitor.digest import send_digest
from monitor.settings import DeliveryConfig, RouteConfig
from monitor.sourcehealth import PollOutcome, record_poll
from monitor.web.engine import read_only_engine
from support.db import BACKEND
from support.items import Parsed
from support.sites import Notice, Site, base_url, serve
from support.webapp import fetch, web_app
from support.webdata import XSS, catalog, fill, put


@pytest.fixture
def site(database_url: str):
    fill(database_url)
    with web_app(database_url, catalog()) as base:
        yield base


def titles(html: str) -> list[str]:
    """The card titles of a page, in order (unescaped only as far as the test needs)."""
    return re.findall(r'font-size:17px;font-weight:600;line-height:1.45;"><a href="[^"]+" [^>]*>([^<]*)</a>', html)


def get(base: str, path: str) -> str:
    answer = fetch(base + quote(path, safe="/?=&%"))
    assert answer.status == 200, answer.text
    return answer.text


def test_newest_first_with_scraped_markup_shown_as_text(site: str) -> None:
    answer = fetch(site + "/")
    assert answer.status == 200
    shown = titles(answer.text)
    assert len(shown) == 11 and shown[0] == "第7项工作任务" and shown[-1] == "教育App专项治理"
    assert "<script" not in answer.text and "onerror=alert" not in answer.text.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;门户网站漏洞通报" in answer.text
    csp = answer.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp  # no script may run at all
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_filters_by_label_region_source_and_dates(site: str) -> None:
    assert titles(get(site, "/?label=cybersecurity")) == ["網絡安全等級保護測評"]
    assert set(titles(get(site, "/?region=广东"))) == {"網絡安全等級保護測評", "智慧教育平台上線"}
    assert len(titles(get(site, "/?source=gansu-tzgg"))) == 8
    assert len(titles(get(site, "/?source=gansu-tzgg&source=moe-tzgg"))) == 9
    # first seen at 01:00, 02:00, 03:00, 04:00 UTC on 2025-03-01
    assert len(titles(get(site, "/?since=2025-03-01&until=2025-03-01"))) == 11
    assert titles(get(site, "/?until=2025-02-28")) == []
    assert len(titles(get(site, "/?until=9999-12-31&since=0001-01-01"))) == 11  # the ends of the calendar
    page = get(site, "/?label=app_governance")
    assert titles(page) == ["教育App专项治理"] and 'value="app_governance" selected' in page


def test_search_finds_both_scripts_and_short_words(site: str) -> None:
    assert titles(get(site, "/?q=网络安全等级")) == ["網絡安全等級保護測評"]  # simplified finds traditional
    assert titles(get(site, "/?q=專項治理")) == ["教育App专项治理"]  # traditional finds simplified
    assert titles(get(site, "/?q=上線")) == ["智慧教育平台上線"]  # two characters: below a trigram
    assert titles(get(site, "/?q=平台 正式上线")) == ["智慧教育平台上線"]  # every term must occur
    assert titles(get(site, "/?q=app备案")) == ["教育App专项治理"]  # case-insensitive Latin
    assert titles(get(site, "/?q=工作要点")) and len(titles(get(site, "/?q=工作要点"))) == 7  # the document's title
    for odd in ('"漏洞', "100%", "a_b", "NEAR(x", "*"):
        assert fetch(site + "/?q=" + quote(odd)).status == 200


def test_api_pages_with_cursors_through_the_whole_history(site: str) -> None:
    seen, cursor, pages = [], None, 0
    while True:
        body = json.loads(get(site, "/api/items?limit=3" + (f"&cursor={cursor}" if cursor else "")))
        seen += [item["id"] for item in body["items"]]
        pages, cursor = pages + 1, body["next"]
        if cursor is None:
            break
    everything = json.loads(get(site, "/api/items?limit=200"))
    assert seen == [item["id"] for item in everything["items"]] and len(seen) == 11 and len(set(seen)) == 11
    assert pages == 4 and everything["next"] is None
    # the same cursor under a filter, and the HTML pager
    first = json.loads(get(site, "/api/items?source=gansu-tzgg&limit=5"))
    rest = json.loads(get(site, f"/api/items?source=gansu-tzgg&limit=5&cursor={first['next']}"))
    assert len(first["items"]) == 5 and len(rest["items"]) == 3 and rest["next"] is None
    html = get(site, "/?limit=4")
    older = re.search(r'href="(/\?[^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    assert len(titles(html)) == 4 and len(titles(get(site, older))) == 4
    assert 'href="/feed.atom"' in get(site, "/?q=&label=&region=")  # empty form fields set no filter


def test_api_items_are_the_objects_of_items_json(site: str, database_url: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "c.yml").write_text(yaml.safe_dump({"database_url": database_url}), encoding="utf-8")
    monkeypatch.setenv("EDU_MONITOR_CONFIG", str(tmp_path / "c.yml"))
    result = CliRunner().invoke(cli, ["items", "--json"], catch_exceptions=False)
    cli_items = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    api_items = json.loads(get(site, "/api/items?limit=200"))["items"]
    assert api_items == cli_items and api_items[0]["id"]


def test_item_page_shows_evidence_facts_siblings_and_original(site: str) -> None:
    api = json.loads(get(site, "/api/items?label=cybersecurity"))["items"][0]
    page = get(site, f"/items/{api['id']}")
    assert "網絡安全等級保護測評" in page and "网络安全工作" in page and "網絡安全、等級保護" in page
    assert 'href="http://127.0.0.1:9/hk/report.html"' in page and "教育資訊化工作簡報" in page
    assert "智慧教育平台上線" in page and "香港教育局 &lt;通告&gt;" in page  # sibling; escaped source name
    assert "附件1：名单.xlsx" in page
    app = json.loads(get(site, "/api/items?label=app_governance"))["items"][0]
    page = get(site, f"/items/{app['id']}")
    assert "甘教发〔2025〕3号" in page and "1209家" in page and "2025-02-28" in page
    xss = json.loads(get(site, "/api/items?label=security_incident"))["items"][0]
    page = get(site, f"/items/{xss['id']}")
    assert "<script" not in page and "<img" not in page and "<b>" not in page and "&lt;b&gt;通报" in page
    for missing in ("/items/999999", "/items/x", "/items/99999999999999999999", "/digests/99999999999999999999"):
        assert fetch(site + missing).status == 404, missing


def test_sources_page_and_api_show_health(database_url: str) -> None:
    fill(database_url)
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        record_poll(session, "gansu-tzgg", "甘肃", PollOutcome(ok=True, documents=2), operator_tag="ops",
                    failures_before_alert=1)
        record_poll(session, "moe-tzgg", "教育部", PollOutcome(ok=False, blocked="HTTP 412 <WAF>"),
                    operator_tag="ops", failures_before_alert=1)
    with web_app(database_url, catalog()) as base:
        page = get(base, "/sources")
        sources = {s["id"]: s for s in json.loads(get(base, "/api/sources"))["sources"]}
    assert "blocked" in page and "拦截：HTTP 412 &lt;WAF&gt;" in page and "never polled" in page
    assert "<td>0</td>" in page and "<td>1</td>" in page  # failed polls in a row, zero included
    assert sources["gansu-tzgg"]["status"] == "ok" and sources["gansu-tzgg"]["last_success"]
    assert sources["moe-tzgg"] | {"last_poll": None} == {
        "id": "moe-tzgg", "name": "教育部 通知", "region": "全国", "url": "http://127.0.0.1:9/moe-tzgg/",
        "enabled": True, "kind": "html", "preset": "trs", "every": "6h", "status": "blocked", "last_poll": None,
        "last_success": None, "failures": 1, "blocked_reason": "HTTP 412 <WAF>", "last_error": "HTTP 412 <WAF>",
        "list": "selectors", "dead_links": 0}
    assert sources["hk-jyj"]["status"] == "never polled"


def test_sent_digests_are_listed_and_viewable(database_url: str, tmp_path: Path) -> None:
    route = RouteConfig(name="daily", labels=["cybersecurity", "security_incident"], notify=["digest"], mode="digest")
    engine = make_engine(database_url)
    put(engine, "moe-tzgg", "http://127.0.0.1:9/moe/a.html", "网络安全通报（第1期）", [
        Parsed(1, XSS, "要求限期整改。", labels=["security_incident"], evidence={"security_incident": ["漏洞"]})],
        hours=1, routes=[route])
    outcomes = send_digest(engine, Channels({}), route, DeliveryConfig(digest_dir=tmp_path / "digests"), {},
                           echo=lambda _line: None)
    assert [o.status for o in outcomes] == ["sent"]
    with web_app(database_url, catalog(), [route]) as base:
        listing = get(base, "/digests")
        link = re.search(r'href="(/digests/\d+)"', listing).group(1)
        page = get(base, link)
    assert "daily → digest" in listing and "1 条" in listing
    assert "教育信息化动态摘要" in page and "&lt;script&gt;" in page and "<script" not in page
    assert "/items/" in page  # the card links to the item's page here


def test_bad_parameters_get_a_clear_400(site: str) -> None:
    for path, words in [("/?since=yesterday", "since"), ("/api/items?limit=0", "limit"),
                        ("/api/items?limit=201", "between 1 and 200"), ("/feed.atom?cursor=!!", "cursor"),
                        ("/api/items?limit=ten", "not a number"), ("/?since=99999999999d", "since"),
                        ("/api/items?cursor=" + base64.urlsafe_b64encode(b"2025-03-01T00:00:00+00:00|99999999999999999999").decode(),
                         "cursor"), ("/?q=%00abc", "NUL"), ("/api/items?label=%00", "NUL")]:
        answer = fetch(site + path)
        assert answer.status == 400 and words in answer.text, (path, answer.text)


def test_digest_list_pages_by_id(site: str) -> None:
    assert fetch(site + "/digests?before=99999999999999999999").status == 200
    assert fetch(site + "/digests?before=-1").status == 200


def test_nothing_writes(site: str, database_url: str) -> None:
    """Every endpoint leaves the database as it was; other methods are refused; the engine cannot write."""
    def fingerprint() -> str:
        with session_scope(make_engine(database_url)) as session:
            rows = [session.exec(text(f"SELECT count(*) FROM {t}")).one() for t in  # type: ignore[call-overload]
                    ("item", "document", "itemsearch", "sourcestate", "alert", "digestrun", "httpcache")]
        return hashlib.sha256(repr(rows).encode()).hexdigest()

    before = fingerprint()
    for path in ("/", "/?q=网络安全", "/items/1", "/sources", "/digests", "/feed.atom", "/routes/x.atom",
                 "/api/items", "/api/sources"):
        fetch(site + quote(path, safe="/?="))
    assert fetch(site + "/feed.atom", method="HEAD").status == 200  # HEAD is a read too
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        answer = fetch(site + "/api/items", method=method, data=b"x=1")
        assert answer.status == 405 and answer.headers["Allow"] == "GET, HEAD"
    assert fingerprint() == before
    engine = read_only_engine(database_url)
    with pytest.raises(DBAPIError, match=r"read-?only"), engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM item")
    engine.dispose()


def test_a_runaway_query_is_interrupted(database_url: str) -> None:
    """SQLite's progress handler or PostgreSQL's statement_timeout ends it within the limit."""
    engine = read_only_engine(database_url, seconds=0.2)
    endless = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
               if BACKEND == "sqlite" else "SELECT pg_sleep(30)")
    started = time.monotonic()
    with pytest.raises(OperationalError, match=r"interrupted|statement timeout"), engine.connect() as conn:
        conn.exec_driver_sql(endless)
    assert time.monotonic() - started < 5
    engine.dispose()


def test_a_polled_notice_is_found_by_a_simplified_word_and_links_to_its_original(
        tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole way: a fixture site polled by `edu-monitor poll`, then found on / and opened."""
    notice = Notice("4101", "關於開展校園網絡安全檢查的通知",
                    "各學校：\n為做好校園網絡安全工作，決定開展網絡安全專項檢查，請於月底前完成自查並報送結果。")
    site = Site("hk", "教育局", [notice])
    with serve(tmp_path / "www") as server:
        site.write(tmp_path / "www")
        entry = site.catalog_entry(base_url(server), "test-hk", "全国")
        (tmp_path / "sources.yml").write_text(yaml.safe_dump([entry], allow_unicode=True), encoding="utf-8")
        config = {"database_url": database_url, "sources": {"builtin": False, "files": ["sources.yml"]},
                  "http": {"min_delay": 0, "retries": 0}}
        (tmp_path / "c.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        monkeypatch.setenv("EDU_MONITOR_CONFIG", str(tmp_path / "c.yml"))
        result = CliRunner().invoke(cli, ["poll"], catch_exceptions=False)
        assert result.exit_code == 0 and "new_items=1" in result.stdout
        original = f"{base_url(server)}/hk/{site.article_path(notice)}"
    with web_app(database_url, [Source.model_validate(entry)]) as base:
        found = get(base, "/?q=" + quote("网络安全检查"))
        assert titles(found) == ["關於開展校園網絡安全檢查的通知"]
        page = get(base, re.search(r'href="' + re.escape(base) + r'(/items/\d+)"', found).group(1))
    assert f'href="{original}"' in page and "教育局 通知公告" in page
