"""One source as people and programs see it: its catalog entry and its health, as one JSON object.

`sources list --json` prints it a line per source and the web view's /api/sources lists it, so the
two never drift apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from monitor.settings import format_duration

if TYPE_CHECKING:  # the ORM is not imported to start the command line
    from monitor.models import SourceState


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def source_json(source: Any, state: SourceState | None, dead_links: int = 0) -> dict[str, Any]:
    """The entry's contract keys (id … failures) and what else tells its health."""
    return {
        "id": source.id, "name": source.name, "region": source.region, "url": source.url,
        "enabled": source.enabled, "kind": source.kind, "preset": source.preset,
        "every": format_duration(source.every),
        "list": "selectors" if source.list.item or source.module or source.kind == "feed" else "detected",
        "status": state.status if state else "never polled",
        "last_poll": _iso(state.last_poll_at) if state else None,
        "last_success": _iso(state.last_success_at) if state else None,
        "failures": state.consecutive_failures if state else 0,
        "blocked_reason": state.blocked_reason if state else None,
        "last_error": state.last_error if state else None,
        "dead_links": dead_links,
    }
