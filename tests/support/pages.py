"""A loopback HTTP server answering fixed bodies by path: `server.pages[path] = (body, content_type)`.

Unlike `sites.serve()` (a folder of files), the table can be swapped between requests, so pages of
different sites that share a path (two `/was5/web/search` columns, two `/zwgk/tzgg/` lists) are
served one after the other by a single server. A path with a query is looked up with its query first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer

from monitor.fetch import Fetcher
from monitor.settings import HttpConfig
from support.serving import QuietHandler, running


class _Handler(QuietHandler):
    server: PageServer

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        found = self.server.pages.get(self.path) or self.server.pages.get(self.path.split("?", 1)[0])
        body, ctype, code = (*found, 200) if found else (b"not found", "text/plain", 404)
        self.reply(code, body, {"Content-Type": ctype})


class PageServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pages: dict[str, tuple[bytes, str]] = {}
        self.hits: list[str] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def serve_pages() -> Iterator[PageServer]:
    server = PageServer()
    with running(server):
        yield server


@contextmanager
def loopback_fetcher() -> Iterator[Fetcher]:
    """A fetcher for pages on the loopback server: no politeness delay, no retries, short timeouts."""
    fetcher = Fetcher(HttpConfig(min_delay=0, retries=0, connect_timeout=2, read_timeout=5))
    try:
        yield fetcher
    finally:
        fetcher.close()
