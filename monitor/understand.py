"""The document-understanding step: segment, enrich and classify one document, no I/O.

`understand()` is the one entry point the rest of the application uses; it never raises on
arbitrary input. Run as a module on a file to print DESIGN.md's `parse --json` object.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import structlog

from monitor import dates, enrich, labelmodel, layout, regions, roundup, segment
from monitor.classify import classify_normalized, is_relevant
from monitor.docmeta import document_fields, document_json
from monitor.normalize import fold_lines, for_matching
from monitor.taxonomy import NATIONAL, REGIONS

log = structlog.get_logger()

MAX_CHARS = 2_000_000  # longer inputs are cut: no report is this long, and time must stay bounded
CLASSIFY_CHARS = 20_000  # labels of a very long item come from its beginning
RELEVANCE_CHARS = 5_000  # whether a page is on topic shows in its first screens
ACTOR_CHARS = 2_000  # the actor is named in the headline and lead, a work plan's in its first tasks


@dataclass
class ParsedItem:
    seq: int
    section: str | None
    title: str
    text: str
    labels: list[str] = field(default_factory=list)
    evidence: dict[str, list[str]] = field(default_factory=dict)
    region: str | None = None
    regions_mentioned: list[str] = field(default_factory=list)
    date: str | None = None
    date_end: str | None = None
    figures: list[dict] = field(default_factory=list)
    doc_titles: list[str] = field(default_factory=list)
    redacted: bool = False


@dataclass
class ParsedDocument:
    title: str
    kind: str
    period: str | None
    region: str | None
    items: list[ParsedItem] = field(default_factory=list)
    notice: bool = False  # a 公文 (notice, opinion, measure): its structure, not part of the contract
    # Document-level (docmeta.py, deadlines.py; attachments are added by whoever fetched them).
    doc_number: str | None = None
    issuer: str | None = None
    signed_at: str | None = None
    deadlines: list[dict[str, str]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict:
        """DESIGN.md's `parse --json` object; each item repeats the document-level fields."""
        shared = document_json(self.doc_number, self.issuer, self.signed_at, self.deadlines, self.attachments)
        return {"title": self.title, "kind": self.kind, "period": self.period, "region": self.region,
                "items": [asdict(item) | shared for item in self.items]}


def _item_region(seg: segment.Segment, norm: str, doc_region: str | None, kind: str) -> str | None:
    """The province of a 各地 paragraph, an actor the item starts with, else the publisher's region.

    An article's one item takes the actor of its headline and body (see monitor/regions.py).
    """
    if kind == "article":
        actor = regions.actor_region(f"{for_matching(seg.title)}\n{norm[:ACTOR_CHARS]}")
        return actor if actor or seg.entry else doc_region  # a roundup's entries have their own actors
    if seg.place:
        return enrich.province_of(seg.place)
    lead = enrich.leading_actor(norm)
    if seg.section and segment.is_local_section(seg.section):
        return lead or doc_region
    return lead if lead and doc_region in (None, NATIONAL) else doc_region


@dataclass(frozen=True)
class _Context:
    """What every item of a document shares: its region, period, kind and the page's own dates."""

    region: str | None
    period: str | None
    kind: str
    model: labelmodel.Model | None
    notice: bool = False
    relevant: bool = True  # an off-topic page's items get no label (judged on the page; a roundup's entries each)
    stamp: dt.date | None = None
    own_date: str | None = None  # a notice's signature or title date


def _dates(seg: segment.Segment, norm_title: str, norm: str, ctx: _Context) -> tuple[str | None, str | None]:
    if ctx.kind != "article":
        return enrich.find_date(seg.text, ctx.period, norm=norm)
    if ctx.own_date:
        return ctx.own_date, None
    period_year = int(ctx.period[:4]) if ctx.period and ctx.period[:4].isdigit() else None
    return dates.event_date(norm_title, f"{norm_title}\n{norm}", ctx.stamp, period_year)


