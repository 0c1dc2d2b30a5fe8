"""What the web view's pages read: the engine, the catalog and routes, the web settings, templates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader
from sqlalchemy.engine import Engine
from starlette.requests import Request

from monitor.render import make_environment
from monitor.settings import RouteConfig, WebConfig, format_duration
from monitor.taxonomy import label_name


@dataclass
class WebContext:
    """What the pages read. The catalog and routes are callables so that, beside the daemon, a
    SIGHUP reload shows up in the web view too."""

    engine: Engine
    catalog: Callable[[], list[Any]]
    routes: Callable[[], list[RouteConfig]]
    config: WebConfig = field(default_factory=WebConfig)

    def source_names(self) -> dict[str, str]:
        return {s.id: s.name for s in self.catalog()}

    def base(self, request: Request) -> str:
        """Absolute links start here: web.base_url, else the address the browser used."""
        return (self.config.base_url or str(request.base_url)).rstrip("/")

    @cached_property
    def templates(self) -> Environment:
        # The web's own templates first, then the messages' (the digest's cards and body).
        loader = ChoiceLoader([PackageLoader("monitor.web", "templates"), PackageLoader("alerts", "templates")])
        env = make_environment("html", loader)
        env.filters.update(duration=format_duration, label_name=label_name)
        return env


def web_context(request: Request) -> WebContext:
    return request.app.state.web
