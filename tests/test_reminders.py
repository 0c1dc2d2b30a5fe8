"""Deadline reminders on the Chinese working-day calendar, through the alert ledger, with a fixed clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from monitor.channels import Channels
from monitor.daemon import Runtime
from monitor.db import make_engine, session_scope
from monitor.deliver import deliver_pending
from monitor.digest import send_digest
from monitor.models import Alert, Document
from monitor.reminders import write_reminders
from monitor.settings import DeliveryConfig, RouteConfig, Settings
from monitor.store import save_document
from support.items import Parsed
from support.postgres import pg_bindir
from support.recorder import Recorder, recording_server
from support.smtp import mailto, parts, smtp_server

REMIND = RouteConfig(name="due-soon", labels=["app_governance"], notify=["ops"], remind_before=3)
NAMES = {"gansu-tzgg": "甘肃省教育厅 通知公告"}
SENTENCE = "请各市州于2025年10月9日前将排查情况报送省教育厅。"
STORED = datetime(2025, 9, 20, 2, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str):
    return make_engine(database_url)


def beijing(day: date, hour: int = 9) -> datetime:
    """`hour` o'clock in Beijing on `day`, as UTC."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)


def store_notice(engine, url: str, deadlines: list[tuple[str, str]], *, title: str = "关于开展教育App排查的通知",
                 labels: tuple[str, ...] = ("app_governance",), attachment: str = "", doc_number: str | None = "甘教电〔2025〕9号",
                 stored: datetime = STORED) -> int:
    text = "省教育厅部署教育App备案和排查工作。" + "".join(sentence for _, sentence in deadlines)
    doc = Document(source_id="gansu-tzgg", url=url, title=title, text=text, published_at=stored - timedelta(days=1),
                   content_hash="", doc_number=doc_number, deadlines=[{"date": d, "text": s} for d, s in deadlines],
                   attachments=[{"name": "名单.xlsx", "url": url + ".xlsx"}] if attachment else [])
    item = Parsed(1, title, text, labels=list(labels))
    with session_scope(engine) as session:
        result = save_document(session, doc, [item], [], timedelta(days=7), now=stored,
                               attachment_texts=[attachment] if attachment else ())
    return result.document_id


def reminder_rows(engine) -> list[Alert]:
    with session_scope(engine) as session:
        rows = session.exec(select(Alert).where(Alert.mode == "reminder").order_by(Alert.id)).all()
        session.expunge_all()
    return list(rows)


def config() -> DeliveryConfig:
    return DeliveryConfig(backoff=timedelta(seconds=10), max_attempts=5)


def test_a_deadline_after_national_day_is_reminded_on_the_make_up_sunday_and_only_then(engine) -> None:
    """2025: 1–8 October off, Sunday 28 September a working day. Three working days before Thursday
    9 October are 30, 29 and 28 September: the reminder is written on the Sunday, not on Friday 26th,
    not on the Saturday, and never again."""
    store_notice(engine, "http://a/1.html", [("2025-10-09", SENTENCE)])
    written = {}
    for offset in range(16):  # 24 September … 9 October, one job run a day
        day = date(2025, 9, 24) + timedelta(days=offset)
        written[day] = write_reminders(engine, [REMIND], now=beijing(day))
    assert {day for day, n in written.items() if n} == {date(2025, 9, 28)}
    (row,) = reminder_rows(engine)
    assert row.key == f"remind:{row.document_id}:2025-10-09:due-soon:ops" and row.item_id is not None


def test_spring_festival_2026_reminds_on_the_make_up_saturday(engine) -> None:
    """2026: 15–23 February off, Saturday 14 February worked. Two working days before Wednesday 25th
    are the 24th and that Saturday; Monday 23rd (a naive weekday count) is a holiday."""
    store_notice(engine, "http://a/1.html", [("2026-02-25", "请于2月25日前提交。")])
    route = REMIND.model_copy(update={"remind_before": 2})
    assert write_reminders(engine, [route], now=beijing(date(2026, 2, 13))) == 0
    assert write_reminders(engine, [route], now=beijing(date(2026, 2, 14))) == 1


def test_past_the_calendars_last_year_working_days_are_monday_to_friday(engine) -> None:
    store_notice(engine, "http://a/1.html", [("2027-03-10", "请于2027年3月10日前报送。")])  # a Wednesday
    route = REMIND.model_copy(update={"remind_before": 2})
    assert write_reminders(engine, [route], now=beijing(date(2027, 3, 5))) == 0  # Friday
    assert write_reminders(engine, [route], now=beijing(date(2027, 3, 7))) == 0  # Sunday
    assert write_reminders(engine, [route], now=beijing(date(2027, 3, 8))) == 1  # Monday


