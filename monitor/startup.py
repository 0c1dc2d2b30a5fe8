"""What `edu-monitor run` tells at start: a few lines an operator reads once (on a terminal), or one
structured event (in a journal), instead of one log line per scheduled job."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from monitor.settings import format_duration


def run_summary(rt: Any, poll_starts: Sequence[datetime], now: datetime, health_port: int | None,
                web: Any = None) -> dict[str, Any]:
    """The facts of a start: sources scheduled and when they are first polled, where health and the
    web view (`web`: its settings, when it listens) answer, which digests are due when."""
    within = max(poll_starts, default=now) - now
    return {
        "sources": len(poll_starts),
        "every": [format_duration(e) for e in sorted({s.every for s in rt.sources if s.enabled})],
        "first_polls_within": format_duration(_rounded_up(within)),
        "health": _health_address(rt.settings.health, health_port),
        "web": f"http://{_host(web.host)}:{web.port}/" if web is not None else None,
        "digests": {r.name: r.schedule for r in rt.routes if r.mode == "digest"},
        "deliveries_every": format_duration(rt.delivery.every),
    }


def _rounded_up(span: timedelta) -> timedelta:
    """Whole seconds, or whole minutes past the first one: "within 2m", not "within 117s"."""
    seconds = max(0, math.ceil(span.total_seconds()))
    return timedelta(seconds=seconds if seconds < 60 else math.ceil(seconds / 60) * 60)


def render_summary(summary: dict[str, Any]) -> str:
    every = summary["every"]
    cadence = f"every {every[0]}" if len(every) == 1 else f"every {every[0]} to {every[-1]}" if every else ""
    lines = [f"edu-monitor run: {summary['sources']} source(s) scheduled{', ' + cadence if cadence else ''}; "
             f"first polls within {summary['first_polls_within']}",
             f"  health   {summary['health'] or 'off'}" + ("  (metrics at /metrics)" if summary["health"] else "")]
    if summary["web"]:
        lines.append(f"  web      {summary['web']}")
    digests = ", ".join(f"{name} ({schedule})" for name, schedule in summary["digests"].items())
    lines.append(f"  digests  {digests or 'none'}; deliveries every {summary['deliveries_every']}")
    lines.append("  stop with Ctrl-C (in-flight work finishes first); reload the config with SIGHUP")
    return "\n".join(lines)


def _health_address(health: Any, port: int | None) -> str | None:
    return f"http://{_host(health.host)}:{port}/healthz" if health.enabled and port else None


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
