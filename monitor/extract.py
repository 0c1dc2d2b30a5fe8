"""Article page → title, publish time, publisher, main text, 信息公开 metadata and attachments.

The body comes from the source's selectors (first that matches); when none does, trafilatura
finds the main text. Chrome (breadcrumbs, date/source lines, editor credits, share and print
blocks, related reading, footers, disclaimers) never reaches the text. Pure: HTML in, data out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import structlog
from lxml.html import HtmlElement

from monitor.htmltext import (
    block_text,
    clean_space,
    drop_chrome_lines,
    first_match,
    parse_html,
    parse_moment,
    remove,
    select,
    tidy_lines,
)
from monitor.listing import Link, absolute

log = structlog.get_logger()

# Chrome that sits inside or next to body containers on TRS, Hanweb and gkmlpt pages.
CHROME = ("script, style, #detail-editor, #moe-detail-page-set, #moeCode, dl.relnews, .relnews, .editer_share, "
          ".moe-detail-shuxing, #detail-date-source, #content_date_source, .share, .bdsharebuttonbox, .fenxiang, "
          ".print, .related, .xgyd, .xglj, .article-info, .artile_info, #moe-policy-table, table.zw-table, "
          ".xxgk_table, .gk-table, .footer, .moe_footer, .bottom, nav, .location, .crumb, .navigation, .dqwz")
_ATTACHMENT = re.compile(r"\.(pdf|docx?|xlsx?|pptx?|wps|et|ofd|zip|rar|7z|txt|csv)$", re.IGNORECASE)
# Labels must start a phrase: '成文日期：' (the document's own date), '会议时间：' or '数据来源：' are not them.
_DATE_LINE = re.compile(r"(?<![\u4e00-\u9fff])(?:(?:信息)?发布(?:日期|时间)|日期|时间)\s*[：:]\s*"
                        r"(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}[^来]{0,12})")
_BARE_DATE_SOURCE = re.compile(r"(\d{4}-\d{1,2}-\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)\s*(?:来源|信息来源)")
_PUBLISHER = re.compile(r"(?<![\u4e00-\u9fff])(?:信息|文章)?来源\s*[：:]\s*([^\s|｜　，,。]{2,40})")
# Date/source lines that CMSs put inside the body container (so not above it).
_DATE_BOXES = ".moe-detail-shuxing, #detail-date-source, #content_date_source, .article-info, .artile_info"
_SKIP_TEXT = {"script", "style", "noscript", "template"}
_ATTACHMENT_LABEL = re.compile(r"^附件\s*[\d一二三四五六七八九十]*\s*[：:.、．]\s*")
# "附件1：名单" linking to a download handler without a file suffix; not a "附件下载" menu entry.
_NAMED_ATTACHMENT = re.compile(r"^附件\s*[\d一二三四五六七八九十]*\s*[：:.、．\s]\s*\S")
_META_NAMES = {"articletitle": "title", "pubdate": "pubdate", "publishdate": "publishdate",
               "contentsource": "source", "columnname": "column", "keywords": "keywords", "source": "source_meta"}
# 信息公开 table fields, with the synonyms different CMSs print.
_INFO_FIELDS = {"索引号": "索引号", "信息索引": "索引号", "发文字号": "发文字号", "文号": "发文字号",
                "发文机关": "发文机关", "发文机构": "发文机关", "发布机构": "发文机关", "成文日期": "成文日期",
                "生成日期": "成文日期", "发布日期": "发布日期", "主题分类": "主题分类", "信息类别": "主题分类",
                "分类": "主题分类", "主题词": "主题词", "有效性": "有效性", "状态": "有效性"}
_INFO_LABEL = re.compile(r"^(" + "|".join(sorted(_INFO_FIELDS, key=len, reverse=True)) + r")\s*[：:]?\s*(.*)$")


@dataclass
class Article:
    title: str | None = None
    published_at: datetime | None = None
    publisher: str | None = None
    text: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    attachments: list[dict[str, str]] = field(default_factory=list)


def extract_article(html: str, url: str, source: Any, link: Link | None) -> Article:
    """Read one article page; a page with no parsable markup yields an empty Article, not an error."""
    root = parse_html(html)
    if root is None:
        return Article(title=link.title if link else None)
    metas = _metas(root)
    info = _info_table(root)
    body = first_match(root, source.detail.body, min_chars=10) if source.detail.body else None
    attachments = (_attachments(body, url) if body is not None else []) or _attachments(root, url)
    title = _title(root, source, metas, link)
    header = _header_text(root, body)
    published = (parse_moment(metas.get("pubdate")) or parse_moment(metas.get("publishdate"))
                 or _date_from(root, source, header))
    publisher = metas.get("source") or metas.get("source_meta") or _publisher(root, source, info, header)
    text = _body_text(root, body, source, html, title)
    meta = {k: v for k, v in info.items() if v}
    if metas.get("column"):
        meta["栏目"] = metas["column"]
    return Article(title=title, published_at=published, publisher=publisher, text=text, meta=meta,
                   attachments=attachments)


def _metas(root: HtmlElement) -> dict[str, str]:
    found: dict[str, str] = {}
    for element in root.iter("meta"):
        key = _META_NAMES.get((element.get("name") or "").strip().lower())
        value = clean_space(element.get("content"))
        if key and value and key not in found:
            found[key] = value
    return found


def _title(root: HtmlElement, source: Any, metas: dict[str, str], link: Link | None) -> str | None:
    chosen = first_match(root, source.detail.title) if source.detail.title else None
    candidates = [
        metas.get("title"),
        clean_space(chosen.text_content()) if chosen is not None else None,
        link.title if link and link.title and not link.title.endswith(("…", "...")) else None,
        next((clean_space(h.text_content()) for h in select(root, "h1") if clean_space(h.text_content())), None),
        _page_title(root),
        link.title if link else None,
    ]
    return next((c for c in candidates if c), None)


def _page_title(root: HtmlElement) -> str | None:
    """<title> without the site name after ' - ', '_' or '|'."""
    title = clean_space(root.findtext(".//title"))
    return re.split(r"\s+[-|｜—]\s+|_(?=[^_]*$)", title)[0].strip() or None if title else None


def _header_text(root: HtmlElement, body: HtmlElement | None) -> str:
    """Where a page states its own date and source: the date/source boxes, then the page text up to
    the body (all of it when there is no body), scripts left out. Dates and sources written inside
    the body ('会议时间：…', '数据来源：…') are content, not the page's metadata."""
    parts = [element.text_content() for element in select(root, _DATE_BOXES)]
    ancestors = set(body.iterancestors()) if body is not None else set()
    size = 0
    for element in root.iter():
        if element is body or size > 20000:
            break
        if isinstance(element.tag, str) and element.tag not in _SKIP_TEXT and element.text:
            parts.append(element.text)
            size += len(element.text)
        if element.tail and element not in ancestors:
            parts.append(element.tail)
            size += len(element.tail)
    return clean_space(" ".join(parts))


