"""Per-host politeness: at most N requests at once and a minimum delay between requests to one
host, shared by every poll thread; and a robots.txt cache (urllib.robotparser) per host."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import structlog

log = structlog.get_logger()

ROBOTS_TTL = 24 * 3600.0
ROBOTS_RETRY = 600.0  # an unreachable robots.txt is asked for again after this long


class HostGate:
    """`with gate.slot(host):` waits for a free slot and for the host's minimum delay to pass."""

    def __init__(self, min_delay: float, per_host: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.min_delay, self.per_host, self.clock = min_delay, max(1, per_host), clock
        self._lock = threading.Lock()
        self._slots: dict[str, threading.Semaphore] = {}
        self._next_start: dict[str, float] = {}

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        with self._lock:
            semaphore = self._slots.setdefault(host, threading.Semaphore(self.per_host))
        with semaphore:
            with self._lock:  # reserve the next start time, so waiting threads queue up in order
                now = self.clock()
                start = max(now, self._next_start.get(host, now))
                self._next_start[host] = start + self.min_delay
            if start > now:
                time.sleep(start - now)
            yield


class RobotsCache:
    """robots.txt per scheme+host, fetched through `fetch(url, source) -> (status, text)`.

    4xx means no rules (RFC 9309). An unreachable robots.txt (5xx, network) is not taken as a ban
    here: the page request that follows will fail with the real error, which is what operators need.
    """

    def __init__(self, fetch: Callable[[str, Any], tuple[int, str]], agent: str = "edu-monitor") -> None:
        self.fetch, self.agent = fetch, agent
        self._lock = threading.Lock()
        self._rules: dict[str, tuple[float, RobotFileParser | None]] = {}

    def allowed(self, url: str, source: Any = None) -> bool:
        parts = urlsplit(url)
        root = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
        with self._lock:
            cached = self._rules.get(root)
        if cached is None or cached[0] < time.monotonic():
            cached = self._load(root, source)
            with self._lock:
                self._rules[root] = cached
        parser = cached[1]
        return parser is None or parser.can_fetch(self.agent, url)

    def _load(self, root: str, source: Any) -> tuple[float, RobotFileParser | None]:
        try:
            status, text = self.fetch(root, source)
        except Exception as exc:  # any failure: no rules for now, ask again soon
            log.info("robots.unreachable", url=root, error=str(exc))
            return time.monotonic() + ROBOTS_RETRY, None
        if status >= 500:
            return time.monotonic() + ROBOTS_RETRY, None
        parser = RobotFileParser()
        parser.parse(text.splitlines() if status == 200 else [])
        return time.monotonic() + ROBOTS_TTL, parser
