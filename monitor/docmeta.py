"""公文 metadata of one document: 发文字号 (doc_number), 发文机关 (issuer), 成文日期 (signed_at).

Read from the 信息公开 table first (what the site states), then from the document itself: the
line under the title, the signature block at the end (落款: issuer, then its date), and the title
"XX关于…的通知". The page's own publish stamp is never taken for the signing date. Pure: text in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from monitor.cndate import arabic_dates
from monitor.dates import signature_date
from monitor.deadlines import find_deadlines
from monitor.htmltext import clean_space, parse_day

# 教科信函〔2023〕12号, 京教函[2024]5号, 苏教办（2025）3号, 教育部令第50号.
_OPEN, _CLOSE = r"[〔\[［(（【]", r"[〕\]］)）】]"
_NUMBER = re.compile(rf"[\u4e00-\u9fff]{{1,12}}\s*{_OPEN}\s*[12]\d{{3}}\s*{_CLOSE}\s*第?\s*\d{{1,5}}\s*号"
                     r"|[\u4e00-\u9fff]{1,12}令第\d{1,5}号")
_CITED_BEFORE = re.compile(r"[（(《]\s*$|》\s*$")  # （教技〔2018〕6号）: a document the text refers to
_ORG_END = ("部", "厅", "委", "局", "办", "办公室", "办公厅", "委员会", "中心", "政府", "院", "会", "处", "司",
            "室", "组", "馆", "校", "学", "所", "站", "团")
_TITLE_ISSUER = re.compile(r"^(.{2,60}?)关于.{2,}的(?:通知|通告|公告|意见|函|决定|批复|报告|办法|方案|规定|复函)")
_NOT_ISSUER = re.compile(r"[：:，,。；;？?！!]|附件|联系|电话|邮箱|地址|抄送|印发")
ATTACHMENT_FIELDS = ("name", "url", "type", "chars", "error")  # what JSON shows of an attachment (not its text)
TAIL_LINES = 12  # the signature block sits in the last lines (before 附件 lists and contact notes)


@dataclass(frozen=True)
class DocMeta:
    doc_number: str | None = None
    issuer: str | None = None
    signed_at: str | None = None  # YYYY-MM-DD


def read_meta(text: str, title: str | None, table: Mapping[str, str] | None = None) -> DocMeta:
    """The three fields, each from the most authoritative place that has it; None where none does."""
    table = table or {}
    lines = [line for raw in (text or "").split("\n") if (line := clean_space(raw))]
    signer, signed = _signature(lines)
    return DocMeta(
        doc_number=_doc_number(table.get("发文字号"), lines, title),
        issuer=_org(table.get("发文机关")) or signer or _title_issuer(title),
        signed_at=_table_day(table.get("成文日期")) or signed,
    )


def document_fields(text: str, title: str | None, table: Mapping[str, str] | None,
                    published: dt.date | None) -> dict[str, Any]:
    """The document-level fields understand() adds to a parsed document: metadata and deadlines."""
    meta = read_meta(text, title, table)
    signed = dt.date.fromisoformat(meta.signed_at) if meta.signed_at else None
    return {"doc_number": meta.doc_number, "issuer": meta.issuer, "signed_at": meta.signed_at,
            "deadlines": find_deadlines(text, signed, published)}


def document_json(doc_number: str | None, issuer: str | None, signed_at: str | None,
                  deadlines: list[dict[str, str]] | None, attachments: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The document-level fields every item of `parse --json` and `items --json` repeats."""
    return {"doc_number": doc_number, "issuer": issuer, "signed_at": signed_at, "deadlines": list(deadlines or []),
            "attachments": [{key: att.get(key) for key in ATTACHMENT_FIELDS} for att in attachments or []]}


def _doc_number(cell: str | None, lines: list[str], title: str | None) -> str | None:
    """The table's 发文字号; else a line that is only a number near the top; else the first number in
    the text that is not a citation of another document."""
    if cell and (match := _NUMBER.search(cell)):
        return _squeeze(match.group(0))
    for line in lines[:8]:
        if (match := _NUMBER.fullmatch(line)) and line != title:
            return _squeeze(match.group(0))
    for line in lines:
        if "号" not in line:
            continue  # the pattern is slow to reject a long line; most have no 号 at all
        for match in _NUMBER.finditer(line):
            if not _CITED_BEFORE.search(line[:match.start()]) and not line[match.end():].startswith("文"):
                return _squeeze(match.group(0))
    return None


def _squeeze(number: str) -> str:
    return re.sub(r"\s+", "", number)


def _org(name: str | None) -> str | None:
    """A plausible organisation name: short, no sentence punctuation, ends like one."""
    name = clean_space(name)
    if not name or len(name) > 40 or _NOT_ISSUER.search(name):
        return None
    return name if name.endswith(_ORG_END) else None


def _signature(lines: list[str]) -> tuple[str | None, str | None]:
    """(issuer, signing day) of the 落款: the last date-only line near the end (as dates.py reads a
    notice's 成文日期), and the organisation lines right above it (a joint notice signs with several)."""
    tail = lines[-TAIL_LINES:]
    for index in range(len(tail) - 1, -1, -1):
        day = signature_date([tail[index]])
        if day is None:
            continue
        orgs: list[str] = []
        for line in reversed(tail[max(0, index - 3):index]):
            if not _org(line):
                break
            orgs.insert(0, _org(line) or "")
        return (" ".join(orgs) or None), day.isoformat()
    return None, None


def _title_issuer(title: str | None) -> str | None:
    match = _TITLE_ISSUER.match(clean_space(title))
    return _org(match.group(1).strip()) if match else None


def _table_day(cell: str | None) -> str | None:
    day: dt.date | None = parse_day(arabic_dates(cell)) if cell else None
    return day.isoformat() if day else None
