"""The health and metrics endpoint: /healthz for supervisors, /metrics for Prometheus."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import select

from monitor.db import session_scope
from monitor.metrics import Metrics
from monitor.models import SourceState, utcnow


def health_report(engine: Engine, scheduler_running: bool, started_at: datetime, max_poll_age: timedelta,
                  now: datetime | None = None) -> tuple[bool, dict[str, Any]]:
    """(healthy, details): database reachable, scheduler running, a recent successful poll."""
    now = now or utcnow()
    report: dict[str, Any] = {"scheduler_running": scheduler_running}
    try:
        with session_scope(engine) as session:
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            last = session.exec(select(func.max(SourceState.last_success_at))).one()
        report["database"] = "ok"
    except Exception as exc:
        report["database"] = f"unreachable: {type(exc).__name__}"
        last = None
    report["last_successful_poll"] = last.isoformat() if last else None
    age = (now - last) if last else (now - started_at)
    report["last_successful_poll_age_seconds"] = round(age.total_seconds())
    polls_ok = age <= max_poll_age
    healthy = report["database"] == "ok" and scheduler_running and polls_ok
    report["status"] = "ok" if healthy else "unhealthy"
    return healthy, report


class _Handler(BaseHTTPRequestHandler):
    server: _HealthServer

    def log_message(self, *args: Any) -> None:  # access logs would drown the canonical lines
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            healthy, report = self.server.check()
            self._send(200 if healthy else 503, json.dumps(report).encode(), "application/json")
        elif path == "/metrics":
            self._send(200, self.server.metrics.render(), "text/plain; version=0.0.4; charset=utf-8")
        else:
            self._send(404, b"not found\n", "text/plain")

    def _send(self, code: int, body: bytes, ctype: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _HealthServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], check: Callable[[], tuple[bool, dict]], metrics: Metrics) -> None:
        super().__init__(address, _Handler)
        self.check, self.metrics = check, metrics


def start_health_server(host: str, port: int, check: Callable[[], tuple[bool, dict]],
                        metrics: Metrics) -> ThreadingHTTPServer:
    """Serve in a background thread; returns the server (its port is real even when 0 was asked)."""
    server = _HealthServer((host, port), check, metrics)
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    return server
