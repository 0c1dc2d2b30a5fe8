"""HTML → element tree → paragraph text, tolerant of what government CMSs produce (unquoted
attributes, stray tags, XML declarations, garbage); and the line-level chrome filter."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import lxml.etree
import lxml.html
from lxml.html import HtmlElement

SHANGHAI = ZoneInfo("Asia/Shanghai")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_BLOCK = {"p", "div", "br", "li", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
          "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "center", "hr", "form", "header", "footer"}
_SKIP = {"script", "style", "noscript", "template", "iframe", "object", "select", "button", "input", "textarea"}
_CELL = {"td", "th"}
# Whole lines that are site chrome wherever they appear (footers, sharing, editor credits, notices).
_CHROME_LINE = re.compile(
    r"^[（(]?责任编辑|版权所有|ICP[备证]|公网安备|网站标识码|网站识别码|主办单位[：:]|承办单位[：:]|技术支持[：:]|"
    r"^【?打印(本页|此页)?】?|【关闭(窗口)?】|^分享到|扫一扫|^相关(阅读|新闻|链接|文章)[：:]?$|"
    r"^(字体|字号)[：:]?【?[大中小]|^当前位置[：:]|^您(现在)?的位置|^浏览次数|^【?(返回顶部|关闭)】?$|"
    r"本网站?(所)?(刊|转)载.{0,20}(不代表|仅供)|转载请注明|免责声明")


def parse_html(text: str) -> HtmlElement | None:
    """A document tree, or None for a page with no markup to speak of."""
    text = _XML_DECL.sub("", text or "", count=1).replace("\x00", "")
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError):
        return None


def parse_fragment(text: str) -> HtmlElement | None:
    try:
        return lxml.html.fragment_fromstring(text, create_parent="div") if text.strip() else None
    except (lxml.etree.ParserError, ValueError):
        return None


def select(root: HtmlElement, selectors: str | None) -> list[HtmlElement]:
    """Elements matching a CSS selector list; an invalid selector matches nothing (logged by the caller)."""
    if not selectors:
        return []
    try:
        return root.cssselect(selectors)
    except Exception:  # cssselect raises several error types for bad syntax
        return []


def first_match(root: HtmlElement, selectors: str | None, min_chars: int = 1) -> HtmlElement | None:
    """The first element, trying each comma-separated selector in order, whose text is long enough."""
    for selector in (s.strip() for s in (selectors or "").split(",")):
        for element in select(root, selector):
            if len(clean_space(element.text_content())) >= min_chars:
                return element
    return None


def clean_space(text: str | None) -> str:
    return re.sub(r"\s+", " ", (text or "").replace("\u3000", " ").replace("\xa0", " ")).strip()


def block_text(element: HtmlElement) -> str:
    """Visible text with one line per block element (paragraph, list item, table row)."""
    parts: list[str] = []

    def walk(node: HtmlElement) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _SKIP:
            if node.tail:
                parts.append(node.tail)
            return
        if tag in _BLOCK:
            parts.append("\n")
        if node.text and tag not in _SKIP and isinstance(node.tag, str):
            parts.append(node.text)
        for child in node:
            walk(child)
        if tag in _BLOCK:
            parts.append("\n")
        elif tag in _CELL:
            parts.append(" ")
        if node.tail:
            parts.append(node.tail)

    walk(element)
    lines = (re.sub(r"[ \t\r\f\v\xa0]+", " ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def drop_chrome_lines(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if not _CHROME_LINE.search(line))


def remove(elements: list[HtmlElement]) -> None:
    """Drop elements from the tree, keeping their tail text (which belongs to the parent)."""
    for element in elements:
        parent = element.getparent()
        if parent is not None:
            element.drop_tree()


_DAY = re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")
_MONTH_DAY = re.compile(r"^\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


def parse_day(text: str | None, today: dt.date | None = None) -> dt.date | None:
    """A calendar day written in a list or date line: 2024-02-08, 2024/2/8, 2024年2月8日, and bare
    02-08 (homepage lists) taken as the latest such day not after tomorrow — never from a URL."""
    if not text:
        return None
    squeezed = re.sub(r"\s+", "", text)
    match = _DAY.search(squeezed)
    try:
        if match:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        short = _MONTH_DAY.match(squeezed)
        if short:
            today = today or dt.datetime.now(SHANGHAI).date()
            day = dt.date(today.year, int(short.group(1)), int(short.group(2)))
            return day if day <= today + dt.timedelta(days=1) else day.replace(year=today.year - 1)
    except ValueError:
        return None
    return None


def parse_moment(text: str | None) -> dt.datetime | None:
    """'2024-02-08 09:30' (Asia/Shanghai, as Chinese government pages write it) → aware datetime;
    a day without a time is taken at local noon, like list dates."""
    day = parse_day(text)
    if day is None:
        return None
    clock = _TIME.search(text or "")
    hour, minute, second = (int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)) if clock else (12, 0, 0)
    try:
        return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=SHANGHAI)
    except ValueError:
        return dt.datetime(day.year, day.month, day.day, 12, tzinfo=SHANGHAI)
