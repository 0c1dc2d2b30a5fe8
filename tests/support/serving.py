"""Run any socketserver-style server in a background thread for the length of a `with` block."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
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
