"""Document → items: site chrome removal, title and kind detection, and segmentation.

Monthly reports split on ★ sections and "heading phrase + space + paragraph" entries; work points
and plans split on their numbered tasks (whatever the numbering style, even with digits lost);
anything else is one item. Pure functions on text; structure, not wording, drives the split.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from monitor.normalize import fold_lines, for_matching

# Lines that are page furniture wherever they appear: a line that starts so, or carries a view
# count or a date-and-time stamp. Kept apart so each pattern can skip ahead to its first characters.
_CHROME_START = re.compile(
    r"今天是\s*[:：]|当前位置|您的位置|您现在的位置|首页\s*[>＞»]|来源[:：]|发布时间|时间[:：]|作者[:：]|编辑[:：]|浏览|"
    r"点击[数量率下]|字号|【\s*(大|中|小|打印|关闭)\s*】|扫一扫|分享到|打印本页|关闭窗口|上一篇|下一篇|[(（]请上下滑动"
)
_CHROME_ANYWHERE = re.compile(r"围观\d+次|阅读[量数]?\s*[:：]?\s*\d+")
_DATETIME = re.compile(r"\d{4}-\d{1,2}-\d{1,2}\s+\d{1,2}:\d{2}")
# Markers after which the rest of the page is furniture (footers, teasers, disclaimers).
_TERMINAL_START = re.compile(
    r"[(（]?\s*(相关阅读|相关链接|相关新闻|相关文章|延伸阅读|推荐阅读|往期精彩|往期回顾|版权与免责|免责声明|"
    r"版权所有|责任编辑|声明[:：]|转载请注明|联系我们|网站地图)"
)
_TERMINAL_ANYWHERE = re.compile(r"ICP备|公网安备|责任编辑[:：]|网站标识码")


def _is_chrome(norm: str) -> bool:
    return bool(_CHROME_START.match(norm) or _CHROME_ANYWHERE.search(norm) or _DATETIME.search(norm))


def _is_terminal(norm: str) -> bool:
    return bool(_TERMINAL_START.match(norm) or _TERMINAL_ANYWHERE.search(norm))


_TAG = re.compile(r"</?[A-Za-z][^>\n]{0,40}>")
_CJK = re.compile(r"[\u3400-\u9fff]")
_DOC_WORDS = re.compile(r"月报|要点|规划|计划|方案|意见|通知|办法|纲要|报告|白皮书|指南|标准|公告|通报|决定|细则")
_SUMMARY = re.compile(r"^[【\[]?\s*(摘要|内容摘要|导读)\s*[】\]:：]")
_LOCAL = re.compile(r"各地|地方|省级|各省")
_REDACTED = re.compile(r"^[(（]\s*略\s*[)）][。.]?$")
_HEADING = re.compile(r"^(\S[^\s]{1,39}?)[ \t\u3000\u00a0]+(\S.*)$")
_DATE_START = re.compile(r"^\d{1,2}月\d{1,2}日")
_BAD_HEADING = re.compile(r"[，,。；;！!？?：:]")
_PAIRS = (("《", "》"), ("“", "”"), ("(", ")"), ("（", "）"), ("「", "」"))


@dataclass
class Segment:
    """One item as cut from the document, before enrichment."""

    section: str | None
    title: str
    lines: list[str] = field(default_factory=list)
    redacted: bool = False
    place: str | None = None  # the leading province name under 各地工作动态, as written
    entry: bool = False  # an entry of a roundup: its own actor or none, never the publisher's

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def clean_lines(text: str) -> list[str]:
    """Content lines: tags and blank lines dropped, chrome lines dropped, the tail after a footer cut."""
    out: list[str] = []
    lines = [line for raw in text.replace("\r", "\n").split("\n")
             if (line := _TAG.sub("", raw).strip(" \t\u3000\u00a0\ufeff•·"))]
    for line, norm in zip(lines, fold_lines(lines), strict=True):
        if out and _is_terminal(norm):
            break
        if len(norm) < 80 and _is_chrome(norm):
            continue
        out.append(line)
    return out


def _title_like(line: str) -> bool:
    norm = for_matching(line)
    return (len(norm) <= 60 and "。" not in norm and not _SUMMARY.match(norm) and not norm.startswith("★")
            and not norm.rstrip().endswith(":") and len(_CJK.findall(norm)) >= 4)  # not a salutation


def detect_title(lines: list[str]) -> str | None:
    """The first short line near the top that names a document type (月报, 要点, 规划, 通知 …),
    else a short headline-like first line."""
    for line in lines[:12]:
        if _title_like(line) and _DOC_WORDS.search(for_matching(line)):
            return line
    if len(lines) > 1 and _title_like(lines[0]) and len(lines[0]) < len(lines[1]):
        return lines[0]
    return None


def fallback_title(lines: list[str]) -> str:
    """A title made from the first content line when the page gives none."""
    for line in lines:
        norm = _SUMMARY.sub("", line).strip()
        if len(_CJK.findall(norm)) >= 4:
            return re.split(r"[。；;，,]", norm, maxsplit=1)[0][:40]
    return ""


def detect_kind(title: str, lines: list[str]) -> str:
    """monthly_report, work_points, plan or article, from the title first and the structure second."""
    norm = for_matching(title)
    stars = sum(1 for line in lines if line.startswith(("★", "☆")))
    if "月报" in norm or stars >= 2:
        return "monthly_report"
    if "要点" in norm:
        return "work_points"
    if re.search(r"规划|计划|方案|纲要", norm) and not re.search(r"活动(实施)?(方案|计划|安排)", norm):
        return "plan"  # an event's 活动方案 is one document, not a plan of tasks
    return "article"


def is_garbled(line: str) -> bool:
    """Mostly replacement marks or stray symbols: mis-decoded text that must not become structure."""
    cjk = len(_CJK.findall(line))
    return cjk < 4 or line.count("?") + line.count("\ufffd") > max(3, cjk // 2)


def _balanced(text: str) -> bool:
    return all(text.count(a) == text.count(b) for a, b in _PAIRS)


def split_heading(line: str) -> tuple[str, str] | None:
    """"heading phrase + space + paragraph" → (heading, paragraph), or None for a plain line."""
    m = _HEADING.match(line)
    if not m:
        return None
    head, body = m.group(1), m.group(2)
    if _BAD_HEADING.search(head) or _DATE_START.match(head) or not _balanced(head):
        return None
    if len(_CJK.findall(head)) < 2:
        return None
    return head, body


def is_local_section(section: str) -> bool:
    """Whether a section collects the provinces' news (各地工作动态 and its variants)."""
    return bool(_LOCAL.search(section))


