"""Messages from stored items: Jinja2 templates per channel format, every scraped string escaped.

Each format gets its own Jinja2 environment whose `finalize` escapes every `{{ … }}` output for
that format (HTML autoescape, Markdown, Slack mrkdwn), so a template cannot forget to escape;
the only markup that passes is what the link helpers below build from http(s) URLs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any, Literal
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from jinja2 import BaseLoader, Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from monitor.taxonomy import LABELS, NATIONAL, PROVINCES, label_name

DISPLAY_TZ = ZoneInfo("Asia/Shanghai")
OTHER = "其他"
NO_REGION = "未注明地区"
SNIPPET = 160  # characters of item text shown in a message
DEADLINE_TEXT = 60  # characters of a deadline's sentence shown next to its date
LABEL_COLORS = {  # HTML accents: incidents red, security work orange, the rest calm
    "security_incident": "#dc2626", "cybersecurity": "#ea580c", "app_governance": "#7c3aed",
    "platform_launch": "#0891b2", "policy_document": "#2563eb", "data_governance": "#0d9488",
    "meeting": "#4f46e5", "training": "#65a30d", "competition_selection": "#ca8a04",
    "infrastructure": "#475569", "digital_resources": "#059669", "artificial_intelligence": "#db2777",
}

# Markdown control characters become their full-width forms: inert in every Markdown dialect
# (WeCom and DingTalk document no backslash escapes) and natural in Chinese text.
_MD_TABLE = str.maketrans({
    "\\": "＼", "`": "｀", "*": "＊", "_": "＿", "[": "［", "]": "］", "(": "（", ")": "）",
    "#": "＃", ">": "＞", "<": "＜", "|": "｜", "!": "！", "~": "～", "{": "｛", "}": "｝",
})
_SPACE = re.compile(r"\s+")
_URL_SAFE = "/:?=&%#@+,;.~-_!$"  # everything else (brackets, quotes, spaces, |, <, >) is %-encoded


@dataclass
class AlertItem:
    """What a message shows about one stored item."""

    title: str
    text: str
    section: str | None
    labels: list[str]
    evidence: dict[str, list[str]]
    region: str | None
    date: str | None
    date_end: str | None
    figures: list[dict]
    document_title: str
    document_url: str
    source_id: str
    source_name: str
    published_at: datetime | None
    doc_number: str | None = None
    deadlines: list[dict[str, str]] = field(default_factory=list)
    attachment_match: dict[str, str] | None = None  # {"name", "line"}: where the route's keywords were found
    item_id: int | None = None
    page_url: str | None = None  # the item's page in the web view, when web.base_url is set


@dataclass
class DeadlineNote:
    """One deadline of a notice a route selects: a reminder, or a line of a digest's upcoming section."""

    item: AlertItem  # the notice, through the first of its items the route selects
    date: date
    texts: list[str]  # the sentences that set this date
    document_id: int | None = None


@dataclass
class Message:
    """A rendered message for one channel format."""

    title: str
    body: str
    body_format: Literal["markdown", "html", "text"]


def oneline(value: Any) -> str:
    """Scraped strings may hold newlines and runs of spaces that would break a message's layout."""
    text = "" if value is None or value is False else str(value)  # but 0 is shown: a count of none
    return _SPACE.sub(" ", text).strip()


def md_escape(value: Any) -> str:
    return oneline(value).translate(_MD_TABLE)