def test_one_reminder_across_two_job_runs_and_a_restart_to_a_real_smtp_server(engine, database_url: str) -> None:
    store_notice(engine, "http://a/1.html", [("2025-10-09", SENTENCE), ("2025-10-09", "材料请发送至指定邮箱。")])
    morning = beijing(date(2025, 9, 28))
    assert write_reminders(engine, [REMIND], now=morning) == 1  # two sentences, one deadline day
    assert write_reminders(engine, [REMIND], now=morning + timedelta(hours=1)) == 0
    restarted = make_engine(database_url)
    assert write_reminders(restarted, [REMIND], now=morning + timedelta(hours=2)) == 0
    with smtp_server() as box:
        channels = Channels({"ops": [mailto(box, "ops@test.local")]})
        sent = deliver_pending(restarted, channels, config(), NAMES, now=morning)
        again = deliver_pending(restarted, channels, config(), NAMES, now=morning + timedelta(days=1))
    assert (sent.sent, again.claimed) == (1, 0)
    (mail,) = box.to("ops@test.local")
    text = parts(mail)["text/plain"]
    assert "截止提醒" in mail["Subject"] and "关于开展教育App排查的通知" in mail["Subject"]
    assert "甘教电〔2025〕9号" in text and "2025-10-09（周四）" in text
    assert SENTENCE in text and "材料请发送至指定邮箱。" in text and "http://a/1.html" in text
    assert [r.status for r in reminder_rows(engine)] == ["sent"]


def test_a_reminder_written_before_eight_waits_for_the_working_day(engine) -> None:
    store_notice(engine, "http://a/1.html", [("2025-10-09", SENTENCE)])
    assert write_reminders(engine, [REMIND], now=beijing(date(2025, 9, 28), hour=2)) == 1
    printed: list[str] = []
    early = deliver_pending(engine, Channels({}), config(), NAMES, now=beijing(date(2025, 9, 28), hour=7),
                            echo=printed.append)
    on_time = deliver_pending(engine, Channels({}), config(), NAMES, now=beijing(date(2025, 9, 28), hour=8),
                              echo=printed.append)
    assert (early.claimed, on_time.sent) == (0, 1) and SENTENCE in printed[0]


def test_a_missed_day_reminds_late_once_and_never_after_the_deadline(engine) -> None:
    store_notice(engine, "http://a/1.html", [("2025-10-09", SENTENCE)])
    store_notice(engine, "http://a/2.html", [("2025-10-08", "请于10月8日前报送。")], title="另一份通知")
    # the job did not run from 28 September on; it comes back on the 9th
    assert write_reminders(engine, [REMIND], now=beijing(date(2025, 10, 9))) == 1  # the 8th has passed
    assert write_reminders(engine, [REMIND], now=beijing(date(2025, 10, 10))) == 0
    with recording_server(Recorder(statuses=[500])) as hook:  # the channel refuses all day
        channels = Channels({"ops": [f"json://{hook.base}/hook"]})
        refused = deliver_pending(engine, channels, config(), NAMES, now=beijing(date(2025, 10, 9), hour=9))
        next_day = deliver_pending(engine, channels, config(), NAMES, now=beijing(date(2025, 10, 10), hour=0))
    assert (refused.retried, next_day.claimed) == (1, 0)
    assert len(hook.requests) == 1, "never sent once the deadline has passed"
    (row,) = reminder_rows(engine)
    assert row.status == "expired" and "deadline passed" in (row.last_error or "")