def _date_from(root: HtmlElement, source: Any, header: str) -> datetime | None:
    """The page's own date line ('发布日期：…', '2024-02-08　来源：…'); None leaves the list date."""
    chosen = first_match(root, source.detail.date) if source.detail.date else None
    if chosen is not None and (moment := parse_moment(clean_space(chosen.text_content()))):
        return moment
    match = _DATE_LINE.search(header) or _BARE_DATE_SOURCE.search(header)
    return parse_moment(match.group(1)) if match else None


def _publisher(root: HtmlElement, source: Any, info: dict[str, str], header: str) -> str | None:
    if source.detail.publisher and (chosen := first_match(root, source.detail.publisher)) is not None:
        return clean_space(chosen.text_content()).split("：")[-1] or None
    match = _PUBLISHER.search(header)
    return match.group(1) if match else info.get("发文机关")


def _info_table(root: HtmlElement) -> dict[str, str]:
    """The 信息公开 metadata (索引号, 发文字号, 发文机关, 成文日期 …) from label/value cells."""
    info: dict[str, str] = {}
    for cell in root.iter("td", "th", "li", "span", "dt"):
        text = clean_space(cell.text_content())
        if len(text) > 60 or not (match := _INFO_LABEL.match(text)):
            continue
        key, value = _INFO_FIELDS[match.group(1)], match.group(2)
        if not value:
            sibling = cell.getnext()
            value = clean_space(sibling.text_content()) if sibling is not None else ""
        if value and key not in info and not _INFO_LABEL.match(value):
            info[key] = value
    return info


