"""Automatic list detection: any list page → the links of its main list (url, title, date), no selectors.

The main list is the block of sibling elements (li, tr, dd, div, p, a …) each holding one link with a
long title, best with a date, near the pager; navigation, breadcrumbs, footers, link farms to other
sites and "热点/推荐/最新" side boxes score low. Pure: HTML in, links out (see README "URL-only entries").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from monitor.htmltext import SHANGHAI, clean_space, find_day, parse_day
from monitor.listing import Link, anchor_url, page_tree

MIN_TITLE = 6  # characters: shorter link texts are menu items, pager buttons and "更多"
MIN_SCORE = 2.0  # two dated entries with short titles, or four undated ones: anything less is not a list
_SHORT_TITLE = 3  # inside the list found, shorter titles ("工作简报") count as entries too
_DEPTH = 6  # how far above a link its entry element may sit
_NOISE_TAGS = {"script", "style", "noscript", "template", "select", "textarea", "iframe"}
_OUT_TAGS = {"nav", "footer", "header"}
_OUT_WORDS = re.compile(r"(?:^|[\s_-])(?:nav\w*|menu\w*|foot\w*|bottom|header|head|top|crumbs?|bread\w*|position|"
                        r"location|dqwz|weizhi|yqlj|friend\w*|links?|copyright|banner|share|tools?)(?:$|[\s_\d-])",
                        re.IGNORECASE)
_SIDE_WORDS = re.compile(r"(?:^|[\s_-])(?:side\w*|aside|hot\w*|rank\w*|paihang|tuijian|recommend\w*|redian|remen|"
                         r"popular|related|xgwz|xgxw|zxfb|zuixin|latest|scroll\w*|marquee|gundong|roll\w*)(?:$|[\s_\d-])", re.IGNORECASE)
_SIDE_HEADING = re.compile(r"热点|推荐|最新|热门|排行|点击|相关|阅读|专题|友情链接|图片新闻")
_PAGER_TEXT = re.compile(r"下一页|上一页|尾页|末页|共\s*\d+\s*页|第\s*\d+\s*页|/\s*\d+\s*页|createPage|countPage")
_PAGER_WORDS = re.compile(r"page|pager|pagination|fenye|pages|pagenav", re.IGNORECASE)
_JUNK_TITLE = re.compile(r"^(?:更多|more|查看更多|详细|详情|点击查看|阅读全文|下一页|上一页|首页|尾页|返回|\W*)\W*$",
                         re.IGNORECASE)
_FILE = re.compile(r"\.(?:pdf|docx?|xlsx?|pptx?|wps|ofd|zip|rar|7z|txt|csv)$", re.IGNORECASE)
_CUT = ("…", "...", "..", "．．．")
_EDGE_DAY = r"[\[(（【]?\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?[\])）】]?"
_TITLE_PART = ".//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or contains(@class, 'tit')]"


@dataclass
class _Entry:
    """One candidate article link: the anchor, its URL and its title."""

    anchor: HtmlElement
    url: str
    title: str


@dataclass
class _Group:
    """The entries under one element, keyed by the child of it that holds them (the list's records)."""

    container: HtmlElement
    records: dict[HtmlElement, list[_Entry]] = field(default_factory=dict)


def detect_links(text: str, url: str, today: dt.date | None = None) -> list[Link]:
    """The main list of a page, in page order; [] when no block of entries stands out."""
    root, base, _ = page_tree(text, url)
    if root is None:
        return []
    for element in list(root.iter(*_NOISE_TAGS)):
        element.drop_tree()
    long_enough = (f"//a[string-length(normalize-space(.)) >= {MIN_TITLE} "
                   f"or string-length(normalize-space(@title)) >= {MIN_TITLE}]")  # menus turned away in C
    entries = [e for a in root.xpath(long_enough) if (e := _entry(a, base)) is not None]
    if not entries:
        return []
    anchor_day = page_day(root, today)
    groups = _groups(entries)
    scored = [(score, group) for group in groups.values() if (score := _score(group, url, anchor_day)) >= MIN_SCORE]
    if not scored:
        return []
    _, best = max(scored, key=lambda pair: pair[0])
    return [_link(entries, record, anchor_day) for record, entries in _main_records(best, groups, base)]


def page_day(root: HtmlElement, today: dt.date | None) -> dt.date:
    """The day year-less list dates (11-28) are read against: the page's latest full date up to today."""
    today = today or dt.datetime.now(SHANGHAI).date()
    text = root.text_content()
    days = [d for m in re.finditer(r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}", text)
            if (d := parse_day(m.group(0))) is not None and d <= today]
    return max(days, default=today)


def _entry(anchor: HtmlElement, base: str, shortest: int = MIN_TITLE) -> _Entry | None:
    if len(anchor.text_content().strip()) < shortest and len((anchor.get("title") or "").strip()) < shortest:
        return None  # most links of a page are menu items: turned away before any parsing
    title = link_title(anchor)
    if len(title) < shortest or title.isdigit() or _JUNK_TITLE.match(title) or (parse_day(title) and len(title) <= 12):
        return None
    url = anchor_url(anchor, base)
    return _Entry(anchor=anchor, url=url, title=title) if url is not None else None


def link_title(anchor: HtmlElement) -> str:
    """The full title of a link: its `title` attribute when the text is cut or no longer than it,
    else the title part of the link (a heading inside a card link), else its text without a date."""
    attribute = clean_space(anchor.get("title"))
    parts = anchor.xpath(_TITLE_PART) if len(anchor) else []
    text = clean_space(parts[0].text_content()) if parts else _without_date(clean_space(anchor.text_content()))
    stem = text.rstrip("….． ")
    if attribute and len(attribute) >= MIN_TITLE and (text.endswith(_CUT) or len(attribute) >= len(stem)):
        return attribute
    return text


def _without_date(text: str) -> str:
    """A card link's text minus the date printed at either end of it ('2025-11-28 标题' → '标题')."""
    return clean_space(re.sub(rf"^{_EDGE_DAY}\s*|\s*{_EDGE_DAY}$", "", text))


def _groups(entries: list[_Entry]) -> dict[HtmlElement, _Group]:
    """Every element that has entries below it, with those entries grouped by its child that holds them."""
    groups: dict[HtmlElement, _Group] = {}
    for entry in entries:
        record = entry.anchor
        for _ in range(_DEPTH):
            container = record.getparent()
            if container is None:
                break
            group = groups.setdefault(container, _Group(container))
            group.records.setdefault(record, []).append(entry)
            record = container
    return groups


def _score(group: _Group, url: str, anchor_day: dt.date) -> float:
    """How much a group looks like the main list: records with one long-titled link and a date,
    on the page's own site, homogeneous, not in chrome or a side box, best followed by the pager."""
    records = group.records
    if len(records) < 2:
        return 0.0
    clean = [entries for entries in records.values() if len({e.url for e in entries}) <= 2]
    if len(clean) < 0.6 * len(records):
        return 0.0
    tags = [record.tag for record in records]
    same = max(tags.count(tag) for tag in set(tags)) / len(tags)
    weights = [_weight(record, entries, url, anchor_day) for record, entries in records.items()
               if len({e.url for e in entries}) <= 2]
    dated = sum(1 for _, has_date in weights if has_date) / len(weights)
    # A list whose entries carry dates beats an undated block of long titles (a scrolling banner).
    return sum(weight for weight, _ in weights) * same * (0.5 + dated) * _context(group.container)


def _weight(record: HtmlElement, entries: list[_Entry], url: str, anchor_day: dt.date) -> tuple[float, bool]:
    """(weight, has a date) of one record: title length, a date, the page's own site."""
    entry = _best(entries)
    weight = min(len(entry.title), 40) / 10
    has_date = _record_day(record, entry, anchor_day) is not None
    if has_date:
        weight += 2.0
    return (weight if same_site(entry.url, url) else weight * 0.2), has_date


def _context(container: HtmlElement) -> float:
    """Chrome (nav, header, footer, link farms) ×0.05; side boxes ×0.25; next to the pager ×1.5."""
    factor = 1.0
    for element in (container, *container.iterancestors()):
        words = f"{element.get('class') or ''} {element.get('id') or ''}"
        if element.tag in _OUT_TAGS or _OUT_WORDS.search(words):
            return 0.05
        if element.tag in {"aside", "marquee"} or _SIDE_WORDS.search(words):
            factor = 0.25
    if factor == 1.0 and _side_heading(container):
        factor = 0.25
    if _near_pager(container):
        factor *= 1.5
    return factor


def _side_heading(container: HtmlElement) -> bool:
    """Is the block titled like a side box (热点, 推荐, 最新 …) by a short heading just before it?"""
    element: HtmlElement | None = container
    for _ in range(3):
        if element is None:
            return False
        for sibling in _previous(element, 2):
            heading = clean_space(sibling.text_content())
            if heading and len(heading) <= 12 and _SIDE_HEADING.search(heading):
                return True
        element = element.getparent()
    return False


def _previous(element: HtmlElement, count: int) -> Iterator[HtmlElement]:
    sibling = element.getprevious()
    while sibling is not None and count > 0:
        if isinstance(sibling.tag, str):
            yield sibling
            count -= 1
        sibling = sibling.getprevious()


def _near_pager(container: HtmlElement) -> bool:
    """Does a pager follow the block within its box (the list's parent or grandparent)?"""
    element: HtmlElement | None = container
    for _ in range(2):
        if element is None:
            return False
        for sibling in element.itersiblings():
            if not isinstance(sibling.tag, str):
                continue
            words = f"{sibling.get('class') or ''} {sibling.get('id') or ''}"
            if _PAGER_WORDS.search(words) or _PAGER_TEXT.search(sibling.text_content()[:300]):
                return True
        element = element.getparent()
    return False


def _main_records(best: _Group, groups: dict[HtmlElement, _Group], base: str) -> list[tuple[HtmlElement, list[_Entry]]]:
    """The best block's records, joined by its like siblings (a list printed as several <ul>s of five);
    within them, links with short titles count too."""
    container = best.container
    parent = container.getparent()
    blocks = [container] if parent is None else [
        sibling for sibling in parent if sibling is container or (
            sibling.tag == container.tag and sibling.get("class") == container.get("class") and sibling in groups)]
    records = []
    for record in (child for block in blocks for child in block if isinstance(child.tag, str)):
        anchors = [record] if record.tag == "a" else record.iter("a")
        entries = [e for a in anchors if (e := _entry(a, base, _SHORT_TITLE)) is not None]
        if entries and len({e.url for e in entries}) <= 2:
            records.append((record, entries))
    return records


def _best(entries: list[_Entry]) -> _Entry:
    """The record's article link: the longest title, but a page before a file (an entry's title link
    before its long-named attachment)."""
    return max(entries, key=lambda e: (not _FILE.search(urlsplit(e.url).path), len(e.title)))


def _link(entries: list[_Entry], record: HtmlElement, anchor_day: dt.date) -> Link:
    entry = _best(entries)
    return Link(url=entry.url, title=entry.title, date=_record_day(record, entry, anchor_day))


def _record_day(record: HtmlElement, entry: _Entry, anchor_day: dt.date) -> dt.date | None:
    """The entry's date: in its record outside the title (before or after it, any cell or span), else
    a full date printed at either end of a card link, else in the element right after the record
    (<dt> title, <dd> date). A date inside the title never counts."""
    parts = entry.anchor.xpath(_TITLE_PART) if len(entry.anchor) else []
    day = find_day(_text_outside(record, parts[0] if parts else entry.anchor), anchor_day)
    if day is None:
        day = parse_day(_edge_date(clean_space(entry.anchor.text_content())))
    following = record.getnext()
    if day is None and following is not None and not following.xpath(".//a"):
        day = find_day(clean_space(" ".join(following.itertext())), anchor_day)
    return day


def _edge_date(text: str) -> str:
    found = re.search(rf"^{_EDGE_DAY}|{_EDGE_DAY}$", text)
    return found.group(0) if found else ""


def _text_outside(record: HtmlElement, skip: HtmlElement) -> str:
    """The record's text without the title element's, its parts kept apart ('28' and '2025-11' must
    not fuse into '282025-11')."""
    parts = [] if record is skip else [record.text or ""]
    for element in record.iterdescendants():
        inside = element is skip or any(a is skip for a in element.iterancestors())
        if not inside and isinstance(element.tag, str):
            parts.append(element.text or "")
        if element is skip or not inside:
            parts.append(element.tail or "")
    return clean_space(" ".join(parts))


def same_site(link: str, page: str) -> bool:
    """Is a link on the page's own site: the same host, or under the same department domain
    (jyt.x.gov.cn and www.jyt.x.gov.cn; news.x.edu.cn and x.edu.cn)?"""
    one, two = (_domain(urlsplit(u).hostname or "") for u in (link, page))
    return bool(one) and one == two


def _domain(host: str) -> str:
    """The last labels that name an organisation: three under gov.cn/edu.cn/com.cn …, else two."""
    labels = host.lower().rstrip(".").split(".")
    if len(labels) >= 3 and labels[-2] in {"gov", "edu", "com", "org", "net", "ac"} and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])
