"""`edu-monitor worker`: several processes share one PostgreSQL; procrastinate hands out the work.

A periodic tick (deferred once per tick across all workers) queues every source that is due, the
delivery pass and due digests; hourly periodic tasks queue the deadline reminders and check each
source's publishing cadence. A queueing
lock per source means a source is never waiting in the queue twice; a lock per source means it
never runs on two workers at once. Jobs of a worker that died (no heartbeat) are dropped by the
next tick, which queues the same work afresh because the source is still due. Alerts stay
exactly-once through the same ledger as the single-machine daemon.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Any

import procrastinate
import structlog
from apscheduler.triggers.cron import CronTrigger
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Status
from sqlalchemy.engine import make_url
from sqlmodel import select

from monitor.db import session_scope
from monitor.models import SourceState, utcnow

log = structlog.get_logger()
TICK_CRON = "* * * * * */5"  # every five seconds (procrastinate reads a sixth field as seconds)
HOURLY_CRON = "0 * * * *"  # deadline reminders and cadence checks: hourly, like the daemon's jobs
STALLED_AFTER = 30.0  # seconds without a heartbeat before a worker's jobs are put back


def conninfo(database_url: str) -> str:
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError("edu-monitor worker needs PostgreSQL (database_url: postgresql+psycopg://…)")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def due_sources(engine: Any, sources: list[Any], now: dt.datetime) -> list[str]:
    """Enabled sources never polled, or polled longer ago than their interval."""
    with session_scope(engine) as session:
        last = dict(session.exec(select(SourceState.source_id, SourceState.last_poll_at)).all())
    return [s.id for s in sources if s.enabled and (last.get(s.id) is None or now - last[s.id] >= s.every)]


def due_digests(engine: Any, routes: list[Any], timezone: str, now: dt.datetime) -> list[str]:
    """Digest routes whose cron fired since their last digest (or within the last minute, the first time)."""
    from monitor.digest import last_digest_at

    due = []
    for route in (r for r in routes if r.mode == "digest"):
        since = last_digest_at(engine, route.name) or now - dt.timedelta(minutes=1)
        trigger = CronTrigger.from_crontab(route.schedule, timezone=route.timezone or timezone)
        fire = trigger.get_next_fire_time(None, since + dt.timedelta(seconds=1))
        if fire is not None and fire <= now:
            due.append(route.name)
    return due


class Worker:
    """The procrastinate app and its tasks, bound to one runtime (config, catalog, routes, channels)."""

    def __init__(self, database_url: str, load: Callable[[], Any], engine: Any) -> None:
        self.load, self.engine = load, engine
        self.rt = load()
        self.app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(database_url)))
        self._fetcher: Any = None
        self.validators: dict[str, Any] = {}  # list validators by URL, kept across this worker's polls
        self._register()

    @property
    def fetcher(self) -> Any:
        if self._fetcher is None:
            from monitor.fetch import Fetcher

            self._fetcher = Fetcher(self.rt.settings.http)
        return self._fetcher

    def _register(self) -> None:
        app = self.app
        app.task(name="poll_source", queue="polls")(self.poll_source)
        app.task(name="deliver", queue="deliveries")(self.deliver)
        app.task(name="digest", queue="deliveries")(self.digest)
        app.periodic(cron=TICK_CRON, periodic_id="tick")(app.task(name="tick", queue="ticks")(self.tick))
        app.periodic(cron=HOURLY_CRON, periodic_id="remind")(app.task(name="remind", queue="ticks")(self.remind))
        app.periodic(cron=HOURLY_CRON, periodic_id="cadence")(app.task(name="cadence", queue="ticks")(self.cadence))

    def poll_source(self, source_id: str) -> None:
        from monitor.pipeline import PollContext, poll

        source = next((s for s in self.rt.sources if s.id == source_id), None)
        if source is not None:
            poll(source, PollContext(engine=self.engine, fetcher=self.fetcher, routes=self.rt.routes,
                                     settings=self.rt.settings, validators=self.validators))

    def deliver(self) -> None:
        from monitor.deliver import deliver_pending
        from monitor.digest import retry_due_digests

        deliver_pending(self.engine, self.rt.channels, self.rt.delivery, self.rt.source_names, echo=log.info)
        retry_due_digests(self.engine, self.rt.channels, self.rt.routes, self.rt.delivery, self.rt.source_names)

    def digest(self, route: str) -> None:
        from monitor.digest import send_digest

        chosen = next((r for r in self.rt.routes if r.name == route), None)
        if chosen is not None:
            send_digest(self.engine, self.rt.channels, chosen, self.rt.delivery, self.rt.source_names, echo=log.info)

    def remind(self, timestamp: int) -> None:
        """Queue the deadline reminders due at `timestamp` (once per hour across all workers)."""
        from monitor.reminders import write_reminders

        write_reminders(self.engine, self.rt.routes, dt.datetime.fromtimestamp(timestamp, dt.UTC))

    def cadence(self, timestamp: int) -> None:
        """Tell the operator once when a source goes quiet past its rhythm (once per hour across all workers)."""
        from monitor.cadence import check_cadence

        check_cadence(self.engine, self.rt.sources, timezone=self.rt.settings.timezone,
                      operator_tag=self.rt.delivery.operator_tag, now=dt.datetime.fromtimestamp(timestamp, dt.UTC))

    async def tick(self, timestamp: int) -> None:
        """Drop stalled jobs, then queue what is due. Runs on one worker per tick."""
        await self._drop_stalled()
        now = utcnow()
        sources = await asyncio.to_thread(due_sources, self.engine, self.rt.sources, now)
        for source_id in sources:
            await self._defer("poll_source", f"poll:{source_id}", source_id=source_id)
        await self._defer("deliver", "deliver")
        routes = await asyncio.to_thread(due_digests, self.engine, self.rt.routes, self.rt.settings.timezone, now)
        for route in routes:
            await self._defer("digest", f"digest:{route}", route=route)

    async def _drop_stalled(self) -> None:
        """End the jobs of workers that stopped sending heartbeats.

        Retrying such a job would collide with the fresh job a tick has meanwhile queued for the same
        source (a queueing lock admits one waiting job), and it is not needed: the dead worker never
        recorded the poll, so the source stays due and `due_sources` queues it again.
        """
        manager = self.app.job_manager
        for job in await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER):
            try:
                await manager.finish_job(job, status=Status.FAILED, delete_job=True)
            except Exception as exc:  # another tick ended it first; the rest still get their turn
                log.warning("worker.stalled_job_drop_failed", job=job.id, task=job.task_name, error=str(exc))
            else:
                log.warning("worker.stalled_job_dropped", job=job.id, task=job.task_name, lock=job.lock)

    async def _defer(self, task: str, lock: str, **kwargs: Any) -> None:
        with contextlib.suppress(AlreadyEnqueued):  # one is waiting already: the queueing lock at work
            await self.app.tasks[task].configure(lock=lock, queueing_lock=lock).defer_async(**kwargs)

    def ensure_schema(self) -> None:
        """Create procrastinate's tables once; an advisory lock keeps racing workers from doing it twice."""
        import psycopg

        with psycopg.connect(conninfo(str(self.engine.url.render_as_string(hide_password=False))),
                             autocommit=False) as conn:
            conn.execute("SELECT pg_advisory_xact_lock(727272)")
            exists = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()[0]
            if exists is None:
                conn.execute(self.app.schema_manager.get_schema())  # type: ignore[arg-type]
            conn.commit()

    def run(self, concurrency: int) -> None:
        self.ensure_schema()
        log.info("worker.started", concurrency=concurrency, sources=sum(s.enabled for s in self.rt.sources))
        self.app.run_worker(concurrency=concurrency, install_signal_handlers=True, update_heartbeat_interval=5.0,
                            stalled_worker_timeout=STALLED_AFTER, delete_jobs="successful")
