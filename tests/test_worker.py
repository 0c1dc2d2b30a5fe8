"""Scale-out proof with real processes: three workers, one PostgreSQL, 50 fixture sources, one kill -9."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text

from monitor.catalog import Source
from monitor.daemon import Runtime
from monitor.db import make_engine
from monitor.migrate import upgrade
from monitor.settings import Settings
from monitor.worker import Worker
from support.postgres import pg_bindir
from support.sites import Notice, Site, base_url, serve
from support.smtp import mailto, smtp_server

needs_postgres = pytest.mark.skipif(pg_bindir() is None, reason="PostgreSQL server not installed")
SOURCES = 50


def poll_log(engine) -> list[tuple[str, int, int]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT source_id, polls, documents FROM sourcestate")).all()
    return [tuple(r) for r in rows]


def trouble(tmp_path: Path) -> str:
    """The workers' error lines, so a failure on a CI machine explains itself."""
    lines = []
    for log in sorted(tmp_path.glob("worker*.log")):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if any(word in line for word in ("error", "Error", "Traceback", "stalled")):
                lines.append(f"{log.name}: {line[:300]}")
    return "\n".join(lines[-30:])


def queued(conn, lock: str) -> list[tuple[str, str]]:
    return [tuple(r) for r in conn.execute(
        text("SELECT task_name, status FROM procrastinate_jobs WHERE queueing_lock = :lock ORDER BY id"),
        {"lock": lock}).all()]


@needs_postgres
def test_a_dead_workers_poll_is_dropped_and_queued_afresh(tmp_path: Path, pg_server) -> None:
    """A kill -9 mid-poll leaves a 'doing' job; by then a tick has queued the same source again.

    The next tick must clear the dead job without colliding with the waiting one, and keep ticking.
    """
    url = pg_server.create_database("stalled")
    upgrade(url)
    engine = make_engine(url)
    source = Source.model_validate({"id": "src-0", "name": "甘肃省教育厅 通知公告", "region": "甘肃",
                                    "url": "http://127.0.0.1:9/news/", "every": "20s"})
    settings = Settings(database_url=url)
    runtime = Runtime(settings=settings, sources=[source], routes=[], channels=None, delivery=None)
    worker = Worker(url, lambda: runtime, engine)
    worker.ensure_schema()
    with engine.begin() as conn:
        dead = conn.execute(text("INSERT INTO procrastinate_workers (last_heartbeat) "
                                 "VALUES (now() - interval '5 minutes') RETURNING id")).scalar_one()
        conn.execute(text("INSERT INTO procrastinate_jobs (queue_name, task_name, lock, queueing_lock, args, "
                          "status, worker_id) VALUES ('polls', 'poll_source', 'poll:src-0', 'poll:src-0', "
                          "'{\"source_id\": \"src-0\"}', 'doing', :dead)"), {"dead": dead})
        conn.execute(text("INSERT INTO procrastinate_jobs (queue_name, task_name, lock, queueing_lock, args) "
                          "VALUES ('polls', 'poll_source', 'poll:src-0', 'poll:src-0', '{\"source_id\": \"src-0\"}')"))

    async def tick_twice() -> None:
        async with worker.app.open_async():
            await worker.tick(0)
            await worker.tick(5)

    asyncio.run(tick_twice())
    with engine.connect() as conn:
        assert queued(conn, "poll:src-0") == [("poll_source", "todo")], "the dead job is gone, one poll waits"
        assert queued(conn, "deliver") == [("deliver", "todo")], "the tick went on to queue the delivery pass"


@pytest.mark.slow
@needs_postgres
def test_three_workers_share_the_work_and_survive_a_kill(tmp_path: Path, pg_server) -> None:
    url = pg_server.create_database("scaleout")
    engine = make_engine(url)
    sites = [Site(f"s{n}", f"第{n}号教育厅", [Notice(f"{n:04d}", f"关于第{n}批教育App备案结果的公告",
                                                    f"第{n}批教育App备案审核完成，{n + 3}个App通过备案。", 1)])
             for n in range(SOURCES)]
    with serve(tmp_path / "www") as server, smtp_server() as box:
        server.delay = 0.05
        base = base_url(server)
        for site in sites:
            site.write(tmp_path / "www")
        catalog = [s.catalog_entry(base, f"src-{i}", "甘肃", every="20s") for i, s in enumerate(sites)]
        (tmp_path / "sources.yml").write_text(yaml.safe_dump(catalog, allow_unicode=True), encoding="utf-8")
        config = {"database_url": url, "sources": {"builtin": False, "files": ["sources.yml"]},
                  "channels": {"ops": [mailto(box, "ops@test.local")]},
                  "routes": [{"name": "apps-now", "labels": ["app_governance"], "notify": ["ops"]}],
                  "http": {"min_delay": 0, "retries": 0}, "workers": 2,
                  # a delivery cut by the kill is picked up again after this (the ledger's recovery)
                  "delivery": {"claim_timeout": "20s"}}
        (tmp_path / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        env = {**os.environ, "EDU_MONITOR_CONFIG": str(tmp_path / "config.yml")}
        logs = [open(tmp_path / f"worker{i}.log", "wb") for i in range(3)]  # noqa: SIM115
        workers = [subprocess.Popen([sys.executable, "-m", "monitor", "worker"], cwd=tmp_path, env=env,
                                    stdout=log, stderr=subprocess.STDOUT) for log in logs]
        try:
            time.sleep(8)
            workers[0].kill()  # SIGKILL one worker mid-run
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                states = poll_log(engine)
                if len(states) == SOURCES and all(polls >= 2 for _, polls, _ in states) \
                        and len(box.to("ops@test.local")) >= SOURCES:
                    break
                time.sleep(1)
            time.sleep(3)
        finally:
            for w in workers[1:]:
                w.send_signal(signal.SIGTERM)
            for w in workers:
                w.wait(timeout=30)
            for log in logs:
                log.close()
    states = poll_log(engine)
    assert len(states) == SOURCES, "every source was polled"
    behind = [(source, polls) for source, polls, _ in states if polls < 2]
    assert not behind, f"every source kept its schedule after the kill; behind: {behind}\n{trouble(tmp_path)}"
    assert all(docs == 1 for _, _, docs in states), "each source's one document was stored once"
    subjects = [str(m["Subject"]) for m in box.to("ops@test.local")]
    with engine.connect() as conn:
        ledger = dict(conn.execute(text("SELECT status, count(*) FROM alert GROUP BY status")).all())
    assert len(subjects) == SOURCES and len(set(subjects)) == SOURCES, \
        f"every alert delivered exactly once: {len(subjects)} mails, {len(set(subjects))} distinct, ledger {ledger}\n" \
        f"{trouble(tmp_path)}"
    assert max(server.max_in_flight.values()) == 1, "no source was polled by two workers at once"


@needs_postgres
def test_workers_starting_together_migrate_an_empty_database_once(pg_server) -> None:
    """Scale-out workers start at once against one new database: each runs the migrations on
    start, and PostgreSQL's concurrent CREATE TABLE of one name fails unless they take turns."""
    url = pg_server.create_database("together")
    code = "import sys; from monitor.migrate import upgrade; upgrade(sys.argv[1])"
    procs = [subprocess.Popen([sys.executable, "-c", code, url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for _ in range(4)]
    outputs = [(proc.wait(timeout=120), proc.stdout.read().decode()) for proc in procs]
    assert all(status == 0 for status, _ in outputs), outputs
    with make_engine(url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
