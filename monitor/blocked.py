"""Is this response a block rather than content? Anti-bot layers on government sites often answer
HTTP 200 with a JavaScript shell or a "访问过于频繁" page; parsing those would report an empty site."""

from __future__ import annotations

import re

# Status codes that anti-bot layers use for their challenges: 412 瑞数 (Ruishu), 521 加速乐 (Jiasule),
# 405 电信云防护, 403 plain refusals (often by region or address).
CHALLENGE_STATUS = {403: "HTTP 403 forbidden", 405: "HTTP 405 (cloud firewall)",
                    412: "HTTP 412 JavaScript challenge", 521: "HTTP 521 JavaScript challenge"}

_RATE_LIMIT = re.compile(r"访问过于频繁|频繁访问|访问频率过[快高]|请求过于频繁|访问太频繁|操作过于频繁")
_CHALLENGE_MARKS = re.compile(
    r"\$_ts|__jsl_clearance|_\$[a-zA-Z]{2}\(|EO_Bot|acw_sc__v2|challenge-platform|"
    r"document\.cookie\s*=|location\.reload\(|window\.location\.href\s*=|滑动验证|安全验证|请开启JavaScript|"
    r"enable JavaScript", re.IGNORECASE)
_SCRIPT = re.compile(r"<script\b.*?</script\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_VISIBLE_MAX = 200  # a real list or article page has far more text than a challenge shell
_SHELL_MAX_BYTES = 64 * 1024


def blocked_reason(status: int, text: str | None) -> str | None:
    """Why this response is a block (a short reason), or None when it looks like real content."""
    if status in CHALLENGE_STATUS:
        return CHALLENGE_STATUS[status]
    if status != 200 or not text or len(text) > _SHELL_MAX_BYTES:
        return None
    visible = _visible_text(text)
    if len(visible) < _VISIBLE_MAX * 2 and _RATE_LIMIT.search(visible):
        return "rate-limit page (访问过于频繁)"
    if len(visible) < _VISIBLE_MAX and _CHALLENGE_MARKS.search(text):
        return "HTTP 200 JavaScript challenge shell"
    return None


def _visible_text(html: str) -> str:
    return re.sub(r"\s+", "", _TAG.sub(" ", _SCRIPT.sub(" ", html)))
