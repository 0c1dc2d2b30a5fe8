"""Cadence alarms: the rhythm learnt from stored dates, and the daemon's periodic job end to end over
real polls of a loopback site with dated articles, the clock injected (no waiting for days)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner
from sqlmodel import select

from monitor.cadence import learn
from monitor.catalog import Source
from monitor.channels import Channels
from monitor.cli import cli
from monitor.daemon import Daemon, Runtime
from monitor.db import make_engine, session_scope
from monitor.fetch import Fetcher
from monitor.models import Alert, Document, SourceState
from monitor.pipeline import PollContext, poll
from monitor.settings import DeliveryConfig, HttpConfig, Settings
from support.postgres import pg_bindir
from support.sites import Notice, Site, base_url, serve

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 1, 12, tzinfo=SHANGHAI)


def days_ago(*ages: int) -> list[datetime]:
    return [NOW - timedelta(days=a) for a in ages]


def test_a_regular_source_is_quiet_only_well_past_its_usual_gap() -> None:
    weekly = days_ago(*range(10, 80, 7))  # every 7 days, latest 10 days ago
    assert learn(weekly, NOW).usual_gap_days == 7 and learn(weekly, NOW).quiet_after_days == 14
    assert not learn(weekly, NOW).quiet
    assert learn(weekly, NOW + timedelta(days=5)).quiet and learn(weekly, NOW + timedelta(days=5)).quiet_days == 15


def test_a_monthly_report_one_week_late_is_no_alarm_but_a_missed_month_is() -> None:
    monthly = days_ago(*range(0, 30 * 8, 30))
    assert learn(monthly, NOW).usual_gap_days == 30
    assert not learn(monthly, NOW + timedelta(days=37)).quiet
    assert learn(monthly, NOW + timedelta(days=61)).quiet


def test_a_busy_source_is_judged_by_publishing_days_and_spared_a_holiday() -> None:
    busy = [d for age in range(3, 60) if age % 7 not in (0, 6) for d in days_ago(age, age)]  # twice a weekday
    cadence = learn(busy, NOW + timedelta(days=9))  # a week-long holiday and its weekends
    assert cadence.usual_gap_days == 1 and cadence.quiet_after_days == 14 and not cadence.quiet
    assert learn(busy, NOW + timedelta(days=15)).quiet


def test_a_bursty_source_is_judged_by_its_long_gaps() -> None:
    bursty = days_ago(5, 6, 7, 40, 41, 42, 80, 81, 120)  # short bursts, a month or more apart
    cadence = learn(bursty, NOW + timedelta(days=30))
    assert cadence.usual_gap_days == 1 and not cadence.quiet and cadence.quiet_after_days >= 60


def test_too_little_history_judges_nothing() -> None:
    assert learn(days_ago(100, 200, 300), NOW).quiet_after_days is None  # three dates
    same_days = days_ago(100, 100, 100, 107, 107, 114, 114)  # seven documents, three days: two gaps
    cadence = learn(same_days, NOW)
    assert cadence.quiet_days == 100 and cadence.usual_gap_days is None and not cadence.quiet
    assert learn([], NOW).last_day is None and not learn([], NOW).quiet


def test_a_date_in_the_future_is_not_the_latest_entry() -> None:
    dates = [*days_ago(*range(50, 100, 9)), NOW + timedelta(days=3000)]
    assert learn(dates, NOW).quiet_days == 50 and learn(dates, NOW).quiet


BODY = "各市教育局：\n请做好教育系统网络安全工作，按时报送自查报告。"


def notices(prefix: str, ages: list[int]) -> list[Notice]:
    return [Notice(f"{prefix}{age:03d}", f"关于第{age}期教育网络安全工作的通知", f"{BODY}\n第{prefix}-{age}期。", age_days=age)
            for age in ages]


@pytest.fixture
def world(database_url: str, tmp_path: Path):
    """Three fixture columns served on 127.0.0.1, their catalog file, and a daemon (not started) over them."""
    sites = {"regular": Site("regular", "甲省教育厅", notices("1", [41 + 9 * i for i in range(6)])),
             "thin": Site("thin", "乙省教育厅", notices("2", [60, 70, 80])),
             "gone": Site("gone", "丙省教育厅", notices("3", [50 + 9 * i for i in range(6)]))}
    settings = Settings(database_url=database_url, http=HttpConfig(min_delay=0, retries=0, read_timeout=2))
    engine = make_engine(database_url)
    with serve(tmp_path / "www") as server:
        for site in sites.values():
            site.write(tmp_path / "www")
        entries = [site.catalog_entry(base_url(server), name, "甘肃") for name, site in sites.items()]
        (tmp_path / "sources.yml").write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
        sources = [Source.model_validate(entry) for entry in entries]
        runtime = Runtime(settings=settings, sources=sources, routes=[], channels=Channels({}),
                          delivery=DeliveryConfig(operator_tag="ops"))
        ctx = PollContext(engine=engine, fetcher=Fetcher(settings.http), routes=[], settings=settings)
        yield sites, sources, Daemon(lambda: runtime, engine), ctx, tmp_path / "www"


def cadence_notices(engine) -> list[Alert]:
    with session_scope(engine) as session:
        rows = session.exec(select(Alert).where(Alert.route == "source-cadence").order_by(Alert.id)).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def test_a_quiet_source_raises_one_notice_and_one_when_it_publishes_again(world) -> None:
    sites, sources, daemon, ctx, root = world
    for source in sources:
        assert poll(source, ctx).new_documents == len(sites[source.id].notices)
    (root / "gone" / "index.html").unlink()  # the third column's list is gone: its polls now fail
    assert not poll(sources[2], ctx).outcome.ok
    today = datetime.combine(date.today(), time(12), tzinfo=SHANGHAI)

    daemon.cadence_job(now=today)
    daemon.cadence_job(now=today + timedelta(hours=1))
    quiet = cadence_notices(ctx.engine)
    assert [(a.source_id, a.mode, a.channel_tag, a.status) for a in quiet] == [("regular", "operator", "ops", "pending")]
    assert "没有新内容" in quiet[0].title and "已41天未发布，通常约每9天一篇" in quiet[0].title
    assert "no new entry for 41 days" in quiet[0].body and "usually publishes every 9 days" in quiet[0].body

    sites["regular"].notices.append(Notice("1999", "关于做好寒假期间校园网络安全值守的通知", BODY, age_days=0))
    sites["regular"].write(root)
    assert poll(sources[0], ctx).new_documents == 1
    daemon.cadence_job(now=today + timedelta(hours=2))
    daemon.cadence_job(now=today + timedelta(hours=3))
    alerts = cadence_notices(ctx.engine)
    assert len(alerts) == 2 and "又有新内容" in alerts[1].title and f"dated {date.today()}" in alerts[1].body

    daemon.cadence_job(now=today + timedelta(days=40))  # quiet again: a new silence, told once more
    assert len(cadence_notices(ctx.engine)) == 3 and "已40天未发布" in cadence_notices(ctx.engine)[2].title


def test_the_daemon_schedules_the_cadence_check(world) -> None:
    _sites, _sources, daemon, _ctx, _root = world
    daemon.sync_jobs()
    job = daemon.scheduler.get_job("cadence")
    assert job is not None and "1:00:00" in str(job.trigger)
    assert job.next_run_time is not None and job.next_run_time > datetime.now(UTC) + timedelta(minutes=4)


def test_sources_list_shows_each_rhythm(world, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _sites, sources, _daemon, ctx, _root = world
    for source in sources[:2]:
        poll(source, ctx)
    config = {"database_url": ctx.settings.database_url, "sources": {"builtin": False, "files": ["sources.yml"]}}
    (tmp_path / "config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    monkeypatch.setenv("EDU_MONITOR_CONFIG", str(tmp_path / "config.yml"))

    listed = CliRunner().invoke(cli, ["sources", "list", "--json"], catch_exceptions=False)
    rows = {row["id"]: row for row in map(json.loads, listed.stdout.splitlines())}
    regular, thin, gone = rows["regular"]["cadence"], rows["thin"]["cadence"], rows["gone"]["cadence"]
    assert regular["quiet"] and regular["usual_gap_days"] == 9 and regular["quiet_days"] >= 41
    assert regular["quiet_after_days"] == 18 and rows["regular"]["status"] == "ok"
    assert thin["usual_gap_days"] is None and not thin["quiet"] and thin["quiet_days"] >= 60
    assert gone == {"usual_gap_days": None, "quiet_days": None, "quiet_after_days": None, "quiet": False,
                    "last_entry": None}
    readable = CliRunner().invoke(cli, ["sources", "list"], catch_exceptions=False).stdout.splitlines()
    assert "QUIET 4" in next(line for line in readable if line.startswith("regular "))
    assert "usually every 9d" in next(line for line in readable if line.startswith("regular "))
    assert "QUIET" not in next(line for line in readable if line.startswith("thin "))


@pytest.mark.skipif(pg_bindir() is None, reason="PostgreSQL server not installed")
def test_scale_out_workers_check_the_cadence_hourly(pg_server) -> None:
    from monitor.migrate import upgrade
    from monitor.worker import HOURLY_CRON, Worker

    url = pg_server.create_database("t_cadence_worker")
    upgrade(url)
    engine = make_engine(url)
    now = datetime.combine(date.today(), time(12), tzinfo=SHANGHAI)
    source = Source.model_validate({"id": "regular", "name": "甲省教育厅", "region": "甘肃", "preset": "trs",
                                    "url": "http://127.0.0.1:9/regular/"})
    with session_scope(engine) as session:
        session.add(SourceState(source_id="regular", status="ok", polls=6, last_success_at=now))
        for n, age in enumerate(41 + 9 * i for i in range(6)):
            session.add(Document(source_id="regular", url=f"http://127.0.0.1:9/regular/{n}.html", title=f"通知{n}",
                                 published_at=now - timedelta(days=age), fetched_at=now - timedelta(days=age),
                                 text=f"第{n}期", content_hash=f"h{n}"))
    settings = Settings(database_url=url)
    worker = Worker(url, lambda: Runtime(settings=settings, sources=[source], routes=[], channels=Channels({}),
                                         delivery=DeliveryConfig(operator_tag="ops")), engine)
    assert "cadence" in worker.app.tasks and HOURLY_CRON == "0 * * * *"
    worker.cadence(int(now.timestamp()))
    worker.cadence(int((now + timedelta(hours=1)).timestamp()))  # another worker, an hour later: no repeat
    (notice,) = cadence_notices(engine)
    assert notice.source_id == "regular" and "已41天未发布，通常约每9天一篇" in notice.title
