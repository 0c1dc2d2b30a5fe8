"""Routes select items by labels, regions, sources and keywords; only fresh items alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from monitor.normalize import for_matching
from monitor.route import RoutedItem, check_routes, load_routes, matches, select_routes
from monitor.settings import ConfigError, RouteConfig, Settings

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "route.yml").read_text(encoding="utf-8"))
NOW = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)


def routed(labels=(), region="全国", source="moe", text="", published=None, first_seen=NOW) -> RoutedItem:
    return RoutedItem(labels=frozenset(labels), region=region, source_id=source, text=for_matching(text),
                      published_at=published, first_seen_at=first_seen)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_route_cases(case: dict) -> None:
    route = RouteConfig(**case["route"])
    item = case["item"]
    assert matches(route, routed(item["labels"], item["region"], item["source"], item["text"])) is case["match"]


def test_old_news_does_not_alert_but_fresh_news_does() -> None:
    route = RouteConfig(name="r", notify=["ops"])
    old = routed(published=NOW - timedelta(days=30))
    fresh = routed(published=NOW - timedelta(days=2))
    assert select_routes([route], old, NOW, timedelta(days=7)) == []
    assert select_routes([route], fresh, NOW, timedelta(days=7)) == [route]


def test_undated_items_count_from_first_seen_and_routes_can_set_their_own_max_age() -> None:
    strict = RouteConfig(name="strict", notify=["ops"], max_age="1d")
    item = routed(published=None, first_seen=NOW - timedelta(days=2))
    assert select_routes([strict], item, NOW, timedelta(days=7)) == []
    assert select_routes([RouteConfig(name="lax", notify=["ops"])], item, NOW, timedelta(days=7))


def test_shipped_defaults_when_config_has_no_routes() -> None:
    routes = {r.name: r for r in load_routes(Settings())}
    assert routes["security-incidents"].labels == ["security_incident"]
    assert routes["security-incidents"].mode == "instant" and routes["security-incidents"].notify == ["ops"]
    assert routes["daily-digest"].mode == "digest" and routes["daily-digest"].schedule == "0 8 * * *"
    assert routes["daily-digest"].labelled_only


@pytest.mark.parametrize(("route", "message"), [
    ({"name": "r", "labels": ["securty_incident"], "notify": ["ops"]}, "unknown label"),
    ({"name": "r", "regions": ["Shaanxi"], "notify": ["ops"]}, "unknown region"),
    ({"name": "r", "notify": []}, "at least one channel tag"),
])
def test_bad_routes_are_config_errors(route: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        check_routes([RouteConfig(**route)])
