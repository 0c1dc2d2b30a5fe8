"""The poll pool grows while its threads wait, never past its bound, and behaves like map."""

from __future__ import annotations

import threading
import time

import pytest

from monitor.elastic import ElasticPool


class Concurrency:
    """Counts how many calls run at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = self.most = 0

    def waiting(self, item: int, seconds: float = 0.03) -> int:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(seconds)  # waiting on the network: no CPU
        with self.lock:
            self.now -= 1
        return item * 2


def test_threads_that_wait_make_the_pool_grow_to_its_bound_and_no_further() -> None:
    seen = Concurrency()
    pool: ElasticPool[int, int] = ElasticPool(6, start=2, every=0.01)
    assert pool.map(seen.waiting, list(range(120))) == [i * 2 for i in range(120)]
    assert pool.size == 6 and seen.most == 6


def test_threads_that_compute_keep_the_pool_at_its_start() -> None:
    def compute(item: int) -> int:
        end = time.thread_time() + 0.004
        while time.thread_time() < end:
            pass
        return item

    pool: ElasticPool[int, int] = ElasticPool(8, start=2)
    assert pool.map(compute, list(range(100))) == list(range(100))
    assert pool.size == 2
    alone: ElasticPool[int, int] = ElasticPool(8)  # by default one thread: a second only takes turns at the GIL
    assert alone.map(compute, list(range(50))) == list(range(50))
    assert alone.size == 1


def test_a_pool_starts_with_no_more_threads_than_items() -> None:
    seen = Concurrency()
    pool: ElasticPool[int, int] = ElasticPool(8, start=2)
    assert pool.map(seen.waiting, [5]) == [10]
    assert pool.size == 1 and seen.most == 1


def test_the_first_exception_reaches_the_caller_and_stops_new_calls() -> None:
    started: list[int] = []

    def fail_on_three(item: int) -> int:
        started.append(item)
        if item == 3:
            raise ValueError("three")
        return item

    with pytest.raises(ValueError, match="three"):
        ElasticPool(1, start=1).map(fail_on_three, list(range(10)))
    assert started == [0, 1, 2, 3]


def test_hanging_calls_do_not_hold_up_the_rest() -> None:
    """Two sites that hang until a timeout take both starting threads: the pool grows meanwhile,
    not only when one of them returns."""
    release = threading.Event()
    done: list[int] = []

    def call(item: int) -> int:
        if item < 2:
            release.wait(10)  # a hanging site, released once every other item is done
        else:
            done.append(item)
            if len(done) == 8:
                release.set()
        return item

    pool: ElasticPool[int, int] = ElasticPool(4, start=2, every=0.01)
    started = time.monotonic()
    assert pool.map(call, list(range(10))) == list(range(10))
    assert time.monotonic() - started < 5 and pool.size > 2
