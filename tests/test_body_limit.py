"""Request bodies over `MODELDECK_MAX_BODY_BYTES` are refused with 413 before they are read."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from conftest import Backend, settings_for
from fake_openai import serve_in_thread
from modeldeck.app import create_app
from modeldeck.body_limit import BodyLimitMiddleware
from modeldeck.db import Database
from modeldeck.settings import Settings

pytestmark = pytest.mark.anyio

LIMIT = 4096
CHUNK = 1000


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    pulled: int  # bytes the app (behind the middleware) took from the client
    receive_calls: int

    def problem(self) -> dict[str, Any]:
        assert self.headers["content-type"] == "application/problem+json"
        document: dict[str, Any] = json.loads(self.body)
        return document


@dataclass
class Client:
    """A client sending `chunks` as the body; records what the server side pulled."""

    chunks: Iterator[bytes]
    pulled: int = 0
    calls: int = 0
    sent: list[Message] = field(default_factory=list)

    async def receive(self) -> Message:
        self.calls += 1
        chunk = next(self.chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        self.pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(self, message: Message) -> None:
        self.sent.append(message)


async def call(
    app: Any,
    path: str,
    chunks: Iterable[bytes],
    *,
    headers: dict[str, str] | None = None,
    method: str = "POST",
) -> Answer:
    client = Client(iter(chunks))
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (name.lower().encode(), value.encode())
            for name, value in {"content-type": "application/json", **(headers or {})}.items()
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    await app(scope, client.receive, client.send)
    start = next(message for message in client.sent if message["type"] == "http.response.start")
    parts = [message for message in client.sent if message["type"] == "http.response.body"]
    body = b"".join(message.get("body", b"") for message in parts)
    return Answer(
        start["status"],
        {name.decode(): value.decode() for name, value in start["headers"]},
        body,
        client.pulled,
        client.calls,
    )


def endless(chunk: bytes = b" " * CHUNK, cap: int = 1_000) -> Iterator[bytes]:
    """A body that goes on and on (capped, so a server that reads it all still ends)."""
    for _ in range(cap):
        yield chunk


class BodyCounter:
    """An app that reads the whole body and says how many bytes it got."""

    def __init__(self) -> None:
        self.received = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            self.received += len(message.get("body", b""))
            if not message.get("more_body", False):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(self.received).encode()})


@pytest.fixture
def limited_app(backend: Backend, database: Database) -> Any:
    return create_app(settings_for(backend.url, max_body_bytes=LIMIT), database=database)


def test_the_limit_is_a_setting_of_two_mebibytes_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().max_body_bytes == 2 * 1024 * 1024
    monkeypatch.setenv("MODELDECK_MAX_BODY_BYTES", "65536")
    assert Settings().max_body_bytes == 65536


@pytest.mark.parametrize("path", ["/api/cost", "/api/models", "/api/simulate", "/login"])
async def test_a_body_declared_too_large_is_refused_without_reading_a_byte(
    limited_app: Any, path: str
) -> None:
    answer = await call(
        limited_app, path, endless(), headers={"content-length": str(100 * 1024 * 1024)}
    )
    assert answer.status == 413
    problem = answer.problem()
    assert problem["status"] == 413
    assert str(LIMIT) in problem["detail"]
    assert answer.receive_calls == 0 and answer.pulled == 0


@pytest.mark.parametrize("path", ["/api/cost", "/api/models", "/api/tokens"])
async def test_a_streamed_body_is_cut_off_at_the_limit(
    limited_app: Any, backend: Backend, path: str
) -> None:
    admin = {"authorization": f"Bearer {backend.admin_token}"}
    answer = await call(limited_app, path, endless(), headers=admin)  # chunked: no length
    assert answer.status == 413
    assert answer.problem()["title"] == "Content too large"
    # What was taken from the client is the limit and at most the one chunk that crossed it.
    assert answer.pulled <= LIMIT + CHUNK


async def test_a_content_length_that_lies_does_not_get_a_longer_body_in(
    limited_app: Any,
) -> None:
    answer = await call(limited_app, "/api/cost", endless(), headers={"content-length": "20"})
    assert answer.status == 413
    assert answer.pulled <= LIMIT + CHUNK


async def test_the_app_is_never_handed_more_than_the_limit() -> None:
    counter = BodyCounter()
    limited = BodyLimitMiddleware(counter, max_body_bytes=LIMIT)
    answer = await call(limited, "/anything", endless(b"x" * 999))
    assert answer.status == 413
    assert counter.received <= LIMIT
    assert answer.pulled <= LIMIT + 999


async def test_a_body_of_exactly_the_limit_gets_in_and_one_byte_more_does_not() -> None:
    counter = BodyCounter()
    limited = BodyLimitMiddleware(counter, max_body_bytes=LIMIT)
    exact = await call(limited, "/anything", [b"x" * (LIMIT - 96), b"y" * 96])
    assert exact.status == 200 and exact.body == str(LIMIT).encode()

    counter.received = 0
    over = await call(limited, "/anything", [b"x" * (LIMIT - 96), b"y" * 97])
    assert over.status == 413
    assert counter.received == LIMIT - 96
    declared = await call(limited, "/anything", [b"x"], headers={"content-length": f"{LIMIT + 1}"})
    assert declared.status == 413 and declared.receive_calls == 0


def http_exchange(url: str, request: bytes) -> bytes:
    """Send raw bytes to a loopback server and read its whole answer (bounded by a timeout)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer) < answer.index(b"\r\n\r\n") + 4:
            data = connection.recv(65536)
            if not data:
                break
            answer += data
        connection.settimeout(1)
        try:
            while data := connection.recv(65536):
                answer += data
        except TimeoutError:
            pass
    return answer


@pytest.fixture
def served(tmp_path: Any) -> Iterator[str]:
    """The real app under uvicorn on 127.0.0.1, with a 4 KiB limit."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"
    app = create_app(settings_for(url, max_body_bytes=LIMIT), database=Database(url))
    with serve_in_thread(app) as base:
        yield base


def test_a_server_answers_413_to_a_huge_content_length_without_waiting_for_the_body(
    served: str,
) -> None:
    # Only the headers are sent: a server that read the body first would wait forever.
    answer = http_exchange(
        served,
        b"POST /api/cost HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 104857600\r\n\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"application/problem+json" in answer


def test_a_server_answers_413_to_a_chunked_body_over_the_limit(served: str) -> None:
    chunk = b" " * 1024
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(6)) + b"0\r\n\r\n"
    answer = http_exchange(
        served,
        b"POST /api/cost HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + body,
    )
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"content-too-large" in answer
