"""Channels end to end: a real SMTP server, real HTTP endpoints on 127.0.0.1, one receipt per URL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from monitor.channels import Channels, url_id
from monitor.render import AlertItem
from support.recorder import Recorder, recording_server
from support.smtp import mailto, parts, smtp_server

START, END = datetime(2024, 6, 2, tzinfo=UTC), datetime(2024, 6, 3, tzinfo=UTC)
KEY = "5a4b3c2d-1111-2222-3333-444455556666"


def item(title: str, labels: list[str], region: str, evidence: list[str], figure: str) -> AlertItem:
    return AlertItem(title=title, text=f"{title}。相关工作情况。", section=None, labels=labels,
                     evidence={labels[0]: evidence} if labels else {}, region=region, date="2024-06-01",
                     date_end=None, figures=[{"text": figure, "value": 1, "unit": figure[-1]}],
                     document_title="工作动态", document_url="http://jyt.example.gov.cn/a/1.html",
                     source_id="demo", source_name="示例省教育厅", published_at=START)


ITEMS = [
    item("高校网站漏洞整改通报", ["security_incident"], "全国", ["漏洞", "整改"], "12所"),
    item("教育App备案核查", ["app_governance"], "甘肃", ["教育App", "备案"], "1209家"),
    item("<script>alert(1)</script>假标题", [], "浙江", [], "3个"),
]


def test_a_digest_email_reaches_a_real_smtp_server_with_html_and_text_parts() -> None:
    with smtp_server() as box:
        report = Channels({"digest": [mailto(box, "team@test.local")]}).send_digest("digest", ITEMS, "daily", START, END)
    assert report.ok and len(report.delivered) == 1
    (mail,) = box.to("team@test.local")
    assert mail["Subject"] == "教育信息化动态摘要 2024-06-03（3 条 · daily）"
    body = parts(mail)
    assert {"text/html", "text/plain"} <= body.keys()
    for part in (body["text/html"], body["text/plain"]):
        for fact in ("高校网站漏洞整改通报", "教育App备案核查", "网络安全事件", "教育App治理", "其他", "1209家", "12所",
                     "漏洞", "备案"):
            assert fact in part, fact
    assert "<script>" not in body["text/html"] and "&lt;script&gt;" in body["text/html"]


def test_instant_alerts_to_a_json_endpoint_carry_title_and_text() -> None:
    with recording_server() as hook:
        report = Channels({"ops": [f"json://{hook.base}/hook"]}).send_instant("ops", ITEMS[:1], "now")
    assert report.ok
    (payload,) = hook.json_bodies()
    assert payload["title"] == "【网络安全事件】高校网站漏洞整改通报" and "12所" in payload["message"]


def test_a_retry_skips_the_urls_that_already_accepted() -> None:
    with recording_server() as good, recording_server(Recorder(statuses=[503, 200])) as flaky:
        urls = [f"json://{good.base}/a", f"json://{flaky.base}/b"]
        channels = Channels({"ops": urls})
        first = channels.send_operator("ops", "源失效", "甘肃省教育厅 列表页 HTTP 500")
        assert first.delivered == {url_id(urls[0])} and set(first.errors) == {url_id(urls[1])}
        assert not first.ok
        second = channels.send_operator("ops", "源失效", "甘肃省教育厅 列表页 HTTP 500", skip=first.delivered)
    assert second.ok and second.delivered == {url_id(urls[1])}
    assert len(good.requests) == 1 and len(flaky.requests) == 2


def test_wecom_errcode_is_an_error_of_that_url_only_and_never_shows_the_key() -> None:
    answer = b'{"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}'
    with recording_server(Recorder(body=answer)) as wecom, recording_server() as hook:
        wecom_url = f"wecombot://{KEY}?base=http://{wecom.base}/cgi-bin/webhook/send"
        report = Channels({"ops": [wecom_url, f"json://{hook.base}/x"]}).send_instant("ops", ITEMS[:2], "now")
    assert report.delivered == {url_id(f"json://{hook.base}/x")}
    error = report.errors[url_id(wecom_url)]
    assert "40058" in error and KEY not in error
    assert wecom.json_bodies()[0]["msgtype"] == "markdown"


def test_describe_tags_and_has_never_reveal_secrets() -> None:
    channels = Channels({"ops": [f"wecombot://{KEY}", "mailtos://bot:hunter2@smtp.example.com?to=a@b.c"], "none": []})
    assert channels.tags() == ["ops"] and channels.has("ops") and not channels.has("none")
    shown = " ".join(channels.describe("ops"))
    assert KEY not in shown and "hunter2" not in shown and url_id(f"wecombot://{KEY}") in shown


def test_an_invalid_url_is_an_error_not_a_crash() -> None:
    report = Channels({"ops": ["nosuchscheme://x"]}).send_operator("ops", "t", "b")
    assert not report.ok and "not a valid" in next(iter(report.errors.values()))


def test_channels_from_an_apprise_yaml_config_keep_their_tags(tmp_path: Path) -> None:
    with recording_server() as hook:
        config = tmp_path / "apprise.yml"
        config.write_text(f"version: 1\nurls:\n  - json://{hook.base}/cfg:\n      tag: ops, security\n",
                          encoding="utf-8")
        channels = Channels({"digest": ["json://127.0.0.1:9/unused"]}, config)
        assert channels.tags() == ["digest", "ops", "security"]
        assert channels.send_operator("security", "测试", "来自配置文件").ok
    assert hook.requests[0]["path"].startswith("/cfg") and hook.json_bodies()[0]["title"] == "测试"


def slack_blocks(hook: Recorder) -> list[list[dict]]:
    return [body["attachments"][0]["blocks"] for body in hook.json_bodies()]


def test_a_long_slack_digest_goes_out_in_parts_within_block_kit_limits(monkeypatch) -> None:
    """Slack refuses a section over 3000 characters and a header over 150 (invalid_blocks)."""
    import apprise.plugins.slack as slack_plugin

    many = [item(f"第{n}项：高校网站漏洞整改通报，涉及多所学校的网络安全等级保护测评整改", ["security_incident"], "全国",
                 ["漏洞"], "12所") for n in range(1, 61)] + ITEMS[2:]
    with recording_server(Recorder(body=b"ok")) as hook:
        monkeypatch.setattr(slack_plugin.NotifySlack, "webhook_url", f"http://{hook.base}/services")
        channels = Channels({"team": ["slack://T1ABCDEFG/B2ABCDEFG/c3abcdefghijklmnopqrstuv"]})
        report = channels.send_digest("team", many, "每日网络安全与教育App治理动态汇总" * 8, START, END)
    messages = slack_blocks(hook)
    assert report.ok and len(messages) >= 2
    for blocks in messages:
        header, section = blocks[0], blocks[1]
        assert header["type"] == "header" and len(header["text"]["text"]) <= 150
        assert section["type"] == "section" and len(section["text"]["text"]) <= 3000
    text = "".join(blocks[1]["text"]["text"] for blocks in messages)
    assert all(f"第{n}项" in text for n in range(1, 61)), "every item is in one of the parts"
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert len(report.parts) == len(messages), "each part has its receipt, so a retry resumes after it"
