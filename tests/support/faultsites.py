"""Pages for fault tests: a TRS-style notice column (list + articles) as bytes, so a scripted server
(`support.badsite`) can serve them whole, cut, gzipped, mislabelled or dripping; plus hostile feeds."""

from __future__ import annotations

import html
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from support.badsite import Answer, ScriptedServer
from support.serving import running

DAY = (date.today() - timedelta(days=1)).isoformat()  # fresh: inside the default max_age, so it alerts


@dataclass(frozen=True)
class Article:
    """One notice of a column: served at /<column>/<slug>.html."""

    column: str
    slug: str
    title: str
    body: str  # paragraphs separated by newlines; each is unique to this article (no republished copies)

    @property
    def path(self) -> str:
        return f"/{self.column}/t{DAY.replace('-', '')}_{self.slug}.html"

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.body.split("\n") if p.strip()]


def app_article(column: str, slug: str, n: int = 1) -> Article:
    """An article the classifier labels app_governance (so an instant route alerts on it)."""
    return Article(column, slug, f"关于开展第{n}批教育App专项治理的通知（{column}）",
                   f"{column}站点第{n}次发布：省教育厅部署教育App备案和专项治理工作，请各地排查未备案App。\n"
                   f"第{n}批共排查{100 + n}家企业，要求于月底前完成整改（{column}-{slug}）。")


def listing_html(articles: list[Article], charset: str = "utf-8", extra_rows: str = "") -> str:
    rows = "".join(f'<li><a href="{html.escape(a.path)}" title="{html.escape(a.title)}">{html.escape(a.title[:12])}…</a>'
                   f"<span>{DAY}</span></li>" for a in articles)
    return (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
            f"<title>通知公告</title></head><body><div class=crumb>首页 &gt; 通知公告</div>"
            f'<ul id="list">{rows}{extra_rows}</ul><div class=footer>版权所有：测试教育厅 ICP备0000号</div></body></html>')


def article_html(article: Article, charset: str | None = "utf-8", body_extra: str = "", head_extra: str = "") -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">' if charset else ""
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in article.paragraphs)
    return (f'<html><head>{meta}<meta name="ArticleTitle" content="{html.escape(article.title)}">'
            f'<meta name="PubDate" content="{DAY} 09:00"><title>{html.escape(article.title)}</title>{head_extra}</head>'
            f"<body><div class=crumb>首页 &gt; 通知公告</div><h1>{html.escape(article.title)}</h1>"
            f"<div class=info>发布日期：{DAY} 来源：测试教育厅</div><div class=TRS_Editor>{paras}{body_extra}</div>"
            "<div class=footer>版权所有：测试教育厅 ICP备0000号</div></body></html>")


def catalog_entry(source_id: str, name: str, url: str, every: str = "2s", **extra: Any) -> dict[str, Any]:
    entry = {"id": source_id, "name": name, "region": "全国", "url": url, "kind": "html", "preset": "trs",
             "every": every, "min_links": 1, "robots": False,
             "list": {"item": "#list li", "link": "a", "date": "span"}, "detail": {"body": "div.TRS_Editor"}}
    entry.update(extra)
    return entry


def feed_entry(source_id: str, name: str, url: str, every: str = "2s") -> dict[str, Any]:
    return {"id": source_id, "name": name, "region": "全国", "url": url, "kind": "feed", "every": every,
            "min_links": 1, "robots": False}


def entity_bomb_feed(article_url: str, levels: int = 9) -> bytes:
    """'Billion laughs': nine levels of ten references each expand a few hundred bytes to gigabytes."""
    entities = ['<!ENTITY lol0 "lollollollollollollollollollol">']
    entities += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels + 1)]
    top = f"&lol{levels};"
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE rss [\n{chr(10).join(entities)}\n]>\n'
            f'<rss version="2.0"><channel><title>{top}</title><link>{article_url}</link>'
            f"<item><title>{top}</title><link>{article_url}</link><description>{top}</description>"
            f"<pubDate>Mon, 03 Jun 2024 08:00:00 +0800</pubDate></item></channel></rss>").encode()


def external_entity_feed(article_url: str, secret_url: str) -> bytes:
    """XXE: entities that would pull a local file and an internal URL into the parsed text."""
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE rss [\n'
            f'<!ENTITY passwd SYSTEM "file:///etc/passwd">\n<!ENTITY internal SYSTEM "{secret_url}">\n]>\n'
            f'<rss version="2.0"><channel><title>通知公告</title><link>{article_url}</link>'
            f"<item><title>&passwd;&internal;关于教育App备案的通知</title><link>{article_url}</link>"
            f"<description>&passwd;</description><pubDate>Mon, 03 Jun 2024 08:00:00 +0800</pubDate></item>"
            f"</channel></rss>").encode()


CHALLENGE_SHELL = ('<html><head><meta charset="utf-8"><script>var $_ts=window["$_ts"];if(!$_ts)$_ts=window["$_ts"]={};'
                   "document.cookie='__jsl_clearance=1700000000.123|0|abc';location.reload();</script></head>"
                   "<body></body></html>")


class QuietScriptedServer(ScriptedServer):
    """A `ScriptedServer` that does not print a traceback each time a client drops a kept-alive
    connection (which the fault tests make clients do hundreds of times)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@contextmanager
def quiet_scripted(routes: dict[str, Answer | list[Answer]]) -> Iterator[ScriptedServer]:
    server = QuietScriptedServer(routes)
    with running(server):
        yield server
