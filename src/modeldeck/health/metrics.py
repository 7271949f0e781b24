"""Prometheus metrics: request counts and times per route, the revision, the registry's size."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Metrics:
    """Counters kept in memory by one instance (Prometheus scrapes each instance)."""

    def __init__(self) -> None:
        self.requests: defaultdict[tuple[str, str, int], int] = defaultdict(int)
        self.seconds: defaultdict[tuple[str, str], float] = defaultdict(float)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests[(method, route, status)] += 1
        self.seconds[(method, route)] += seconds


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


def _label(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def exposition(metrics: Metrics, *, revision: int, models: list[dict[str, Any]] | None) -> str:
    """The Prometheus text format."""
    lines = [
        "# HELP modeldeck_http_requests_total HTTP requests by method, route and status.",
        "# TYPE modeldeck_http_requests_total counter",
    ]
    for (method, route, status), count in sorted(metrics.requests.items()):
        labels = f'method="{_label(method)}",route="{_label(route)}",status="{status}"'
        lines.append(f"modeldeck_http_requests_total{{{labels}}} {count}")
    lines += [
        "# HELP modeldeck_http_request_seconds_total Time spent answering, by method and route.",
        "# TYPE modeldeck_http_request_seconds_total counter",
    ]
    for (method, route), seconds in sorted(metrics.seconds.items()):
        labels = f'method="{_label(method)}",route="{_label(route)}"'
        lines.append(f"modeldeck_http_request_seconds_total{{{labels}}} {seconds:.6f}")
    lines += [
        "# HELP modeldeck_revision The newest registry revision this instance knows of.",
        "# TYPE modeldeck_revision gauge",
        f"modeldeck_revision {revision}",
    ]
    if models is not None:
        lines += [
            "# HELP modeldeck_models Models in the registry, by kind and whether enabled.",
            "# TYPE modeldeck_models gauge",
        ]
        counts: defaultdict[tuple[str, bool], int] = defaultdict(int)
        for model in models:
            counts[("system" if model["is_system"] else "ordinary", model["enabled"])] += 1
        for (kind, enabled), count in sorted(counts.items()):
            lines.append(
                f'modeldeck_models{{kind="{kind}",enabled="{str(enabled).lower()}"}} {count}'
            )
    return "\n".join(lines) + "\n"
