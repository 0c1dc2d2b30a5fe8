"""SIGHUP reload in process: a bad config leaves the running one in place; new HTTP settings apply."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from monitor.catalog import Source
from monitor.channels import Channels
from monitor.daemon import Daemon, Runtime
from monitor.db import make_engine
from monitor.settings import DeliveryConfig, HttpConfig, RouteConfig, Settings


def runtime(database_url: str, source_ids: list[str], http: HttpConfig | None = None) -> Runtime:
    sources = [Source.model_validate({"id": sid, "name": sid, "region": "甘肃", "url": f"http://127.0.0.1:9/{sid}/"})
               for sid in source_ids]
    settings = Settings(database_url=database_url, http=http or HttpConfig())
    digest = RouteConfig(name="daily", labelled_only=True, notify=["digest"], mode="digest")
    return Runtime(settings=settings, sources=sources, routes=[digest], channels=Channels({}),
                   delivery=DeliveryConfig())


def loader(steps: list[Callable[[], Runtime]]) -> Callable[[], Runtime]:
    return lambda: steps.pop(0)()


@pytest.fixture
def engine(database_url: str):
    return make_engine(database_url)


def jobs(daemon: Daemon) -> set[str]:
    return {job.id for job in daemon.scheduler.get_jobs()}


def test_a_reload_that_fails_keeps_the_running_config_and_jobs(database_url: str, engine) -> None:
    def broken() -> Runtime:  # loads, but its jobs cannot be built (a schedule no check caught)
        bad = runtime(database_url, ["a", "b", "c"])
        bad.routes = [RouteConfig.model_construct(**{**bad.routes[0].model_dump(), "schedule": "0 25 * * *"})]
        return bad

    daemon = Daemon(loader([lambda: runtime(database_url, ["a", "b"]), broken]), engine)
    daemon.sync_jobs()
    before = jobs(daemon)
    daemon.reload()
    assert [s.id for s in daemon.rt.sources] == ["a", "b"] and jobs(daemon) == before


def test_a_reload_applies_sources_and_new_http_settings(database_url: str, engine) -> None:
    daemon = Daemon(loader([lambda: runtime(database_url, ["a"]),
                            lambda: runtime(database_url, ["a", "c"], HttpConfig(min_delay=7))]), engine)
    daemon.sync_jobs()
    fetcher = daemon.fetcher
    daemon.reload()
    assert {"poll:a", "poll:c", "digest:daily"} <= jobs(daemon)
    assert daemon.fetcher is not fetcher and daemon.fetcher.config.min_delay == 7
    assert daemon.retired_fetchers == [fetcher], "kept for the polls still running on it, closed at shutdown"


def test_a_reload_with_the_same_politeness_keeps_the_per_host_limits(database_url: str, engine) -> None:
    daemon = Daemon(loader([lambda: runtime(database_url, ["a"]),
                            lambda: runtime(database_url, ["a"], HttpConfig(read_timeout=5))]), engine)
    gate = daemon.fetcher.gate
    daemon.reload()
    assert daemon.fetcher.config.read_timeout == 5 and daemon.fetcher.gate is gate
