"""The change feed (DESIGN §4, §6): `/api/changes` long-poll and `/api/events` SSE.

Both on SQLite and PostgreSQL. Long-poll and stream tests commit for real: a waiter must be
woken by another request's commit, as in production (without the app's lifespan).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from conftest import Api, settings_for
from modeldeck.app import create_app
from modeldeck.changes.feed import ChangeFeed, events_from
from modeldeck.changes.listener import connect_args
from modeldeck.changes.revision import RevisionWatcher
from modeldeck.changes.sse import Message, read_messages
from modeldeck.db import Database

pytestmark = pytest.mark.anyio

ACTOR = "token:test-admin"


async def feed(api: Api, **params: Any) -> dict[str, Any]:
    response = await api.client.get("/api/changes", params=params)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def latest_revision(api: Api) -> int:
    revision: int = (await feed(api, since=10**9))["revision"]
    return revision


def changes_of(event: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (change["action"], change["model_id"], change["model_name"]) for change in event["changes"]
    ]


# --- the feed's content ---------------------------------------------------------------


async def test_a_create_is_one_event_naming_the_model_the_actor_and_the_time(api: Api) -> None:
    before = await latest_revision(api)
    created = await api.create()
    result = await feed(api, since=before)
    assert result["more"] is False
    [event] = result["events"]
    assert event["revision"] == result["revision"] == before + 1
    assert event["actor"] == ACTOR
    assert event["at"].endswith("Z")
    assert changes_of(event) == [("create", created["id"], created["name"])]


async def test_patch_default_and_delete_each_make_an_event_with_their_action(api: Api) -> None:
    created = await api.create()
    url = f"/api/models/{created['id']}"
    before = await latest_revision(api)
    patched = await api.client.patch(url, json={"description": "new"}, headers=api.admin)
    assert patched.status_code == 200
    assert (await api.client.post(f"{url}/default", headers=api.admin)).status_code == 200
    other = await api.create()
    assert (
        await api.client.post(f"/api/models/{other['id']}/default", headers=api.admin)
    ).status_code == 200
    assert (await api.client.delete(url, headers=api.admin)).status_code == 204

    events = (await feed(api, since=before))["events"]
    assert [event["revision"] for event in events] == list(range(before + 1, before + 6))
    model = (created["id"], created["name"])
    assert changes_of(events[0]) == [("update", *model)]
    assert ("update", *model) in changes_of(events[1])
    assert changes_of(events[2]) == [("create", other["id"], other["name"])]
    # A new default changes two models in one revision: one event with both.
    assert sorted(changes_of(events[3])) == sorted(
        [("update", *model), ("update", other["id"], other["name"])]
    )
    assert changes_of(events[4]) == [("delete", *model)]
    assert {event["actor"] for event in events} == {ACTOR}


async def test_since_filters_and_limit_pages_with_more(api: Api) -> None:
    before = await latest_revision(api)
    created = [await api.create() for _ in range(5)]

    first = await feed(api, since=before, limit=2)
    assert [event["revision"] for event in first["events"]] == [before + 1, before + 2]
    assert first["more"] is True
    assert first["revision"] == before + 5
    rest = await feed(api, since=before + 2, limit=5)
    assert [event["revision"] for event in rest["events"]] == [before + 3, before + 4, before + 5]
    assert rest["more"] is False
    assert [event["changes"][0]["model_name"] for event in first["events"] + rest["events"]] == [
        model["name"] for model in created
    ]
    assert (await feed(api, since=before + 5))["events"] == []


@pytest.mark.parametrize("since", [2**31, 2**63, 10**30])
async def test_a_cursor_beyond_any_revision_is_an_empty_page_not_a_500(
    api: Api, since: int
) -> None:
    result = await feed(api, since=since)  # the app's first read: straight from the database
    assert result["events"] == [] and result["revision"] >= 1
    # The event stream reads the same way from a Last-Event-ID or `since` cursor.
    page = await ChangeFeed(api.database, RevisionWatcher()).after(since)
    assert page.events == [] and page.revision == result["revision"]


async def test_since_defaults_to_the_beginning_of_the_trail(api: Api) -> None:
    await api.create()
    result = await feed(api, limit=1)
    [event] = result["events"]
    assert event["revision"] >= 1
    assert {change["action"] for change in event["changes"]} == {"seed"}
    assert result["more"] is True


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "-1"}, "since"),
        ({"since": "latest"}, "since"),
        ({"wait": "61"}, "wait"),
        ({"wait": "-0.5"}, "wait"),
        ({"wait": "nan"}, "wait"),
        ({"limit": "0"}, "limit"),
        ({"limit": "5001"}, "limit"),
    ],
)
async def test_bad_parameters_are_refused_naming_the_parameter(
    api: Api, params: dict[str, str], field: str
) -> None:
    response = await api.client.get("/api/changes", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == [field]


async def test_a_bad_last_event_id_is_refused_naming_the_header(api: Api) -> None:
    response = await api.client.get("/api/events", headers={"Last-Event-ID": "yesterday"})
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["Last-Event-ID"]
    response = await api.client.get("/api/events", params={"since": "-3"})
    assert response.status_code == 422


async def test_the_feed_needs_a_reader_token_when_reads_do(api: Api) -> None:
    settings = settings_for(api.backend.url, read_token_required=True)
    app = create_app(settings, database=api.database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/api/changes")).status_code == 401
        assert (await client.get("/api/events")).status_code == 401
        assert (await client.get("/api/changes", headers=api.reader)).status_code == 200


def test_entries_of_one_revision_make_one_event_in_their_order() -> None:
    at = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    entries = [
        (7, at, "token:ci", "update", "id-a", "old-default"),
        (7, at, "token:ci", "update", "id-b", "new-default"),
        (8, at, "token:ops", "delete", "id-a", "old-default"),
    ]
    events = events_from(entries)
    assert [event.revision for event in events] == [7, 8]
    assert events[0].document == {
        "revision": 7,
        "at": at,
        "actor": "token:ci",
        "changes": [
            {
                "action": "update",
                "model_id": "id-a",
                "model_name": "old-default",
                "alias_id": None,
                "alias_name": None,
            },
            {
                "action": "update",
                "model_id": "id-b",
                "model_name": "new-default",
                "alias_id": None,
                "alias_name": None,
            },
        ],
    }
    assert events[1].frame.startswith(b"id: 8\nevent: change\ndata: {")
    assert events[1].frame.endswith(b"}\n\n")
    assert b'"at":"2026-01-05T09:30:00Z"' in events[1].frame


def test_the_listener_connects_with_the_engines_url_minus_sqlalchemy_options() -> None:
    database = Database(
        "postgresql+asyncpg://deck:s3cret@db.internal:6543/registry"
        "?prepared_statement_cache_size=0&ssl=require"
    )
    assert connect_args(database) == {
        "host": "db.internal",
        "port": 6543,
        "user": "deck",
        "password": "s3cret",
        "database": "registry",
        "ssl": "require",
    }


# --- long-poll --------------------------------------------------------------------------


async def test_a_long_poll_without_changes_answers_empty_when_the_wait_is_over(
    api: Api,
) -> None:
    before = await latest_revision(api)
    start = time.perf_counter()
    result = await feed(api, since=before, wait=0.4)
    assert time.perf_counter() - start >= 0.4
    assert result == {"revision": before, "events": [], "more": False}


async def test_a_long_poll_answers_as_soon_as_a_write_commits(committing_api: Api) -> None:
    api = committing_api
    before = await latest_revision(api)
    start = time.perf_counter()
    waiting = asyncio.create_task(feed(api, since=before, wait=20))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    created = await api.create()
    result = await asyncio.wait_for(waiting, 5)
    assert time.perf_counter() - start < 3
    [event] = result["events"]
    assert changes_of(event) == [("create", created["id"], created["name"])]


async def test_a_long_poll_with_changes_waiting_answers_at_once(committing_api: Api) -> None:
    api = committing_api
    before = await latest_revision(api)
    await api.create()
    start = time.perf_counter()
    result = await feed(api, since=before, wait=20)
    assert time.perf_counter() - start < 2
    assert len(result["events"]) == 1


# --- Server-Sent Events -----------------------------------------------------------------


class StreamingASGITransport(httpx.AsyncBaseTransport):
    """httpx's ASGITransport, but the body streams as the app sends it (it buffers it all).

    Closing the response tells the app the client went away, and waits for the app to end.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(key.lower(), value) for key, value in request.headers.raw],
            "scheme": "http",
            "path": request.url.path,
            "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query,
            "server": ("testserver", 80),
            "client": ("127.0.0.1", 50000),
            "root_path": "",
        }
        chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
        started, gone = asyncio.Event(), asyncio.Event()
        head: dict[str, Any] = {}
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                head.update(status=message["status"], headers=message.get("headers", []))
                started.set()
            elif message["type"] == "http.response.body":
                if message.get("body"):
                    chunks.put_nowait(message["body"])
                if not message.get("more_body", False):
                    chunks.put_nowait(None)

        async def run() -> None:
            try:
                await self.app(scope, receive, send)
            finally:
                started.set()
                chunks.put_nowait(None)

        task = asyncio.create_task(run())
        await started.wait()
        if "status" not in head:
            await task
        return httpx.Response(
            head["status"], headers=head["headers"], stream=_Body(chunks, gone, task)
        )


