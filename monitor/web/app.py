"""The web app: its routes, the middleware every answer passes, and how errors are answered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import OperationalError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from monitor.settings import RouteConfig, Settings
from monitor.web import api, feeds, pages
from monitor.web.context import WebContext
from monitor.web.engine import read_only_engine
from monitor.web.queries import BadRequest
from monitor.web.security import Guard


def _bad_request(_request: Request, exc: Exception) -> Response:
    return PlainTextResponse(f"bad request: {exc}\n", 400)


def _too_slow(_request: Request, _exc: Exception) -> Response:
    # A statement interrupted by its time limit (or a database that is away): say so, briefly.
    return PlainTextResponse("the database did not answer in time; narrow the query and try again\n", 503)


def build_app(settings: Settings, catalog: Callable[[], list[Any]],
              routes: Callable[[], list[RouteConfig]]) -> Starlette:
    """The app over the configured database, through an engine of its own that cannot write."""
    engine = read_only_engine(settings.database_url)
    return create_app(WebContext(engine=engine, catalog=catalog, routes=routes, config=settings.web))


def create_app(context: WebContext) -> Starlette:
    routes = [
        Route("/", pages.index, name="index"),
        Route("/items/{item_id:int}", pages.item, name="item"),
        Route("/sources", pages.sources, name="sources"),
        Route("/digests", pages.digests, name="digests"),
        Route("/digests/{run_id:int}", pages.digest, name="digest"),
        Route("/feed.atom", feeds.feed, name="feed"),
        Route("/routes/{name}.atom", feeds.route_feed, name="route_feed"),
        Route("/api/items", api.items, name="api_items"),
        Route("/api/sources", api.sources, name="api_sources"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(Guard, auth=context.config.auth)],
                    exception_handlers={BadRequest: _bad_request, OperationalError: _too_slow})
    app.state.web = context
    return app
