"""Atom 1.0 feeds written with feedgen: /feed.atom (the filters of `/`) and /routes/{name}.atom
(exactly what a route selects). Entry ids are derived from the document URL and the item's place
in it, so they survive a rebuilt database and a re-poll."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from urllib.parse import quote

from feedgen.feed import FeedGenerator
from lxml import etree
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from monitor.db import session_scope
from monitor.models import Document, Item, utcnow
from monitor.render import display_title, oneline
from monitor.taxonomy import label_name
from monitor.web.context import WebContext, web_context
from monitor.web.pages import alert_items
from monitor.web.queries import filter_values, item_page, item_query, route_items, with_query

FEED_SIZE = 50
ATOM = "application/atom+xml; charset=utf-8"
ATOM_NS = "http://www.w3.org/2005/Atom"


def entry_id(item: Item, doc: Document) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{doc.url}#item-{item.seq}").urn


def _summary(text: str, evidence: dict[str, list[str]]) -> str:
    """Plain text (feedgen escapes it): why it was labelled, then the item's text."""
    why = "；".join(f"{label_name(label)}「{'、'.join(cues)}」" for label, cues in evidence.items() if cues)
    return (f"依据：{why}\n\n" if why else "") + oneline(text)


def _feed(ctx: WebContext, request: Request, rows: Sequence[tuple[Item, Document]], title: str,
          self_url: str, page_url: str) -> Response:
    fg = FeedGenerator()
    fg.id(self_url)
    fg.title(title)
    fg.author({"name": "edu-monitor"})
    fg.link(href=self_url, rel="self", type="application/atom+xml")
    fg.link(href=page_url, rel="alternate", type="text/html")
    fg.language("zh-CN")
    fg.updated(max((item.first_seen_at for item, _ in rows), default=utcnow()))
    shown_items = alert_items(ctx, request, rows)
    for (item, doc), shown in zip(rows, shown_items, strict=True):
        entry = fg.add_entry(order="append")
        entry.id(entry_id(item, doc))
        entry.title(oneline(display_title(shown)))
        entry.link(href=doc.url, rel="alternate", type="text/html")
        entry.updated(item.first_seen_at)
        if doc.published_at:
            entry.published(doc.published_at)
        for label in item.labels:
            entry.category(term=label, label=label_name(label))
        entry.summary(_summary(item.text, item.evidence))
    pages = [shown.page_url or "" for shown in shown_items]
    return Response(_with_entry_links(fg.atom_str(pretty=True), pages), media_type=ATOM)


def _with_entry_links(atom: bytes, pages: Sequence[str]) -> bytes:
    """feedgen 1.0 writes an entry's links without their rel and type (its loop variable shadows the
    link), so each entry's link is marked alternate here and its page here added as related."""
    tree = etree.fromstring(atom, etree.XMLParser(remove_blank_text=True))  # so the output is re-indented
    for entry, page in zip(tree.iterfind(f"{{{ATOM_NS}}}entry"), pages, strict=True):
        original = entry.find(f"{{{ATOM_NS}}}link")
        original.set("rel", "alternate")
        original.set("type", "text/html")
        etree.SubElement(original.getparent(), f"{{{ATOM_NS}}}link", href=page, rel="related", type="text/html")
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def feed(request: Request) -> Response:
    ctx = web_context(request)
    query = item_query(request.query_params, default_limit=FEED_SIZE)
    with session_scope(ctx.engine) as session:
        rows, _ = item_page(session, query)
    filters, base = filter_values(request.query_params), ctx.base(request)
    return _feed(ctx, request, rows, "edu-monitor 教育信息化动态", with_query(f"{base}/feed.atom", filters),
                 with_query(f"{base}/", filters))


def route_feed(request: Request) -> Response:
    ctx = web_context(request)
    name = request.path_params["name"]
    route = next((r for r in ctx.routes() if r.name == name), None)
    if route is None:
        return PlainTextResponse(f"no route named {name[:100]!r}\n", 404)
    with session_scope(ctx.engine) as session:
        rows = route_items(session, route, FEED_SIZE)
    base = ctx.base(request)
    return _feed(ctx, request, rows, f"edu-monitor · {route.name}", f"{base}/routes/{quote(name)}.atom", f"{base}/")
