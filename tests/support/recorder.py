"""A real HTTP endpoint on 127.0.0.1 that records what channels post to it and answers as scripted."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from support.serving import QuietHandler, running


@dataclass
class Recorder:
    """Requests seen, and the statuses to answer with (the last one repeats)."""

    statuses: list[int] = field(default_factory=lambda: [200])
    body: bytes = b'{"errcode": 0, "errmsg": "ok"}'
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    @property
    def base(self) -> str:
        return f"127.0.0.1:{self.port}"

    def answer(self) -> int:
        with self.lock:
            n = len(self.requests)
        return self.statuses[min(n - 1, len(self.statuses) - 1)]

    def json_bodies(self) -> list[Any]:
        return [json.loads(r["body"]) for r in self.requests]


@contextmanager
def recording_server(recorder: Recorder | None = None) -> Iterator[Recorder]:
    recorder = recorder or Recorder()

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            body = self.posted_text()
            with recorder.lock:
                recorder.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
            self.reply(recorder.answer(), recorder.body, {"Content-Type": "application/json"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recorder.port = server.server_address[1]
    with running(server):
        yield recorder
