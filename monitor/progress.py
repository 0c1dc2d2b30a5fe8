"""A progress bar for `poll` on a terminal: sources done of all, new articles, failures.

`poll --pages N` can take many minutes under the politeness delays, and a terminal that shows nothing
for that long looks hung. The bar reads what the polls record (SourceState rows touched since the
start, Document rows stored since), so the poll path itself needs no callbacks. Off a terminal there
is no bar: the log lines and the final table stay exactly as scripts know them.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from contextlib import ExitStack
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from tqdm import tqdm

from monitor.db import session_scope
from monitor.log import logs_above
from monitor.models import Document, SourceState, utcnow

REFRESH = 0.5  # seconds between looks at the database
BAR = "{desc} {n_fmt}/{total_fmt} sources |{bar}| {elapsed}{postfix}"


class PollProgress:
    """`with PollProgress(engine, ids) as progress: results = poll_many(...); progress.finish(results)`."""

    def __init__(self, engine: Engine, source_ids: Sequence[str], stream: Any = None) -> None:
        self.engine, self.source_ids = engine, list(source_ids)
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.bar: tqdm | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()  # the watcher never draws older figures over the final ones
        self._stack = ExitStack()

    def __enter__(self) -> PollProgress:
        if not self.enabled:
            return self
        try:
            self.started, self.first_new_id = utcnow(), self._last_document_id()
        except Exception:  # no database yet: the polls say so themselves, with no bar to hide it
            self.enabled = False
            return self
        self.bar = self._stack.enter_context(tqdm(total=len(self.source_ids), desc="poll", file=self.stream,
                                                  dynamic_ncols=True, bar_format=BAR))
        self._show(0, 0, 0)
        self._stack.enter_context(logs_above(lambda line: tqdm.write(line, file=self.stream)))
        watcher = threading.Thread(target=self._watch, name="poll-progress", daemon=True)
        watcher.start()
        self._stack.callback(watcher.join)
        self._stack.callback(self._stop.set)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def finish(self, results: Sequence[Any]) -> None:
        """The last figures from the results themselves (a count read mid-commit may lag behind)."""
        failed = sum(1 for r in results if not r.outcome.ok or r.outcome.broken)
        with self._lock:
            self._stop.set()
            self._show(len(results), sum(r.new_documents for r in results), failed)

    def _watch(self) -> None:
        while not self._stop.wait(REFRESH):
            try:
                done, failed, new = self._counts()
            except Exception:  # a busy or failing database only stalls the bar; the poll reports itself
                continue
            with self._lock:
                if not self._stop.is_set():
                    self._show(done, new, failed)

    def _show(self, done: int, new: int, failed: int) -> None:
        if self.bar is None:
            return
        self.bar.n = done
        self.bar.set_postfix_str(f"{new} new article(s), {failed} failed", refresh=True)

    def _counts(self) -> tuple[int, int, int]:
        with session_scope(self.engine) as session:
            touched = session.exec(select(SourceState.consecutive_failures).where(
                col(SourceState.source_id).in_(self.source_ids), col(SourceState.last_poll_at) >= self.started)).all()
            new = session.exec(select(func.count()).select_from(Document).where(
                col(Document.id) > self.first_new_id, col(Document.source_id).in_(self.source_ids))).one()
        return len(touched), sum(1 for failures in touched if failures), new

    def _last_document_id(self) -> int:
        with session_scope(self.engine) as session:
            return session.exec(select(func.max(Document.id))).one() or 0

