"""Secrets never reach the log: URLs with tokens, password fields, exception traces."""

from __future__ import annotations

import io
import json
import logging

import structlog

from monitor.log import configure_logging, redact_text

SECRET = "s3cr3tT0ken"


def capture(json_lines: bool = True) -> io.StringIO:
    stream = io.StringIO()
    configure_logging("DEBUG", json_lines=json_lines, stream=stream)
    return stream


def test_urls_keep_their_host_but_lose_credentials() -> None:
    text = redact_text(f"mailtos://bot:{SECRET}@smtp.example.com?to=a@b.c and wecombot://{SECRET} and "
                       f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={SECRET} "
                       f"https://hooks.slack.com/services/T0/B0/{SECRET} dingtalk://{SECRET}/x")
    assert SECRET not in text
    assert "smtp.example.com" in text and "qyapi.weixin.qq.com" in text


def test_secret_fields_and_urls_are_redacted_in_json_lines() -> None:
    stream = capture()
    structlog.get_logger().info("channel.added", password=SECRET, url=f"slack://{SECRET}/B/C", api_token=SECRET,
                                count=3)
    event = json.loads(stream.getvalue().splitlines()[-1])
    assert SECRET not in stream.getvalue()
    assert event["count"] == 3 and event["event"] == "channel.added"


def test_exception_traces_are_redacted() -> None:
    stream = capture()
    try:
        raise ConnectionError(f"cannot reach wecombot://{SECRET}")
    except ConnectionError:
        structlog.get_logger().exception("deliver.crashed")
    assert "deliver.crashed" in stream.getvalue()
    assert SECRET not in stream.getvalue()


def test_console_renderer_is_redacted_too() -> None:
    stream = capture(json_lines=False)
    structlog.get_logger().warning("x", url=f"mailto://u:{SECRET}@host")
    assert SECRET not in stream.getvalue() and "mailto://***@host" in stream.getvalue()


def test_stdlib_library_logs_are_redacted() -> None:
    stream = capture()
    try:
        raise RuntimeError(f"POST https://oapi.dingtalk.com/robot/send?access_token={SECRET} failed")
    except RuntimeError:
        logging.getLogger("apprise").exception("notify failed for tgram://%s/123", SECRET)
    assert "notify failed" in stream.getvalue()
    assert SECRET not in stream.getvalue()
    line = json.loads(stream.getvalue().splitlines()[0])  # the same JSON lines as our own events
    assert line["logger"] == "apprise" and line["level"] == "error" and "timestamp" in line
    assert "RuntimeError" in json.dumps(line["exception"]), "the traceback is kept, redacted"
