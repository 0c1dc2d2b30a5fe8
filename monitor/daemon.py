"""`edu-monitor run`: APScheduler jobs for polls, deliveries, digests and housekeeping; signals; health.

SIGHUP reloads the config and catalog (added sources start, removed ones stop); SIGTERM/SIGINT stop
scheduling, give in-flight work `shutdown_grace` to finish, and exit 0.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor import sdnotify
from monitor.cadence import check_cadence
from monitor.fetch import Fetcher
from monitor.healthserver import health_report, start_health_server
from monitor.housekeeping import housekeep
from monitor.metrics import Metrics
from monitor.models import utcnow
from monitor.pipeline import PollContext, poll
from monitor.settings import Settings
from monitor.startup import render_summary, run_summary

log = structlog.get_logger()
FIRST_POLL_WINDOW = timedelta(minutes=2)
CADENCE_FIRST = timedelta(minutes=5)


@dataclass
class Runtime:
    """Everything a reload replaces: settings, catalog, routes, channels."""

    settings: Settings
    sources: list[Any]
    routes: list[Any]
    channels: Any
    delivery: Any
    source_names: dict[str, str] = field(default_factory=dict)
    by_id: dict[str, Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # A poll job finds its source here: scanning a catalog of 1,000 entries cost each warm poll ~5 %.
        self.by_id = {source.id: source for source in self.sources}


def first_delay(source_id: str, every: timedelta) -> timedelta:
    """A stable spread of first polls over the first two minutes (or the interval, if shorter)."""
    window = min(every, FIRST_POLL_WINDOW).total_seconds()
    fraction = int(hashlib.sha256(source_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return timedelta(seconds=1 + fraction * max(0.0, window - 1))


class Daemon:
    def __init__(self, load: Callable[[], Runtime], engine: Any) -> None:
        self.load = load
        self.engine = engine
        self.rt = load()
        self.metrics = Metrics(engine)
        self.fetcher = Fetcher(self.rt.settings.http)
        self.validators: dict[str, Any] = {}  # list validators by URL, kept across polls and reloads
        self.retired_fetchers: list[Fetcher] = []  # replaced by a reload, closed at shutdown
        self.started_at = utcnow()
        self.in_flight = 0
        self.idle = threading.Condition()
        self.stop_requested = False
        tz = self.rt.settings.timezone
        self.scheduler = BlockingScheduler(timezone=tz, executors={
            "default": ThreadPoolExecutor(max(1, self.rt.settings.workers)),
            "io": ThreadPoolExecutor(2),
            # the watchdog ping and reload never wait behind a delivery stuck on a slow channel
            "control": ThreadPoolExecutor(1),
        })
        self.health: Any = None
        self.web: Any = None

    # -- jobs ---------------------------------------------------------------------------------
    def _tracked(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Count in-flight jobs (for the shutdown deadline) and keep any exception inside the job."""
        def run(*args: Any) -> None:
            with self.idle:
                self.in_flight += 1
            try:
                fn(*args)
            except Exception:
                log.exception("job.crashed", job=name)
            finally:
                with self.idle:
                    self.in_flight -= 1
                    self.idle.notify_all()
        return run

    def poll_context(self) -> PollContext:
        return PollContext(engine=self.engine, fetcher=self.fetcher, routes=self.rt.routes,
                           settings=self.rt.settings, metrics=self.metrics, validators=self.validators)

    def poll_job(self, source_id: str) -> None:
        source = self.rt.by_id.get(source_id)
        if source is not None:
            poll(source, self.poll_context())

    def deliver_job(self) -> None:
        from monitor.deliver import deliver_pending
        from monitor.digest import retry_due_digests

        deliver_pending(self.engine, self.rt.channels, self.rt.delivery, self.rt.source_names, echo=log.info,
                        stopping=lambda: self.stop_requested)
        retry_due_digests(self.engine, self.rt.channels, self.rt.routes, self.rt.delivery, self.rt.source_names)

    def digest_job(self, route_name: str) -> None:
        from monitor.digest import send_digest

        route = next((r for r in self.rt.routes if r.name == route_name), None)
        if route is not None:
            send_digest(self.engine, self.rt.channels, route, self.rt.delivery, self.rt.source_names, echo=log.info)

    def remind_job(self) -> None:
        from monitor.reminders import write_reminders

        write_reminders(self.engine, self.rt.routes)

    def housekeeping_job(self) -> None:
        housekeep(self.engine, self.rt.settings.retention)

    def cadence_job(self, now: datetime | None = None) -> None:
        check_cadence(self.engine, self.rt.sources, timezone=self.rt.settings.timezone,
                      operator_tag=self.rt.delivery.operator_tag, now=now)

    # -- scheduling ---------------------------------------------------------------------------
    def sync_jobs(self) -> None:
        """Make the scheduler's jobs match the runtime: one per enabled source and digest route."""
        now = datetime.now(self.scheduler.timezone)
        wanted: dict[str, tuple[Callable[..., Any], Any, str, tuple, datetime | None]] = {}
        for s in self.rt.sources:
            if s.enabled:
                every = s.every.total_seconds()
                trigger = IntervalTrigger(seconds=every, jitter=min(60, every / 10))
                wanted[f"poll:{s.id}"] = (self.poll_job, trigger, "default", (s.id,), now + first_delay(s.id, s.every))
        delivery_every = self.rt.delivery.every.total_seconds()
        wanted["deliver"] = (self.deliver_job, IntervalTrigger(seconds=delivery_every), "io", (),
                             now + timedelta(seconds=min(5, delivery_every)))
        for r in self.rt.routes:
            if r.mode == "digest":
                trigger = CronTrigger.from_crontab(r.schedule, timezone=r.timezone or self.rt.settings.timezone)
                wanted[f"digest:{r.name}"] = (self.digest_job, trigger, "io", (r.name,), None)
        wanted["housekeeping"] = (self.housekeeping_job, IntervalTrigger(hours=6), "io", (), None)
        # hourly and at start: a reminder due today is queued whenever the daemon comes up
        wanted["remind"] = (self.remind_job, IntervalTrigger(hours=1), "io", (), now + timedelta(seconds=3))
        # after the first polls of a start; hourly is plenty for a judgement counted in days
        wanted["cadence"] = (self.cadence_job, IntervalTrigger(hours=1), "io", (), now + CADENCE_FIRST)
        self._apply(wanted)

    def _apply(self, wanted: dict[str, tuple]) -> None:
        existing = {job.id: job for job in self.scheduler.get_jobs()}
        for job_id in existing.keys() - wanted.keys() - {"watchdog"}:
            self.scheduler.remove_job(job_id)
            log.info("job.removed", job=job_id)
        for job_id, (fn, trigger, executor, args, first) in wanted.items():
            if job_id in existing and str(existing[job_id].trigger) == str(trigger):
                continue
            kwargs = {"next_run_time": first} if first and job_id not in existing else {}
            self.scheduler.add_job(self._tracked(job_id, fn), trigger, args=args, id=job_id, name=job_id,
                                   executor=executor, coalesce=True, max_instances=1, misfire_grace_time=300,
                                   replace_existing=True, **kwargs)
            log.debug("job.scheduled", job=job_id, trigger=str(trigger))

    def reload(self) -> None:
        """SIGHUP: re-read config and catalog; on any error keep running on the old ones."""
        old = self.rt
        try:
            self.rt = self.load()
            self.sync_jobs()
        except (Exception, SystemExit) as exc:
            log.error("reload.failed", error=str(exc))
            self.rt = old
            self.sync_jobs()
            return
        if self.rt.settings.http != old.settings.http:
            self._replace_fetcher(self.rt.settings.http)
        log.info("reload.done", sources=len(self.rt.sources), routes=len(self.rt.routes))

    def _replace_fetcher(self, http: Any) -> None:
        """New HTTP settings for the next polls; polls in flight finish on the old fetcher, which is
        closed at shutdown. Unchanged politeness settings keep the per-host gate shared."""
        old = self.fetcher
        same_gate = (http.min_delay, http.per_host) == (old.config.min_delay, old.config.per_host)
        self.fetcher = Fetcher(http, gate=old.gate if same_gate else None)
        self.retired_fetchers.append(old)
        log.info("reload.http_settings_applied", shared_host_limits=same_gate)

    # -- lifecycle ----------------------------------------------------------------------------
    def _on_signal(self, signum: int, _frame: Any) -> None:
        if signum == signal.SIGHUP:
            self.scheduler.add_job(self.reload, id="reload", replace_existing=True, executor="control",
                                   misfire_grace_time=None)
            return
        self.stop_requested = True
        self._stop_soon(signal.Signals(signum).name)

    def _on_started(self, _event: Any) -> None:
        sdnotify.notify("READY=1")
        if self.stop_requested:  # a signal that came as the scheduler was starting found it not running yet
            self._stop_soon()

    def _stop_soon(self, signal_name: str | None = None) -> None:
        # Not from the signal handler itself: it interrupts the main thread anywhere, inside the
        # scheduler's job loop (shutting down there empties the job store under the loop's feet) or
        # inside a log call (whose lock is not re-entrant: logging from the handler would deadlock).
        threading.Thread(target=self._stop_scheduler, args=(signal_name,), name="shutdown", daemon=True).start()

    def _stop_scheduler(self, signal_name: str | None) -> None:
        if signal_name:
            log.info("shutdown.requested", signal=signal_name)
            sdnotify.notify("STOPPING=1")
        with contextlib.suppress(SchedulerNotRunningError):  # a second signal, or one before start-up
            self.scheduler.shutdown(wait=False)

    def start_health(self) -> None:
        cfg = self.rt.settings.health
        if not cfg.enabled:
            return
        check = lambda: health_report(self.engine, self.scheduler.running, self.started_at,  # noqa: E731
                                      cfg.max_poll_age)
        self.health = start_health_server(cfg.host, cfg.port, check, self.metrics)
        log.debug("health.listening", host=cfg.host, port=self.health.server_address[1])  # in the summary

    def announce(self) -> None:
        """The start summary: readable lines on a terminal, one structured event in a journal."""
        now = datetime.now(self.scheduler.timezone)
        starts = [now + first_delay(s.id, s.every) for s in self.rt.sources if s.enabled]
        port = self.health.server_address[1] if self.health is not None else None
        web = self.rt.settings.web if self.web is not None else None  # enabled, and listening
        summary = run_summary(self.rt, starts, now, port, web)
        if sys.stderr.isatty():
            print(render_summary(summary), file=sys.stderr, flush=True)
        (log.debug if sys.stderr.isatty() else log.info)("daemon.started", pid=os.getpid(), **summary)

    def start_web(self) -> None:
        """The web view beside the daemon; a port already taken costs the view, not the polling."""
        cfg = self.rt.settings.web
        if not cfg.enabled:
            return
        from monitor.web.app import build_app
        from monitor.web.server import start_in_thread

        app = build_app(self.rt.settings, lambda: self.rt.sources, lambda: self.rt.routes)
        try:
            self.web = start_in_thread(app, cfg.host, cfg.port)
        except OSError as exc:
            log.error("web.failed", host=cfg.host, port=cfg.port, error=str(exc))
            return
        log.debug("web.listening", url=f"http://{cfg.host}:{cfg.port}/")  # in the summary

    def run(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        self.sync_jobs()
        interval = sdnotify.watchdog_interval()
        if interval:
            self.scheduler.add_job(sdnotify.notify, IntervalTrigger(seconds=interval), args=("WATCHDOG=1",),
                                   id="watchdog", executor="control", coalesce=True, misfire_grace_time=None)
        self.start_health()
        self.start_web()
        self.scheduler.add_listener(self._on_started, mask=EVENT_SCHEDULER_STARTED)
        self.announce()
        if not self.stop_requested:  # a signal during start-up found no scheduler to stop
            self.scheduler.start()  # blocks until a signal shuts it down
        return self.wait_for_in_flight()

    def wait_for_in_flight(self) -> int:
        grace = self.rt.settings.shutdown_grace.total_seconds()
        deadline = time.monotonic() + grace
        with self.idle:
            while self.in_flight and time.monotonic() < deadline:
                self.idle.wait(timeout=max(0.0, deadline - time.monotonic()))
        left = self.in_flight
        if self.health is not None:
            self.health.shutdown()
        if self.web is not None:
            self.web.stop()
        log.info("daemon.stopped", unfinished_jobs=left)
        if left:  # worker threads still busy past the deadline: leave without joining them
            os._exit(0)
        for fetcher in [*self.retired_fetchers, self.fetcher]:
            fetcher.close()
        return 0
