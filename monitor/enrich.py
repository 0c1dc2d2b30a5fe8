"""Item enrichment: regions, dates, figures and document titles, all read from normalised text.

Dates are usually written without a year; the year comes from the report's period (see
TAXONOMY.md). Target deadlines ("到2024年底", "9月30日前") are not dates.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from monitor import regions
from monitor.normalize import fold_lines, for_matching
from monitor.taxonomy import FULL_NAMES, NATIONAL, PROVINCES

_NAMES = {
    "新疆生产建设兵团": "兵团",
    "内蒙古自治区": "内蒙古",
    "广西壮族自治区": "广西",
    "西藏自治区": "西藏",
    "宁夏回族自治区": "宁夏",
    "新疆维吾尔自治区": "新疆",
    "香港特别行政区": "香港",
    "澳门特别行政区": "澳门",
}
_NAMES = {**{p: p for p in PROVINCES}, **FULL_NAMES}
_PROVINCE = re.compile("|".join(sorted(map(re.escape, _NAMES), key=len, reverse=True)))
_PROVINCIAL_ACTOR = re.compile(r"(省|市|自治区)?(委|教育厅|教委|教育局|人民政府|政府|电教馆|教育工委|通信管理局)")
_LEAD_DATE = re.compile(r"^((\d{4}年)?\d{1,2}月\d{1,2}日?([-—至]\d{1,2}日)?[，,\s]*)?(由)?")

_RANGE = r"(?:(?P<y1>\d{4})年)?(?P<m1>\d{1,2})月(?P<d1>\d{1,2})日?\s*[-—–~～至]+\s*(?:(?P<y2>\d{4})年)?(?:(?P<m2>\d{1,2})月)?(?P<d2>\d{1,2})日"
_ASOF = r"截[至止](?:(?P<y3>\d{4})年)?(?:(?P<m3>\d{1,2})月)?底"
_SINGLE = r"(?:(?P<y4>\d{4})年)?(?P<m4>\d{1,2})月(?P<d4>\d{1,2})日"
_DATE = re.compile(rf"{_RANGE}|{_ASOF}|{_SINGLE}")
# Where a date can start (a number before 年/月, or 截): a fast scan, then a match attempt.
_DATE_START = re.compile(r"(?<![0-9])[0-9]{1,4}(?=[年月])|截")
_DEADLINE_AFTER = re.compile(r"\s*(前|之前|以前|为止)")
_DEADLINE_BEFORE = re.compile(r"(?<!截)(到|至)$")  # applied to the two characters before a date

_UNITS = "个百分点|百分点|人次|门次|个|家|所|人|名|篇|期|件|堂|门|条|起|款|项|次|部|间|台|套|本|种|节|张|份|座|位|批|幅|元|%"
# Nouns a report puts straight after 万/亿 (1372万教师); after a plain number they are names (985高校).
_COUNTED = "教师|学生|师生|家长|用户|学校|高校|企业"
# Starts with a digit so the engine can skip ahead, and looks ahead for 万/亿 or a unit so a bare
# number (a date, a year) fails inside the engine; the "not after a digit, '.' or 第" check is in code.
_FIGURE = re.compile(rf"([0-9]+(?:\.[0-9]+)?)(?=(?:余|多)?(?:万|亿|{_UNITS}))(余|多)?(万|亿)?(余|多)?"
                     rf"(?:({_UNITS})|({_COUNTED}))?")
_MULTIPLIER = {"万": 1e4, "亿": 1e8}
_DOC_TITLE = re.compile(r"《([^《》\n]{1,100})》")


def province_of(name: str | None) -> str | None:
    """Short region name of a province name in any form (full, short, traditional, variant)."""
    if not name:
        return None
    m = _PROVINCE.match(for_matching(name))
    return _NAMES[m.group(0)] if m else None


def province_prefix(line: str) -> str | None:
    """The province name a line starts with, as written (for 各地工作动态 paragraphs)."""
    m = _PROVINCE.match(for_matching(line[:12]))
    return line[: len(m.group(0))] if m else None


def regions_mentioned(text: str, norm: str | None = None) -> list[str]:
    """Every province the text names, in order of first mention (`norm`: its for_matching form)."""
    seen: dict[str, None] = {}
    for m in _PROVINCE.finditer(norm if norm is not None else for_matching(text)):
        seen.setdefault(_NAMES[m.group(0)], None)
    return list(seen)


def leading_actor(norm: str) -> str | None:
    """The region of the actor an item's text starts with ("江苏省教育厅印发…", "教育部…"), if any."""
    head = _LEAD_DATE.sub("", norm, count=1)
    if regions.NATIONAL_BODY.match(head):
        return NATIONAL
    m = _PROVINCE.match(head)
    if m and _PROVINCIAL_ACTOR.match(head, m.end()):
        return _NAMES[m.group(0)]
    return None


