"""Several `modeldeck serve` processes on one database (DESIGN §6): real processes, real HTTP.

On PostgreSQL a write on instance A reaches instance B through NOTIFY/LISTEN, B's reads are
never stale after the event, and a PostgreSQL restart loses no event. On SQLite instances
see each other's changes through the periodic revision check.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import BACKENDS, _create_postgres_database, _drop_postgres_database, model_body
from modeldeck.changes.sse import read_messages
from serving import serving as serve

pytestmark = pytest.mark.anyio

ADMIN_TOKEN = "mdk_many-instances-test-admin"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
needs_postgres = pytest.mark.skipif(
    "postgresql" not in BACKENDS, reason="MODELDECK_TEST_BACKENDS leaves PostgreSQL out"
)


@contextmanager
def serving(url: str, log: Path, **env: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`modeldeck serve` on a free port and database `url`; its base URL once /readyz answers."""
    with serve(
        log.parent,
        {"MODELDECK_ADMIN_TOKEN": ADMIN_TOKEN, **env},
        args=["--database-url", url],
        inherit_settings=True,
        log=log,
    ) as served:
        yield served


class Follower:
    """An instance's event stream, read in the background; it resumes with Last-Event-ID."""

    def __init__(self, base: str, since: int) -> None:
        self.base = base
        self.last_id = since
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.delivered: list[int] = []
        self.reconnects = 0

    async def run(self) -> None:
        timeout = httpx.Timeout(5, read=60)
        async with httpx.AsyncClient(base_url=self.base, timeout=timeout) as client:
            while True:
                headers = {"Last-Event-ID": str(self.last_id)}
                try:
                    async with client.stream("GET", "/api/events", headers=headers) as response:
                        async for message in read_messages(response.aiter_lines()):
                            if message.event == "change":
                                event = json.loads(message.data)
                                self.last_id = event["revision"]
                                self.delivered.append(event["revision"])
                                self.events.put_nowait(event)
                except httpx.HTTPError:
                    pass
                self.reconnects += 1
                await asyncio.sleep(0.1)

    async def next(self, timeout: float = 5) -> dict[str, Any]:
        return await asyncio.wait_for(self.events.get(), timeout)


@asynccontextmanager
async def following(base: str) -> AsyncIterator[Follower]:
    async with httpx.AsyncClient(base_url=base) as client:
        since = (await client.get("/api/changes", params={"since": 10**9})).json()["revision"]
    follower = Follower(base, since)
    task = asyncio.create_task(follower.run())
    try:
        await asyncio.sleep(0.3)  # the stream is open before the first write
        yield follower
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def changes_of(event: dict[str, Any]) -> list[tuple[str, str]]:
    return [(change["action"], change["model_id"]) for change in event["changes"]]


async def create_update_delete_reach_b(
    a: httpx.AsyncClient, b: httpx.AsyncClient, base_b: str
) -> None:
    """Each write on A: B's stream delivers it, and B's read reflects it right after."""
    await b.get("/api/models")  # B holds a snapshot that the writes make stale
    async with following(base_b) as follower:
        body = model_body()
        created = (await a.post("/api/models", json=body, headers=ADMIN)).json()
        model_id = created["id"]
        event = await follower.next()
        assert changes_of(event) == [("create", model_id)]
        assert event["actor"] == "token:MODELDECK_ADMIN_TOKEN"
        on_b = await b.get(f"/api/models/{body['name']}")
        assert on_b.status_code == 200
        assert on_b.json() == created

        await b.get(f"/api/models/{model_id}")
        patched = await a.patch(
            f"/api/models/{model_id}", json={"description": "edited on A"}, headers=ADMIN
        )
        assert patched.status_code == 200
        event = await follower.next()
        assert changes_of(event) == [("update", model_id)]
        on_b = await b.get(f"/api/models/{model_id}")
        assert on_b.json()["description"] == "edited on A"
        assert on_b.headers["etag"].startswith('"2-')

        assert (await a.delete(f"/api/models/{model_id}", headers=ADMIN)).status_code == 204
        event = await follower.next()
        assert changes_of(event) == [("delete", model_id)]
        assert (await b.get(f"/api/models/{model_id}")).status_code == 404
        listing = (await b.get("/api/models", params={"limit": 10000})).json()
        assert listing["revision"] == event["revision"]
        assert model_id not in {model["id"] for model in listing["data"]}
        assert follower.reconnects == 0


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    url = await _create_postgres_database()
    try:
        yield url
    finally:
        await _drop_postgres_database(url)


