"""The page's layout: which line is the headline, past the site chrome above it.

Government and school pages put column names (通知公告), breadcrumbs and site names above the
headline, and a stamp line (发布日期/来源/时间 …) right under it; the headline is the title-like
line just before the first stamp. Pure functions on the raw text's lines.
"""

from __future__ import annotations

import re
from itertools import pairwise

from monitor.normalize import for_matching

_TAG = re.compile(r"</?[A-Za-z][^>\n]{0,40}>")
# A stamp line: a stamp word before a year and month, a line that is only a date (and time), or a
# date with a time anywhere. Three patterns, so each can skip ahead to its first characters.
_STAMP_WORD = re.compile(
    r"(发布|日期|时间|来源|作者|浏览|点击|更新|编辑|发表|D(?i:ate)|d(?i:ate))[^\n]{0,30}?(19|20)\d{2}\s*[-/.年]\s*\d{1,2}"
)
_DATE_LINE = re.compile(r"\s*(19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}(\s+\d{1,2}:\d{2})?\s*$")
_DATE_TIME = re.compile(r"(19|20)\d{2}-\d{1,2}-\d{1,2}\s+\d{1,2}:\d{2}")


def is_stamp(norm: str) -> bool:
    """Whether a line (matching form) is a page stamp: 发布日期, 来源 and time lines."""
    return bool(_STAMP_WORD.search(norm) or _DATE_LINE.match(norm) or _DATE_TIME.search(norm))
_CJK = re.compile(r"[\u3400-\u9fff]")
_HAS_YEAR = re.compile(r"\d\d")  # Unicode digits: full-width ones too
_NOT_HEADLINE = re.compile(r"当前位置|您的位置|首页|>|»|今天是|设为首页|加入收藏|登录|注册|^[(（]?图[)）]?$")
_MARKDOWN = re.compile(r"^\s*#+\s*")


def _text_lines(raw: str, limit: int = 60) -> list[str]:
    out = []
    for line in raw.replace("\r", "\n").split("\n"):
        line = _MARKDOWN.sub("", _TAG.sub("", line)).strip(" \t\u3000\u00a0\ufeff•·|")
        if line:
            out.append(line)
            if len(out) >= limit:
                break
    return out


def headline_like(line: str) -> bool:
    """Short, no full stop, enough Chinese to be a headline, and no navigation."""
    norm = for_matching(line)
    cjk = len(_CJK.findall(norm))
    return (cjk >= 6 and len(norm) <= 80 and "。" not in norm[:-1] and not norm.endswith((":", "：", ","))
            and not _NOT_HEADLINE.search(norm) and not is_stamp(norm))


def headline(raw: str) -> str | None:
    """The headline-like line within three lines above the first stamp line, if the page has one."""
    lines = _text_lines(raw)
    for i, line in enumerate(lines):
        if _HAS_YEAR.search(line) and is_stamp(for_matching(line)):  # a stamp carries a year
            for candidate in reversed(lines[max(0, i - 3):i]):
                if headline_like(candidate):
                    return candidate
            return None
    return None


_CHAPTER_MARK = re.compile(r"(?<=[。;；:：!！?？\u4e00-\u9fff”)])([一二三四五六七八九十]{1,3})、")
_TASK_MARK = re.compile(r"(?<=[。;；:：!！?？\u4e00-\u9fff”)])(\d{1,2})[.．、](?=[\u4e00-\u9fff“《])")
_DOUBLED = re.compile(r"^(.{8,60}?)\1")
_ADDRESSEE = re.compile(r"(?<=要点|通知|方案|计划|意见|规划)(?=各[^,，。]{1,40}[:：])")
_CN = "一二三四五六七八九十"
LONG_LINE = 400


def _cn_value(numeral: str) -> int:
    if numeral == "十":
        return 10
    if numeral.startswith("十"):
        return 10 + _CN.index(numeral[1]) + 1
    return _CN.index(numeral[0]) + 1 if len(numeral) == 1 else 0


def _cuts(line: str) -> list[int]:
    """Where chapters (一、二、…) and tasks (1. 2. …, restarting under each chapter) start, in order."""
    marks = sorted([(m.start(), "c", _cn_value(m.group(1))) for m in _CHAPTER_MARK.finditer(line)]
                   + [(m.start(), "t", int(m.group(1))) for m in _TASK_MARK.finditer(line)])
    cuts, chapter, task = [], 0, 0
    for at, kind, value in marks:
        if kind == "c" and value == chapter + 1:
            cuts.append(at)
            chapter, task = value, 0
        elif kind == "t" and value == task + 1:
            cuts.append(at)
            task = value
    return cuts if chapter >= 2 or task >= 3 else []


def reflow(lines: list[str]) -> list[str]:
    """Lines of a page that lost its line breaks, cut where its numbered structure starts.

    Only very long lines are touched, and only at numbers that run in sequence (一、二、… and
    1. 2. … under each), so a "1、2号楼" inside a sentence stays whole.
    """
    out: list[str] = []
    for line in lines:
        if len(line) < LONG_LINE:
            out.append(line)
            continue
        if m := _DOUBLED.match(line):  # a headline printed twice, then the text
            out.append(m.group(1))
            line = line[m.end():]
        line = _ADDRESSEE.sub("\n", line)
        for part in line.split("\n"):
            bounds = [0, *_cuts(part), len(part)]
            out.extend(s for a, b in pairwise(bounds) if (s := part[a:b].strip()))
    return out