_STRUCTURE = re.compile(r"^(★|☆|[一二三四五六七八九十]{1,3}[、.．]|[（(][一二三四五六七八九十]{1,3}[)）])")
_SUMMARY = re.compile(r"^[【\[]?\s*(摘要|内容摘要|导读)")


def document_region(title: str, head_lines: list[str]) -> str | None:
    """The publisher's region from the title or the lines above the body: the earliest actor named wins.

    Summaries are skipped: they list many provinces' news, not the publisher.
    """
    for line in (title, *head_lines[:8]):
        norm = for_matching(line)
        if _STRUCTURE.match(norm):
            break
        if _SUMMARY.match(norm):
            continue
        found = [m for m in regions.mentions(norm) if m.rank == regions.ACTOR]
        if found:
            return found[0].region
    return None


def _period_year_month(period: str | None) -> tuple[int | None, int | None]:
    if not period:
        return None, None
    parts = period.split("-")
    return int(parts[0]), (int(parts[1]) if len(parts) > 1 else None)


def _year_for(month: int, explicit: str | None, period: str | None) -> int | None:
    if explicit:
        return int(explicit)
    year, pmonth = _period_year_month(period)
    if year is None:
        return None
    if pmonth and month - pmonth > 6:  # a January report looking back at December
        return year - 1
    return year


