"""Routing rules: which stored items go to which channel tags (pure functions)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources

from pydantic import TypeAdapter, ValidationError

from monitor.normalize import for_matching
from monitor.settings import ConfigError, RouteConfig, Settings
from monitor.taxonomy import LABELS, REGIONS
from monitor.yamlload import safe_load

MATCH_LINE = 200  # characters of an attachment's matching line kept for the alert


@dataclass(frozen=True)
class RoutedItem:
    """The facts a route looks at, taken from a stored item and its document."""

    labels: frozenset[str]
    region: str | None
    source_id: str
    text: str  # title + text, in matching form (simplified, width-folded)
    published_at: datetime | None
    first_seen_at: datetime
    # (name, text, text in matching form) of the document's attachments; only its first item gets them,
    # so a name in an attached list alerts once per notice rather than once per item
    attachments: tuple[tuple[str, str, str], ...] = ()


def load_routes(settings: Settings) -> list[RouteConfig]:
    """The config's routes, or the defaults shipped in alerts/routes.yml; checked against the taxonomy."""
    routes = settings.routes
    if routes is None:
        raw = safe_load(resources.files("alerts").joinpath("routes.yml").read_text(encoding="utf-8"))
        try:
            routes = TypeAdapter(list[RouteConfig]).validate_python(raw)
        except ValidationError as exc:  # a broken shipped file is a bug, say where
            raise ConfigError(f"alerts/routes.yml: {exc}") from exc
    check_routes(routes)
    return routes


def check_routes(routes: Sequence[RouteConfig]) -> None:
    names: set[str] = set()
    for route in routes:
        if route.name in names:
            raise ConfigError(f"routes: duplicate route name {route.name!r}")
        names.add(route.name)
        unknown = [lab for lab in (*route.labels, *route.labels_all) if lab not in LABELS]
        if unknown:
            raise ConfigError(f"routes.{route.name}: unknown label(s) {unknown}; see TAXONOMY.md")
        bad_regions = [r for r in route.regions if r not in REGIONS]
        if bad_regions:
            raise ConfigError(f"routes.{route.name}: unknown region(s) {bad_regions}")
        if not route.notify:
            raise ConfigError(f"routes.{route.name}: notify needs at least one channel tag")


def _labels_ok(route: RouteConfig, item: RoutedItem) -> bool:
    if route.labelled_only and not item.labels:
        return False
    if route.labels and not item.labels.intersection(route.labels):
        return False
    return not route.labels_all or item.labels.issuperset(route.labels_all)


def _keywords_ok(route: RouteConfig, item: RoutedItem) -> bool:
    if not route.keywords:
        return True
    words = [for_matching(k) for k in route.keywords]
    return any(w in item.text for w in words) or any(w in norm for _, _, norm in item.attachments for w in words)


def attachment_match(route: RouteConfig, item: RoutedItem) -> dict[str, str] | None:
    """{"name", "line"} when only an attachment holds one of the route's keywords: which attachment,
    and the line it is on as written (a school's row in a list), for the alert to show."""
    words = [for_matching(k) for k in route.keywords]
    if not words or any(w in item.text for w in words):
        return None
    for name, text, norm in item.attachments:
        if any(w in norm for w in words):
            line = next((ln for ln in text.split("\n") if any(w in for_matching(ln) for w in words)), "")
            return {"name": name, "line": line.strip()[:MATCH_LINE]}
    return None


MATCHERS: dict[str, Callable[[RouteConfig, RoutedItem], bool]] = {
    "labels": _labels_ok,
    "regions": lambda route, item: not route.regions or item.region in route.regions,
    "sources": lambda route, item: not route.sources or item.source_id in route.sources,
    "keywords": _keywords_ok,
}


def matches(route: RouteConfig, item: RoutedItem) -> bool:
    """Every condition the route sets holds for the item (an unset condition holds)."""
    return all(check(route, item) for check in MATCHERS.values())


def is_fresh(item: RoutedItem, max_age: timedelta, now: datetime) -> bool:
    """Only recent news alerts: published (or, without a date, first seen) within max_age."""
    moment = item.published_at or item.first_seen_at
    return now - moment <= max_age


def select_routes(routes: Sequence[RouteConfig], item: RoutedItem, now: datetime,
                  default_max_age: timedelta) -> list[RouteConfig]:
    """The routes an item goes to: it matches them and is fresh enough for each."""
    return [r for r in routes if matches(r, item) and is_fresh(item, r.max_age or default_max_age, now)]
