"""The JSON API: /api/items (the objects of `items --json`, a page at a time) and /api/sources."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from monitor.db import session_scope
from monitor.sourceview import source_json
from monitor.store import given_up_counts, item_json
from monitor.web.context import web_context
from monitor.web.queries import item_page, item_query, source_rows


class ChineseJSON(JSONResponse):
    """JSON with Chinese left readable (Starlette's default escapes it to \\uXXXX)."""

    def render(self, content: object) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def items(request: Request) -> Response:
    """`{"items": [...], "next": cursor|null}`: pass `cursor=next` for the following page."""
    ctx = web_context(request)
    query = item_query(request.query_params)
    with session_scope(ctx.engine) as session:
        rows, cursor = item_page(session, query)
    return ChineseJSON({"items": [item_json(item, doc) for item, doc in rows], "next": cursor})


def sources(request: Request) -> Response:
    ctx = web_context(request)
    with session_scope(ctx.engine) as session:
        rows, dead = source_rows(session, ctx.catalog()), given_up_counts(session)
    return ChineseJSON({"sources": [source_json(source, state, dead.get(source.id, 0)) for source, state in rows]})