def test_routes_select_the_notices_they_would_alert_on_attachments_included_but_not_copies(engine) -> None:
    store_notice(engine, "http://a/1.html", [("2025-10-09", SENTENCE)])
    store_notice(engine, "http://a/2.html", [("2025-10-09", "请于10月9日前上报名单。")], title="关于公布试点学校名单的通知",
                 labels=(), attachment="序号\t学校\n1\t河东省青松实验中学", doc_number=None)
    copy = Document(source_id="gansu-tzgg", url="http://b/1.html", title="转发", content_hash="",
                    text="省教育厅部署教育App备案和排查工作。" + SENTENCE, deadlines=[{"date": "2025-10-09", "text": SENTENCE}])
    with session_scope(engine) as session:
        assert save_document(session, copy, [], [], timedelta(days=7), now=STORED).duplicate_of is not None
    school = RouteConfig(name="my-school", keywords=["河东省青松实验中学"], notify=["school"], remind_before=3)
    silent = RouteConfig(name="incidents", labels=["security_incident"], notify=["ops"], remind_before=3)
    instant_only = RouteConfig(name="apps", labels=["app_governance"], notify=["ops"])
    assert write_reminders(engine, [REMIND, school, silent, instant_only], now=beijing(date(2025, 9, 29))) == 2
    by_route = {r.route: r for r in reminder_rows(engine)}
    assert set(by_route) == {"due-soon", "my-school"}
    assert by_route["my-school"].attachment_match == {"name": "名单.xlsx", "line": "1\t河东省青松实验中学"}
    printed: list[str] = []
    deliver_pending(engine, Channels({}), config(), NAMES, now=beijing(date(2025, 9, 29)), echo=printed.append)
    assert any("附件《名单.xlsx》中：1 河东省青松实验中学" in p and "试点学校名单" in p for p in printed)


def test_every_tag_of_a_route_gets_its_own_row_and_web_links_go_to_the_item_page(engine) -> None:
    store_notice(engine, "http://a/1.html", [("2025-10-09", SENTENCE)], title="<b>App</b>排查")
    route = REMIND.model_copy(update={"notify": ["ops", "ops", "mail"]})
    assert write_reminders(engine, [route], now=beijing(date(2025, 9, 29))) == 2
    with smtp_server() as box:
        channels = Channels({"ops": [mailto(box, "ops@test.local")], "mail": [mailto(box, "mail@test.local")]})
        delivery = config().linking_items("https://monitor.example.org/")
        deliver_pending(engine, channels, delivery, NAMES, now=beijing(date(2025, 9, 29)))
    (mail,) = box.to("mail@test.local")
    html = parts(mail)["text/html"]
    item_id = reminder_rows(engine)[0].item_id
    assert f'href="https://monitor.example.org/items/{item_id}"' in html and 'href="http://a/1.html"' in html
    assert "&lt;b&gt;App&lt;/b&gt;排查" in html and "<b>App</b>" not in html
    assert len(box.to("ops@test.local")) == 1


def test_a_digest_lists_the_upcoming_deadlines_of_the_notices_its_route_selects(engine) -> None:
    store_notice(engine, "http://a/1.html", [("2025-10-09", SENTENCE)], title="<i>即将</i>截止的通知")
    store_notice(engine, "http://a/2.html", [("2025-10-20", "请于10月20日前报送。")], title="远期截止的通知")
    store_notice(engine, "http://a/3.html", [("2025-10-09", "请于10月9日前报送。")], title="不相关的通知", labels=("meeting",))
    digest = RouteConfig(name="weekly", labels=["app_governance"], notify=["digest"], mode="digest")
    with session_scope(engine) as session:  # a new item for the digest to be sent at all
        save_document(session, Document(source_id="gansu-tzgg", url="http://a/4.html", title="新通知", text="新",
                                        content_hash=""), [Parsed(1, "教育App备案", "新的一条", labels=["app_governance"])],
                      [digest], timedelta(days=7), now=beijing(date(2025, 9, 29)))
    with smtp_server() as box:
        channels = Channels({"digest": [mailto(box, "digest@test.local")]})
        (outcome,) = send_digest(engine, channels, digest, config(), NAMES, now=beijing(date(2025, 9, 29), hour=10))
    assert outcome.status == "sent"
    text, html = parts(box.to("digest@test.local")[0])["text/plain"], parts(box.to("digest@test.local")[0])["text/html"]
    assert "即将截止" in html and "2025-10-09（周四）" in html and SENTENCE in html
    assert "&lt;i&gt;即将&lt;/i&gt;截止的通知" in html and "<i>即将" not in html
    assert "远期截止的通知" not in html and "不相关的通知" not in html and "即将截止" in text


def test_remind_before_is_a_count_of_working_days() -> None:
    with pytest.raises(ValueError):
        RouteConfig(name="r", notify=["ops"], remind_before=-1)
    assert Settings(routes=[{"name": "r", "notify": ["ops"], "remind_before": 3}]).routes[0].remind_before == 3


NOTICE = ("教技厅函〔2026〕3号\n各省、自治区、直辖市教育厅（教委）：\n为做好教育App备案管理工作，"
          "请于2026年2月25日前将本地区备案情况报送我部科技司。\n教育部办公厅\n2026年1月20日")


