"""HTML → element tree → paragraph text, tolerant of what government CMSs produce (unquoted
attributes, stray tags, XML declarations, garbage); and the line-level chrome filter."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from zoneinfo import ZoneInfo

import lxml.etree
import lxml.html
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

SHANGHAI = ZoneInfo("Asia/Shanghai")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BLOCK = {"p", "div", "br", "li", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
          "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "center", "hr", "form", "header", "footer"}
_SKIP = {"script", "style", "noscript", "template", "iframe", "object", "select", "button", "input", "textarea"}
_CELL = {"td", "th"}
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_INLINE_SPACE = re.compile(r"[^\S\n]+")
# Whole lines that are site chrome wherever they appear (footers, sharing, editor credits, notices).
_CHROME_LINE = re.compile(
    r"^[（(]?责任编辑|版权所有|ICP[备证]|公网安备|网站标识码|网站识别码|主办单位[：:]|承办单位[：:]|技术支持[：:]|"
    r"^【?打印(本页|此页)?】?|【关闭(窗口)?】|^分享到|^扫一扫|扫一扫在手机(上)?打开|^相关(阅读|新闻|链接|文章)[：:]?$|"
    r"^(字体|字号)[：:]?【?[大中小]|^当前位置[：:]|^您(现在)?的位置|^浏览次数|^【?(返回顶部|关闭)】?$|"
    r"本网站?(所)?(刊|转)载.{0,20}(不代表|仅供)|转载请注明|免责声明")


def parse_html(text: str) -> HtmlElement | None:
    """A document tree, or None for a page with no markup to speak of."""
    text = _xml_safe(_XML_DECL.sub("", text or "", count=1))
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError):
        return None


def parse_fragment(text: str) -> HtmlElement | None:
    text = _xml_safe(text or "")
    try:
        return lxml.html.fragment_fromstring(text, create_parent="div") if text.strip() else None
    except (lxml.etree.ParserError, ValueError):
        return None


def _xml_safe(text: str) -> str:
    """Control characters (form feeds, NULs, lone surrogates) become spaces: the parser keeps them
    in text nodes, and lxml then refuses to move such text when an element is dropped."""
    return _NOT_XML_CHAR.sub(" ", text)


def select(root: HtmlElement, selectors: str | None) -> list[HtmlElement]:
    """Elements matching a CSS selector list; an invalid selector matches nothing (logged by the caller)."""
    compiled = _compiled(selectors) if selectors else None
    return compiled(root) if compiled is not None else []


@lru_cache(maxsize=512)
def _compiled(selectors: str) -> CSSSelector | None:
    """Selectors compiled once: translating CSS to XPath is most of the cost of a select."""
    try:
        return CSSSelector(selectors, translator="html")
    except Exception:  # cssselect raises several error types for bad syntax
        return None


def first_match(root: HtmlElement, selectors: str | None, min_chars: int = 1) -> HtmlElement | None:
    """The first element, trying each comma-separated selector in order, whose text is long enough."""
    for selector in (s.strip() for s in (selectors or "").split(",")):
        for element in select(root, selector):
            if len(clean_space(element.text_content())) >= min_chars:
                return element
    return None


_SPACE = re.compile(r"\s+")  # Unicode whitespace: the ideographic space and NBSP too


def clean_space(text: str | None) -> str:
    """Runs of any whitespace as one space, none at the ends."""
    return _SPACE.sub(" ", text or "").strip()


def block_text(element: HtmlElement) -> str:
    """Visible text with one line per block element (paragraph, list item, table row), no empty
    lines. Iterative, because hostile pages nest thousands of unclosed tags (recursion would die)."""
    parts: list[str] = []
    stack: list[tuple[HtmlElement, bool]] = [(element, False)]
    while stack:
        node, closing = stack.pop()
        tag = node.tag if isinstance(node.tag, str) else ""
        if closing:
            parts.append("\n" if tag in _BLOCK else " " if tag in _CELL else "")
            if node.tail and node is not element:
                parts.append(node.tail)
            continue
        if tag in _SKIP or not isinstance(node.tag, str):  # scripts, comments, processing instructions
            if node.tail and node is not element:
                parts.append(node.tail)
            continue
        if tag in _BLOCK:
            parts.append("\n")
        if node.text:
            parts.append(node.text)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    return tidy_lines("".join(parts))


def tidy_lines(text: str) -> str:
    """One space between words, no blank lines. Unicode line separators (U+2028, NEL …) count as
    breaks too, so `splitlines()` downstream sees exactly the lines this returns."""
    lines = (_INLINE_SPACE.sub(" ", line).strip() for line in _LINE_BREAK.split(text or ""))
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
_MONTH_DAY = re.compile(r"^[\s\[(（【]*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?[\s\])）】]*$")
_TIME = re.compile(r"\s*(?:日\s*)?(?:[T\s]\s*)?(\d{1,2})[:：时]\s*(\d{2})(?:\s*[:：分]\s*(\d{2}))?")


def parse_day(text: str | None, today: dt.date | None = None) -> dt.date | None:
    """A calendar day written in a list or date line: 2024-02-08, 2024/2/8, 2024年2月8日, and bare
    02-08 (homepage lists) taken as the latest such day not after today — never from a URL, never
    in the future. Whitespace is not squeezed out first: that would glue '2024-02-08 09:30' into
    '2024-02-0809:30', which no longer reads as a day."""
    if not text:
        return None
    try:
        match = _DAY.search(text)
        if match:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        short = _MONTH_DAY.match(text)
        if short:
            return latest_past(int(short.group(1)), int(short.group(2)), today)
    except ValueError:
        return None
    return None


# Dates in free text around a list entry: '28 2025-11' / '2025-11 28' (day and month set apart), '11-28', '11月28日'.
_SPLIT_DAY = re.compile(r"(?<!\d)(?:(\d{1,2})\s*日?\s+(\d{4})\s*[-/.年]\s*(\d{1,2})|(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s+(\d{1,2}))(?![\d/.-])")
_SHORT_DAY = re.compile(r"(?<![\d./-])(?:(\d{1,2})\s*[-/月]\s*(\d{1,2})|(\d{2})\.(\d{2}))(?![\d./-])")


def find_day(text: str | None, today: dt.date | None = None) -> dt.date | None:
    """The first calendar day anywhere in a snippet of list text, in the forms list pages use: a full
    date, a day set apart from its year-month ('28' over '2025-11'), or a bare month-day read as the
    latest such day not after `today` (the page's own latest date, so the year comes from the page)."""
    if not text:
        return None
    for full in _DAY.finditer(text):
        if (day := parse_day(full.group(0))) is not None:
            return day
    for match in _SPLIT_DAY.finditer(text):
        day, year, month = (match.group(1), match.group(2), match.group(3)) if match.group(1) else \
            (match.group(6), match.group(4), match.group(5))
        try:
            return dt.date(int(year), int(month), int(day))
        except ValueError:
            continue
    for match in _SHORT_DAY.finditer(text):
        month, day = (int(g) for g in (match.groups()[:2] if match.group(1) else match.groups()[2:]))
        if 1 <= month <= 12 and (found := latest_past(month, day, today)):
            return found
    return None


def latest_past(month: int, day: int, today: dt.date | None) -> dt.date | None:
    """The most recent month/day on or before today (Asia/Shanghai): 12-30 read on 2 January is last year's."""
    today = today or dt.datetime.now(SHANGHAI).date()
    for year in range(today.year, today.year - 5, -1):  # 02-29 may lie up to four years back
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    return None


def parse_moment(text: str | None) -> dt.datetime | None:
    """'2024-02-08 09:30' (Asia/Shanghai, as Chinese government pages write it) → aware datetime.
    The time must follow the date; a day without one is taken at local noon, like list dates."""
    match = _DAY.search(text or "")
    if match is None or (day := parse_day(match.group(0))) is None:
        return None
    clock = _TIME.match(text or "", match.end())
    hour, minute, second = (int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)) if clock else (12, 0, 0)
    try:
        return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=SHANGHAI)
    except ValueError:
        return dt.datetime(day.year, day.month, day.day, 12, tzinfo=SHANGHAI)
