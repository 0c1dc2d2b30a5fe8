"""The web view served by uvicorn on 127.0.0.1 for tests, and plain HTTP requests to it."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from monitor.settings import RouteConfig, WebConfig
from monitor.web.app import create_app
from monitor.web.context import WebContext
from monitor.web.engine import read_only_engine
from monitor.web.server import start_in_thread
from support.serving import free_port


@contextmanager
def web_app(database_url: str, catalog: Sequence[Any] = (), routes: Sequence[RouteConfig] = (),
            config: WebConfig | None = None) -> Iterator[str]:
    """The real app on a free port over `database_url`; yields its base URL."""
    engine = read_only_engine(database_url)
    context = WebContext(engine=engine, catalog=lambda: list(catalog), routes=lambda: list(routes),
                         config=config or WebConfig())
    server = start_in_thread(create_app(context), "127.0.0.1", free_port())
    try:
        yield f"http://127.0.0.1:{server.server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.stop()
        engine.dispose()


@dataclass
class Answer:
    status: int
    headers: Any
    text: str


def fetch(url: str, method: str = "GET", headers: dict[str, str] | None = None,
          data: bytes | None = None) -> Answer:
    request = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Answer(response.status, response.headers, response.read().decode("utf-8"))
    except urllib.error.HTTPError as err:
        return Answer(err.code, err.headers, err.read().decode("utf-8", "replace"))
