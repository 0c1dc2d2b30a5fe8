"""Channels: Apprise URLs grouped by tag, each URL sent separately so each one's receipt is known.

A message is rendered per URL in the format its service shows best (HTML email, Slack mrkdwn,
Markdown for WeCom/DingTalk, plain text otherwise). WeCom group bots and DingTalk go through
monitor.providers, which checks their `errcode` and size limits; everything else through Apprise.
URLs are identified by a short hash and shown redacted: a URL's secret never leaves this module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import apprise
import structlog

from monitor import providers
from monitor.log import redact_text
from monitor.render import (
    AlertItem,
    DeadlineNote,
    Message,
    render_digest,
    render_instant,
    render_operator,
    render_reminder,
)

log = structlog.get_logger()
SEND_TIMEOUT = 60.0  # seconds for one URL, whatever the service
_EMAIL = {"mailto", "mailtos"}
_SLACK = {"slack"}
SLACK_SECTION = 3000  # characters in one Block Kit section
SLACK_TITLE = 120  # a header block takes 150 characters; Apprise escapes & < > in it first
SLACK_PARTS = 10  # messages for one digest before the rest is cut
_FORMAT_NAMES = {"html": apprise.NotifyFormat.HTML, "markdown": apprise.NotifyFormat.MARKDOWN,
                 "text": apprise.NotifyFormat.TEXT}

Renderer = Callable[[str], Message]


def url_id(url: str) -> str:
    """A stable id for receipts and logs that does not reveal the URL."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]


def scheme_of(url: str) -> str:
    return url.partition("://")[0].strip().lower()


@dataclass
class SendReport:
    """Which URLs accepted a message, and why the others did not.

    `parts` holds the accepted parts (`URLID#N`) of a message a provider split up, so a retry of a
    URL that failed half-way resumes after them.
    """

    delivered: set[str] = field(default_factory=set)
    errors: dict[str, str] = field(default_factory=dict)
    parts: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.errors


class Channels:
    """Tag → URLs, from the config's `channels:` and an optional Apprise YAML/TEXT config file."""

    def __init__(self, channels: dict[str, list[str]], apprise_config: Path | None = None) -> None:
        self._urls: dict[str, list[str]] = {}
        for tag, urls in channels.items():
            self._add(tag, urls)
        if apprise_config is not None:
            for tag, url in _config_urls(apprise_config):
                self._add(tag, [url])

    def _add(self, tag: str, urls: Iterable[str]) -> None:
        known = self._urls.setdefault(tag, [])
        known.extend(u.strip() for u in urls if u and u.strip() and u.strip() not in known)

    def tags(self) -> list[str]:
        return sorted(tag for tag, urls in self._urls.items() if urls)

    def has(self, tag: str) -> bool:
        return bool(self._urls.get(tag))

    def describe(self, tag: str) -> list[str]:
        return [f"{url_id(u)} {redact_text(u)}" for u in self._urls.get(tag, [])]

    def send_instant(self, tag: str, items: list[AlertItem], route: str, *,
                     skip: set[str] | frozenset[str] = frozenset()) -> SendReport:
        documents = {i.document_url for i in items}
        more = documents.pop() if len(documents) == 1 else None
        return self._send(tag, lambda fmt: render_instant(items, route, fmt), more, skip)

    def send_digest(self, tag: str, items: list[AlertItem], route: str, start: datetime, end: datetime, *,
                    skip: set[str] | frozenset[str] = frozenset(), upcoming: Sequence[DeadlineNote] = ()) -> SendReport:
        return self._send(tag, lambda fmt: render_digest(items, route, start, end, fmt, upcoming), None, skip)

    def send_reminder(self, tag: str, note: DeadlineNote, route: str, *,
                      skip: set[str] | frozenset[str] = frozenset()) -> SendReport:
        return self._send(tag, lambda fmt: render_reminder(note, route, fmt), note.item.document_url, skip)

    def send_operator(self, tag: str, title: str, body: str, *,
                      skip: set[str] | frozenset[str] = frozenset()) -> SendReport:
        return self._send(tag, lambda fmt: render_operator(title, body, fmt), None, skip)

    def _send(self, tag: str, render: Renderer, more: str | None, skip: set[str] | frozenset[str]) -> SendReport:
        report = SendReport()
        for url in self._urls.get(tag, []):
            uid = url_id(url)
            if uid in skip:  # accepted this message in an earlier attempt
                continue
            sent_parts = {int(done.rpartition("#")[2]) for done in skip if done.startswith(f"{uid}#")}
            error = send_url(url, render, more, skip_parts=sent_parts,
                             accepted=lambda n, uid=uid: report.parts.add(f"{uid}#{n}"))
            if error is None:
                report.delivered.add(uid)
            else:
                report.errors[uid] = error
                log.warning("channel.send_failed", tag=tag, url_id=uid, url=redact_text(url), error=error)
        return report


