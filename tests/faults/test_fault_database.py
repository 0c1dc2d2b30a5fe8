"""The database fails under a running daemon: another process holds SQLite's write lock for longer
than the daemon's busy timeout; PostgreSQL goes down in the middle of a poll and in the middle of a
delivery (a restart that takes a few seconds). Nothing may be lost, nothing sent twice, and the
daemon must carry on by itself once the database is back."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import select

from monitor.db import make_engine, session_scope
from monitor.models import Alert, Document, SourceState
from support import pgfaults
from support.badsite import Answer, html
from support.daemonproc import DaemonProcess, http_status, wait_for
from support.faultsites import app_article, article_html, catalog_entry, listing_html, quiet_scripted
from support.hooks import Reply, hook_server
from support.postgres import pg_bindir, start_postgres
from support.smtp import mailto, smtp_server

GROUP = "database"
EVERY = 2.0
BUSY_TIMEOUT = 30.0  # monitor.db's SQLite busy timeout
HOLD = BUSY_TIMEOUT + 4  # the lock outlasts it: the first writes fail, the later ones wait and succeed
LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
conn.execute("BEGIN IMMEDIATE")  # the write lock (WAL readers still read)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def config(database_url: str, channels: dict[str, list[str]], **extra: Any) -> dict[str, Any]:
    return {"database_url": database_url, "timezone": "UTC",
            "sources": {"builtin": False, "files": ["sources.yml"]}, "channels": channels,
            "routes": [{"name": "apps-now", "labels": ["app_governance"], "notify": ["ops"], "mode": "instant"}],
            "http": {"min_delay": 0, "retries": 0, "connect_timeout": 1, "read_timeout": 3},
            "delivery": {"every": "1s", "operator_tag": "admins", "backoff": "1s", "failures_before_alert": 2,
                         **extra.pop("delivery", {})},
            "shutdown_grace": "5s", **extra}


def write_catalog(folder: Path, base: str, column: str) -> None:
    entry = catalog_entry("db-site", "数据库故障站点", f"{base}/{column}/", every=f"{EVERY:g}s")
    (folder / "sources.yml").write_text(yaml.safe_dump([entry], allow_unicode=True), encoding="utf-8")


def logged(daemon: DaemonProcess, event: str, words: str) -> list[dict[str, Any]]:
    return [e for e in daemon.events(event) if words in json.dumps(e, ensure_ascii=False)]


def test_sqlite_write_lock_held_by_another_process(tmp_path: Path, faults) -> None:
    db = tmp_path / "locked.db"
    first, second = app_article("lk", "l1", 1), app_article("lk", "l2", 2)
    with ExitStack() as stack:
        site = stack.enter_context(quiet_scripted({"/lk/": html(listing_html([first])),
                                                   first.path: html(article_html(first)),
                                                   second.path: html(article_html(second))}))
        box = stack.enter_context(smtp_server())
        write_catalog(tmp_path, site.base, "lk")
        daemon = DaemonProcess(tmp_path, config(f"sqlite:///{db}", {"ops": [mailto(box, "ops@test.local")],
                                                                    "admins": [mailto(box, "admins@test.local")]}))
        stack.callback(daemon.cleanup)
        daemon.start()
        wait_for(lambda: box.to("ops@test.local"), timeout=20, what="the first alert")

        locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(db), str(HOLD)], stdout=subprocess.PIPE, text=True)
        stack.callback(lambda: locker.poll() is None and locker.kill())
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        site.routes["/lk/"] = [html(listing_html([first, second]))]  # news, while nothing can be written
        health = []
        while locker.poll() is None:
            daemon.assert_alive()
            health.append(http_status(daemon.health_url))
            time.sleep(2)
        released = time.monotonic()
        engine = make_engine(f"sqlite:///{db}")

        def stored_and_sent() -> bool:
            daemon.assert_alive()
            with session_scope(engine) as session:
                urls = session.exec(select(Document.url)).all()
                pending = session.exec(select(Alert).where(Alert.status != "sent")).all()
            return any(u.endswith(second.path) for u in urls) and not pending and len(box.to("ops@test.local")) >= 2
        wait_for(stored_and_sent, timeout=40, what="the article that arrived during the lock")
        time.sleep(2 * EVERY)
        polls_after = [r.at for r in site.hits("/lk/") if r.at > released]
        stop_code = daemon.stop()
        faults.daemon(GROUP, daemon)

    with faults.scenario(GROUP, "sqlite write lock held 34s by another process") as s:
        subjects = Counter(str(m["Subject"]) for m in box.to("ops@test.local"))
        s.duplicates += sum(n - 1 for n in subjects.values())
        assert len(subjects) == 2 and all(n == 1 for n in subjects.values()), f"alerts: {subjects}"
        with session_scope(engine) as session:
            urls = list(session.exec(select(Document.url)).all())
            state = session.get(SourceState, "db-site")
        s.lost += 2 - len(set(urls))
        assert sorted(urls) == sorted({*urls}) and len(urls) == 2, f"documents: {urls}"
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert state is not None and state.status == "ok"
        locked = (logged(daemon, "poll.crashed", "database is locked") + logged(daemon, "job.crashed", "database is locked")
                  + logged(daemon, "poll.state_not_recorded", "database is locked"))
        assert locked, "no log line says the database is locked"
        assert all(code in (200, 503) for code in health), f"health endpoint during the lock: {health}"
        gaps = [b - a for a, b in itertools.pairwise(polls_after)]
        assert len(polls_after) >= 2 and max(gaps) <= EVERY + 1.5, f"polls after the lock: gaps {gaps}"
        assert stop_code == 0
        events = Counter(e["event"] for e in locked)
        s.outcome = (f"writes failed after the {BUSY_TIMEOUT:g}s busy timeout ({dict(events)}), daemon and health "
                     f"endpoint up; after release the new article was stored and alerted once, schedule resumed "
                     f"({len(polls_after)} polls), integrity ok")
    faults.settle(GROUP)


@pytest.fixture
def postgres() -> Any:
    if pg_bindir() is None:
        pytest.skip("PostgreSQL server binaries are not installed")
    base = Path(tempfile.mkdtemp(prefix="edu-monitor-pg-faults-"))  # outside pytest's root-only tmp dirs
    server = start_postgres(base)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_postgresql_restarted_mid_poll_and_mid_delivery(tmp_path: Path, postgres: Any, faults) -> None:
    url = postgres.create_database("faults")
    articles = [app_article("pg", f"p{n}", n) for n in range(1, 7)]
    late = [app_article("pg", f"q{n}", n + 10) for n in range(1, 3)]
    claim_timeout = 10.0
    with ExitStack() as stack:
        routes: dict[str, Answer | list[Answer]] = {"/pg/": html(listing_html(articles))}
        for article in [*articles, *late]:  # slow article pages: a poll takes seconds
            routes[article.path] = Answer(200, article_html(article).encode(),
                                          {"Content-Type": "text/html; charset=utf-8"}, delay=0.5)
        site = stack.enter_context(quiet_scripted(routes))
        hooks = stack.enter_context(hook_server({"/ops": Reply(200, b"{}", delay=1.5), "/admins": Reply(200, b"{}")}))
        write_catalog(tmp_path, site.base, "pg")
        daemon = DaemonProcess(tmp_path, config(url, {"ops": [f"json://{hooks.address}/ops"],
                                                      "admins": [f"json://{hooks.address}/admins"]},
                                                delivery={"claim_timeout": f"{claim_timeout:g}s"}))
        stack.callback(daemon.cleanup)
        engine = make_engine(url)

        def documents() -> list[str]:
            try:
                with session_scope(engine) as session:
                    return list(session.exec(select(Document.title)).all())
            except Exception:  # the server is down this instant
                return []

        daemon.start()
        # 1. Down for two seconds while the first poll is fetching articles.
        wait_for(lambda: sum(len(site.hits(a.path)) for a in articles) >= 2, timeout=20, what="the poll to be under way")
        pgfaults.outage(postgres, 2.0)
        wait_for(lambda: len(documents()) == len(articles), timeout=40, what="every article stored after the outage")
        # 2. Down for three seconds while a message is on its way to the channel (answered meanwhile).
        site.routes["/pg/"] = [html(listing_html([*articles, *late]))]
        wait_for(lambda: len(documents()) == len(articles) + len(late), timeout=30, what="the later articles")
        wait_for(lambda: hooks.pending > 0, timeout=20, what="a message in flight to the channel")
        options = pgfaults.stop(postgres)
        down_at = time.monotonic()
        health_while_down = daemon.health()
        time.sleep(max(0.0, 3.0 - (time.monotonic() - down_at)))
        pgfaults.start(postgres, options)

        def all_sent() -> bool:
            daemon.assert_alive()
            try:
                with session_scope(engine) as session:
                    rows = session.exec(select(Alert).where(Alert.mode == "instant")).all()
            except Exception:
                return False
            return len(rows) == len(articles) + len(late) and all(a.status == "sent" for a in rows)
        wait_for(all_sent, timeout=60, what="every alert sent")
        time.sleep(claim_timeout + 3)  # a send whose mark was lost would be repeated by now
        daemon.assert_alive()
        stop_code = daemon.stop()
        faults.daemon(GROUP, daemon)

    titles = sorted(documents())
    accepted = Counter(r.json()["title"] for r in hooks.to("/ops") if r.answered_at is not None)

    def per_document() -> dict[str, int]:
        return {t: sum(n for title, n in accepted.items() if t in title) for t in titles}

    with faults.scenario(GROUP, "postgresql down 2s mid-poll") as s:
        assert len(titles) == len(set(titles)) == len(articles) + len(late), f"documents: {titles}"
        crashed = logged(daemon, "poll.crashed", "OperationalError") + logged(daemon, "job.crashed", "OperationalError")
        assert crashed or logged(daemon, "poll.state_not_recorded", "OperationalError"), "no log line names the outage"
        s.outcome = (f"{len(crashed)} poll/job failures logged (OperationalError); the next polls stored all "
                     f"{len(articles)} articles once")

    with faults.scenario(GROUP, "postgresql down 3s mid-delivery") as s:
        counts = per_document()
        s.duplicates += sum(max(0, n - 1) for n in counts.values())
        s.lost += sum(n == 0 for n in counts.values())
        assert all(n == 1 for n in counts.values()), f"messages per document: {counts}"
        assert stop_code == 0
        status, report = health_while_down
        assert status == 503 and report.get("database", "").startswith("unreachable"), f"/healthz: {health_while_down}"
        retried = daemon.events("deliver.mark_retry")
        s.outcome = (f"/healthz 503 ({report['database']}) while down; the in-flight message's mark waited "
                     f"for the database ({len(retried)} deliver.mark_retry lines); "
                     f"{len(titles)} messages, each accepted once, none repeated after claim_timeout")
    faults.settle(GROUP)