def _attachments(scope: HtmlElement, url: str) -> list[dict[str, str]]:
    """Links to files (PDF, Word, spreadsheets …) or named 附件…, resolved against the article URL, once each.

    Only a link that can be one is resolved (urljoin on every navigation link was a third of the
    extraction): one whose text names an attachment, or whose href holds a file suffix anywhere —
    a resolved path's last segment comes from the href, or from the page's own path when the href
    has none, and urlsplit drops tabs and line breaks first, as _may_be_file does.
    """
    found: dict[str, dict[str, str]] = {}
    page_is_file = bool(_ATTACHMENT.search(urlsplit(url).path))
    for anchor in scope.iter("a"):
        href = anchor.get("href") or ""
        named = _NAMED_ATTACHMENT.match(clean_space(anchor.text_content()))
        if not (named or page_is_file or _may_be_file(href)):
            continue
        target = absolute(url, href)
        path = urlsplit(target).path if target else ""
        if target and target != url and (_ATTACHMENT.search(path) or named):
            found.setdefault(target, {"url": target, "name": _attachment_name(anchor, path)})
    return list(found.values())


_FILE_SUFFIX = re.compile(_ATTACHMENT.pattern.removesuffix("$"), re.IGNORECASE)
_URL_DROPPED = str.maketrans("", "", "\t\r\n")  # what urlsplit removes from a URL before reading it


def _may_be_file(href: str) -> bool:
    return bool(_FILE_SUFFIX.search(href.translate(_URL_DROPPED)))


def _attachment_name(anchor: HtmlElement, path: str) -> str:
    """The link text without its '附件1：' label; else the original file name TRS keeps in `oldsrc`
    (a path on some sites); else the file name in the URL."""
    label = _ATTACHMENT_LABEL.sub("", clean_space(anchor.text_content()))
    original = clean_space(anchor.get("oldsrc")).rsplit("/", 1)[-1]
    return label or unquote(original) or unquote(path.rsplit("/", 1)[-1])


def _body_text(root: HtmlElement, body: HtmlElement | None, source: Any, html: str, title: str | None) -> str:
    """The body's lines without chrome and without a repeat of the title."""
    if body is None:
        text = tidy_lines(_automatic(html) or _whole_page(root))
    else:
        # The source's own `remove` is selected apart: a typo in it must not disable the built-in list.
        remove(select(body, CHROME) + select(body, source.detail.remove))
        for heading in select(body, "h1, h2"):
            if title and clean_space(heading.text_content()) in {title, title.strip()}:
                remove([heading])
        text = block_text(body)
    lines = drop_chrome_lines(text).split("\n")
    if title and lines and clean_space(lines[0]) == clean_space(title):
        lines = lines[1:]  # trafilatura keeps the page's heading as the first line
    return "\n".join(line for line in lines if line)


def _automatic(html: str) -> str | None:
    """Main text found by trafilatura, for sources without a body selector (or none that matched)."""
    import trafilatura

    try:
        return trafilatura.extract(html, include_comments=False, include_tables=True, favor_recall=True,
                                   deduplicate=False)
    except Exception:  # trafilatura on hostile markup: fall back to the whole page
        log.warning("extract.automatic_failed", exc_info=True)
        return None


def _whole_page(root: HtmlElement) -> str:
    body = root.find("body")
    scope = body if body is not None else root
    remove(select(scope, CHROME + ", header, .header, #header, #footer"))
    return block_text(scope)