def send_url(url: str, render: Renderer, more: str | None = None, *, skip_parts: Container[int] = (),
             accepted: Callable[[int], None] | None = None) -> str | None:
    """Send one rendered message to one URL: None when accepted, else a redacted reason."""
    try:
        if scheme_of(url) in providers.SCHEMES:
            providers.send(url, render("markdown"), more_url=more, skip_parts=skip_parts, accepted=accepted)
            return None
        return _send_apprise(url, render, skip_parts, accepted)
    except providers.ProviderError as exc:
        return redact_text(str(exc))
    except Exception as exc:  # a broken service must not stop the other URLs of the tag
        return redact_text(f"{type(exc).__name__}: {exc}")


def _send_apprise(url: str, render: Renderer, skip_parts: Container[int] = (),
                  accepted: Callable[[int], None] | None = None) -> str | None:
    scheme = scheme_of(url)
    if scheme in _SLACK and "blocks=" not in url:
        # Block Kit takes our mrkdwn verbatim; the legacy payload would escape it a second time.
        url += ("&" if "?" in url else "?") + "blocks=yes"
    notifier = apprise.Apprise(asset=apprise.AppriseAsset(storage_mode="memory"))
    if not notifier.add(url):
        return f"not a valid or supported Apprise URL: {redact_text(url)}"
    fmt = _format_for(scheme, notifier[0])
    message = render(fmt)
    # Slack gets its mrkdwn as passthrough (no declared format): Apprise must not convert it again.
    body_format = None if fmt == "slack" else _FORMAT_NAMES[message.body_format]
    parts = [(message.title, message.body)] if fmt != "slack" else _slack_parts(message)
    for number, (title, body) in enumerate(parts, 1):
        if number in skip_parts:
            continue
        result = notifier.notify(body=body, title=title, body_format=body_format, timeout=SEND_TIMEOUT)
        if not result:
            reasons = [e.message for e in result.logs() if e.level in ("WARNING", "ERROR", "CRITICAL")]
            return redact_text("; ".join(reasons[-3:]) or f"{scheme} notification failed")
        if accepted is not None:
            accepted(number)
    return None


def _slack_parts(message: Message) -> list[tuple[str, str]]:
    """Slack refuses a Block Kit section over 3000 characters and a header over 150 (Apprise
    sends the whole body as one section): a longer message goes out as several."""
    bodies = providers.fit(message.body, "", SLACK_SECTION, measure=len, max_parts=SLACK_PARTS)
    title = message.title if len(message.title) <= SLACK_TITLE else message.title[:SLACK_TITLE - 1] + "…"
    return [(title, body) for body in bodies]


def _format_for(scheme: str, plugin: object) -> str:
    """Email → HTML, Slack → mrkdwn, else the service's own first format (what it renders natively)."""
    if scheme in _EMAIL:
        return "html"
    if scheme in _SLACK:
        return "slack"
    formats = getattr(plugin, "notify_format", apprise.NotifyFormat.TEXT)
    first = formats[0] if isinstance(formats, tuple | list) else formats
    return {apprise.NotifyFormat.HTML: "html", apprise.NotifyFormat.MARKDOWN: "markdown"}.get(first, "text")


def _config_urls(path: Path) -> list[tuple[str, str]]:
    """(tag, url) pairs of an Apprise YAML or TEXT config file; untagged URLs get the tag 'all'."""
    config = apprise.AppriseConfig(asset=apprise.AppriseAsset(storage_mode="memory"))
    if not config.add(str(path)):
        raise ValueError(f"{path}: not a readable Apprise config")
    pairs = []
    for server in config.services():
        url = server.url(privacy=False)
        for tag in sorted({str(t) for t in server.tags}) or ["all"]:  # AppriseTag prints its name
            pairs.append((tag, url))
    return pairs
