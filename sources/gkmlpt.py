"""Guangdong's 政府信息公开 platform (gkmlpt): the list is JSON from /gkmlpt/api/all/{cat}?page=N&sid=SID.

The catalog URL is that API URL with page=1; the column's HTML page only renders it with JavaScript.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from monitor.htmltext import SHANGHAI, clean_space, parse_day
from monitor.listing import Link

_PRE = re.compile(r"<pre[^>]*>(.*?)</pre>", re.DOTALL | re.IGNORECASE)


def _articles(text: str) -> list[dict[str, Any]]:
    body = text.strip()
    if not body.startswith("{"):  # some gateways wrap JSON in an HTML <pre>
        match = _PRE.search(body)
        body = match.group(1) if match else body
    try:
        data = json.loads(body)
    except ValueError:
        return []
    articles = data.get("articles") if isinstance(data, dict) else None
    return [a for a in articles or [] if isinstance(a, dict)]


def _day(article: dict[str, Any]) -> dt.date | None:
    for key in ("date", "publish_time", "first_publish_time", "created_at"):
        value = article.get(key)
        if isinstance(value, int | float) and value > 10**9:  # epoch seconds
            return dt.datetime.fromtimestamp(value, SHANGHAI).date()
        if isinstance(value, str) and (day := parse_day(value)):
            return day
    return None


def links(text: str, url: str, source: Any) -> list[Link]:
    """One link per article of the API answer."""
    found = []
    for article in _articles(text):
        href = article.get("url")
        if isinstance(href, str) and href:
            found.append(Link(url=urljoin(url, href), title=clean_space(str(article.get("title") or "")),
                              date=_day(article)))
    return found


def page_url(source: Any, n: int) -> str:
    """The API URL of page `n` (the catalog URL's query with page=n)."""
    parts = urlsplit(source.url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("page", str(n))])))
