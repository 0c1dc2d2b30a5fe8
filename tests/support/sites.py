"""Fixture government sites for end-to-end tests: a TRS-style column and a GB18030 provincial column,
written to a folder and served by a real static server on 127.0.0.1 (ETag/304, plus a hanging path)."""

from __future__ import annotations

import hashlib
import html
import mimetypes
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from support.serving import QuietHandler, running


@dataclass
class Notice:
    slug: str
    title: str
    body: str
    age_days: int = 1
    links_html: str = ""  # raw markup after the body's paragraphs (attachment links)


@dataclass
class Site:
    """A column of notices under /<name>/ (list at index.html, articles at t<date>_<slug>.html)."""

    name: str
    dept: str
    notices: list[Notice] = field(default_factory=list)
    encoding: str = "utf-8"

    def article_path(self, notice: Notice) -> str:
        day = date.today() - timedelta(days=notice.age_days)
        return f"{day:%Y%m}/t{day:%Y%m%d}_{notice.slug}.html"

    def write(self, root: Path) -> None:
        folder = root / self.name
        rows = []
        for notice in self.notices:
            day = (date.today() - timedelta(days=notice.age_days)).isoformat()
            path = folder / self.article_path(notice)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(self._article(notice, day).encode(self.encoding))
            rows.append(f'<li><a href="./{self.article_path(notice)}" title="{html.escape(notice.title)}">'
                        f"{html.escape(notice.title[:10])}…</a><span>{day}</span></li>")
        folder.mkdir(parents=True, exist_ok=True)
        page = (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={self._charset}">'
                f"<title>通知公告</title></head><body><div class=crumb>首页 &gt; 通知公告</div>"
                f'<ul id="list">{"".join(rows)}</ul><div class=footer>版权所有：{self.dept} ICP备0000号</div>'
                "</body></html>")
        (folder / "index.html").write_bytes(page.encode(self.encoding))

    @property
    def _charset(self) -> str:
        return "gb2312" if self.encoding == "gb18030" else self.encoding

    def _article(self, notice: Notice, day: str) -> str:
        paras = "".join(f"<p>{html.escape(p)}</p>" for p in notice.body.split("\n") if p.strip()) + notice.links_html
        return (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={self._charset}">'
                f'<meta name="ArticleTitle" content="{html.escape(notice.title)}">'
                f'<meta name="PubDate" content="{day} 09:00"><title>{html.escape(notice.title)}</title></head>'
                f"<body><div class=crumb>首页 &gt; 通知公告</div><h1>{html.escape(notice.title)}</h1>"
                f"<div class=info>发布日期：{day} 来源：{self.dept}</div><div class=TRS_Editor>{paras}</div>"
                f"<div class=footer>版权所有：{self.dept} ICP备0000号 公网安备0000号</div></body></html>")

    def catalog_entry(self, base: str, source_id: str, region: str, every: str = "1h") -> dict[str, Any]:
        return {"id": source_id, "name": f"{self.dept} 通知公告", "region": region, "url": f"{base}/{self.name}/",
                "kind": "html", "preset": "trs", "every": every, "min_links": 1, "robots": False,
                "list": {"item": "#list li", "link": "a", "title": "a", "date": "span"},
                "detail": {"body": "div.TRS_Editor"}}


class _Handler(QuietHandler):
    server: _StaticServer

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.server.hits.append(path)
        column = path.split("/")[1] if path.count("/") > 1 else ""
        with self.server.lock:
            self.server.in_flight[column] = self.server.in_flight.get(column, 0) + 1
            self.server.max_in_flight[column] = max(self.server.max_in_flight.get(column, 0),
                                                    self.server.in_flight[column])
        try:
            self._answer(path)
        finally:
            with self.server.lock:
                self.server.in_flight[column] -= 1

    def _answer(self, path: str) -> None:
        if path.startswith("/hang/"):  # a site that accepts the connection and never answers in time
            time.sleep(self.server.hang_seconds)
        if self.server.delay:
            time.sleep(self.server.delay)
        if path.startswith("/down/"):
            return self.reply(503, b"unavailable", {})
        target = (self.server.root / path.lstrip("/")).resolve()
        if target.is_dir():
            target = target / "index.html"
        if self.server.root not in target.parents or not target.is_file():
            return self.reply(404, b"not found", {})
        body = target.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            return self.reply(304, b"", {"ETag": etag})
        return self.reply(200, body, {"ETag": etag, "Content-Type": _content_type(target)})


def _content_type(target: Path) -> str:
    """Office files and PDFs with their own types (as the real sites send them); everything else as HTML."""
    guessed = mimetypes.guess_type(target.name)[0]
    return guessed if target.suffix in {".pdf", ".docx", ".xlsx", ".zip", ".doc", ".xls"} and guessed else "text/html"


class _StaticServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path, hang_seconds: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root, self.hang_seconds, self.hits = root.resolve(), hang_seconds, []
        self.delay = 0.0  # seconds added to every answer (a slow site)
        self.lock = threading.Lock()
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}  # per first path segment: were two requests ever at once?


@contextmanager
def serve(root: Path, hang_seconds: float = 30.0) -> Iterator[_StaticServer]:
    """Serve `root` on an ephemeral port; `server.hits` lists the paths requested."""
    root.mkdir(parents=True, exist_ok=True)
    server = _StaticServer(root, hang_seconds)
    with running(server):
        yield server


def base_url(server: _StaticServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"
