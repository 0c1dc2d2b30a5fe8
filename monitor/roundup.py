"""Roundups (大事记, 十大新闻, timelines, compilations of 范文): one item per entry.

A roundup is an article whose title or opening names it as one, and whose entries are marked by
their structure: "范文第N篇" lines, bullets (•), or Chinese-numbered headings (一、…十、). Intro
lines, period headers and an entry cut to its heading with nothing under it are not items.
"""

from __future__ import annotations

import re

from monitor.normalize import for_matching
from monitor.segment import Segment

_CHRONICLE = re.compile(r"大事记|大事年表|年表|十大(新闻|事件|进展|亮点)|盘点|回眸")
_COMPILATION = re.compile(r"范文|汇编|合集")
_COMPILATION_ENTRY = re.compile(r"范文第\s*\d+\s*篇|第\s*\d+\s*篇\s*$")
_BULLET = re.compile(r"^[•●◆■▪・]\s*")
_NUMBERED = re.compile(r"^([一二三四五六七八九十]{1,3})[、.．]\s*")
_PERIOD_HEADER = re.compile(r"^(Period\b|时期|阶段)", re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u9fff]")
MIN_ENTRY_CJK = 8


def roundup_kind(title: str, lines: list[str]) -> str | None:
    """"chronicle" (大事记, 十大新闻, timelines) or "compilation" (范文, 汇编), named by the title
    or an opening line; None for any other article."""
    head = [for_matching(line) for line in (title, *lines[:3])]
    if any(_CHRONICLE.search(line) for line in head):
        return "chronicle"
    if any(_COMPILATION.search(line) for line in head):
        return "compilation"
    return None


def _cjk(text: str) -> int:
    return len(_CJK.findall(text))


def _by_markers(lines: list[str]) -> list[Segment]:
    """Entries that start after a "范文第N篇" line and run to the next one."""
    items: list[Segment] = []
    current: list[str] | None = None
    for line in lines:
        if _COMPILATION_ENTRY.search(line):
            current = []
            items.append(Segment(None, "", current))
        elif current is not None:
            current.append(line)
    return [Segment(None, seg.lines[0][:40], seg.lines, entry=True) for seg in items if seg.lines]


def _by_bullets(lines: list[str]) -> list[Segment]:
    """One entry per bullet line; short bullets (period headers) name the section."""
    items, section = [], None
    for line in lines:
        text = _BULLET.sub("", line)
        if not _BULLET.match(line):
            if 2 <= _cjk(line) <= 12:
                section = line.strip()
            continue
        if _PERIOD_HEADER.match(text) or _cjk(text) < MIN_ENTRY_CJK:
            continue
        items.append(Segment(section, re.split(r"[,，。;；]", text, maxsplit=1)[0][:40], [text], entry=True))
    return items


def _by_numbers(lines: list[str]) -> list[Segment]:
    """An entry per numbered heading with the lines under it; a heading alone is no entry."""
    items: list[Segment] = []
    for line in lines:
        m = _NUMBERED.match(line)
        if m:
            heading = line[m.end():].strip()
            items.append(Segment(None, heading.rstrip("。")[:60], [heading] if _cjk(heading) > 30 else [],
                                 entry=True))
        elif items:
            items[-1].lines.append(line)
    return [seg for seg in items if seg.lines]


def raw_lines(text: str) -> list[str]:
    """The page's non-blank lines with their leading bullets kept (clean_lines strips them)."""
    return [s for line in text.replace("\r", "\n").split("\n") if (s := line.strip(" \t\u3000\u00a0\ufeff"))]


def segment_roundup(lines: list[str], kind: str) -> list[Segment]:
    """Entries by the first structure the text shows: markers, bullets, then numbered headings.

    A compilation's entries are its 范文 only: their own 一、二、 are parts of one document.
    """
    if sum(1 for line in lines if _COMPILATION_ENTRY.search(line)) >= 2:
        return _by_markers(lines)
    if kind == "compilation":
        return []
    if sum(1 for line in lines if _BULLET.match(line)) >= 3:
        return _by_bullets(lines)
    if sum(1 for line in lines if _NUMBERED.match(line)) >= 3:
        return _by_numbers(lines)
    return []
