"""`/metrics` in the Prometheus format: latency per route, the pool, the change feed's followers."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from conftest import Api, Backend, _client, settings_for
from modeldeck.app import create_app
from modeldeck.changes.listener import LISTENER_NAME
from test_changes_api import Live, latest_revision, live  # noqa: F401 (the fixture)

pytestmark = pytest.mark.anyio


Sample = tuple[str, frozenset[tuple[str, str]]]
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


async def scrape(client: httpx.AsyncClient) -> dict[Sample, float]:
    """Every sample, keyed by its name and its set of labels (their order is the library's)."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: dict[Sample, float] = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            series, value = line.rsplit(" ", 1)
            name, _, labels = series.partition("{")
            samples[name, frozenset(LABEL.findall(labels))] = float(value)
    return samples


def sample(name: str, **labels: str) -> Sample:
    return name, frozenset(labels.items())


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 10) -> None:
    """Wait until `check()` holds; fail after `seconds`."""
    for _ in range(round(seconds / 0.02)):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition never held")


async def test_request_latency_is_a_histogram_per_route_template_and_status(api: Api) -> None:
    await api.client.get("/api/models")
    await api.client.get("/api/models")
    await api.client.get("/api/models/no-such-model")
    samples = await scrape(api.client)

    histogram = "modeldeck_http_request_duration_seconds"
    listing = {"method": "GET", "route": "/api/models", "status": "200"}
    assert samples[sample(f"{histogram}_count", **listing)] == 2
    assert samples[sample(f"{histogram}_bucket", **listing, le="+Inf")] == 2
    assert samples[sample(f"{histogram}_sum", **listing)] > 0
    missing = {"method": "GET", "route": "/api/models/{ref:path}", "status": "404"}
    assert samples[sample(f"{histogram}_count", **missing)] == 1
    assert samples[sample("modeldeck_http_requests_total", **listing)] == 2
    assert not any("no-such-model" in str(key) for key in samples)

    # Another app in the same process keeps counts of its own.
    other = create_app(settings_for(api.backend.url), database=api.database)
    async with _client(other) as client:
        assert sample("modeldeck_http_requests_total", **listing) not in await scrape(client)


async def test_unknown_methods_do_not_become_labels(api: Api) -> None:
    await api.client.request("FROBNICATE", "/api/models")
    samples = await scrape(api.client)
    assert not any("FROBNICATE" in str(key) for key in samples)
    assert (
        samples[
            sample(
                "modeldeck_http_requests_total", method="OTHER", route="/api/models", status="405"
            )
        ]
        == 1
    )


async def test_the_database_pool_is_measured(api: Api) -> None:
    samples = await scrape(api.client)
    assert samples[sample("modeldeck_db_pool_size")] >= 1
    # The test's own transaction holds one connection of the pool.
    assert samples[sample("modeldeck_db_pool_checked_out")] >= 1
    assert sample("modeldeck_db_pool_overflow") in samples


async def test_change_feed_subscribers_are_counted_while_they_follow(live: Live) -> None:  # noqa: F811
    client = live.api.client

    async def followers(sse: int, long_poll: int) -> bool:
        samples = await scrape(client)
        return (
            samples[sample("modeldeck_change_subscribers", kind="sse")],
            samples[sample("modeldeck_change_subscribers", kind="long_poll")],
        ) == (sse, long_poll)

    assert await followers(0, 0)
    async with live.subscribe():
        await eventually(lambda: followers(1, 0))
        since = await latest_revision(live.api)
        poll = asyncio.create_task(client.get("/api/changes", params={"since": since, "wait": 30}))
        await eventually(lambda: followers(1, 1))
        await live.api.create()
        assert (await poll).json()["events"]
        await eventually(lambda: followers(1, 0))
    await eventually(lambda: followers(0, 0))


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_lost_listen_connection_is_counted_as_a_reconnect(backend: Backend) -> None:
    app = create_app(settings_for(backend.url), database=backend.database)
    server = create_async_engine(backend.url, isolation_level="AUTOCOMMIT")
    listening = text(
        "SELECT pid FROM pg_stat_activity "
        f"WHERE datname = current_database() AND application_name = '{LISTENER_NAME}'"
    )
    try:
        async with (
            app.router.lifespan_context(app),
            _client(app) as client,
            server.connect() as sql,
        ):

            async def listeners() -> list[int]:
                return list((await sql.execute(listening)).scalars())

            async def listening_again() -> bool:
                return bool(await listeners())

            await eventually(listening_again)
            samples = await scrape(client)
            assert samples[sample("modeldeck_change_listener_reconnects_total")] == 0
            for pid in await listeners():
                await sql.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

            async def reconnected() -> bool:
                samples = await scrape(client)
                return samples[sample("modeldeck_change_listener_reconnects_total")] >= 1

            await eventually(reconnected)
            await eventually(listening_again)
    finally:
        await server.dispose()
