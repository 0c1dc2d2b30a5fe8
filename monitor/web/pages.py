"""The HTML pages: items with filters and search, one item, sources, digests. Server-rendered,
no script; every scraped string goes through the autoescaping templates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from monitor.db import session_scope
from monitor.deliver import alert_item
from monitor.models import DigestRun, Document, Item
from monitor.render import AlertItem, digest_groups, item_view
from monitor.taxonomy import LABELS, REGIONS, label_name
from monitor.web.context import WebContext, web_context
from monitor.web.queries import (
    PAGE,
    digest_runs,
    filter_values,
    item_detail,
    item_page,
    item_query,
    items_by_id,
    row_id,
    source_rows,
    with_query,
)


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = web_context(request).templates.get_template(name).render(**context)
    return HTMLResponse(html, status)


def alert_items(ctx: WebContext, request: Request, rows: Sequence[tuple[Item, Document]]) -> list[AlertItem]:
    """Items as the messages see them, each linked to its page here."""
    names, base = ctx.source_names(), ctx.base(request)
    return [alert_item(item, doc, names, item_pages=base) for item, doc in rows]


def _choices(ctx: WebContext) -> dict[str, list[tuple[str, str]]]:
    return {"label": [(x, label_name(x)) for x in LABELS], "region": [(r, r) for r in REGIONS],
            "source": sorted(((s.id, s.name) for s in ctx.catalog()), key=lambda pair: pair[0])}


def index(request: Request) -> Response:
    ctx = web_context(request)
    query = item_query(request.query_params)
    with session_scope(ctx.engine) as session:
        rows, cursor = item_page(session, query)
    filters = filter_values(request.query_params)
    chosen = {name: (values or [""])[0] for name, values in filters.items()}
    return render(request, "index.html.j2", title="条目", views=[item_view(i) for i in alert_items(ctx, request, rows)],
                  chosen=chosen, choices=_choices(ctx), searched=bool(filters),
                  next_url=with_query("/", {**filters, "cursor": cursor}) if cursor else None,
                  first_url=with_query("/", filters) if query.before else None,
                  feed_url=with_query("/feed.atom", filters), api_url=with_query("/api/items", filters))


def item(request: Request) -> Response:
    ctx = web_context(request)
    item_id = row_id(request.path_params["item_id"])
    with session_scope(ctx.engine) as session:
        detail = item_detail(session, item_id) if item_id else None
    if detail is None:
        return render(request, "missing.html.j2", 404, title="没有这个条目")
    (shown,) = alert_items(ctx, request, [(detail.item, detail.document)])
    paragraphs = [line.strip() for line in detail.item.text.splitlines() if line.strip()]
    return render(request, "item.html.j2", title=shown.title, v=item_view(shown), item=detail.item,
                  doc=detail.document, paragraphs=paragraphs, siblings=detail.siblings,
                  source_name=shown.source_name, meta=sorted((detail.document.meta or {}).items()))


def sources(request: Request) -> Response:
    ctx = web_context(request)
    with session_scope(ctx.engine) as session:
        rows = source_rows(session, ctx.catalog())
    return render(request, "sources.html.j2", title="来源", rows=rows)


def digests(request: Request) -> Response:
    ctx = web_context(request)
    with session_scope(ctx.engine) as session:
        runs = digest_runs(session, row_id(request.query_params.get("before", "")))
    next_url = f"?before={runs[-1].id}" if len(runs) == PAGE else None
    return render(request, "digests.html.j2", title="摘要", runs=runs, next_url=next_url)


def digest(request: Request) -> Response:
    ctx = web_context(request)
    run_id = row_id(request.path_params["run_id"])
    with session_scope(ctx.engine) as session:
        run = session.get(DigestRun, run_id) if run_id else None
        rows = items_by_id(session, run.item_ids) if run else []
    if run is None:
        return render(request, "missing.html.j2", 404, title="没有这份摘要")
    shown = alert_items(ctx, request, rows)
    return render(request, "digest_run.html.j2", title=f"摘要 {run.route}", run=run, groups=digest_groups(shown),
                  route=run.route, start=run.started_at or run.sent_at, end=run.sent_at, total=len(shown))