def _colon_heading(line: str) -> tuple[str, str] | None:
    """"heading phrase：paragraph", the other way entries are written."""
    head, sep, body = line.partition("：")
    if not sep or not body.strip() or len(head) > 20 or _BAD_HEADING.search(head) or _DATE_START.match(head):
        return None
    return (head.strip(), body.strip()) if len(_CJK.findall(head)) >= 2 and _balanced(head) else None


def _province_at_start(line: str) -> str | None:
    from monitor.enrich import province_prefix

    return province_prefix(line)


def _section_name(line: str) -> str:
    return for_matching(line.lstrip("★☆ ").strip()).strip()


def _monthly_line(line: str, section: str | None, items: list[Segment]) -> None:
    """Route one content line of a monthly report: a new entry, a continuation, or nothing."""
    if section and _LOCAL.search(section):
        name = _province_at_start(line)
        if name:
            suffix = re.match(r"(省|市|自治区|自治區)(?=[\s:：])", line[len(name):])
            name += suffix.group(0) if suffix else ""
            body = line[len(name):].lstrip(" \t\u3000\u00a0:：,，、")
            items.append(Segment(section, name, [body], place=name))
            return
    parts = split_heading(line) or _colon_heading(line)
    if parts is None:
        m = re.match(r"^(.{2,40}?)\s*([(（]\s*略\s*[)）])\s*$", line)
        parts = (m.group(1), m.group(2)) if m else None
    if parts:
        head, body = parts
        items.append(Segment(section, head, [body], redacted=bool(_REDACTED.match(body.strip()))))
    elif items and items[-1].section == section and not items[-1].redacted:
        items[-1].lines.append(line)
    elif not is_garbled(line) and len(_CJK.findall(line)) >= 15:
        items.append(Segment(section, fallback_title([line]), [line]))