@needs_postgres
async def test_a_write_on_one_instance_reaches_the_others_stream_and_reads(
    postgres_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    # A long revision check, so only NOTIFY can explain B noticing in time.
    slow_check = {"MODELDECK_REVISION_CHECK_INTERVAL_S": "60"}
    with (
        serving(postgres_url, log, **slow_check) as (base_a, _),
        serving(postgres_url, log, **slow_check) as (base_b, _),
    ):
        async with httpx.AsyncClient(base_url=base_a) as a, httpx.AsyncClient(base_url=base_b) as b:
            await create_update_delete_reach_b(a, b, base_b)


def postgres_cluster() -> list[str]:
    version = sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(p) for p in v.split(".")])
    return [version[-1], "main"]


def restart_postgres() -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", *postgres_cluster(), "restart"],
        check=True,
        timeout=120,
        capture_output=True,
    )


def ensure_postgres_running() -> None:
    """Whatever happened, leave PostgreSQL up for everyone else's tests."""
    ready = ["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]
    if subprocess.run(ready, check=False).returncode == 0:
        return
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", *postgres_cluster(), "start"],
        check=False,
        timeout=120,
    )
    for _ in range(120):
        if subprocess.run(ready, check=False).returncode == 0:
            return
        time.sleep(0.5)


async def until_it_succeeds(request: Any, deadline_s: float = 60) -> httpx.Response:
    """Retry a request while the database is away."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            response: httpx.Response = await request()
            if response.status_code < 500:
                return response
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the instance never recovered"
        await asyncio.sleep(0.2)


async def all_events_after(client: httpx.AsyncClient, since: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    while True:
        params = {"since": since}
        response = await until_it_succeeds(lambda p=params: client.get("/api/changes", params=p))
        page = response.json()
        events += page["events"]
        if not page["more"]:
            return events
        since = page["events"][-1]["revision"]


# It restarts the PostgreSQL server: under xdist, no other worker's test may be using it then.
@pytest.mark.exclusive
@needs_postgres
async def test_no_event_is_lost_when_postgresql_restarts_mid_stream(
    postgres_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    slow_check = {"MODELDECK_REVISION_CHECK_INTERVAL_S": "60"}
    try:
        with (
            serving(postgres_url, log, **slow_check) as (base_a, _),
            serving(postgres_url, log, **slow_check) as (base_b, _),
        ):
            async with (
                httpx.AsyncClient(base_url=base_a, timeout=10) as a,
                httpx.AsyncClient(base_url=base_b, timeout=10) as b,
                following(base_b) as follower,
            ):
                start = follower.last_id
                created = (await a.post("/api/models", json=model_body(), headers=ADMIN)).json()
                url = f"/api/models/{created['id']}"
                await follower.next()

                restart = asyncio.create_task(asyncio.to_thread(restart_postgres))
                for number in range(15):
                    patch = {"description": f"edit {number}"}
                    while True:
                        try:
                            response = await a.patch(url, json=patch, headers=ADMIN)
                        except httpx.HTTPError:
                            response = None
                        if response is not None and response.status_code == 200:
                            break
                        await asyncio.sleep(0.1)
                    await asyncio.sleep(0.15)
                await restart
                for number in range(15, 18):  # and after it is over
                    patch = {"description": f"edit {number}"}
                    await until_it_succeeds(lambda p=patch: a.patch(url, json=p, headers=ADMIN))

                expected = [event["revision"] for event in await all_events_after(a, start)]
                while follower.last_id < expected[-1]:
                    await follower.next(30)
                assert follower.delivered == expected
                assert expected == list(range(start + 1, expected[-1] + 1))
                assert "change listener" in log.read_text(), "the listener never lost PostgreSQL"
                on_b = await until_it_succeeds(lambda: b.get(url))
                assert on_b.json()["description"] == "edit 17"
    finally:
        ensure_postgres_running()


async def test_two_instances_on_one_sqlite_file_see_each_others_changes(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    log = tmp_path / "serve.log"
    check = {"MODELDECK_REVISION_CHECK_INTERVAL_S": "0.2"}
    with (
        serving(url, log, **check) as (base_a, _),
        serving(url, log, **check) as (
            base_b,
            process_b,
        ),
    ):
        async with httpx.AsyncClient(base_url=base_a) as a, httpx.AsyncClient(base_url=base_b) as b:
            await b.get("/api/models")
            body = model_body()
            await a.post("/api/models", json=body, headers=ADMIN)
            start = time.monotonic()
            while (await b.get(f"/api/models/{body['name']}")).status_code == 404:
                assert time.monotonic() - start < 2, "B never saw A's model"
                await asyncio.sleep(0.02)

            await create_update_delete_reach_b(a, b, base_b)

            # A stopping instance ends its event streams instead of waiting on them.
            async with b.stream("GET", "/api/events") as response:
                lines = response.aiter_lines()
                assert await anext(lines) == "retry: 1000"
                process_b.send_signal(signal.SIGTERM)
                started = time.monotonic()
                async for _line in lines:
                    pass
                process_b.wait(10)
                assert time.monotonic() - started < 5
