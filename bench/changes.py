"""Issue 5 figure: how soon a write on one instance reaches another instance's event stream."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.harness import BIN, free_port, process, wait_ready
from modeldeck.changes.sse import read_messages

EDITS = 200
WARM_UP = 20
# LiteLLM reloads the models stored in its database every 30 s by default: the anchor.
LITELLM_RELOAD_MS = 30_000.0
POSTGRES_SERVER = os.environ.get(
    "MODELDECK_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
ADMIN_TOKEN = "mdk_bench-propagation-admin"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


async def _server_sql(statement: str) -> None:
    server = create_async_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    try:
        async with server.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await server.dispose()


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    name = f"modeldeck_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_server_sql(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_SERVER.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(_server_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def instance(url: str) -> Iterator[str]:
    """One `modeldeck serve` on `url`; its base URL once it is ready."""
    port = free_port()
    serve = [str(BIN / "modeldeck"), "serve", "--port", str(port), "--database-url", url]
    env = {"MODELDECK_ADMIN_TOKEN": ADMIN_TOKEN, "MODELDECK_LOG_LEVEL": "warning"}
    with process(serve, env=env):
        base = f"http://127.0.0.1:{port}"
        wait_ready(f"{base}/readyz", timeout=60)
        yield base


async def _follow(base: str, since: int, events: asyncio.Queue[dict[str, Any]]) -> None:
    timeout = httpx.Timeout(5, read=None)
    headers = {"Last-Event-ID": str(since)}
    async with (
        httpx.AsyncClient(base_url=base, timeout=timeout) as client,
        client.stream("GET", "/api/events", headers=headers) as response,
    ):
        async for message in read_messages(response.aiter_lines()):
            if message.event == "change":
                events.put_nowait(json.loads(message.data))


async def _measure(base_a: str, base_b: str) -> list[float]:
    """Milliseconds from sending each PATCH to A until B's stream delivers its revision."""
    async with httpx.AsyncClient(base_url=base_a) as a:
        created = await a.post(
            "/api/models",
            json={
                "name": "bench-propagation",
                "display_name": "Bench propagation",
                "provider": "openai",
                "context_window": 128000,
                "max_output_tokens": 16384,
            },
            headers=ADMIN,
        )
        created.raise_for_status()
        url = f"/api/models/{created.json()['id']}"
        since = (await a.get("/api/changes", params={"since": 10**9})).json()["revision"]
        events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        follower = asyncio.create_task(_follow(base_b, since, events))
        await asyncio.sleep(0.5)
        samples = []
        try:
            for number in range(WARM_UP + EDITS):
                start = time.perf_counter()
                patch = asyncio.create_task(
                    a.patch(url, json={"description": f"edit {number}"}, headers=ADMIN)
                )
                event = await asyncio.wait_for(events.get(), 10)
                arrived = time.perf_counter()
                (await patch).raise_for_status()
                assert event["revision"] == since + number + 1, event
                if number >= WARM_UP:
                    samples.append((arrived - start) * 1000)
        finally:
            follower.cancel()
    return samples


def propagation() -> tuple[str, float, float, float]:
    """(label, median ms, p99 ms, anchor ms) over EDITS edits on two PostgreSQL instances."""
    with fresh_postgres_database() as url, instance(url) as base_a, instance(url) as base_b:
        samples = asyncio.run(_measure(base_a, base_b))
    p99 = statistics.quantiles(samples, n=100, method="inclusive")[98]
    label = (
        f"PATCH on A -> SSE event on B ({EDITS} edits, PostgreSQL; "
        "anchor: LiteLLM's 30 s DB-model reload)"
    )
    return label, statistics.median(samples), p99, LITELLM_RELOAD_MS


if __name__ == "__main__":
    name, median, p99, anchor = propagation()
    print(f"{name}: median {median:.1f} ms, p99 {p99:.1f} ms (target <= 100); anchor {anchor} ms")
