"""A thread pool sized to the work: it starts small and adds threads only while they wait.

A poll cycle whose sites answer at once is CPU-bound, and the GIL lets one thread run Python at a
time: with 8 threads a third of a warm poll's CPU went to threads taking turns, and even a second
thread cost a warm cycle a quarter more CPU and a cold one a fifth (each thread, back from a socket,
waits for the other to hand over the GIL), so the pool starts with one. When the sites are
slow, the threads wait on the network and more of them keep the core busy. So the pool measures
the time the process's threads ran or were ready to run (on Linux the kernel's per-thread
schedstat; elsewhere CPU time only) against the wall clock as it goes, and when that is under half
a core — the threads wait on the network, not for the CPU — it adds as many threads as would
nearly fill one (Little's law), up to the configured `workers`. On a machine whose cores are busy
with other processes, a CPU-bound cycle waits for a core and the pool does not grow.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class ElasticPool(Generic[T, R]):
    """`ElasticPool(most).map(fn, items)`: fn over items in `start`…`most` threads, results in order.

    `busy`: the share of one core, running or ready to run, above which the process counts as
    CPU-bound (no thread added); below it, threads are added for `aim` of a core; `every`: seconds
    between two measurements."""

    def __init__(self, most: int, start: int = 1, busy: float = 0.5, aim: float = 0.9, every: float = 0.1,
                 name: str = "poll") -> None:
        self.most, self.start, self.name = max(1, most), max(1, start), name
        self.busy, self.aim, self.every = busy, aim, every
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.size = 0

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """Like ThreadPoolExecutor.map, collected: the first exception raised by fn is raised here."""
        self._fn, self._items = fn, items
        self._results: list[R | None] = [None] * len(items)
        self._errors: list[BaseException] = []
        self._next, self._stop = 0, False
        self._mark = (time.monotonic(), busy_times())
        with self._lock:
            for _ in range(min(self.start, self.most, len(items))):
                self._spawn()
        try:
            self._join()
        except BaseException:  # Ctrl-C: the polls under way finish, no new one starts
            self._stop = True
            raise
        self.size = len(self._threads)  # threads started for this map
        self._threads.clear()
        if self._errors:
            raise self._errors[0]
        return self._results  # type: ignore[return-value]  # every slot was filled

    def _join(self) -> None:
        """Wait for the threads, measuring as it waits: threads that all hang on slow sites finish
        no call that would make the pool grow, so the caller's thread measures too."""
        while True:  # threads may be added while others are joined
            with self._lock:
                running = [t for t in self._threads if t.is_alive()]
            if not running:
                return
            running[0].join(self.every)
            self._maybe_grow()

    def _spawn(self) -> None:  # with self._lock held
        thread = threading.Thread(target=self._work, name=f"{self.name}_{len(self._threads)}", daemon=False)
        self._threads.append(thread)
        thread.start()

    def _work(self) -> None:
        while True:
            with self._lock:
                index = self._next
                if index >= len(self._items) or self._errors or self._stop:
                    return
                self._next += 1
            try:
                self._results[index] = self._fn(self._items[index])
            except BaseException as exc:  # handed to map's caller, as ThreadPoolExecutor.map does
                with self._lock:
                    self._errors.append(exc)
                return
            self._maybe_grow()

    def _maybe_grow(self) -> None:
        now = time.monotonic()
        with self._lock:
            since, cpu_then = self._mark
            if now - since < self.every:
                return
            cpu = busy_times()
            self._mark = (now, cpu)
            threads, left = len(self._threads), len(self._items) - self._next
            load = busy_between(cpu_then, cpu) / (now - since)
            if load >= self.busy or threads >= self.most or left <= 0:
                return
            # At most doubled per measurement: the kernel adds a thread's wait for a CPU to its
            # schedstat only once it runs again, so one short window can read low.
            wanted = min(2 * threads, math.ceil(threads * self.aim / max(load, 0.01)))
            for _ in range(min(self.most, wanted, threads + left) - threads):
                self._spawn()


_TASKS = "/proc/self/task"


def busy_times() -> dict[str, int]:
    """Nanoseconds each of the process's threads has run or waited in the run queue for a CPU
    (Linux's schedstat), by thread id; where that cannot be read, the process's CPU time alone."""
    try:
        tasks = os.listdir(_TASKS)
    except OSError:
        return {"process": time.process_time_ns()}
    times = {}
    for task in tasks:
        try:
            with open(f"{_TASKS}/{task}/schedstat", "rb") as stat:
                ran, queued = stat.read().split()[:2]
        except (OSError, ValueError):  # the thread ended meanwhile
            continue
        times[task] = int(ran) + int(queued)
    return times


def busy_between(before: dict[str, int], after: dict[str, int]) -> float:
    """Seconds of running or runnable time between two readings, counted per thread: a thread that
    ended in between takes its whole history out of a plain sum, which read as an idle process and
    grew the pool for nothing. A thread started in between counts from zero."""
    return sum(max(0, ns - before.get(task, 0)) for task, ns in after.items()) / 1e9
