"""Serving the web app with uvicorn: in the foreground (`edu-monitor web`) or beside the daemon."""

from __future__ import annotations

import signal
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn


def _server(app: Any, host: str, port: int) -> uvicorn.Server:
    # Access logs would print every query string; the daemon's own log lines say what matters.
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False,
                            lifespan="off", server_header=False, proxy_headers=False)
    return uvicorn.Server(config)


def serve(app: Any, host: str, port: int) -> None:
    """Serve until SIGINT/SIGTERM, then stop cleanly (exit status 0, as `run` does); OSError
    when the address cannot be listened on."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):  # before listening: a signal never finds no handler
        signal.signal(signum, lambda *_: stop.set())
    running = start_in_thread(app, host, port)
    while running.thread.is_alive() and not stop.wait(0.5):
        pass
    running.stop()


@dataclass
class BackgroundServer:
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self, timeout: float = 5.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


def start_in_thread(app: Any, host: str, port: int, timeout: float = 10.0) -> BackgroundServer:
    """Serve from a background thread (uvicorn sets no signal handlers there); returns once it
    listens, or raises OSError (a port already taken)."""
    server = _server(app, host, port)
    thread = threading.Thread(target=server.run, name="web", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise OSError(f"the web view could not listen on {host}:{port}")
        time.sleep(0.02)
    return BackgroundServer(server, thread)