class _Body(httpx.AsyncByteStream):
    def __init__(
        self, chunks: asyncio.Queue[bytes | None], gone: asyncio.Event, task: asyncio.Task[None]
    ) -> None:
        self.chunks, self.gone, self.task = chunks, gone, task

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (chunk := await self.chunks.get()) is not None:
            yield chunk

    async def aclose(self) -> None:
        self.gone.set()
        await asyncio.wait_for(self.task, 5)


@dataclass
class Live:
    """An app on the real engine with a client that streams; the writes commit."""

    api: Api
    app: FastAPI

    @property
    def feed(self) -> ChangeFeed:
        change_feed: ChangeFeed = self.app.state.change_feed
        return change_feed

    @asynccontextmanager
    async def subscribe(
        self, headers: dict[str, str] | None = None, **params: Any
    ) -> AsyncIterator[Subscription]:
        async with self.api.client.stream(
            "GET", "/api/events", headers=headers, params=params
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            yield Subscription(response)


class Subscription:
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.messages = read_messages(response.aiter_lines())

    async def next(self, timeout: float = 5) -> Message:
        return await asyncio.wait_for(anext(self.messages), timeout)

    async def next_event(self, timeout: float = 5) -> dict[str, Any]:
        message = await self.next(timeout)
        assert message.event == "change", message
        data: dict[str, Any] = json.loads(message.data)
        assert message.id == str(data["revision"])
        return data


@pytest.fixture
async def live(committing_api: Api) -> AsyncIterator[Live]:
    backend = committing_api.backend
    app = create_app(settings_for(backend.url), database=backend.database)
    transport = StreamingASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        api = Api(client, committing_api.admin, committing_api.reader, backend, backend.database)
        yield Live(api, app)


async def test_the_stream_replays_after_last_event_id_then_pushes_each_new_event(
    live: Live,
) -> None:
    before = await latest_revision(live.api)
    first, second = await live.api.create(), await live.api.create()
    async with live.subscribe({"Last-Event-ID": str(before)}) as stream:
        replayed = [await stream.next_event(), await stream.next_event()]
        assert [event["revision"] for event in replayed] == [before + 1, before + 2]
        assert changes_of(replayed[1]) == [("create", second["id"], second["name"])]

        url = f"/api/models/{first['id']}"
        await live.api.client.patch(url, json={"description": "x"}, headers=live.api.admin)
        pushed = await stream.next_event()
        assert pushed["revision"] == before + 3
        assert changes_of(pushed) == [("update", first["id"], first["name"])]
        assert pushed["actor"] == ACTOR

        await live.api.client.delete(url, headers=live.api.admin)
        assert changes_of(await stream.next_event()) == [("delete", first["id"], first["name"])]


async def test_since_replays_too_and_without_either_only_new_events_come(live: Live) -> None:
    before = await latest_revision(live.api)
    await live.api.create()
    async with live.subscribe(since=before) as stream:
        assert (await stream.next_event())["revision"] == before + 1
    async with live.subscribe() as stream:
        created = await live.api.create()
        event = await stream.next_event()
        assert event["revision"] == before + 2
        assert changes_of(event) == [("create", created["id"], created["name"])]


async def test_the_stream_starts_with_a_retry_hint_and_idles_with_heartbeats(live: Live) -> None:
    live.feed.heartbeat_s = 0.2
    async with live.api.client.stream("GET", "/api/events") as response:
        lines = response.aiter_lines()
        assert await anext(lines) == "retry: 1000"
        assert await anext(lines) == ""
        start = time.perf_counter()
        assert await asyncio.wait_for(anext(lines), 2) == ": heartbeat"
        assert await anext(lines) == ""
        assert await asyncio.wait_for(anext(lines), 2) == ": heartbeat"
        assert time.perf_counter() - start >= 0.3


async def test_a_heartbeat_waits_for_a_quiet_interval(live: Live) -> None:
    live.feed.heartbeat_s = 0.5
    async with live.subscribe() as stream:
        await live.api.create()
        await stream.next_event()
        start = time.perf_counter()
        assert (await stream.next(2)).comment == "heartbeat"
        assert time.perf_counter() - start >= 0.4


async def test_a_stream_ends_when_the_client_goes_away_or_the_instance_stops(
    live: Live,
) -> None:
    # Closing a subscription waits for the app's response to end (see `_Body.aclose`).
    async with live.subscribe():
        pass
    async with live.subscribe() as stream:
        live.app.state.revisions.close()
        with pytest.raises(StopAsyncIteration):
            await stream.next(2)


async def test_one_write_is_read_once_for_all_subscribers(live: Live) -> None:
    await latest_revision(live.api)  # a `since` beyond the newest revision holds nothing odd
    reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "audit_entries" in statement:
            reads.append(statement)

    async with (
        live.subscribe() as first,
        live.subscribe() as second,
        live.subscribe() as third,
    ):
        engine = live.api.database.engine.sync_engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            created = await live.api.create()
            events = [await stream.next_event() for stream in (first, second, third)]
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert {event["changes"][0]["model_id"] for event in events} == {created["id"]}
    assert len(reads) == 2  # the revisions after the held ones, and their entries


async def test_a_subscriber_far_behind_catches_up_in_order(live: Live) -> None:
    before = await latest_revision(live.api)
    for _ in range(3):
        await live.api.create()
    async with live.subscribe() as current, live.subscribe(since=before) as behind:
        created = await live.api.create()
        assert (await current.next_event())["revision"] == before + 4
        revisions = [(await behind.next_event())["revision"] for _ in range(4)]
        assert revisions == [before + 1, before + 2, before + 3, before + 4]
    assert created["name"].startswith("test-model-")