def segment_monthly(lines: list[str], title: str | None) -> list[Segment]:
    """★ sections; entries "heading + space + paragraph"; one item per province under 各地工作动态."""
    items: list[Segment] = []
    section: str | None = None
    seen_section = False
    for line in lines:
        if line.startswith(("★", "☆")):
            section, seen_section = _section_name(line), True
            continue
        if _SUMMARY.match(line) or line == title or is_garbled(line):
            continue
        if not seen_section and not split_heading(line):
            continue  # preamble before the first section: titles, issuer lines
        _monthly_line(line, section, items)
    return items


_CN = "一二三四五六七八九十"
_CHAPTER = re.compile(rf"^([{_CN}]{{1,3}})\s*[、.．]\s*(.*)$")
_SUB = re.compile(rf"^[（(]\s*([{_CN}]{{1,3}})\s*[)）]\s*(.*)$")
# Arabic task numbers; the digits may be lost ("1." → "."), so a bare separator before text counts too.
_TASK = re.compile(r"^(?:[0-9０-９]{1,3}\s*[、.．]|[.．、])(?![0-9０-９])\s*(?=[\u4e00-\u9fff“\"《(（])(.+)$")
_ENUM = re.compile(rf"^([{_CN}]{{1,3}})是\s*(.+)$")
_SUB_INLINE = re.compile(rf"[（(]\s*[{_CN}]{{1,3}}\s*[)）]")
_TASK_INLINE = re.compile(r"。\s*(?=(?:[0-9０-９]{1,3}\s*)?[.．、][\u4e00-\u9fff“\"《])")
_APPENDIX = re.compile(r"^(附\s*[:：件录表]|专栏目录)")
# Lower-level numbers, used as tasks only when a document has no arabic "1." tasks.
_SUBTASK = re.compile(r"^(?:[（(]\s*[0-9０-９]{1,2}\s*[)）]|[①-⑳])\s*(.+)$")
# Framing chapters state principles and context, not tasks.
_FRAMING = re.compile(r"指导思想|基本原则|总体要求|总体思路|工作思路|发展环境|发展基础|发展现状|现状|形势|背景|编制依据")


def _explode(line: str) -> list[str]:
    """Split lines that carry two headings, e.g. "四、保障措施(一)加强组织领导。" or "(一)…。1.…"."""
    m = _CHAPTER.match(line)
    if m:
        rest = m.group(2)
        inner = _SUB_INLINE.search(rest)
        if inner and inner.start() > 0:
            cut = len(line) - len(rest) + inner.start()
            return [line[:cut], *_explode(line[cut:])]
        return [line]
    if _SUB.match(line):
        inline = _TASK_INLINE.search(line)
        if inline:
            return [line[: inline.start() + 1], line[inline.end():]]
    return [line]


def _heading_text(rest: str) -> tuple[str, str]:
    """(title, body) of a heading line: a short first sentence is the title, the rest its body."""
    rest = rest.strip()
    head, dot, tail = rest.partition("。")
    if dot and len(head) <= 40:
        return head.strip(), tail.strip()
    return rest.rstrip("。").strip(), ""


