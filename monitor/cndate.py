"""Chinese-numeral dates (二〇二五年十一月二十日, 十二月五日) rewritten with Arabic digits, so the one
date parser of htmltext reads signature dates and deadlines written either way."""

from __future__ import annotations

import re

_DIGIT = {"〇": 0, "○": 0, "零": 0, "O": 0, "Ｏ": 0, "0": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
          "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_YEAR = "[〇○零OＯ0一二三四五六七八九]{4}"
_SMALL = "[一二两三四五六七八九十]{1,3}"
_DATE = re.compile(rf"(?:({_YEAR})\s*年\s*)?({_SMALL})\s*月\s*({_SMALL})\s*[日号]")


def small_number(text: str) -> int | None:
    """一 … 九十九 (no 百): 十 → 10, 十二 → 12, 二十 → 20, 二十一 → 21; None when not a number."""
    if not text or any(ch not in _DIGIT and ch != "十" for ch in text):
        return None
    if "十" not in text:
        return _DIGIT[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return None
    return (_DIGIT[tens] if tens else 1) * 10 + (_DIGIT[ones] if ones else 0)


def _arabic(match: re.Match[str]) -> str:
    year, month, day = match.group(1), small_number(match.group(2)), small_number(match.group(3))
    if month is None or day is None:
        return match.group(0)
    written = "".join(str(_DIGIT[ch]) for ch in year) + "年" if year else ""
    return f"{written}{month}月{day}日"


def arabic_dates(text: str) -> str:
    """The text with every Chinese-numeral date written as 2025年11月20日 / 12月5日; the rest unchanged."""
    return _DATE.sub(_arabic, text) if "月" in text else text
