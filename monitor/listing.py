"""List page (HTML, Hanweb recordset, feed, or a site module's JSON) → links: url, title, date.

Titles come from the `title` attribute when there is one (link texts are often cut with "…");
dates come from the list, never from the URL; links that leave the source's site are dropped.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import structlog
from lxml.html import HtmlElement

from monitor.htmltext import SHANGHAI, clean_space, parse_day, parse_fragment, parse_html, select

log = structlog.get_logger()

_RECORD = re.compile(r"<record(?:\s[^>]*)?>(.*?)</record>", re.IGNORECASE | re.DOTALL)
_CDATA = re.compile(r"^\s*<!\[CDATA\[(.*?)\]\]>\s*$", re.DOTALL)
_ONCLICK_URL = re.compile(r"""['"]((?:https?:)?/[^'"]+|\.{1,2}/[^'"]+)['"]""")
_SKIP_HREF = ("javascript:", "mailto:", "#", "tel:")
_FULL_DAY = re.compile(r"\d{4}\s*[-/.年]")


@dataclass(frozen=True)
class Link:
    url: str
    title: str
    date: dt.date | None = None


def list_base(url: str) -> str:
    """The URL relative links resolve against: a folder-like URL without its trailing slash
    (`…/gzzl_yb`, served as the folder's index) is treated as the folder it is."""
    parts = urlsplit(url)
    last = parts.path.rsplit("/", 1)[-1]
    if parts.path and last and "." not in last and not parts.query:
        return url + "/"
    return url


def page_urls(source: Any, pages: int) -> list[str]:
    """Page 1 … `pages` of a source's list; sources without a pagination rule have only page 1."""
    urls = [source.url]
    module = site_module(source)
    for n in range(2, max(1, pages) + 1):
        if module is not None and hasattr(module, "page_url"):
            urls.append(module.page_url(source, n))
        elif source.pagination:
            base = list_base(source.url)
            folder = base if base.endswith("/") else base.rsplit("/", 1)[0] + "/"
            urls.append(source.pagination.format(base=folder, url=source.url, n=n, n0=n - 1))
        else:
            log.info("pagination.unknown", source=source.id, pages=pages)
            break
    return urls


def site_module(source: Any) -> Any:
    if not getattr(source, "module", None):
        return None
    from sources import MODULES

    return MODULES[source.module]


@dataclass(frozen=True)
class ListRead:
    """What one list page yielded and how: `method` is "selectors" (the entry's selectors, feed or
    site module) or "detected" (automatic list detection); `drift` says why detection stood in for
    selectors that stopped finding the list."""

    links: list[Link]
    method: str = "selectors"
    drift: str | None = None


def links_for(listing: Any, source: Any) -> list[Link]:
    """The links of a fetched list page, in page order, de-duplicated, on the source's own site."""
    return read_list(listing, source).links


def read_list(listing: Any, source: Any) -> ListRead:
    """Read a list page the entry's way; a URL-only entry (no list selectors) is read by detection,
    and an entry whose selectors find fewer than min_links where detection finds a list (a redesign)
    is read by detection too, flagged as drift so the operator hears of it."""
    from monitor.listdetect import detect_links  # it builds on this module's page helpers

    text = listing.text or ""
    if source.kind == "html" and site_module(source) is None and source.list.item is None:
        return ListRead(_own(detect_links(text, listing.url), source), method="detected")
    found = _own(_configured_links(listing, source), source)
    wanted = max(1, source.min_links)
    if len(found) >= wanted or source.kind != "html" or site_module(source) is not None:
        return ListRead(found)
    detected = _own(detect_links(text, listing.url), source)
    if len(detected) < wanted or len(detected) <= len(found):
        return ListRead(found)
    drift = (f"list selectors found {len(found)} link(s), automatic detection {len(detected)}: "
             "the page's markup changed; update the entry's `list:` selectors")
    log.warning("list.selectors_drifted", source=source.id, selectors=len(found), detected=len(detected))
    return ListRead(detected, method="detected", drift=drift)


def _configured_links(listing: Any, source: Any) -> list[Link]:
    module = site_module(source)
    if source.kind == "feed":
        return feed_links(listing.content or (listing.text or "").encode("utf-8"), listing.url)
    if module is not None:
        return module.links(listing.text or "", listing.url, source)
    return html_links(listing.text or "", listing.url, source.list)


def _own(found: list[Link], source: Any) -> list[Link]:
    """Links de-duplicated (first wins) and kept only when on the source's own site."""
    seen: set[str] = set()
    kept = []
    for link in found:
        if link.url in seen:
            continue
        seen.add(link.url)
        if source.owns(link.url):
            kept.append(link)
        else:
            log.debug("link.foreign_host", url=link.url)
    return kept


def recordset_fragment(text: str) -> str | None:
    """Hanweb column pages carry the list as <record><![CDATA[<li>…</li>]]></record>, sometimes
    HTML-escaped (&lt;record&gt;…); returns the records' HTML joined, or None when there are none."""
    records = _RECORD.findall(text)
    if not records and "&lt;record" in text:
        records = _RECORD.findall(html.unescape(text))
    if not records:
        return None
    return "\n".join((m.group(1) if (m := _CDATA.match(r)) else r) for r in records)


def page_tree(text: str, url: str) -> tuple[HtmlElement | None, str, bool]:
    """(tree, base URL for relative links, whether the tree is a Hanweb recordset) of a list page:
    a page whose list is a recordset island is read as those records alone."""
    fragment = recordset_fragment(text)
    root = parse_fragment(fragment) if fragment is not None else parse_html(text)
    if root is None:
        return None, url, False
    base_href = root.xpath("string(//base/@href)") if fragment is None else ""
    base = (absolute(url, base_href) if base_href else None) or list_base(url)
    return root, base, fragment is not None


def html_links(text: str, url: str, selectors: Any, today: dt.date | None = None) -> list[Link]:
    """The entries of an HTML list page (or Hanweb recordset) in page order. `today` anchors
    year-less MM-DD dates (homepage blocks); it defaults to the current day in Asia/Shanghai."""
    root, base, fragment = page_tree(text, url)
    if root is None:
        return []
    items = select(root, selectors.item) if selectors.item else select(root, "li")
    if not items and not fragment and _is_bare_fragment(text):
        items = select(root, "li")  # a WAS search answer: bare <li>s with no page around them
    links = []
    for item in items:
        link = _link_of(item, base, selectors, today)
        if link is not None:
            links.append(link)
    return links


def _is_bare_fragment(text: str) -> bool:
    """A response that is only list markup (no <html>/<body>), so it holds no navigation to mistake for entries."""
    head = text[:4096].lower()
    return "<body" not in head and "<html" not in head


def _link_of(item: HtmlElement, base: str, selectors: Any, today: dt.date | None = None) -> Link | None:
    anchors = [item] if item.tag == "a" and selectors.link == "a" else select(item, selectors.link or "a")
    if not anchors:
        return None
    anchor = anchors[0]
    target = anchor_url(anchor, base)
    if target is None:
        return None
    title_el = (select(item, selectors.title) or [anchor])[0] if selectors.title else anchor
    title = clean_space(title_el.get("title") or title_el.text_content())
    return Link(url=target, title=title, date=_entry_day(item, anchor, selectors, today))


def anchor_url(anchor: HtmlElement, base: str) -> str | None:
    """The article URL of a link: its href, or for `javascript:` links the URL in its onclick."""
    href = (anchor.get("href") or "").strip()
    if not href or href.lower().startswith(_SKIP_HREF):
        found = _ONCLICK_URL.search(anchor.get("onclick") or "")
        if not found:
            return None
        href = found.group(1)
    return absolute(base, href)  # lxml has decoded the attribute once; twice would make "&not" "¬"


def absolute(base: str, href: str) -> str | None:
    """An http(s) URL for a link, or None for one that cannot be an article (mailto:, data:, or a
    malformed host such as 'http://[::1' that makes urljoin raise)."""
    try:
        target = urljoin(base, href.strip())
        return target if urlsplit(target).scheme in {"http", "https"} else None
    except ValueError:
        return None


def _entry_day(item: HtmlElement, anchor: HtmlElement, selectors: Any, today: dt.date | None) -> dt.date | None:
    """The entry's date: the first date element with a full date (fenlei lists also print a mobile
    'MM-DD' twin), else the first that reads as a date at all; elements outside the link go first,
    so a date inside a title does not win. Without a date element: a date written anywhere in the
    entry besides the link text."""
    if selectors.date:
        found = select(item, selectors.date)
        inside = [e is anchor or anchor in e.iterancestors() for e in found]
        texts = [e.text_content() for e, _ in sorted(zip(found, inside, strict=True), key=lambda pair: pair[1])]
        days = [(day, bool(_FULL_DAY.search(t))) for t in texts if (day := parse_day(t, today))]
        if days:
            return next((d for d, full in days if full), days[0][0])
    rest = clean_space(item.text_content()).replace(clean_space(anchor.text_content()), " ")
    return parse_day(rest, today)


def feed_links(data: bytes, url: str) -> list[Link]:
    """RSS/Atom entries. A feed that declares entities is refused: entity expansion and external
    entities are attacks, not news. Every feed goes through defusedxml first, whatever its size or
    encoding (a byte search for <!ENTITY misses UTF-16 and declarations padded past the first bytes)."""
    import feedparser  # only feeds need it: imported when the first one is read

    if not _safe_xml(data, url):
        return []
    parsed = feedparser.parse(data)
    links = []
    for entry in parsed.entries:
        href = entry.get("link") or ""
        if not href:
            continue
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        day = None
        if stamp:
            moment = dt.datetime(*stamp[:6], tzinfo=dt.UTC).astimezone(SHANGHAI)
            day = moment.date()
        if target := absolute(url, href):
            links.append(Link(url=target, title=clean_space(entry.get("title")), date=day))
    return links


def _safe_xml(data: bytes, url: str) -> bool:
    """False for XML that declares entities or reaches for external resources. Malformed XML is
    not refused here: feedparser's lenient mode reads it and expands no custom entities."""
    import defusedxml.ElementTree

    try:
        defusedxml.ElementTree.fromstring(data)
    except defusedxml.DefusedXmlException as exc:  # EntitiesForbidden, ExternalReferenceForbidden …
        log.warning("feed.refused", url=url, reason=type(exc).__name__)
        return False
    except Exception:  # not well-formed, empty, undecodable: let feedparser try
        pass
    return True