class _Numbered:
    """State of the numbered-structure walk: chapter, sub-heading and the item being built."""

    def __init__(self, task: re.Pattern[str]) -> None:
        self.task = task
        self.items: list[Segment] = []
        self.chapter: str | None = None
        self.sub: str | None = None
        self.framing = False
        self.current: Segment | None = None
        self.kind = ""  # "head" (a heading that is an item only if nothing is numbered under it), "task", "enum"

    def close(self, discard_head: bool = False) -> None:
        cur, kind, self.current = self.current, self.kind, None
        if cur is None or (kind == "head" and discard_head):
            return
        has_body = any(line.strip() for line in cur.lines)
        if kind == "head" and not has_body:
            return
        if kind == "task" and not has_body:
            head, comma, rest = cur.title.partition("，") if "，" in cur.title else cur.title.partition(",")
            if not comma and len(cur.title) <= 30:
                return  # a bare list of headings (summary, table of contents) is not a task
            if comma:  # a one-sentence task: its title runs to the first comma
                cur = Segment(cur.section, head, [rest], cur.redacted, cur.place)
        self.items.append(cur)

    def open(self, seg: Segment, kind: str) -> None:
        self.current, self.kind = seg, kind

    def row(self, row: str) -> None:
        if m := _CHAPTER.match(row):
            self.close()
            title, body = _heading_text(m.group(2))
            self.chapter, self.sub = title, None
            self.framing = bool(_FRAMING.search(for_matching(title)))
            if not self.framing:
                self.open(Segment(None, title, [body] if body else []), "head")
        elif self.framing:
            return
        elif m := _SUB.match(row):
            self.close(discard_head=self.current is not None and self.current.section is None)
            title, body = _heading_text(m.group(2))
            self.sub = title
            self.open(Segment(self.chapter, title, [body] if body else []), "head")
        elif m := self.task.match(row):
            self.close(discard_head=True)
            title, body = _heading_text(m.group(1))
            self.open(Segment(self.sub or self.chapter, title, [body] if body else []), "task")
        elif (m := _ENUM.match(row)) and self.kind != "task":
            self.close(discard_head=True)
            rest = m.group(2).strip()
            title = re.split(r"[，,。；;]", rest, maxsplit=1)[0]
            self.open(Segment(self.sub or self.chapter, title, [rest]), "enum")
        elif self.current is not None:
            self.current.lines.append(row)


_HEADING_LIKE = re.compile(r"^[^—\-•·\s][^。；;，,：:！!？?]{3,29}$")


def _lost_number(walk: _Numbered, row: str, next_row: str) -> bool:
    """A task heading whose number was lost entirely: a short phrase between two tasks' paragraphs."""
    if any(p.match(row) for p in (_CHAPTER, _SUB, _TASK, _ENUM, _SUBTASK)):
        return False
    return (walk.kind == "task" and walk.current is not None and bool(walk.current.lines)
            and bool(_HEADING_LIKE.match(row)) and len(_CJK.findall(row)) >= 4
            and len(next_row) > len(row) and bool(re.search(r"[。，,；;]", next_row)))


def split_numbered(lines: list[str]) -> list[Segment]:
    """Numbered tasks (1、 1. 一、 （一） 一是 …) of work points and plans, counted in order, not by number."""
    rows: list[str] = []
    for line in lines:
        if _APPENDIX.match(for_matching(line)):
            break
        rows.extend(_explode(line))
    walk = _Numbered(_TASK if any(_TASK.match(r) for r in rows) else _SUBTASK)
    for i, row in enumerate(rows):
        if _lost_number(walk, row, rows[i + 1] if i + 1 < len(rows) else ""):
            walk.close()
            walk.open(Segment(walk.sub or walk.chapter, row.strip(), []), "task")
        else:
            walk.row(row)
    walk.close()
    return walk.items


def segment_article(lines: list[str], title: str) -> list[Segment]:
    """The whole text as one item; the title line is left out unless it is all there is."""
    body = [line for line in lines if line != title] or lines
    return [Segment(None, title or body[0][:30], body)] if body else []


def segment(lines: list[str], kind: str, title: str) -> tuple[str, list[Segment]]:
    """Items of a document; a structured kind that yields nothing falls back to one article item."""
    if kind == "monthly_report":
        items = segment_monthly(lines, title)
    elif kind in ("work_points", "plan"):
        items = split_numbered(lines)
    else:
        items = []
    if items:
        return kind, items
    return "article", segment_article(lines, title)
