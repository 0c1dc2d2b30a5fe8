"""Deadlines of a notice: "请于12月20日前报送", "截止时间：…", "5个工作日内" → [{date, text}].

Each sentence is read in matching form (simplified, half-width) with Chinese-numeral dates in
Arabic digits; the sentence as written is what `text` shows. A date without a year takes the year
of the notice (signed, else published), the next one when that would put it long before the
notice. "N个工作日内" counts working days from the signing (else publishing) day on the Chinese
calendar. Event dates are enrich's business and stay untouched. Pure: text in, data out.
"""

from __future__ import annotations

import datetime as dt
import re

from monitor.cndate import arabic_dates, small_number
from monitor.normalize import for_matching
from monitor.workdays import add_workdays

_DATE = r"(?:(?P<y>\d{4})\s*年\s*)?(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日|(?P<iy>\d{4})[-/.](?P<im>\d{1,2})[-/.](?P<id>\d{1,2})"
_TAIL = (r"(?:\s*\((?:星期|周)[一二三四五六日天]\))?"
         r"(?:\s*(?:上午|下午|中午|晚上)?\s*\d{1,2}\s*(?::\s*\d{2}|时(?:\s*\d{1,2}\s*分)?|点))?")
_BEFORE = re.compile(rf"(?:{_DATE}){_TAIL}\s*(?:前|之前|以前|止)")
_HANDED_IN = re.compile(r"报送|提交|上报|报名|反馈|寄送|发送|填报|申报|报至|发至|送至|上传|交至|报给|报备|推荐")
_CUTOFFS = (re.compile(rf"截止(?:时间|日期)\s*(?:为|是|:)?\s*(?:{_DATE})"), re.compile(rf"(?:{_DATE}){_TAIL}\s*截止"))
_WORKDAYS = re.compile(r"(\d{1,3}|[一二两三四五六七八九十]{1,3})\s*个\s*工作日(?:内|之内)")
_SENTENCE = re.compile(r"[^。；;！!？?\n]+[。；;！!？?]?")
_CUE = re.compile(r"前|止|工作日")  # every pattern above needs one of these (same in traditional script)
MAX_TEXT = 200
MAX_WORKDAYS = 366
LOOK_BACK = dt.timedelta(days=60)  # "1月10日前" in a December notice is next January's


def find_deadlines(text: str, signed: dt.date | None, published: dt.date | None) -> list[dict[str, str]]:
    """[{date: YYYY-MM-DD, text: the sentence}] in document order, each (date, sentence) once."""
    anchor = signed or published
    found: dict[tuple[str, str], dict[str, str]] = {}
    for match in _SENTENCE.finditer(text or ""):
        sentence = match.group(0).strip()
        if not sentence or not _CUE.search(sentence):
            continue  # most sentences: no normalising at all
        norm = arabic_dates(for_matching(sentence))
        for day in _sentence_days(norm, anchor):
            shown = sentence if len(sentence) <= MAX_TEXT else sentence[:MAX_TEXT - 1] + "…"
            found.setdefault((day.isoformat(), shown), {"date": day.isoformat(), "text": shown})
    return list(found.values())


def _sentence_days(norm: str, anchor: dt.date | None) -> list[dt.date]:
    days: list[dt.date | None] = []
    if _HANDED_IN.search(norm):
        days += [_day(m, anchor) for m in _BEFORE.finditer(norm)]
    days += [_day(m, anchor) for cutoff in _CUTOFFS for m in cutoff.finditer(norm)]
    if anchor is not None:
        for m in _WORKDAYS.finditer(norm):
            count = int(m.group(1)) if m.group(1).isdigit() else small_number(m.group(1))
            if count and count <= MAX_WORKDAYS:
                days.append(add_workdays(anchor, count))
    return [day for day in days if day is not None]


def _day(match: re.Match[str], anchor: dt.date | None) -> dt.date | None:
    """The matched date; a year-less one placed in the notice's year (or the next)."""
    g = {k: v for k, v in match.groupdict().items() if v}
    year, month, day = g.get("y") or g.get("iy"), int(g.get("m") or g["im"]), int(g.get("d") or g["id"])
    try:
        if year:
            return dt.date(int(year), month, day)
        if anchor is None:
            return None
        guess = dt.date(anchor.year, month, day)
        return guess if guess >= anchor - LOOK_BACK else dt.date(anchor.year + 1, month, day)
    except ValueError:
        return None
