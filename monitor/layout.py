"""The page's layout: which line is the headline, past the site chrome above it.

Government and school pages put column names (通知公告), breadcrumbs and site names above the
headline, and a stamp line (发布日期/来源/时间 …) right under it; the headline is the title-like
line just before the first stamp. Pure functions on the raw text's lines.
"""

from __future__ import annotations

import re

from monitor.normalize import for_matching

_TAG = re.compile(r"</?[A-Za-z][^>\n]{0,40}>")
_STAMP = re.compile(
    r"(发布|日期|时间|来源|作者|浏览|点击|更新|编辑|发表|date)[^\n]{0,30}?(19|20)\d{2}\s*[-/.年]\s*\d{1,2}"
    r"|^\s*(19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}(\s+\d{1,2}:\d{2})?\s*$"
    r"|(19|20)\d{2}-\d{1,2}-\d{1,2}\s+\d{1,2}:\d{2}",
    re.IGNORECASE,
)
_CJK = re.compile(r"[\u3400-\u9fff]")
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
            and not _NOT_HEADLINE.search(norm) and not _STAMP.search(norm))


def headline(raw: str) -> str | None:
    """The headline-like line within three lines above the first stamp line, if the page has one."""
    lines = _text_lines(raw)
    for i, line in enumerate(lines):
        if _STAMP.search(for_matching(line)):
            for candidate in reversed(lines[max(0, i - 3):i]):
                if headline_like(candidate):
                    return candidate
            return None
    return None