def test_end_to_end_a_polled_notice_is_reminded_once_by_email_after_the_spring_festival(
        tmp_path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml
    from click.testing import CliRunner

    from monitor.cli import cli
    from monitor.route import load_routes
    from monitor.settings import load_settings
    from support.sites import Notice, Site, base_url, serve

    monkeypatch.chdir(tmp_path)
    site = Site("moe", "教育部", [Notice("7001", "教育部办公厅关于做好教育App备案工作的通知", NOTICE, 1)])
    with serve(tmp_path / "www") as server, smtp_server() as box:
        site.write(tmp_path / "www")
        (tmp_path / "sources.yml").write_text(
            yaml.safe_dump([site.catalog_entry(base_url(server), "test-moe", "全国")], allow_unicode=True), "utf-8")
        config = {"database_url": database_url, "sources": {"builtin": False, "files": ["sources.yml"]},
                  "channels": {"ops": [mailto(box, "ops@test.local")]}, "http": {"min_delay": 0, "retries": 0},
                  "web": {"base_url": "https://monitor.example.org"},
                  "routes": [{"name": "app-deadlines", "keywords": ["教育App备案"], "notify": ["ops"], "remind_before": 2}]}
        (tmp_path / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        monkeypatch.setenv("EDU_MONITOR_CONFIG", str(tmp_path / "config.yml"))
        assert CliRunner().invoke(cli, ["poll"], catch_exceptions=False).exit_code == 0
        settings = load_settings()
        engine, routes = make_engine(database_url), load_routes(settings)
        channels, delivery = Channels(settings.channels), DeliveryConfig().linking_items(settings.web.base_url)
        for day in (date(2026, 2, 13), date(2026, 2, 14), date(2026, 2, 24)):
            write_reminders(engine, routes, now=beijing(day))
            deliver_pending(engine, channels, delivery, {}, now=beijing(day))
        assert CliRunner().invoke(cli, ["deliver"], catch_exceptions=False).exit_code == 0  # today: nothing more
    reminders = [m for m in box.to("ops@test.local") if "截止提醒" in m["Subject"]]
    assert len(reminders) == 1
    (row,) = reminder_rows(engine)
    assert row.sent_at == beijing(date(2026, 2, 14))  # the make-up Saturday before the holiday
    text = parts(reminders[0])["text/plain"]
    assert "教育部办公厅关于做好教育App备案工作的通知" in reminders[0]["Subject"]
    assert "教技厅函〔2026〕3号" in text and "2026-02-25（周三）" in text
    assert "请于2026年2月25日前将本地区备案情况报送我部科技司。" in text
    html = parts(reminders[0])["text/html"]
    assert f'href="https://monitor.example.org/items/{row.item_id}"' in html and f'href="{base_url(server)}/moe/' in html


def test_the_daemon_queues_reminders_at_start_and_every_hour(engine, database_url: str) -> None:
    from monitor.daemon import Daemon

    settings = Settings(database_url=database_url)
    daemon = Daemon(lambda: Runtime(settings=settings, sources=[], routes=[REMIND], channels=Channels({}),
                                    delivery=DeliveryConfig()), engine)
    daemon.sync_jobs()
    job = daemon.scheduler.get_job("remind")
    assert job is not None and str(job.trigger) == "interval[1:00:00]"
    now = datetime.now(daemon.scheduler.timezone)
    assert job.next_run_time - now < timedelta(seconds=10), "the first run comes right after start"


@pytest.mark.skipif(pg_bindir() is None, reason="PostgreSQL server not installed")
def test_scale_out_workers_queue_reminders_hourly_at_the_scheduled_moment(tmp_path, pg_server) -> None:
    from monitor.migrate import upgrade
    from monitor.worker import HOURLY_CRON, Worker

    url = pg_server.create_database("t_remind_worker")
    upgrade(url)
    engine = make_engine(url)
    store_notice(engine, "http://a/1.html", [("2025-10-09", SENTENCE)])
    settings = Settings(database_url=url)
    worker = Worker(url, lambda: Runtime(settings=settings, sources=[], routes=[REMIND], channels=Channels({}),
                                         delivery=DeliveryConfig()), engine)
    assert "remind" in worker.app.tasks and HOURLY_CRON == "0 * * * *"
    worker.remind(int(beijing(date(2025, 9, 27)).timestamp()))  # Saturday: not yet
    assert reminder_rows(engine) == []
    worker.remind(int(beijing(date(2025, 9, 28)).timestamp()))
    worker.remind(int(beijing(date(2025, 9, 28), hour=10).timestamp()))
    assert len(reminder_rows(engine)) == 1
