"""Event dates of news and notices, per CONVENTIONS: the first stated day of the reported event.

A month-day takes its year from its own sentence, then the headline, then the page stamp (a stamp
of 2025-01-03 makes 12月28日 2024-12-28). Stamps, datelines, "X月X日从…获悉", deadlines and the
years of targets ("到2035年") are never event dates; 今天/昨天 are the stamp's day and the day
before; 民国 years add 1911. A notice is dated by its signature, else a date in its title. Reports,
work points and plans keep the period-based dating of monitor/enrich.py.
"""

from __future__ import annotations

import datetime as dt
import re

from monitor.cndate import arabic_dates

_SP = r"\s*"
_YEAR = r"(?:(?P<y>\d{4}|(?:民国|中华民国)?\(?1[0-4]\d\)?|本|今){sp}年{sp})?".replace("{sp}", _SP)
_RANGE_AHEAD = rf"(?={_SP}[-—–~～至到]+{_SP}(?:\d{{1,2}}{_SP}月{_SP})?\d{{1,2}}{_SP}[日号])"
_DAY = rf"(?P<m>\d{{1,2}}){_SP}月{_SP}(?P<d>\d{{1,2}}){_SP}(?:[日号]|{_RANGE_AHEAD})"
_RANGE_END = rf"(?:{_SP}[-—–~～至到]+{_SP}(?:(?P<m2>\d{{1,2}}){_SP}月{_SP})?(?P<d2>\d{{1,2}}){_SP}[日号])?"
_DATE = re.compile(rf"(?<![\d.]){_YEAR}{_DAY}{_RANGE_END}|(?P<today>今天(?!是\s*:\s*\d)|今日|今\((?P<td>\d{{1,2}})\)日|昨天|昨日)")
_ISO = re.compile(r"(?<!\d)(20\d{2}|19\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")
_STAMP_LINE = re.compile(r"发布|日期|时间|来源|date|更新|\d{1,2}:\d{2}|浏览|点击|作者", re.IGNORECASE)
_NOT_EVENT_AFTER = re.compile(r"\s*(前|之前|以前|为止|止|电|讯|消息|[^,。;\n]{0,12}?获悉)")
_NOT_EVENT_BEFORE = re.compile(r"(截至|截止|到|新华社[^,。;\n]{0,6}|记者)$")
_TARGET_YEAR = re.compile(r"(到|至|截至|力争|预计|计划|目标)(\d{4})年|(\d{4})年(前|底前|以前|之前)")
_SENTENCE_END = re.compile(r"[。!?;\n]")
_SENTENCE_MARKS = "。!?;\n"
_ANY_YEAR = re.compile(r"(?<!\d)(19|20)\d{2}|本年|今年|1[0-4]\d\)?\s*年")  # a year some date could take
_SIGNATURE = re.compile(r"^\s*(\d{4})\s*[年-]\s*(\d{1,2})\s*[月-]\s*(\d{1,2})\s*日?\s*$")
_NOTICE = re.compile(r"(通知|通告|公告|意见|办法|决定|规定|细则|方案|函)$")
_ADDRESSEE = re.compile(r"^[^,。:：]{0,20}各[^,。:：]{0,50}[:：]\s*$|^[^,。:：]{0,30}(单位|部门|学校|师生|用户)[:：]\s*$")
_NOTICE_PHRASE = re.compile(r"通知如下|特此通知|特此公告|现将[^。]{0,30}(通知|印发)")
_GLOSS = re.compile(r"\([a-z]{1,6}\)")  # pinyin glosses of reposted pages: 月(yue)


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def page_stamp(raw_lines: list[str]) -> dt.date | None:
    """The page's own date: the first stamp-like line (发布日期 …, a bare ISO date) of the top or tail."""
    lines = [line for line in raw_lines if line.strip()]
    candidates = lines[:40] + lines[-6:]
    for line in candidates:
        m = _ISO.search(line)
        if m and "今天是" not in line and (_STAMP_LINE.search(line) or len(line.strip()) <= 24):
            stamp = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if stamp:
                return stamp
    return None


def signature_date(lines: list[str]) -> dt.date | None:
    """The date standing alone on a line near the end: a notice's 成文日期 (Chinese numerals too)."""
    for line in reversed(lines[-8:]):
        if m := _SIGNATURE.match(arabic_dates(_GLOSS.sub("", line))):
            return _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return None


