"""The one-shot poll's warm pass: every healthy list asked once, conditionally, before the ORM loads.

A cron-driven `edu-monitor poll` mostly finds nothing new: every list answers 304. Importing
SQLAlchemy, SQLModel and the models was a fifth of such a run, so on SQLite this pass reads the
lists' validators and the healthy sources with the sqlite3 driver, asks each of those lists through
the shared Fetcher (politeness, robots.txt, the SSRF guard, retries and timeouts are the fetcher's
own), and records an unchanged list with the pipeline's guarded healthy-poll UPDATE, a chunk at a
time. Everything else goes to the pipeline: a source that was not healthy or has no validators yet
(not asked here), and a list that changed, failed or was blocked — with what the site answered
(`PollContext.prefetched`), so no list is asked twice.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import structlog

from monitor.elastic import ElasticPool
from monitor.fetch import Fetcher, FetchResult, Validators
from monitor.pollrecord import ChunkWriter, Deferred, HealthBatch, PollResult, log_poll_done
from monitor.sqlitefile import apply_pragmas, sqlite_file, stored_timestamp

log = structlog.get_logger()

_HEALTHY = ("SELECT source_id FROM sourcestate "
            "WHERE status = 'ok' AND alerted_status = 'ok' AND consecutive_failures = 0")
_VALIDATORS = "SELECT url, etag, last_modified FROM httpcache WHERE url IN ({})"
# sourcehealth's healthy-poll UPDATE for an unchanged list (no new documents): its guard re-checks
# the row, so a source whose state another process changed meanwhile is left to record_poll.
_GOOD_POLL = ("UPDATE sourcestate SET polls = polls + 1, last_poll_at = ?, last_success_at = ?, "
              "last_error = NULL, blocked_reason = NULL WHERE source_id = ? "
              "AND status = 'ok' AND alerted_status = 'ok' AND consecutive_failures = 0")
_CHUNK = 500  # URLs per validators query (SQLite's default limit of bound values is far above)


@dataclass
class Sweep:
    """What the warm pass did, and what it leaves to the pipeline."""

    results: dict[str, PollResult] = field(default_factory=dict)  # by source id: polls finished here
    handed: list[Any] = field(default_factory=list)  # sources the pipeline polls, in the given order
    prefetched: dict[str, FetchResult | Exception] = field(default_factory=dict)  # their answers, by source id
    unrecorded: list[Deferred] = field(default_factory=list)  # unchanged, but the row no longer matched


def sweep(sources: Sequence[Any], database_url: str, fetcher: Fetcher, workers: int) -> Sweep | None:
    """The warm pass over `sources` (distinct ids); None when it cannot run here (not a SQLite file,
    or no schema yet): then the pipeline polls every source, as before."""
    path = sqlite_file(database_url)
    if path is None:
        return None
    try:
        db = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, timeout=30, check_same_thread=False)
    except sqlite3.Error:  # no database file yet: the pipeline reports it its own way
        return None
    try:
        apply_pragmas(db)
        healthy = {row[0] for row in db.execute(_HEALTHY)}
        validators = _validators(db, [s.url for s in sources if s.id in healthy])
    except sqlite3.Error as exc:
        db.close()
        log.info("sweep.skipped", error=str(exc))
        return None
    try:
        return _run(sources, validators, fetcher, workers, HealthBatch(_writer(db)))
    finally:
        db.close()


def _validators(db: sqlite3.Connection, urls: list[str]) -> dict[str, Validators]:
    found = {}
    for start in range(0, len(urls), _CHUNK):
        chunk = urls[start:start + _CHUNK]
        rows = db.execute(_VALIDATORS.format(",".join("?" * len(chunk))), chunk)
        found.update((url, Validators(etag, modified)) for url, etag, modified in rows if etag or modified)
    return found


def _writer(db: sqlite3.Connection) -> ChunkWriter:
    lock = threading.Lock()  # the pool's threads share the one connection

    def write(chunk: list[Deferred]) -> list[Deferred]:
        with lock, db:  # one transaction per chunk
            return [(source, outcome, now) for source, outcome, now in chunk
                    if db.execute(_GOOD_POLL, (stored_timestamp(now), stored_timestamp(now), source.id)).rowcount != 1]

    return write


def _run(sources: Sequence[Any], validators: dict[str, Validators], fetcher: Fetcher, workers: int,
         batch: HealthBatch) -> Sweep:
    done = Sweep()
    asked = [s for s in sources if s.url in validators]
    answers = ElasticPool(workers, name="sweep").map(
        lambda source: _ask(source, validators[source.url], fetcher, batch, done), asked)
    _keep(done, batch.flush)
    for source, answer in zip(asked, answers, strict=True):
        if answer is not None:
            done.prefetched[source.id] = answer
    done.handed = [s for s in sources if s.id not in done.results]
    return done


def _ask(source: Any, validators: Validators, fetcher: Fetcher, batch: HealthBatch,
         done: Sweep) -> FetchResult | Exception | None:
    """Ask one list; an unchanged one is recorded here (None), anything else — the answer, or the
    exception the request raised — is returned for the pipeline, which records it as its own."""
    started = time.monotonic()
    with structlog.contextvars.bound_contextvars(source=source.id):
        try:
            page = fetcher.get(source.url, validators=validators, source=source)
        except Exception as exc:  # a FetchError, or a bug: the pipeline's error boundary logs it
            return exc
        if not page.not_modified:
            return page
        result = done.results[source.id] = PollResult(source_id=source.id, not_modified=True)
        log_poll_done(result, started)
        _keep(done, lambda: batch.add(source, result.outcome, datetime.now(UTC)))
    return None


def _keep(done: Sweep, write: Callable[[], list[Deferred]]) -> None:
    """Run a health write; its unmatched rows go to record_poll. A failing database is logged and
    the next cycle counts again, as the pipeline does (a poll count, never an item or an alert)."""
    try:
        done.unrecorded.extend(write())
    except sqlite3.Error:
        log.exception("poll.state_not_recorded")
