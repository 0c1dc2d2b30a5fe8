"""What one poll reports, its log line, and a cycle's good polls written a chunk at a time.

Nothing here imports the ORM: the one-shot warm pass (monitor/sweep.py) records its polls with the
same outcome, the same `poll.done` line and the same chunking as the pipeline, on the bare driver.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

log = structlog.get_logger()


@dataclass
class PollOutcome:
    """How one poll of one source ended."""

    ok: bool
    error: str | None = None
    blocked: str | None = None
    broken: str | None = None  # e.g. "3 links, fewer than min_links 5"
    drifted: str | None = None  # the list selectors broke; the poll went on with detected links
    documents: int = 0


@dataclass
class PollResult:
    source_id: str
    links: int = 0
    new_documents: int = 0
    new_items: int = 0
    alerts: int = 0
    not_modified: bool = False
    outcome: PollOutcome = field(default_factory=lambda: PollOutcome(ok=True))


def good_poll(outcome: PollOutcome) -> bool:
    return outcome.ok and not outcome.broken and not outcome.drifted


def log_poll_done(result: PollResult, started: float) -> None:
    """The one line every poll ends with (the caller binds `source`); `started` is time.monotonic()."""
    outcome = result.outcome
    log.info("poll.done", links=result.links, new_documents=result.new_documents,
             new_items=result.new_items, alerts=result.alerts, not_modified=result.not_modified,
             ok=outcome.ok, error=outcome.error or outcome.blocked or outcome.broken,
             drifted=outcome.drifted, ms=round((time.monotonic() - started) * 1000))


Deferred = tuple[Any, PollOutcome, datetime]  # (the source — anything with an `id` —, outcome, poll time)
# Writes a chunk of good polls in one transaction; returns those whose row did not match.
ChunkWriter = Callable[[list[Deferred]], list[Deferred]]


class HealthBatch:
    """Good polls of a cycle, written `size` at a time in one transaction instead of one transaction
    each (a pool checkout, BEGIN and COMMIT per source), and once a poll has waited `max_wait`
    seconds, at the next poll's end: `poll`'s progress bar counts the rows written, so it keeps
    moving in a slow cycle. Every row keeps its own guarded UPDATE and poll time (`write`); the polls
    whose row did not match (a missing row, a source that was not healthy) are handed back for
    record_poll. A process killed mid-cycle loses at most a chunk of poll counts, never an item or
    an alert: those are stored with the documents."""

    def __init__(self, write: ChunkWriter, size: int = 100, max_wait: float = 1.0) -> None:
        self.write, self.size, self.max_wait = write, size, max_wait
        self.pending: list[Deferred] = []
        self.since = 0.0  # when the oldest pending poll was queued (time.monotonic)
        self.lock = threading.Lock()

    def add(self, source: Any, outcome: PollOutcome, now: datetime) -> list[Deferred]:
        """Queue a good poll; when that fills the chunk, write it and return the polls left undecided."""
        with self.lock:
            if not self.pending:
                self.since = time.monotonic()
            self.pending.append((source, outcome, now))
            if len(self.pending) < self.size and time.monotonic() - self.since < self.max_wait:
                return []
            chunk, self.pending = self.pending, []
        return self.write(chunk) if chunk else []

    def flush(self) -> list[Deferred]:
        with self.lock:
            chunk, self.pending = self.pending, []
        return self.write(chunk) if chunk else []
