"""WeCom group bots and DingTalk robots, sent as Markdown with the checks Apprise's plugins lack.

Both answer HTTP 200 with a non-zero `errcode` when they reject a message (WeCom 40058: content
too long), and both cap the Markdown size (WeCom 4096 bytes, DingTalk about 20000), so a message
that does not fit is trimmed on a line boundary with a link to the document, or split into parts.

URLs: ``wecombot://KEY`` and ``dingtalk://TOKEN[/SECRET]`` (or ``dingtalk://SECRET@TOKEN``, the
Apprise form); a DingTalk secret (``SEC…``) adds the HMAC signature. A ``?base=http://host:port``
parameter replaces the provider's endpoint (tests, proxies); otherwise the real host is used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Container
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlsplit

import requests

from monitor.log import redact_text
from monitor.render import Message, md_escape, safe_url

TIMEOUT = (5.0, 15.0)  # connect, read
MAX_PARTS = 5  # a digest split into more parts than this is cut: bots allow ~20 messages a minute


@dataclass(frozen=True)
class Provider:
    base: str  # default endpoint
    limit: int  # bytes of markdown content
    blank_lines: bool  # DingTalk needs a blank line for a line break


PROVIDERS = {
    "wecombot": Provider("https://qyapi.weixin.qq.com/cgi-bin/webhook/send", 4096, False),
    "dingtalk": Provider("https://oapi.dingtalk.com/robot/send", 20000, True),
}
SCHEMES = frozenset(PROVIDERS)


class ProviderError(Exception):
    """The provider refused or could not be reached; the text is already redacted."""


def send(url: str, message: Message, more_url: str | None = None, *, skip_parts: Container[int] = (),
         accepted: Callable[[int], None] | None = None) -> None:
    """Post a Markdown message; raise ProviderError unless every part was accepted.

    A message split into parts reports each accepted part (`accepted(n)`), and a retry passes
    them back as `skip_parts`: part 1 of a digest is not posted again because part 3 failed.
    """
    scheme = url.partition("://")[0].lower()
    provider = PROVIDERS[scheme]
    endpoint, params, secret = _endpoint(scheme, url, provider)
    title = md_escape(message.title)
    for number, part in enumerate(fit(message.body, f"### {title}\n", provider.limit, more_url), 1):
        if number in skip_parts:
            continue
        content = _line_breaks(part) if provider.blank_lines else part
        _post(endpoint, {**params, **_signature(secret)}, _payload(scheme, title, content))
        if accepted is not None:
            accepted(number)


def _endpoint(scheme: str, url: str, provider: Provider) -> tuple[str, dict[str, str], str | None]:
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    base = query.get("base") or provider.base
    segments = [unquote(s) for s in parts.path.split("/") if s]
    host = unquote(parts.netloc.rpartition("@")[2])
    if scheme == "wecombot":
        if not host:
            raise ProviderError("wecombot URL has no key")
        return base, {"key": host}, None
    secret = unquote(parts.username) if parts.username else None
    if secret is None and segments and not segments[0].isdigit():  # digits: an Apprise @mention target
        secret = segments[0]
    if not host:
        raise ProviderError("dingtalk URL has no access token")
    return base, {"access_token": host}, secret


def _signature(secret: str | None) -> dict[str, str]:
    """DingTalk's optional signing: HMAC-SHA256 of 'timestamp\\nsecret', valid for an hour."""
    if not secret:
        return {}
    timestamp = str(round(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return {"timestamp": timestamp, "sign": base64.b64encode(digest).decode()}


def _payload(scheme: str, title: str, content: str) -> dict:
    if scheme == "wecombot":
        return {"msgtype": "markdown", "markdown": {"content": content}}
    return {"msgtype": "markdown", "markdown": {"title": title[:64] or "edu-monitor", "text": content}}


def _post(endpoint: str, params: dict[str, str], payload: dict) -> None:
    url = endpoint + ("&" if "?" in endpoint else "?") + "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
    try:
        response = requests.post(url, json=payload, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise ProviderError(redact_text(f"cannot reach {url}: {type(exc).__name__}: {exc}")) from None
    if response.status_code != 200:
        raise ProviderError(redact_text(f"HTTP {response.status_code} from {endpoint}: {response.text[:200]}"))
    try:
        answer = response.json()
    except ValueError:
        raise ProviderError(redact_text(f"not a JSON answer from {endpoint}: {response.text[:200]}")) from None
    if answer.get("errcode", 0) != 0:
        raise ProviderError(redact_text(f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}"))


def _line_breaks(text: str) -> str:
    """DingTalk joins single newlines; a blank line between lines keeps them apart."""
    return "\n\n".join(line for line in text.splitlines() if line.strip())


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def fit(body: str, head: str, limit: int, more_url: str | None = None, *,
        measure: Callable[[str], int] = _size, max_parts: int = MAX_PARTS) -> list[str]:
    """The body (after `head`) as parts within `limit` (bytes, or what `measure` counts), cut only
    between lines.

    With `more_url` (one document) the message is trimmed with a link to the rest; without
    (a digest) it is split into at most `max_parts` parts, the last one saying it was cut.
    """
    budget = limit - 64  # room for the part marker and DingTalk's blank lines per break
    lines = _cut_long_lines(body.rstrip("\n").splitlines(), budget // 2, measure)
    if measure(head + "\n".join(lines)) + len(lines) <= budget:
        return [head + "\n".join(lines)]
    link = safe_url(more_url)
    tail = f"\n……内容较长，[查看全文]({link})" if link else "\n……内容较长，其余已省略"
    if link:
        return [_take(lines, head, budget - measure(tail), measure)[0] + tail]
    parts: list[str] = []
    while lines and len(parts) < max_parts:
        marker = f"（{len(parts) + 1}）\n"
        text, lines = _take(lines, head + marker, budget - measure(tail), measure)
        parts.append(text)
    if lines:
        parts[-1] += tail
    return parts


def _take(lines: list[str], head: str, budget: int, measure: Callable[[str], int]) -> tuple[str, list[str]]:
    """As many whole lines as fit after `head` (at least one, already cut to fit)."""
    taken, size = [head.rstrip("\n")], measure(head) + 1
    for n, line in enumerate(lines):
        size += measure(line) + 2  # newline, plus a blank line if DingTalk doubles it
        if size > budget and n > 0:
            return "\n".join(taken), lines[n:]
        taken.append(line)
    return "\n".join(taken), []


def _cut_long_lines(lines: list[str], most: int, measure: Callable[[str], int]) -> list[str]:
    """A single line longer than a part (a huge paragraph) is cut at a character boundary."""
    out = []
    for line in lines:
        while measure(line) > most:
            cut = len(line.encode("utf-8")[:most].decode("utf-8", "ignore")) if measure is _size else most
            out.append(line[:cut])
            line = line[cut:]
        out.append(line)
    return out
