"""A misbehaving web server on 127.0.0.1: each path answers the way some real site fails.

`scripted()` serves a dict of path → Answer; answers may be lists (one per request, the last repeats),
so a test can script "503, 503, then 200". Every request is recorded with its headers.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer

from support.serving import QuietHandler, running


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the headers
    drip: float = 0.0  # seconds between body bytes (a slow drip)
    reset_after: int | None = None  # close the connection after this many body bytes


def html(text: str, status: int = 200, charset: str | None = "utf-8", **headers: str) -> Answer:
    ctype = f"text/html; charset={charset}" if charset else "text/html"
    encoding = charset or "utf-8"
    return Answer(status, text.encode(encoding), {"Content-Type": ctype, **headers})


def gzip_bomb(decompressed_bytes: int) -> Answer:
    """A small gzip body that inflates to `decompressed_bytes` of zeros."""
    return Answer(200, gzip.compress(b"\0" * decompressed_bytes, compresslevel=9),
                  {"Content-Type": "text/html", "Content-Encoding": "gzip"})


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    at: float
    line: str


class _Handler(QuietHandler):
    server: ScriptedServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = self.path if self.path.startswith("/") else "/" + self.path.split("/", 3)[-1]
        with self.server.lock:
            self.server.requests.append(Request(path, dict(self.headers.items()), time.monotonic(), self.requestline))
            self.server.in_flight += 1
            self.server.max_in_flight = max(self.server.max_in_flight, self.server.in_flight)
            answer = self.server.next_answer(path.split("?", 1)[0])
        try:
            self._answer(answer)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with self.server.lock:
                self.server.in_flight -= 1

    def _answer(self, answer: Answer) -> None:
        if answer.delay:
            time.sleep(answer.delay)
        self.send_response(answer.status)
        for key, value in answer.headers.items():
            self.send_header(key, value)
        if "Content-Length" not in answer.headers:
            self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        body = answer.body if answer.reset_after is None else answer.body[:answer.reset_after]
        if answer.drip:
            for i in range(len(body)):
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
                time.sleep(answer.drip)
        else:
            self.wfile.write(body)
        if answer.reset_after is not None:
            self.close_connection = True
            self.wfile.flush()
            self.connection.shutdown(2)


class ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, routes: dict[str, Answer | list[Answer]], host: str = "127.0.0.1") -> None:
        super().__init__((host, 0), _Handler)
        self.routes = {k: (list(v) if isinstance(v, list) else [v]) for k, v in routes.items()}
        self.lock = threading.Lock()
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0

    def next_answer(self, path: str) -> Answer:
        queue = self.routes.get(path)
        if not queue:
            return Answer(404, b"not found", {"Content-Type": "text/plain"})
        return queue.pop(0) if len(queue) > 1 else queue[0]

    @property
    def base(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}"

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path.split("?", 1)[0] == path]


@contextmanager
def scripted(routes: dict[str, Answer | list[Answer]], host: str = "127.0.0.1") -> Iterator[ScriptedServer]:
    server = ScriptedServer(routes, host)
    with running(server):
        yield server
