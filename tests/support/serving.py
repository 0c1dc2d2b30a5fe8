"""Test servers on 127.0.0.1: a free port, and any socketserver-style server run in a background thread
for the length of a `with` block."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any, TypeVar

Server = TypeVar("Server", bound=Any)


@contextmanager
def running(server: Server) -> Iterator[Server]:
    """Serve until the block ends, then stop and close the socket (short poll so shutdown is quick)."""
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    """A port nobody listens on right now (for servers that must be told their port up front)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that does not print a line per request into the test output."""

    def log_message(self, *args: Any) -> None:
        pass

    def reply(self, code: int, body: bytes, headers: dict[str, str]) -> None:
        """One whole answer; a client that hung up first is not the test's concern."""
        try:
            self.send_response(code)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def posted_text(self) -> str:
        """The request body (a webhook's JSON), decoded leniently."""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode("utf-8", "replace")
