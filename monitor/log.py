"""structlog set-up: console on a terminal, JSON lines otherwise, secrets redacted from every event."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import structlog

REDACTED = "***"
_SECRET_KEYS = re.compile(
    r"^(.*[_-])?(password|passwd|pass|token|secret|key|apikey|credentials?|authorization|cookie)$", re.I
)
# scheme://user:password@host, scheme://TOKEN@host, and the path/query tokens of webhook URLs
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.\-]{1,20}://)(?P<userinfo>[^/\s@'\"]+)@", re.I)
_QUERY_SECRET = re.compile(
    r"(?P<key>[?&;](?:access_token|token|key|secret|password|pass|sign|signature|webhook_key|apikey)=)[^&\s'\"]+",
    re.I,
)
# Apprise-style URLs carry the token as the first path segment(s): wecombot://KEY, dingtalk://TOKEN/...
_TOKEN_SCHEMES = re.compile(
    r"(?P<scheme>\b(?:wecombot|dingtalk|feishu|lark|slack|discord|tgram|pushplus|serverchan|bark|gotify|"
    r"ntfy|pushdeer|wxpusher|json|jsons|xml|form|apprise|apprises)://)(?P<rest>[^\s'\"]+)",
    re.I,
)
_SLACK_HOOK = re.compile(r"(hooks\.slack\.com/services/)[^\s'\"]+")
_WEBHOOK_KEY = re.compile(r"((?:qyapi\.weixin\.qq\.com|oapi\.dingtalk\.com|open\.feishu\.cn)/\S*?)([?&](?:key|access_token)=|/hook/)[^\s&'\"]+")


def redact_text(text: str) -> str:
    """Hide credentials in any text that may contain URLs."""
    if "/" not in text and "=" not in text:  # every pattern below needs one: most log values skip them
        return text
    text = _URL_USERINFO.sub(lambda m: m.group("scheme") + REDACTED + "@", text)
    text = _TOKEN_SCHEMES.sub(lambda m: m.group("scheme") + _mask_path(m.group("rest")), text)
    text = _QUERY_SECRET.sub(lambda m: m.group("key") + REDACTED, text)
    text = _SLACK_HOOK.sub(r"\1" + REDACTED, text)
    return _WEBHOOK_KEY.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)


def _mask_path(rest: str) -> str:
    """Keep the host-like first segment only when it looks like a host, hide the rest."""
    head, _, tail = rest.partition("/")
    if "." in head or head.startswith(("localhost", "[")):
        return head + ("/" + REDACTED if tail else "")
    return REDACTED


def redact_value(key: str, value: Any) -> Any:
    if isinstance(value, str):
        if _SECRET_KEYS.match(key):
            return REDACTED
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(key, v) for v in value]
    return value


def redact_processor(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: runs last before rendering, so formatted tracebacks are covered too."""
    return {k: redact_value(k, v) for k, v in event_dict.items()}


_configured: dict[str, Any] = {}  # the arguments of the last configure_logging, for logs_above


def configure_logging(level: str = "INFO", json_lines: bool | None = None, stream: Any = None) -> None:
    """Configure structlog once, from main()."""
    stream = stream or sys.stderr
    _configured.update(level=level, json_lines=json_lines, stream=stream)
    if json_lines is None:
        json_lines = not stream.isatty()
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if json_lines:
        renderer: list[Any] = [structlog.processors.dict_tracebacks, redact_processor,
                               structlog.processors.JSONRenderer(ensure_ascii=False)]
    else:
        renderer = [structlog.processors.format_exc_info, redact_processor,
                    structlog.dev.ConsoleRenderer(colors=False)]
    structlog.configure(
        processors=shared + renderer,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )
    # Libraries (apprise, apscheduler, urllib3) log through stdlib logging: rendered like our own
    # events (one JSON line each when json_lines), with the same redaction, on the same stream.
    handler = logging.StreamHandler(stream)
    handler.addFilter(_RedactingFilter())
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer]))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    # urllib3 warns of every retry; the poll's own line (poll.done, error=…) already says how it ended.
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)


@contextmanager
def logs_above(write: Callable[[str], None]) -> Iterator[None]:
    """While a progress bar is drawn on the log's terminal: only warnings and errors, each line handed
    to `write` (which prints it above the bar); then logging as configured before."""
    before = dict(_configured)
    if not before:
        yield
        return
    level = max(logging.getLevelName(str(before["level"]).upper()), logging.WARNING)
    configure_logging(logging.getLevelName(level), before["json_lines"], _LineWriter(write))
    try:
        yield
    finally:
        configure_logging(**before)


class _LineWriter:
    """A stream that hands each complete line to a function (print() writes the newline apart)."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write

    def write(self, text: str) -> int:
        if text.strip():
            self._write(text.rstrip("\n"))
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True


class _RedactingFilter(logging.Filter):
    """The message with its arguments filled in, redacted (the traceback is redacted later, by
    redact_processor, as the formatter renders it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_text(record.getMessage())
        record.args = ()
        return True


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name) if name else structlog.get_logger()
