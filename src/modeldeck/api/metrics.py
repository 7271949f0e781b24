"""Prometheus metrics of one instance, in a registry of its own (apps in one process never mix):
requests and their latency per route template and status, the revision, the registry's size,
the database pool, change-feed subscribers and change-listener reconnects."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modeldeck.changes.revision import RevisionWatcher
from modeldeck.db import Database

# Any other method a client sends is counted as OTHER: labels must not grow without bound.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})
# Reads answer from memory in well under a millisecond; writes take milliseconds.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10)
# Pool figures as SQLAlchemy's queue pools report them; other pools lack some or all.
POOL_GAUGES = (
    ("checked_out", "checkedout", "Database connections in use by requests now."),
    ("size", "size", "Connections the database pool keeps open."),
    ("overflow", "overflow", "Connections open beyond the pool's size (negative: room left)."),
)


class Metrics:
    """One instance's metrics: request counters kept as requests end, the rest read on scrape."""

    def __init__(
        self, database: Database | None = None, revisions: RevisionWatcher | None = None
    ) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "modeldeck_http_requests",
            "HTTP requests by method, route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.seconds = Counter(
            "modeldeck_http_request_seconds",
            "Time spent answering, by method and route.",
            ["method", "route"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "modeldeck_http_request_duration_seconds",
            "How long requests took, by method, route and status.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._children: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}
        self.scraped = _Scraped(database, revisions)
        self.registry.register(self.scraped)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else "OTHER"
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(method, route, str(status)),
                self.seconds.labels(method, route),
                self.latency.labels(method, route, str(status)),
            )
        requests, spent, latency = children
        requests.inc()
        spent.inc(seconds)
        latency.observe(seconds)


class _Scraped(Collector):
    """What is read when Prometheus scrapes: the revision, models, pool and change feed."""

    def __init__(self, database: Database | None, revisions: RevisionWatcher | None) -> None:
        self.database = database
        self.revisions = revisions
        self.revision = 0
        self.models: list[dict[str, Any]] | None = None

    def collect(self) -> Iterator[Metric]:
        revision = GaugeMetricFamily(
            "modeldeck_revision", "The newest registry revision this instance knows of."
        )
        revision.add_metric([], self.revision)
        yield revision
        if self.models is not None:
            counts: defaultdict[tuple[str, str], int] = defaultdict(int)
            for model in self.models:
                kind = "system" if model["is_system"] else "ordinary"
                counts[(kind, str(model["enabled"]).lower())] += 1
            models = GaugeMetricFamily(
                "modeldeck_models",
                "Models in the registry, by kind and whether enabled.",
                labels=["kind", "enabled"],
            )
            for labels, count in sorted(counts.items()):
                models.add_metric(list(labels), count)
            yield models
        if self.database is not None:
            pool = self.database.engine.pool
            for name, method, help_text in POOL_GAUGES:
                reading = getattr(pool, method, None)
                if callable(reading):
                    gauge = GaugeMetricFamily(f"modeldeck_db_pool_{name}", help_text)
                    gauge.add_metric([], reading())
                    yield gauge
        if self.revisions is not None:
            subscribers = GaugeMetricFamily(
                "modeldeck_change_subscribers",
                "Clients following the change feed now: event streams and waiting long-polls.",
                labels=["kind"],
            )
            for kind in ("sse", "long_poll"):
                subscribers.add_metric([kind], self.revisions.subscribers[kind])
            yield subscribers
            reconnects = CounterMetricFamily(
                "modeldeck_change_listener_reconnects",
                "Times the PostgreSQL LISTEN connection was lost or refused and opened again.",
            )
            reconnects.add_metric([], self.revisions.listener_reconnects)
            yield reconnects


class MetricsMiddleware:
    """Counts every HTTP request by method, route template (never the raw path) and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes
        self._templates: dict[tuple[str, str], str] = {}

    def route_of(self, scope: Scope) -> str:
        """The template of a plain route (APIRoutes name themselves in `scope["route"]`)."""
        key = (scope["method"], scope["path"])
        template = self._templates.get(key)
        if template is None:
            template = "unmatched"
            for route in self.routes:
                match, _ = route.matches(scope)
                if match is Match.FULL:
                    template = getattr(route, "path", template)
                    break
                if match is Match.PARTIAL and template == "unmatched":
                    template = getattr(route, "path", template)
            if len(self._templates) >= 4096:
                self._templates.clear()
            self._templates[key] = template
        return template

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        start = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            elapsed = time.perf_counter() - start
            route = getattr(scope.get("route"), "path", None) or self.route_of(scope)
            self.metrics.observe(scope["method"], route, status, elapsed)


def exposition(metrics: Metrics, *, revision: int, models: list[dict[str, Any]] | None) -> str:
    """The Prometheus text format; `models` is None when the registry cannot be read."""
    metrics.scraped.revision = revision
    metrics.scraped.models = models
    return generate_latest(metrics.registry).decode()
