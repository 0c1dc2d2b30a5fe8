"""A webhook endpoint on 127.0.0.1 with a script per path: each request gets the next `Reply` (the last
one repeats), so a test can say "500, 500, then 200", "200 with errcode 45009, then ok" or "answer after
3 s" (longer than the sender waits). Every request is recorded, with whether its answer was accepted.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from support.serving import QuietHandler, running

WECOM_OK = b'{"errcode": 0, "errmsg": "ok"}'


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = WECOM_OK
    delay: float = 0.0  # seconds before answering

    @property
    def accepts(self) -> bool:
        """Would a sender count this answer as delivered (2xx and, for WeCom/DingTalk, errcode 0)?"""
        if not 200 <= self.status < 300:
            return False
        try:
            return json.loads(self.body or b"{}").get("errcode", 0) == 0
        except (ValueError, AttributeError):
            return True


def errcode(code: int, message: str) -> Reply:
    """WeCom/DingTalk's refusal: HTTP 200 with a non-zero errcode."""
    return Reply(200, json.dumps({"errcode": code, "errmsg": message}).encode())


@dataclass
class HookRequest:
    path: str
    body: str
    at: float
    reply: Reply
    answered_at: float | None = None  # when the answer was written (None: never, or the writer failed)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HookServer:
    scripts: dict[str, list[Reply]]
    requests: list[HookRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0
    pending: int = 0  # requests received and not answered yet

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def next_reply(self, path: str) -> Reply:
        script = self.scripts.get(path.split("?", 1)[0])
        if not script:
            return Reply(404, b'{"errcode": 404, "errmsg": "no such hook"}')
        return script.pop(0) if len(script) > 1 else script[0]

    def to(self, path: str) -> list[HookRequest]:
        with self.lock:
            return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    def accepted(self, path: str) -> list[HookRequest]:
        """Requests to `path` whose accepting answer was written without delay beyond the sender's patience."""
        return [r for r in self.to(path) if r.reply.accepts and r.answered_at is not None and not r.reply.delay]


@contextmanager
def hook_server(scripts: dict[str, list[Reply] | Reply]) -> Iterator[HookServer]:
    hooks = HookServer({path: list(s) if isinstance(s, list) else [s] for path, s in scripts.items()})

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            body = self.posted_text()
            with hooks.lock:
                reply = hooks.next_reply(self.path)
                request = HookRequest(self.path, body, time.monotonic(), reply)
                hooks.requests.append(request)
                hooks.pending += 1
            try:
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
                self.wfile.flush()
                request.answered_at = time.monotonic()
            except (BrokenPipeError, ConnectionResetError):
                pass
            finally:
                with hooks.lock:
                    hooks.pending -= 1

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    hooks.port = server.server_address[1]
    with running(server):
        yield hooks
