"""The delivery ledger: every alert is sent once — across retries, racing loops and failures."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from monitor.channels import Channels
from monitor.db import make_engine, session_scope
from monitor.deliver import deliver_pending
from monitor.digest import pending_items, retry_due_digests, send_digest
from monitor.models import Alert, DigestRun
from monitor.settings import DeliveryConfig, RouteConfig
from support.items import NOW, app_item, store_document
from support.recorder import Recorder, recording_server
from support.smtp import mailto, parts, smtp_server

INSTANT = RouteConfig(name="apps-now", labels=["app_governance"], notify=["ops"], mode="instant")
DIGEST = RouteConfig(name="daily", labelled_only=True, notify=["digest"], mode="digest")
NAMES = {"gansu-tzgg": "甘肃省教育厅 通知公告"}


@pytest.fixture
def engine(database_url: str):
    return make_engine(database_url)


def config(**kw) -> DeliveryConfig:
    return DeliveryConfig(backoff=timedelta(seconds=10), max_attempts=3, **kw)


def statuses(engine) -> list[str]:
    with session_scope(engine) as session:
        return [a.status for a in session.exec(select(Alert).order_by(Alert.id)).all()]


def test_without_channels_alerts_go_to_the_console_once(engine) -> None:
    store_document(engine, "http://a/1.html", [app_item()], [INSTANT])
    printed: list[str] = []
    stats = deliver_pending(engine, Channels({}), config(), NAMES, now=NOW, echo=printed.append)
    assert stats.sent == 1 and "教育App专项治理" in printed[0]
    assert deliver_pending(engine, Channels({}), config(), NAMES, now=NOW, echo=printed.append).claimed == 0
    assert len(printed) == 1 and statuses(engine) == ["sent"]


def test_instant_email_reaches_a_real_smtp_server_once_per_document(engine) -> None:
    store_document(engine, "http://a/1.html", [app_item(1), app_item(2, "教育App备案")], [INSTANT])
    store_document(engine, "http://a/2.html", [app_item(3, "校外线上培训治理")], [INSTANT], title="第二份通知")
    with smtp_server() as box:
        channels = Channels({"ops": [mailto(box, "ops@test.local")]})
        stats = deliver_pending(engine, channels, config(), NAMES, now=NOW)
        again = deliver_pending(engine, channels, config(), NAMES, now=NOW + timedelta(hours=1))
    assert stats.claimed == 3 and stats.sent == 2 and again.claimed == 0
    assert len(box.to("ops@test.local")) == 2  # one message per document, both items in the first
    first = " ".join(parts(box.to("ops@test.local")[0]).values())
    assert "教育App专项治理" in first and "教育App备案" in first


def test_a_channel_answering_500_then_200_gets_the_alert_exactly_once(engine) -> None:
    store_document(engine, "http://a/1.html", [app_item()], [INSTANT])
    with recording_server(Recorder(statuses=[500, 200])) as hook:
        channels = Channels({"ops": [f"json://{hook.base}/hook"]})
        first = deliver_pending(engine, channels, config(), NAMES, now=NOW)
        too_early = deliver_pending(engine, channels, config(), NAMES, now=NOW + timedelta(seconds=5))
        later = deliver_pending(engine, channels, config(), NAMES, now=NOW + timedelta(seconds=11))
        done = deliver_pending(engine, channels, config(), NAMES, now=NOW + timedelta(hours=1))
    assert (first.retried, too_early.claimed, later.sent, done.claimed) == (1, 0, 1, 0)
    assert len(hook.requests) == 2 and statuses(engine) == ["sent"]
    with session_scope(engine) as session:
        alert = session.exec(select(Alert)).one()
    assert alert.attempts == 1 and alert.sent_at is not None


def test_a_retry_only_goes_to_the_url_that_failed(engine) -> None:
    store_document(engine, "http://a/1.html", [app_item()], [INSTANT])
    with recording_server(Recorder(statuses=[200])) as good, recording_server(Recorder(statuses=[503, 200])) as bad:
        channels = Channels({"ops": [f"json://{good.base}/a", f"json://{bad.base}/b"]})
        deliver_pending(engine, channels, config(), NAMES, now=NOW)
        deliver_pending(engine, channels, config(), NAMES, now=NOW + timedelta(minutes=1))
    assert len(good.requests) == 1 and len(bad.requests) == 2 and statuses(engine) == ["sent"]


def test_giving_up_marks_failed_and_tells_the_operator(engine) -> None:
    store_document(engine, "http://a/1.html", [app_item()], [INSTANT])
    printed: list[str] = []
    with recording_server(Recorder(statuses=[500])) as hook:
        channels = Channels({"ops": [f"json://{hook.base}/hook"]})
        for minute in range(0, 60, 5):
            deliver_pending(engine, channels, config(operator_tag="admins"), NAMES,
                            now=NOW + timedelta(minutes=minute), echo=printed.append)
    assert len(hook.requests) == 3  # max_attempts
    assert statuses(engine) == ["failed", "sent"]  # the operator notice went to the console ("admins" has no channel)
    assert any("告警发送失败" in p or "given up" in p for p in printed)


def test_two_racing_delivery_loops_send_every_alert_once(database_url: str) -> None:
    engine = make_engine(database_url)
    for n in range(20):
        store_document(engine, f"http://a/{n}.html", [app_item(1, f"通知{n}")], [INSTANT], title=f"通知{n}")
    with recording_server() as hook:
        def loop() -> None:
            own = make_engine(database_url)
            for _ in range(5):
                deliver_pending(own, Channels({"ops": [f"json://{hook.base}/hook"]}), config(), NAMES, now=NOW)

        threads = [threading.Thread(target=loop) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    titles = [b.get("title", "") + b.get("message", "") for b in hook.json_bodies()]
    assert len(hook.requests) == 20 and len(set(titles)) == 20
    assert statuses(engine) == ["sent"] * 20


def test_digest_is_sent_once_with_its_items_and_the_next_one_starts_after_it(engine) -> None:
    store_document(engine, "http://a/1.html", [app_item(1), app_item(2, "教育App备案")], [DIGEST])
    with smtp_server() as box:
        channels = Channels({"digest": [mailto(box, "team@test.local")]})
        assert len(pending_items(engine, DIGEST, NAMES)) == 2
        first = send_digest(engine, channels, DIGEST, config(), NAMES, now=NOW)
        second = send_digest(engine, channels, DIGEST, config(), NAMES, now=NOW + timedelta(days=1))
    assert [o.status for o in first] == ["sent"] and first[0].items == 2
    assert [o.status for o in second] == ["empty"]
    mails = box.to("team@test.local")
    assert len(mails) == 1
    text = " ".join(parts(mails[0]).values())
    assert "教育App专项治理" in text and "教育App备案" in text and "1209家" in text
    with session_scope(engine) as session:
        assert session.exec(select(DigestRun)).one().items == 2


TWO_TAGS = RouteConfig(name="daily", labelled_only=True, notify=["digest", "leaders"], mode="digest")


def test_a_failed_digest_is_retried_alone_and_new_items_still_reach_every_url(engine) -> None:
    """URL b refuses the digest once: its retry carries only the old items, to b only, to no other tag;
    the next scheduled digest carries the new item to both URLs."""
    store_document(engine, "http://a/1.html", [app_item(1)], [TWO_TAGS])
    with recording_server() as a, recording_server(Recorder(statuses=[503, 200])) as b, \
            recording_server() as lead:
        channels = Channels({"digest": [f"json://{a.base}/a", f"json://{b.base}/b"],
                             "leaders": [f"json://{lead.base}/lead"]})
        first = send_digest(engine, channels, TWO_TAGS, config(), NAMES, now=NOW)
        store_document(engine, "http://a/2.html", [app_item(2, "教育App备案")], [TWO_TAGS], title="第二份通知")
        retried = retry_due_digests(engine, channels, [TWO_TAGS], config(), NAMES, now=NOW + timedelta(minutes=1))
        nxt = send_digest(engine, channels, TWO_TAGS, config(), NAMES, now=NOW + timedelta(days=1))
    assert [(o.tag, o.status) for o in first] == [("digest", "retry"), ("leaders", "sent")]
    assert [(o.tag, o.status, o.items) for o in retried] == [("digest", "sent", 1)]
    assert [(o.tag, o.status, o.items) for o in nxt] == [("digest", "sent", 1), ("leaders", "sent", 1)]
    texts = {name: [body.get("title", "") + body.get("message", "") for body in hook.json_bodies()]
             for name, hook in (("a", a), ("b", b), ("lead", lead))}
    assert len(texts["a"]) == 2 and len(texts["b"]) == 3 and len(texts["lead"]) == 2
    assert "教育App备案" not in texts["b"][1], "the retry carried only the items of the failed digest"
    assert all("教育App备案" in sent[-1] for sent in texts.values()), "the new item reached every URL"


def test_a_digest_given_up_on_tells_the_operator_once(engine) -> None:
    store_document(engine, "http://a/1.html", [app_item(1)], [DIGEST])
    printed: list[str] = []
    with recording_server(Recorder(statuses=[500])) as hook:
        channels = Channels({"digest": [f"json://{hook.base}/d"]})
        send_digest(engine, channels, DIGEST, config(), NAMES, now=NOW)
        for minute in range(1, 30):
            retry_due_digests(engine, channels, [DIGEST], config(), NAMES, now=NOW + timedelta(minutes=minute))
        deliver_pending(engine, channels, config(operator_tag="admins"), NAMES, now=NOW + timedelta(hours=1),
                        echo=printed.append)
    assert len(hook.requests) == 3  # max_attempts
    assert statuses(engine) == ["failed", "sent"]
    assert sum("告警发送失败" in p for p in printed) == 1


def test_a_split_digest_retried_after_a_failed_part_resumes_after_the_parts_accepted(engine) -> None:
    """WeCom takes a long digest in parts; part 3 fails once. The retry posts part 3 on, never 1 and 2 again."""
    items = [app_item(n, f"教育App专项治理第{n}项") for n in range(1, 151)]
    store_document(engine, "http://a/1.html", items, [DIGEST])
    with recording_server(Recorder(statuses=[200, 200, 500, 200])) as hook:
        channels = Channels({"digest": [f"wecombot://k3y?base=http://{hook.base}/send"]})
        first = send_digest(engine, channels, DIGEST, config(), NAMES, now=NOW)
        retried = retry_due_digests(engine, channels, [DIGEST], config(), NAMES, now=NOW + timedelta(minutes=1))
    contents = [body["markdown"]["content"] for body in hook.json_bodies()]
    assert [o.status for o in first] == ["retry"] and [o.status for o in retried] == ["sent"]
    assert len(contents) >= 4, "a digest of 150 items is several WeCom messages"
    assert contents[3] == contents[2], "the retry began with the part that failed"
    assert len(set(contents)) == len(contents) - 1, "no accepted part was posted twice"


def test_a_shutdown_between_messages_hands_the_rest_back_at_once(engine) -> None:
    for n in range(3):
        store_document(engine, f"http://a/{n}.html", [app_item(1, f"通知{n}")], [INSTANT], title=f"通知{n}")
    with recording_server() as hook:
        channels = Channels({"ops": [f"json://{hook.base}/hook"]})
        asked: list[int] = []
        stopping = lambda: asked.append(1) or len(asked) > 1  # noqa: E731  (stop after the first message)
        stopped = deliver_pending(engine, channels, config(), NAMES, now=NOW, stopping=stopping)
        assert len(hook.requests) == 1 and statuses(engine).count("pending") == 2
        resumed = deliver_pending(engine, channels, config(), NAMES, now=NOW + timedelta(seconds=1))
    assert (stopped.claimed, stopped.sent, resumed.sent) == (3, 1, 2), "no wait for claim_timeout"
    assert len(hook.requests) == 3 and statuses(engine) == ["sent"] * 3
