"""Loopback servers for the client tests: a fake OpenAI/Azure provider and a real `modeldeck serve`.

The fake speaks just enough of both chat-completion protocols for the real `openai` SDK:
`POST /v1/chat/completions` (Authorization: Bearer) and
`POST /openai/deployments/{deployment}/chat/completions` (api-key header, api-version query).
A wrong key is a 401 that echoes the key (as real providers partly do), an unknown deployment
a 404; `delay` slows every answer; every request is recorded. `stream: true` answers
server-sent chunks, with a last chunk carrying the usage when `stream_options.include_usage`.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from modeldeck import clock
from serving import free_port

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Recorded:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeOpenAI:
    """A provider with these keys and (Azure) deployments; `url` once started."""

    keys: set[str] = field(default_factory=lambda: {"test-key"})
    deployments: set[str] = field(default_factory=lambda: {"gpt-4o"})
    delay: float = 0.0
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""

    USAGE = {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200}

    def _stream(self, model: str, body: dict[str, Any]) -> StreamingResponse:
        def chunk(choices: list[dict[str, Any]], **extra: Any) -> str:
            document = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": int(clock.now().timestamp()),
                "model": model,
                "choices": choices,
            }
            return f"data: {json.dumps(document | extra)}\n\n"

        with_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        events = [
            chunk([{"index": 0, "delta": {"role": "assistant", "content": "po"}}]),
            chunk([{"index": 0, "delta": {"content": "ng"}, "finish_reason": "stop"}]),
        ]
        if with_usage:
            events.append(chunk([], usage=self.USAGE))
        events.append("data: [DONE]\n\n")
        return StreamingResponse(iter(events), media_type="text/event-stream")

    def _completion(self, model: str, body: dict[str, Any] | None = None) -> Response:
        if body is not None and body.get("stream"):
            return self._stream(model, body)
        return JSONResponse(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(clock.now().timestamp()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "pong"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )

    async def _record(self, request: Request) -> dict[str, Any]:
        body = json.loads(await request.body() or b"{}")
        self.requests.append(
            Recorded(request.url.path, dict(request.query_params), dict(request.headers), body)
        )
        if self.delay:
            await asyncio.sleep(self.delay)
        return body  # type: ignore[no-any-return]

    async def openai_chat(self, request: Request) -> Response:
        body = await self._record(request)
        key = request.headers.get("authorization", "").removeprefix("Bearer ")
        if key not in self.keys:
            return JSONResponse(
                {
                    "error": {
                        "message": f"Incorrect API key provided: {key}.",
                        "type": "invalid_request_error",
                        "code": "invalid_api_key",
                    }
                },
                status_code=401,
            )
        return self._completion(body.get("model", ""), body)

    async def azure_chat(self, request: Request) -> Response:
        body = await self._record(request)
        if "api-version" not in request.query_params:
            return JSONResponse(
                {"error": {"code": "404", "message": "Resource not found"}}, status_code=404
            )
        key = request.headers.get("api-key", "")
        if key not in self.keys:
            return JSONResponse(
                {
                    "error": {
                        "code": "401",
                        "message": f"Access denied due to invalid subscription key {key}.",
                    }
                },
                status_code=401,
            )
        deployment = request.path_params["deployment"]
        if deployment not in self.deployments:
            return JSONResponse(
                {
                    "error": {
                        "code": "DeploymentNotFound",
                        "message": "The API deployment for this resource does not exist.",
                    }
                },
                status_code=404,
            )
        return self._completion(deployment, body)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self.openai_chat, methods=["POST"]),
                Route(
                    "/openai/deployments/{deployment}/chat/completions",
                    self.azure_chat,
                    methods=["POST"],
                ),
            ]
        )


@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise TimeoutError("the fake provider did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def fake_openai(**options: Any) -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI(**options)
    with serve_in_thread(fake.app()) as url:
        fake.url = url
        yield fake


class ModelDeckServer:
    """`modeldeck serve` in a subprocess on a temporary SQLite file; can stop and start again."""

    def __init__(self, folder: Path, admin_token: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin_token = admin_token
        self.database_url = f"sqlite+aiosqlite:///{folder / 'modeldeck.db'}"
        self.log = folder / "serve.log"
        self.env = {
            **os.environ,
            "MODELDECK_ADMIN_TOKEN": admin_token,
            "MODELDECK_SECRET_KEY": "kqgqDHXo5q3f3b3Hq4Yc1xN3oKq3-5bS0lA3w1mZcFQ=",
            "MODELDECK_LOG_LEVEL": "warning",
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [str(BIN / "modeldeck"), "serve", "--port", str(self.port)]
        command += ["--database-url", self.database_url]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"modeldeck serve exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"modeldeck serve did not get ready: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}