def slack_escape(value: Any) -> str:
    return oneline(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe_url(url: Any) -> str | None:
    """The URL if it is an absolute http(s) link, %-encoded so it cannot close a link; else None."""
    text = str(url or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(text, safe=_URL_SAFE)


def _md_link(label: Any, url: Any) -> Markup:
    target = safe_url(url)
    return Markup(f"[{md_escape(label)}]({target})" if target else md_escape(label))


def _slack_link(label: Any, url: Any) -> Markup:
    target = safe_url(url)
    if not target:
        return Markup(slack_escape(label))
    return Markup(f"<{target.replace('&', '&amp;')}|{slack_escape(label).replace('|', '｜')}>")


def _html_link(label: Any, url: Any, style: str = "") -> Markup:
    target = safe_url(url)
    if not target:
        return escape(oneline(label))
    return Markup('<a href="{}" style="{}">{}</a>').format(target, style, oneline(label))


def _text_link(label: Any, url: Any) -> str:
    target = safe_url(url)
    return f"{oneline(label)} {target}" if target else oneline(label)


def _finalizer(escape_fn: Callable[[Any], str]) -> Callable[[Any], Any]:
    def finalize(value: Any) -> Any:
        if value is None:
            return ""
        return value if isinstance(value, Markup) else escape_fn(value)
    return finalize


_FORMATS: dict[str, tuple[str, Callable[[Any], str], Callable[..., Any]]] = {
    # fmt: (template suffix, escape for {{ }}, link builder)
    "markdown": ("md", md_escape, _md_link),
    "slack": ("slack", slack_escape, _slack_link),
    "html": ("html", oneline, _html_link),  # autoescape does the HTML escaping after finalize
    "text": ("txt", oneline, _text_link),
}


@cache
def _environment(fmt: str) -> Environment:
    return make_environment(fmt, PackageLoader("alerts", "templates"))


def make_environment(fmt: str, loader: BaseLoader) -> Environment:
    """A Jinja2 environment that escapes every `{{ … }}` for `fmt`, with the message filters
    (the web view builds its pages on the HTML one, so they share the digest's cards)."""
    _suffix, escape_fn, link = _FORMATS[fmt]
    env = Environment(loader=loader, autoescape=fmt == "html",
                      finalize=_finalizer(escape_fn), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
    env.filters.update(link=link, snippet=snippet, when=when, href=lambda u: safe_url(u) or "")
    env.globals.update(colors=LABEL_COLORS)
    return env


def template(fmt: str, name: str) -> Any:
    if fmt not in _FORMATS:
        raise ValueError(f"unknown message format {fmt!r} (use one of {', '.join(_FORMATS)})")
    return _environment(fmt).get_template(f"{name}.{_FORMATS[fmt][0]}.j2")


def snippet(text: Any, limit: int = SNIPPET) -> str:
    flat = oneline(text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def when(value: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """Times are shown in Beijing time, the readers' clock."""
    if value is None:
        return ""
    return (value.astimezone(DISPLAY_TZ) if value.tzinfo else value).strftime(pattern)


def display_title(item: AlertItem) -> str:
    """The item's title; a 各地工作动态 entry is titled only by its province, so its first words
    are added ("黑龙江：省教育厅印发…") — a bare province name tells a reader nothing."""
    title = item.title or item.document_title
    if item.title and item.title == item.region and item.text:
        first = re.split(r"[。；;！!？?\n]", item.text.strip(), maxsplit=1)[0]
        return f"{title}：{first[:40]}{'…' if len(first) > 40 else ''}"
    return title


def item_view(item: AlertItem) -> dict[str, Any]:
    """Display fields derived once, so every format shows the same facts."""
    ordered = [label for label in LABELS if label in item.labels] + [x for x in item.labels if x not in LABELS]
    dates = " 至 ".join(d for d in (item.date, item.date_end) if d)
    return {
        "item": item, "title": display_title(item), "labels": [label_name(x) for x in ordered],
        "primary": ordered[0] if ordered else None, "region": item.region or "", "dates": dates,
        "figures": [str(f.get("text") or f.get("value") or "") for f in item.figures if f],
        "evidence": [(label_name(x), [oneline(c) for c in item.evidence.get(x, [])])
                     for x in ordered if item.evidence.get(x)],
        "url": item.document_url, "page": item.page_url, "published": when(item.published_at, "%Y-%m-%d"),
        "deadlines": [f"{d.get('date')}（{snippet(d.get('text'), DEADLINE_TEXT)}）" for d in item.deadlines],
        "match": item.attachment_match,
    }


WEEKDAYS = "一二三四五六日"


def note_view(note: DeadlineNote) -> dict[str, Any]:
    """What a reminder or an upcoming-deadline line shows: the notice, its number, the day and why."""
    item = note.item
    return {
        "item": item, "title": item.document_title or item.title, "url": item.document_url, "page": item.page_url,
        "day": f"{note.date.isoformat()}（周{WEEKDAYS[note.date.weekday()]}）",
        "texts": [snippet(t, DEADLINE_TEXT * 2) for t in note.texts], "match": item.attachment_match,
    }


def _region_key(region: str) -> tuple[int, int, str]:
    if region == NATIONAL:
        return (0, 0, region)
    if region in PROVINCES:
        return (1, PROVINCES.index(region), region)
    return (2, 0, region or "~")


def digest_groups(items: list[AlertItem]) -> list[dict[str, Any]]:
    """Items under their first label (taxonomy order, security first), then by region; unlabelled last."""
    views = [item_view(i) for i in items]
    groups: list[dict[str, Any]] = []
    for label in [*LABELS, None]:
        members = [v for v in views if v["primary"] == label]
        if not members:
            continue
        regions: dict[str, list[dict[str, Any]]] = {}
        for view in sorted(members, key=lambda v: (_region_key(v["region"]), v["dates"] or "~")):
            regions.setdefault(view["region"] or NO_REGION, []).append(view)
        groups.append({"label": label or "other", "name": label_name(label) if label else OTHER,
                       "count": len(members), "regions": list(regions.items())})
    return groups


def _body_format(fmt: str) -> Literal["markdown", "html", "text"]:
    return "markdown" if fmt in ("markdown", "slack") else "html" if fmt == "html" else "text"


def _render(fmt: str, name: str, title: str, context: dict[str, Any]) -> Message:
    body = template(fmt, name).render(title=title, **context).strip() + "\n"
    return Message(title=oneline(title), body=body, body_format=_body_format(fmt))


def instant_title(items: list[AlertItem]) -> str:
    if not items:
        return "教育信息化动态"
    first = item_view(items[0])
    tags = "·".join(first["labels"][:2])
    if len(items) == 1:
        return f"【{tags}】{first['title']}" if tags else first["title"]
    return f"【{tags or '动态'}】{items[0].document_title}（{len(items)} 条）"


def render_instant(items: list[AlertItem], route: str, fmt: str) -> Message:
    """One message for a small batch of items (usually the items of one document)."""
    views = [item_view(i) for i in items]
    return _render(fmt, "instant", instant_title(items), {"views": views, "route": route})


def digest_title(items: list[AlertItem], route: str, end: datetime) -> str:
    return f"教育信息化动态摘要 {when(end, '%Y-%m-%d')}（{len(items)} 条 · {route}）"


def render_digest(items: list[AlertItem], route: str, start: datetime, end: datetime, fmt: str,
                  upcoming: Sequence[DeadlineNote] = ()) -> Message:
    """The digest of a route's window: counts per label, the deadlines coming up in the notices the
    route selects, then items grouped by label and region."""
    groups = digest_groups(items)
    context = {"groups": groups, "route": route, "start": start, "end": end, "total": len(items),
               "upcoming": [note_view(n) for n in upcoming]}
    return _render(fmt, "digest", digest_title(items, route, end), context)


def reminder_title(note: DeadlineNote) -> str:
    return f"【截止提醒】{note.date.month}月{note.date.day}日截止：{note.item.document_title or note.item.title}"


def render_reminder(note: DeadlineNote, route: str, fmt: str) -> Message:
    """A deadline reminder: the notice (linked), its 文号, the deadline and the sentences that set it."""
    return _render(fmt, "reminder", reminder_title(note), {"n": note_view(note), "route": route})


def render_operator(title: str, body: str, fmt: str) -> Message:
    """Operator notices (source down, delivery given up): our own text, still escaped (it quotes errors)."""
    lines = [line.rstrip() for line in str(body).splitlines() if line.strip()]
    return _render(fmt, "operator", title, {"lines": lines})


def digest_html(items: list[AlertItem], route: str, start: datetime, end: datetime,
                upcoming: Sequence[DeadlineNote] = ()) -> str:
    """The full HTML page of a digest, for `digest --out FILE.html` and the digest email."""
    return render_digest(items, route, start, end, "html", upcoming).body
