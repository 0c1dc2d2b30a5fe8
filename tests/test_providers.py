"""WeCom group bots and DingTalk at the HTTP layer: a real server on 127.0.0.1 answering like them."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from monitor import providers
from monitor.render import AlertItem, Message, render_digest, render_instant
from support.recorder import Recorder, recording_server

KEY = "0f1e2d3c-aaaa-bbbb-cccc-9f8e7d6c5b4a"
SECRET = "SECabcdef0123456789"
TOO_LONG = b'{"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}'
NOW = datetime(2024, 6, 3, tzinfo=UTC)


def item(n: int, text: str = "省教育厅部署教育App备案和专项治理。") -> AlertItem:
    return AlertItem(title=f"教育App专项治理第{n}项", text=text, section=None, labels=["app_governance"],
                     evidence={"app_governance": ["教育App", "备案"]}, region="甘肃", date="2024-06-01",
                     date_end=None, figures=[{"text": "1209家", "value": 1209, "unit": "家"}],
                     document_title="关于开展教育App专项治理的通知", document_url=f"http://jyt.gansu.gov.cn/a/{n}.html",
                     source_id="gansu", source_name="甘肃省教育厅", published_at=NOW)


def query(request: dict) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(request["path"]).query).items()}


def test_wecom_gets_a_markdown_payload_with_the_key() -> None:
    with recording_server() as hook:
        providers.send(f"wecombot://{KEY}?base=http://{hook.base}/cgi-bin/webhook/send",
                       render_instant([item(1)], "r", "markdown"))
    (request,) = hook.requests
    assert urlsplit(request["path"]).path == "/cgi-bin/webhook/send" and query(request) == {"key": KEY}
    payload = hook.json_bodies()[0]
    assert payload["msgtype"] == "markdown"
    content = payload["markdown"]["content"]
    assert content.startswith("### 【教育App治理】教育App专项治理第1项") and "1209家" in content


def test_a_200_answer_with_an_errcode_is_a_failure_and_names_the_error() -> None:
    with recording_server(Recorder(body=TOO_LONG)) as hook, pytest.raises(providers.ProviderError) as err:
        providers.send(f"wecombot://{KEY}?base=http://{hook.base}/send", Message("t", "body", "markdown"))
    assert "40058" in str(err.value) and "exceed max length" in str(err.value) and KEY not in str(err.value)


def test_http_errors_and_unreachable_hosts_are_failures_without_the_key() -> None:
    with recording_server(Recorder(statuses=[502])) as hook, pytest.raises(providers.ProviderError) as err:
        providers.send(f"wecombot://{KEY}?base=http://{hook.base}/send", Message("t", "body", "markdown"))
    assert "HTTP 502" in str(err.value) and KEY not in str(err.value)
    with pytest.raises(providers.ProviderError) as err:
        providers.send(f"wecombot://{KEY}?base=http://127.0.0.1:9/send", Message("t", "body", "markdown"))
    assert KEY not in str(err.value)


def test_dingtalk_signs_with_its_secret_and_sends_title_and_text() -> None:
    with recording_server() as hook:
        providers.send(f"dingtalk://tok123/{SECRET}?base=http://{hook.base}/robot/send",
                       render_instant([item(1)], "r", "markdown"))
    params = query(hook.requests[0])
    assert params["access_token"] == "tok123"
    expected = hmac.new(SECRET.encode(), f"{params['timestamp']}\n{SECRET}".encode(), hashlib.sha256).digest()
    assert params["sign"] == base64.b64encode(expected).decode()
    payload = hook.json_bodies()[0]
    assert payload["msgtype"] == "markdown" and payload["markdown"]["title"].startswith("【教育App治理】")
    assert "\n\n" in payload["markdown"]["text"] and "1209家" in payload["markdown"]["text"]


def test_dingtalk_errcode_is_a_failure() -> None:
    answer = b'{"errcode": 310000, "errmsg": "sign not match"}'
    with recording_server(Recorder(body=answer)) as hook, pytest.raises(providers.ProviderError, match="310000"):
        providers.send(f"dingtalk://{SECRET}@tok123?base=http://{hook.base}/robot/send", Message("t", "b", "markdown"))


def test_a_long_digest_is_split_under_4096_bytes_per_message_on_line_boundaries() -> None:
    items = [item(n) for n in range(300)]
    message = render_digest(items, "daily", NOW, NOW, "markdown")
    assert len(message.body.encode()) > 6 * 4096
    with recording_server() as hook:
        providers.send(f"wecombot://{KEY}?base=http://{hook.base}/send", message)
    contents = [b["markdown"]["content"] for b in hook.json_bodies()]
    assert 2 <= len(contents) <= providers.MAX_PARTS
    assert all(len(c.encode()) <= 4096 for c in contents)
    body_lines = set(message.body.splitlines())
    for content in contents:
        assert all(line in body_lines for line in content.splitlines()[2:] if not line.startswith("……"))
    assert contents[-1].endswith("其余已省略")  # 300 items do not fit in 5 messages: the cut is said


def test_a_long_instant_message_is_trimmed_with_a_link_to_the_document() -> None:
    message = render_instant([item(n, "很长的段落。" * 200) for n in range(30)], "r", "markdown")
    with recording_server() as hook:
        providers.send(f"wecombot://{KEY}?base=http://{hook.base}/send", message,
                       more_url="http://jyt.gansu.gov.cn/a/1.html")
    (payload,) = hook.json_bodies()
    content = payload["markdown"]["content"]
    assert len(content.encode()) <= 4096 and content.endswith("[查看全文](http://jyt.gansu.gov.cn/a/1.html)")


def test_fit_cuts_a_single_huge_line_and_keeps_short_messages_whole() -> None:
    assert providers.fit("a\nb", "### t\n", 4096) == ["### t\na\nb"]
    parts = providers.fit("字" * 5000, "### t\n", 4096)
    assert all(len(p.encode()) <= 4096 for p in parts) and len(parts) >= 4
