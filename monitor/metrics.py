"""Prometheus metrics: counters the daemon updates, plus figures read from the database at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from monitor.db import session_scope
from monitor.models import Alert, ItemLabel, SourceState


class Metrics:
    """One registry per daemon (not the global one), so tests and reloads start clean."""

    def __init__(self, engine: Engine | None = None) -> None:
        self.registry = CollectorRegistry()
        self.polls = Counter("edu_monitor_polls", "Polls per source", ["source"], registry=self.registry)
        self.poll_failures = Counter("edu_monitor_poll_failures", "Failed polls per source", ["source"],
                                     registry=self.registry)
        self.blocked = Counter("edu_monitor_blocked_fetches", "Fetches answered by a challenge or rate limit",
                               ["source"], registry=self.registry)
        self.fetch_seconds = Histogram("edu_monitor_fetch_seconds", "Latency of list-page fetches",
                                       buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60), registry=self.registry)
        self.last_success = Gauge("edu_monitor_last_success_timestamp_seconds", "Last successful poll per source",
                                  ["source"], registry=self.registry)
        if engine is not None:
            self.registry.register(DatabaseCollector(engine))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class DatabaseCollector(Collector):
    """Items per label and alerts per tag and status, counted where they are true: in the database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        items = GaugeMetricFamily("edu_monitor_items", "Stored items per label", labels=["label"])
        alerts = GaugeMetricFamily("edu_monitor_alerts", "Alerts per channel tag and status",
                                   labels=["tag", "status"])
        broken = GaugeMetricFamily("edu_monitor_source_unhealthy", "Sources not ok, by status", labels=["status"])
        with session_scope(self.engine) as session:
            for label, n in session.exec(select(ItemLabel.label, func.count()).group_by(ItemLabel.label)):
                items.add_metric([label], n)
            stmt = select(Alert.channel_tag, Alert.status, func.count()).group_by(Alert.channel_tag, Alert.status)
            for tag, status, n in session.exec(stmt):
                alerts.add_metric([tag, status], n)
            stmt = select(SourceState.status, func.count()).where(SourceState.status != "ok").group_by(
                SourceState.status)
            for status, n in session.exec(stmt):
                broken.add_metric([status], n)
        yield from (items, alerts, broken)