def is_notice(title: str, lines: list[str]) -> bool:
    """A 公文 (notice, opinion, measure): its title's document word or an addressee line (各…：)."""
    return (bool(_NOTICE.search(title.strip())) or any(_ADDRESSEE.match(line) for line in lines[:6])
            or any(_NOTICE_PHRASE.search(line) for line in lines[:4] + lines[-4:]))


def _explicit_year(written: str | None, stamp: dt.date | None) -> int | None:
    """A written year; three digits (or 民国) are a Minguo year; 本年/今年 is the stamp's."""
    if not written:
        return None
    if written in ("本", "今"):
        return stamp.year if stamp else None
    digits = int(re.sub(r"\D", "", written))
    return digits + 1911 if digits < 1000 else digits


def _sentence_year(text: str, at: int) -> int | None:
    """A year in the date's own sentence that is not a target's or plan's."""
    start = max(text.rfind(mark, 0, at) for mark in _SENTENCE_MARKS) + 1
    end_m = _SENTENCE_END.search(text, at)
    sentence = text[start:end_m.start() if end_m else len(text)]
    targets = {m.group(2) or m.group(3) for m in _TARGET_YEAR.finditer(sentence)}
    years = [y for y in re.findall(r"(?<!\d)(20\d{2}|19\d{2})(?=\s*年|\s*[-/.]\d|[\u4e00-\u9fff\"“”])", sentence)
             if y not in targets]
    return int(years[0]) if years else None


def _headline_year(title: str) -> int | None:
    targets = {m.group(2) or m.group(3) for m in _TARGET_YEAR.finditer(title)}
    years = [y for y in re.findall(r"(?<!\d)(20\d{2}|19\d{2})", title) if y not in targets]
    return int(years[0]) if years else None


def _from_stamp(month: int, day: int, stamp: dt.date) -> dt.date | None:
    """The month-day's year from the stamp: the stamp's, unless that puts it over a month ahead."""
    found = _safe_date(stamp.year, month, day)
    if found and found > stamp + dt.timedelta(days=31):  # 12月28日 under a January stamp
        found = _safe_date(stamp.year - 1, month, day)
    return found


def _relative(m: re.Match[str], stamp: dt.date | None) -> dt.date | None:
    if stamp is None:
        return None
    word = m.group("today")
    if word.startswith("昨"):
        return stamp - dt.timedelta(days=1)
    if m.group("td"):
        return _safe_date(stamp.year, stamp.month, int(m.group("td")))
    return stamp


def _resolve(m: re.Match[str], text: str, title: str, stamp: dt.date | None,
             period_year: int | None) -> tuple[dt.date | None, dt.date | None]:
    if m.group("today"):
        return _relative(m, stamp), None
    month, day = int(m.group("m")), int(m.group("d"))
    year = _explicit_year(m.group("y"), stamp) or _sentence_year(text, m.start()) or _headline_year(title)
    if year:
        start = _safe_date(year, month, day)
    elif stamp:
        start = _from_stamp(month, day, stamp)
    else:
        start = _safe_date(period_year, month, day) if period_year else None
    if start is None or not m.group("d2"):
        return start, None
    end_month = int(m.group("m2") or month)
    end_year = start.year + (1 if end_month < start.month else 0)
    return start, _safe_date(end_year, end_month, int(m.group("d2")))


def event_date(title: str, body: str, stamp: dt.date | None,
               period_year: int | None = None) -> tuple[str | None, str | None]:
    """(date, date_end) of the first event day in `body` (matching form) whose year is determinable:
    its own, its sentence's, the headline's, the stamp's, else the document's period."""
    if stamp is None and period_year is None and not _ANY_YEAR.search(body):
        return None, None  # no date in the text can get a year: do not try each one
    for m in _DATE.finditer(body):
        if _NOT_EVENT_AFTER.match(body, m.end()) or _NOT_EVENT_BEFORE.search(body, max(0, m.start() - 8),
                                                                             m.start()):
            continue
        if m.group("y") and _TARGET_YEAR.search(body, max(0, m.start() - 4), m.end()):
            continue
        start, end = _resolve(m, body, title, stamp, period_year)
        if start:
            return start.isoformat(), end.isoformat() if end else None
    return None, None


def document_date(title: str, lines: list[str]) -> str | None:
    """A notice's own date: its signature, else a full date in its title."""
    signed = signature_date(lines)
    if signed:
        return signed.isoformat()
    m = _ISO.search(title)
    found = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
    return found.isoformat() if found else None
