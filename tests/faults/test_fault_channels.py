"""Channels that fail: an SMTP server that is down, one that is slow, one that refuses the recipient;
a JSON webhook answering 500 (always, or twice and then 200) or too slowly; WeCom answering HTTP 200
with an errcode (always, or once). One daemon, two new articles, one instant route to all of them.

Every message must reach each channel that eventually accepts it exactly once; every channel that
never accepts it must end `failed` after `delivery.max_attempts` with one operator notice per message;
the polls must keep their schedule while the delivery loop waits on slow channels."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import yaml
from sqlmodel import select

from monitor.db import make_engine, session_scope
from monitor.models import Alert, Document
from support.badsite import html
from support.daemonproc import DaemonProcess, contains, refusing_port, wait_for
from support.faultsites import app_article, article_html, catalog_entry, listing_html, quiet_scripted
from support.hooks import HookServer, Reply, errcode, hook_server
from support.smtp import Mailbox, mailto, smtp_server
from support.smtpfaults import faulty_smtp_server

GROUP = "channels"
MAX_ATTEMPTS = 3
EVERY = 2.0


def test_failing_channels_retry_give_up_once_and_never_repeat(tmp_path: Path, database_url: str, faults) -> None:
    articles = [app_article("ch", f"m{n}", n) for n in (1, 2)]
    with ExitStack() as stack:
        site = stack.enter_context(quiet_scripted({
            "/ctl/": html(listing_html(articles)),
            **{a.path: html(article_html(a)) for a in articles},
        }))
        good = stack.enter_context(smtp_server())
        slow = stack.enter_context(faulty_smtp_server(data_delay=2.0))
        picky = stack.enter_context(faulty_smtp_server(refuse=frozenset({"nobody@test.local"})))
        hooks = stack.enter_context(hook_server({
            "/h500": Reply(500, b'{"error": "internal"}'),
            "/flaky": [Reply(500, b"{}"), Reply(503, b"{}"), Reply(200, b"{}")],
            "/slow": Reply(200, b"{}", delay=3.0),
            "/wecom-bad/send": errcode(93000, "invalid webhook url"),
            "/wecom-flaky/send": [errcode(45009, "api freq out of limit"), Reply()],
        }))
        h, down = hooks.address, stack.enter_context(refusing_port())
        channels = {
            "smtp-down": [f"mailto://127.0.0.1:{down}?from=bot@test.local&to=down@test.local&mode=insecure"],
            "smtp-slow": [mailto(slow, "slow@test.local")],
            "smtp-reject": [mailto(picky, "nobody@test.local")],
            "hook-500": [f"json://{h}/h500"],
            "hook-flaky": [f"json://{h}/flaky"],
            "hook-timeout": [f"json://{h}/slow?rto=1&cto=1"],
            "wecom-errcode": [f"wecombot://BADKEY?base=http://{h}/wecom-bad/send"],
            "wecom-flaky": [f"wecombot://FLAKYKEY?base=http://{h}/wecom-flaky/send"],
        }
        (tmp_path / "sources.yml").write_text(yaml.safe_dump(
            [catalog_entry("control", "对照站点", f"{site.base}/ctl/", every=f"{EVERY:g}s")], allow_unicode=True),
            encoding="utf-8")
        daemon = DaemonProcess(tmp_path, {
            "database_url": database_url, "timezone": "UTC",
            "sources": {"builtin": False, "files": ["sources.yml"]},
            "channels": {**channels, "admins": [mailto(good, "admins@test.local")]},
            "routes": [{"name": "apps-now", "labels": ["app_governance"], "notify": list(channels), "mode": "instant"}],
            "http": {"min_delay": 0, "retries": 0, "connect_timeout": 1, "read_timeout": 2},
            "delivery": {"every": "1s", "operator_tag": "admins", "backoff": "1s", "max_attempts": MAX_ATTEMPTS},
            "shutdown_grace": "5s",
        })
        stack.callback(daemon.cleanup)
        engine = make_engine(database_url)

        def ledger() -> list[Alert]:
            with session_scope(engine) as session:
                return list(session.exec(select(Alert)).all())

        def settled() -> bool:
            daemon.assert_alive()
            rows = ledger()
            items = [a for a in rows if a.mode == "instant"]
            return (len(items) == len(articles) * len(channels)
                    and all(a.status in ("sent", "failed") for a in rows))

        daemon.start()
        wait_for(settled, timeout=60, what="every alert to be sent or given up, and every notice sent")
        time.sleep(3)  # more delivery passes: nothing may be sent again
        daemon.assert_alive()
        poll_times = [r.at for r in site.hits("/ctl/")]
        stop_code = daemon.stop()
        faults.daemon(GROUP, daemon)

    rows = ledger()
    with session_scope(engine) as session:
        doc_titles = {d.id: d.title for d in session.exec(select(Document)).all()}
    titles = sorted(doc_titles.values())
    notices = [str(m["Subject"]) for m in good.to("admins@test.local")]

    def per_title(texts: list[str]) -> dict[str, int]:
        return {t: sum(t in text for text in texts) for t in titles}

    def check(tag: str, want: str, delivered: Callable[[], list[str]], words: str | None,
              extra: Callable[[], str] | None = None) -> None:
        """`delivered`: the texts of the messages the channel accepted (one per accepted send)."""
        with faults.scenario(GROUP, tag.replace("-", " ")) as s:
            mine = [a for a in rows if a.channel_tag == tag]
            statuses = sorted(a.status for a in mine)
            assert statuses == [want] * len(articles), f"{tag}: ledger {statuses}, expected all {want}"
            counts = per_title(delivered())
            s.duplicates += sum(max(0, n - 1) for n in counts.values())
            assert all(n <= 1 for n in counts.values()), f"{tag}: accepted more than once: {counts}"
            given_up = notices.count(f"告警发送失败：apps-now → {tag}")
            if want == "sent":
                s.lost += sum(n == 0 for n in counts.values())
                assert all(n == 1 for n in counts.values()), f"{tag}: not every message arrived: {counts}"
                assert given_up == 0, f"{tag}: operator told of a failure that did not happen"
            else:
                assert all(a.attempts == MAX_ATTEMPTS for a in mine), f"{tag}: attempts {[a.attempts for a in mine]}"
                assert given_up == len(articles), f"{tag}: {given_up} operator notices for {len(articles)} failed messages"
                failed = daemon.events("deliver.batch", tag=tag, status="failed")
                assert len(failed) == len(articles), f"{tag}: {len(failed)} deliver.batch failed lines"
            if words:
                logged = daemon.events("channel.send_failed", tag=tag, error=contains(words))
                assert logged, f"{tag}: no channel.send_failed line naming '{words}'"
            retries = sum(a.attempts for a in mine)
            s.outcome = (f"{want}" + (f" after {retries} failed attempts ({len(mine)} messages)" if retries else " at once")
                         + (f", one operator notice per message ({given_up})" if want == "failed" else ", once each")
                         + (f"; log: {words}" if words else "") + (f"; {extra()}" if extra else ""))

    def mails(box: Mailbox, to: str) -> Callable[[], list[str]]:
        return lambda: [str(m["Subject"]) for m in box.to(to)]

    def accepted(server: HookServer, path: str) -> Callable[[], list[str]]:
        return lambda: [json.dumps(r.json(), ensure_ascii=False) for r in server.accepted(path)]

    check("smtp-down", "failed", lambda: [], "Connection error")
    check("smtp-slow", "sent", mails(slow, "slow@test.local"), None,
          lambda: f"DATA answered after {slow.data_delay:g}s")
    check("smtp-reject", "failed", mails(picky, "nobody@test.local"), "nobody@test.local",
          lambda: f"recipient refused {len(picky.refused)} times, nothing stored")
    check("hook-500", "failed", accepted(hooks, "/h500"), "500",
          lambda: f"{len(hooks.to('/h500'))} POSTs, all answered 500")
    check("hook-flaky", "sent", accepted(hooks, "/flaky"), "error=503",
          lambda: f"500, 503, then 200: {len(hooks.to('/flaky'))} POSTs for {len(articles)} messages")
    check("hook-timeout", "failed", accepted(hooks, "/slow"), "Connection error",
          lambda: f"{len(hooks.to('/slow'))} POSTs, none answered within 1s (the receiver saw every attempt)")
    check("wecom-errcode", "failed", accepted(hooks, "/wecom-bad/send"), "errcode 93000")
    check("wecom-flaky", "sent", accepted(hooks, "/wecom-flaky/send"), "errcode 45009",
          lambda: "errcode 45009 once, then accepted")

    with faults.scenario(GROUP, "polls keep their schedule during slow deliveries") as s:
        gaps = [b - a for a, b in itertools.pairwise(poll_times)]
        assert len(poll_times) >= 4 and max(gaps) <= EVERY + 1.5, f"poll gaps {gaps}"
        assert stop_code == 0, f"exit code {stop_code}"
        operator = [a for a in rows if a.mode == "operator"]
        assert all(a.status == "sent" for a in operator)
        s.duplicates += len(notices) - len(operator)
        assert len(notices) == len(operator), f"{len(notices)} notices mailed for {len(operator)} in the ledger"
        s.outcome = (f"{len(poll_times)} polls, longest gap {max(gaps):.1f}s; {len(operator)} operator notices "
                     "mailed once each; SIGTERM → exit 0")

    faults.settle(GROUP)