def _item(seq: int, seg: segment.Segment, ctx: _Context) -> ParsedItem:
    text, doc_region, kind = seg.text, ctx.region, ctx.kind
    norm_title, norm = for_matching(seg.title), "\n".join(fold_lines(seg.lines))
    if kind == "article" and not (is_relevant(f"{norm_title}\n{norm}") if seg.entry else ctx.relevant):
        labels, evidence = [], {}  # an off-topic page (sports day, admissions, a holiday notice) never alerts
    else:
        labels, evidence = classify_normalized(norm_title, norm[:CLASSIFY_CHARS])
        labels, evidence = labelmodel.refine(ctx.model, norm_title, norm, labels, evidence, kind, ctx.notice)
    date, date_end = _dates(seg, norm_title, norm, ctx)
    whole = f"{seg.title}\n{text}"
    return ParsedItem(
        seq=seq, section=seg.section, title=seg.title, text=text, labels=labels, evidence=evidence,
        region=_item_region(seg, norm, doc_region, kind),
        regions_mentioned=enrich.regions_mentioned(whole, norm=f"{norm_title}\n{norm}"),
        date=date, date_end=date_end, figures=enrich.figures(text, norm=norm),
        doc_titles=enrich.doc_titles(whole), redacted=seg.redacted,
    )


def _understand(text: str, title: str | None, region: str | None, published: dt.date | None,
                model: labelmodel.Model | None, table: Mapping[str, str] | None = None) -> ParsedDocument:
    lines = layout.reflow(segment.clean_lines(text[:MAX_CHARS]))
    found = title or layout.headline(text[:20_000]) or segment.detect_title(lines)
    kind = segment.detect_kind(found or "", lines)
    doc_title = found or segment.fallback_title(lines)
    kind, segments = segment.segment(lines, kind, doc_title)
    if kind == "article" and (collection := roundup.roundup_kind(doc_title, lines)):
        segments = roundup.segment_roundup(roundup.raw_lines(text[:MAX_CHARS]), collection) or segments
    period = enrich.infer_period(kind, found or "", "\n".join(lines), published)
    given = enrich.province_of(region) or (region if region in REGIONS else None)
    doc_region = given or enrich.document_region(doc_title, lines)
    if doc_region is None and kind == "monthly_report":
        doc_region = NATIONAL  # the report series is the Ministry's; provinces are items' own regions
    elif doc_region is None and kind in ("work_points", "plan"):
        doc_region = regions.actor_region(for_matching("\n".join(lines)[:ACTOR_CHARS]))  # a county in a task
    notice = kind == "article" and dates.is_notice(doc_title, lines)
    ctx = _Context(doc_region, period, kind, model, notice)
    if kind == "article":
        stamp = published or dates.page_stamp(text[:20_000].split("\n"))
        own = dates.document_date(doc_title, lines) if notice else None
        relevant = is_relevant(for_matching(f"{doc_title}\n" + "\n".join(lines)[:RELEVANCE_CHARS]))
        ctx = _Context(doc_region, period, kind, model, notice, relevant, stamp, own)
    items = [_item(i, seg, ctx) for i, seg in enumerate(segments, 1)]
    return ParsedDocument(doc_title, kind, period, doc_region, items, notice=notice,
                          **document_fields(text[:MAX_CHARS], found, table, published))


_SHIPPED = object()


def understand(text: str, *, title: str | None = None, region: str | None = None,
               published: dt.date | None = None, label_model: object = _SHIPPED,
               table: Mapping[str, str] | None = None) -> ParsedDocument:
    """Segment, enrich and classify a document's main text; on input it cannot read, an empty article.

    `label_model`: the shipped model by default; None for the rules' labels alone (training).
    `table`: the page's 信息公开 fields (extract's Article.meta), the first place 公文 metadata is read from.
    """
    model = labelmodel.load_default() if label_model is _SHIPPED else label_model
    try:
        return _understand(text or "", title, region, published, model, table)
    except Exception:  # a bad page must never stop a poll; the raw text is still stored upstream
        log.exception("understand.failed", title=title, chars=len(text) if isinstance(text, str) else None)
        return ParsedDocument(title or "", "article", None, region, [])


def main(argv: list[str]) -> int:
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # stdout carries the JSON
    with open(argv[1], encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    print(json.dumps(understand(text).to_json(), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