def _iso(year: int | None, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat() if year else None
    except ValueError:
        return None


def _match_dates(m: re.Match[str], period: str | None) -> tuple[str | None, str | None]:
    g = m.groupdict()
    if g["m1"]:
        m1, m2 = int(g["m1"]), int(g["m2"] or g["m1"])
        y1 = _year_for(m1, g["y1"], period)
        y2 = int(g["y2"]) if g["y2"] else (y1 + 1 if y1 and m2 < m1 else y1)
        return _iso(y1, m1, int(g["d1"])), _iso(y2, m2, int(g["d2"]))
    if m.group(0).startswith("截"):
        month = int(g["m3"]) if g["m3"] else 12
        year = _year_for(month, g["y3"], period)
        last = calendar.monthrange(year, month)[1] if year and 1 <= month <= 12 else 0
        return _iso(year, month, last), None
    month = int(g["m4"])
    return _iso(_year_for(month, g["y4"], period), month, int(g["d4"])), None


def find_date(text: str, period: str | None, norm: str | None = None) -> tuple[str | None, str | None]:
    """(date, date_end) of the first date expression in text order; deadlines are skipped."""
    norm = norm if norm is not None else for_matching(text)
    if "月" not in norm and "底" not in norm:  # most tasks carry no date: skip the slow pattern
        return None, None
    pos = 0
    while (cand := _DATE_START.search(norm, pos)) is not None:
        at = cand.start()
        m = None if at and norm[at - 1].isdigit() else _DATE.match(norm, at)
        pos = m.end() if m else at + 1
        if m is None or _DEADLINE_AFTER.match(norm, m.end()) or _DEADLINE_BEFORE.search(norm[max(0, at - 2):at]):
            continue
        start, end = _match_dates(m, period)
        if start:
            return start, end
    return None, None


def figures(text: str, norm: str | None = None) -> list[dict]:
    """Numbers with units as written and as values (万/亿 multiplied out, percentages as numbers)."""
    norm = norm if norm is not None else for_matching(text)
    same = len(norm) == len(text)
    out: list[dict] = []
    for m in _FIGURE.finditer(norm):
        number, _, mult, _, unit, counted = m.groups()
        unit = unit or (counted if mult else None)
        if not (mult or unit) or (m.start() and norm[m.start() - 1] in "0123456789.第"):
            continue
        value = float(number) * _MULTIPLIER.get(mult, 1)
        value_out: float | int = int(value) if value == int(value) else round(value, 4)
        end = m.end() if unit or not m.group(6) else m.start(6)  # a noun after a plain number is not part of it
        written = (text if same else norm)[m.start():end]
        out.append({"text": written, "value": value_out, "unit": unit or ""})
    return out


def doc_titles(text: str) -> list[str]:
    """Titles of documents named in 《》, in order, without repeats."""
    return list(dict.fromkeys(m.group(1).strip() for m in _DOC_TITLE.finditer(text)))


_TITLE_YM = re.compile(r"(\d{4})年(\d{1,2})月")
_YEAR = re.compile(r"(?<![\d.])(\d{4})年")
_MONTH_DAY = re.compile(r"(?<![\d.])(\d{1,2})月(\d{1,2})日|截[至止](\d{1,2})月底")
_FULL_DATE = re.compile(r"(?<![\d.])(\d{1,4})年(\d{1,2})月(\d{1,2})日")


def lost_digit(text: str) -> str | None:
    """The one digit a long, number-rich text never uses: a sign it was dropped in conversion."""
    counts = {d: text.count(d) for d in "0123456789"}
    missing = [d for d, n in counts.items() if n == 0]
    return missing[0] if len(missing) == 1 and sum(counts.values()) >= 40 else None


def repair_year(written: str, lost: str | None) -> int | None:
    """A year as written, or the unique plausible year that loses to it when `lost` is dropped."""
    if len(written) == 4:
        return int(written)
    if not lost:
        return None
    fits = [y for y in range(1990, 2040) if str(y).replace(lost, "") == written]
    return fits[0] if len(fits) == 1 else None


def _most_common(values: list[int]) -> int | None:
    return max(set(values), key=lambda v: (values.count(v), v)) if values else None


def _monthly_period(norm_title: str, norm_text: str, published: dt.date | None) -> str | None:
    if m := _TITLE_YM.search(norm_title):
        return f"{int(m.group(1))}-{int(m.group(2)):02d}"
    months = [int(m.group(1) or m.group(3)) for m in _MONTH_DAY.finditer(norm_text)]
    year = _most_common([int(y) for y in _YEAR.findall(norm_text)])
    month = _most_common([mo for mo in months if 1 <= mo <= 12])
    if published and (year is None or month is None):
        return f"{published.year}-{published.month:02d}"
    return f"{year}-{month:02d}" if year and month else (str(year) if year else None)


def infer_period(kind: str, title: str, text: str, published: dt.date | None = None) -> str | None:
    """"YYYY-MM" for monthly reports, "YYYY" otherwise: title first, then the issue date, then the text."""
    norm_title, norm_text = for_matching(title), "\n".join(fold_lines(text.split("\n")))
    if kind == "monthly_report":
        return _monthly_period(norm_title, norm_text, published)
    if m := _YEAR.search(norm_title):
        return m.group(1)
    lost = lost_digit(norm_text)
    for m in _FULL_DATE.finditer(norm_text):
        year = repair_year(m.group(1), lost)
        if year:
            return str(year)
    if published:
        return str(published.year)
    year = _most_common([int(y) for y in _YEAR.findall(norm_text)])
    return str(year) if year else None
