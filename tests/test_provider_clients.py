"""Anthropic, Gemini, Mistral, Claude on Bedrock and Vertex, Gemini on Vertex: the real SDKs
that `ClientPool` builds, against a loopback fake of each provider's HTTP API."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fake_openai import ModelDeckServer, serve_in_thread
from modeldeck.client import (
    AsyncRegistry,
    ClientPool,
    MissingApiKey,
    MissingEndpoint,
    Model,
    UnsupportedProvider,
)
from modeldeck.client.errors import MissingExtra

pytestmark = pytest.mark.anyio

KEY = "provider-test-key"
ENV = {"PROVIDER_TEST_KEY": KEY, "AWS_REGION": "eu-west-3"}
ADMIN_TOKEN = "provider-tests-admin-token"


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeProviders:
    """Anthropic's, Bedrock's, Vertex's, Gemini's and Mistral's chat endpoints in one server.

    Each checks its own key header, answers its own response shape, and records every request.
    A wrong key is a 401 that echoes it (in each provider's error shape).
    """

    requests: list[Seen] = field(default_factory=list)
    url: str = ""

    ROUTES = (
        # (pattern, key header, how the key is written, answer)
        (r"/v1/messages", "x-api-key", "{}", "anthropic"),
        (r"/model/(?P<model>[^/]+)/invoke", "authorization", "Bearer {}", "anthropic"),
        (
            r"/v1/projects/(?P<project>[^/]+)/locations/(?P<region>[^/]+)/publishers/anthropic/"
            r"models/(?P<model>[^/:]+):rawPredict",
            "authorization",
            "Bearer {}",
            "anthropic",
        ),
        (r"/v1beta/models/(?P<model>[^/:]+):generateContent", "x-goog-api-key", "{}", "google"),
        (
            r"/v1/projects/(?P<project>[^/]+)/locations/(?P<region>[^/]+)/publishers/google/"
            r"models/(?P<model>[^/:]+):generateContent",
            "authorization",
            "Bearer {}",
            "google",
        ),
        (r"/v1/chat/completions", "authorization", "Bearer {}", "mistral"),
    )

    async def handle(self, request: Request) -> Response:
        body = json.loads(await request.body() or b"{}")
        path = request.url.path
        self.requests.append(Seen(path, dict(request.headers), body))
        for pattern, header, form, answer in self.ROUTES:
            found = re.fullmatch(pattern, path)
            if found is None:
                continue
            sent = request.headers.get(header, "")
            if sent != form.format(KEY):
                return self.refused(answer, sent)
            model = found.groupdict().get("model") or body.get("model", "")
            return JSONResponse(getattr(self, answer)(model))
        return JSONResponse({"error": {"message": f"no route {path}"}}, status_code=404)

    @staticmethod
    def refused(answer: str, sent: str) -> Response:
        message = f"invalid key {sent}"
        if answer == "mistral":
            return JSONResponse({"object": "error", "message": message}, status_code=401)
        if answer == "google":
            error = {"code": 401, "message": message, "status": "UNAUTHENTICATED"}
            return JSONResponse({"error": error}, status_code=401)
        error = {"type": "authentication_error", "message": message}
        return JSONResponse({"type": "error", "error": error}, status_code=401)

    @staticmethod
    def anthropic(model: str) -> dict[str, Any]:
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": "pong"}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": 1},
        }

    @staticmethod
    def google(model: str) -> dict[str, Any]:
        return {
            "candidates": [
                {"content": {"role": "model", "parts": [{"text": "pong"}]}, "finishReason": "STOP"}
            ],
            "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1},
            "modelVersion": model,
        }

    @staticmethod
    def mistral(model: str) -> dict[str, Any]:
        return {
            "id": "cmpl-fake",
            "object": "chat.completion",
            "created": 0,
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

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self.handle, methods=["POST"])])


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProviders]:
    providers = FakeProviders()
    with serve_in_thread(providers.app()) as url:
        providers.url = url
        yield providers


def record(**overrides: Any) -> Model:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "name": "model",
        "provider": "anthropic",
        "context_window": 200000,
        "max_output_tokens": 8192,
        "version": 1,
        "limits": {"max_retries": 0, "base_timeout_s": 5, "max_timeout_s": 10},
    }
    body.update(overrides)
    return Model.model_validate(body)


def deployed(endpoint: str | None, name: str) -> dict[str, Any]:
    return {"endpoint": endpoint, "deployment": name, "api_key_env": "PROVIDER_TEST_KEY"}


# One record per kind of client, as the catalog and the importers write them.
def models(url: str) -> dict[str, Model]:
    vertex = f"{url}/v1/projects/proj-1/locations/us-east5"
    return {
        "anthropic": record(name="claude", deployment=deployed(url, "claude-sonnet-4-5")),
        "bedrock": record(
            name="bedrock/claude",
            provider="other",
            tags=["host:bedrock", "vendor:anthropic"],
            deployment=deployed(url, "anthropic.claude-sonnet-4-5-v1:0"),
        ),
        "vertex_anthropic": record(
            name="vertex/claude",
            tags=["host:vertex_ai", "vendor:anthropic"],
            deployment=deployed(vertex, "claude-sonnet-4-5@20250929"),
        ),
        "google": record(
            name="gemini",
            provider="google",
            deployment=deployed(url, "gemini-2.5-flash"),
            capabilities={"json_mode": True},
        ),
        "vertex_google": record(
            name="vertex/gemini",
            provider="google",
            tags=["host:vertex_ai"],
            deployment=deployed(vertex, "gemini-2.5-pro"),
        ),
        "mistral": record(
            name="mistral", provider="mistral", deployment=deployed(url, "mistral-large-latest")
        ),
    }


# Where each request must land, and which header carries the key how.
EXPECTED = {
    "anthropic": ("/v1/messages", "x-api-key", KEY),
    "bedrock": ("/model/anthropic.claude-sonnet-4-5-v1:0/invoke", "authorization", f"Bearer {KEY}"),
    "vertex_anthropic": (
        "/v1/projects/proj-1/locations/us-east5/publishers/anthropic/models/"
        "claude-sonnet-4-5@20250929:rawPredict",
        "authorization",
        f"Bearer {KEY}",
    ),
    "google": ("/v1beta/models/gemini-2.5-flash:generateContent", "x-goog-api-key", KEY),
    "vertex_google": (
        "/v1/projects/proj-1/locations/us-east5/publishers/google/models/"
        "gemini-2.5-pro:generateContent",
        "authorization",
        f"Bearer {KEY}",
    ),
    "mistral": ("/v1/chat/completions", "authorization", f"Bearer {KEY}"),
}
KINDS = list(EXPECTED)
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "ping"}]


@pytest.fixture
async def pool(fake: FakeProviders) -> AsyncIterator[ClientPool]:
    made = ClientPool.from_models(models(fake.url).values(), environ=ENV)
    try:
        yield made
    finally:
        await made.close()


def text_of(kind: str, answer: Any) -> str:
    if kind in ("google", "vertex_google"):
        return str(answer.text)
    if kind == "mistral":
        return str(answer.choices[0].message.content)
    return str(answer.content[0].text)


async def call_async(kind: str, pool: ClientPool, name: str) -> Any:
    client = pool.client(name)
    params = pool.chat_params(name, messages=MESSAGES, max_tokens=5, temperature=0.1)
    if kind in ("google", "vertex_google"):
        return await client.models.generate_content(**params)
    if kind == "mistral":
        return await client.chat.complete_async(**params)
    return await client.messages.create(**params)


def call_sync(kind: str, pool: ClientPool, name: str) -> Any:
    client = pool.sync_client(name)
    params = pool.chat_params(name, messages=MESSAGES, max_tokens=5, temperature=0.1)
    if kind in ("google", "vertex_google"):
        return client.models.generate_content(**params)
    if kind == "mistral":
        return client.chat.complete(**params)
    return client.messages.create(**params)


@pytest.mark.parametrize("kind", KINDS)
async def test_each_provider_is_called_through_its_own_sdk(
    kind: str, pool: ClientPool, fake: FakeProviders
) -> None:
    name = models(fake.url)[kind].name
    fake.requests.clear()
    answer = await call_async(kind, pool, name)
    assert text_of(kind, answer) == "pong"
    (seen,) = fake.requests
    path, header, value = EXPECTED[kind]
    assert seen.path == path
    assert seen.headers[header] == value
    # The deployment name is in the path (Bedrock, Vertex, Gemini) or the body.
    if kind in ("anthropic", "mistral"):
        assert seen.body["model"] == models(fake.url)[kind].deployment_name
    # The system message went where each API wants it, and the token limit with it.
    if kind in ("google", "vertex_google"):
        assert seen.body["systemInstruction"]["parts"][0]["text"] == "Be brief."
        assert seen.body["contents"] == [{"role": "user", "parts": [{"text": "ping"}]}]
        assert seen.body["generationConfig"]["maxOutputTokens"] == 5
    elif kind == "mistral":
        assert seen.body["messages"][0] == {"role": "system", "content": "Be brief."}
        assert seen.body["max_tokens"] == 5
    else:
        assert seen.body["system"] == "Be brief."
        assert seen.body["messages"] == [{"role": "user", "content": "ping"}]
        assert seen.body["max_tokens"] == 5


@pytest.mark.parametrize("kind", KINDS)
def test_each_provider_has_a_sync_client_too(kind: str, fake: FakeProviders) -> None:
    pool = ClientPool.from_models(models(fake.url).values(), environ=ENV)
    name = models(fake.url)[kind].name
    fake.requests.clear()
    assert text_of(kind, call_sync(kind, pool, name)) == "pong"
    assert fake.requests[-1].path == EXPECTED[kind][0]
    assert pool.sync_client(name) is pool.sync_client(name)


def test_clients_take_retries_timeouts_and_region_from_the_record(fake: FakeProviders) -> None:
    records = models(fake.url)
    limits = {"max_retries": 4, "base_timeout_s": 3, "max_timeout_s": 40}
    claude = record(name="c", deployment=deployed(None, "claude-x"), limits=limits)
    bedrock = record(
        name="b",
        provider="other",
        tags=["host:bedrock", "vendor:anthropic"],
        deployment=deployed("https://bedrock-runtime.ap-south-1.amazonaws.com", "anthropic.x"),
    )
    pool = ClientPool.from_models([claude, bedrock, records["vertex_anthropic"]], environ=ENV)
    client = pool.client("c")
    assert client.max_retries == 4
    assert client.timeout.read == 40 and client.timeout.connect == 3
    assert str(client.base_url).startswith("https://api.anthropic.com")
    # The region comes from the Bedrock endpoint; AWS_REGION only when the record has none.
    assert pool.client("b").aws_region == "ap-south-1"
    vertex = pool.client("vertex/claude")
    assert (vertex.region, vertex.project_id) == ("us-east5", "proj-1")


def test_bedrock_and_vertex_need_a_region_and_a_project() -> None:
    pool = ClientPool.from_models(
        [
            record(
                name="bedrock-nowhere",
                provider="other",
                tags=["host:bedrock", "vendor:anthropic"],
                deployment=deployed(None, "anthropic.claude-x"),
            ),
            record(
                name="vertex-nowhere",
                tags=["host:vertex_ai"],
                deployment=deployed("https://us-east5-aiplatform.googleapis.com/v1", "claude"),
            ),
            record(
                name="bedrock-llama",
                provider="other",
                tags=["host:bedrock", "vendor:meta"],
                deployment=deployed(None, "meta.llama3-8b-instruct-v1:0"),
            ),
        ],
        environ={"PROVIDER_TEST_KEY": KEY},
    )
    with pytest.raises(MissingEndpoint, match="AWS_REGION"):
        pool.client("bedrock-nowhere")
    with pytest.raises(MissingEndpoint, match="projects/<project>/locations/<region>"):
        pool.client("vertex-nowhere")
    with pytest.raises(MissingEndpoint, match="AWS_REGION"):  # Converse's client: the same
        pool.client("bedrock-llama")


@pytest.mark.parametrize(
    ("kind", "modules", "extra"),
    [
        ("anthropic", ["anthropic"], "anthropic"),
        ("bedrock", ["anthropic"], "anthropic"),
        ("google", ["google.genai", "google.genai.types"], "google"),
        ("mistral", ["mistralai.client", "mistralai.client.utils"], "mistral"),
    ],
)
def test_without_the_sdk_the_error_names_the_extra(
    kind: str, modules: list[str], extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    model = models("http://127.0.0.1:9")[kind]
    pool = ClientPool.from_models([model], environ=ENV)
    with pytest.raises(MissingExtra, match=re.escape(f"pip install 'modeldeck[{extra}]'")):
        pool.client(model.name)
    with pytest.raises(UnsupportedProvider):  # what code catching the old error still sees
        pool.sync_client(model.name)
    # The record stays usable: its parameters and timeouts need no SDK.
    assert pool.chat_params(model.name, messages=MESSAGES)["model"] == model.deployment_name
    assert pool.timeout_for(model.name, 0) == 5


def test_the_sdks_load_only_when_a_client_of_theirs_is_built() -> None:
    code = """
import sys
from modeldeck.client import ClientPool, Model
openai_model = Model.model_validate({"id": "a", "version": 1, "name": "gpt-4o",
    "provider": "openai", "deployment": {"api_key_env": "K"},
    "context_window": 1, "max_output_tokens": 1})
claude = Model.model_validate({"id": "b", "version": 1, "name": "claude",
    "provider": "anthropic", "deployment": {"api_key_env": "K"},
    "context_window": 1, "max_output_tokens": 1})
pool = ClientPool.from_models([openai_model], environ={"K": "k"})
pool.client("gpt-4o")
before = sorted(n for n in ("anthropic", "google.genai", "mistralai") if n in sys.modules)
ClientPool.from_models([claude], environ={"K": "k"}).client("claude")
print(before, "anthropic" in sys.modules)
"""
    ran = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["[]", "True"]


def test_chat_params_and_timeout_for_need_no_key() -> None:
    records = models("http://127.0.0.1:9")
    pool = ClientPool.from_models(records.values(), environ={})  # no key anywhere
    with pytest.raises(MissingApiKey, match="PROVIDER_TEST_KEY"):
        pool.client("claude")
    assert pool.timeout_for("claude", 1000) == 10

    # Anthropic requires max_tokens (the model's max output unless given), takes system apart.
    claude = pool.chat_params("claude", messages=MESSAGES, stop="END", seed=1, n=2)
    assert claude == {
        "model": "claude-sonnet-4-5",
        "messages": [{"role": "user", "content": "ping"}],
        "system": "Be brief.",
        "max_tokens": 8192,
        "stop_sequences": ["END"],
        "timeout": 10,
    }
    bedrock = pool.chat_params("bedrock/claude", messages=MESSAGES, max_completion_tokens=50)
    assert bedrock["max_tokens"] == 50 and "max_completion_tokens" not in bedrock
    assert bedrock["model"] == "anthropic.claude-sonnet-4-5-v1:0"

    # Mistral: its own names for the seed and the timeout.
    mistral = pool.chat_params("mistral", messages=MESSAGES, seed=7, max_tokens=100)
    assert mistral["random_seed"] == 7 and "seed" not in mistral
    assert mistral["timeout_ms"] == 10_000 and "timeout" not in mistral

    # Gemini: contents and a config.
    gemini = pool.chat_params(
        "gemini",
        messages=[*MESSAGES, {"role": "assistant", "content": "pong"}],
        max_tokens=20,
        temperature=0.3,
        response_format={"type": "json_object"},
    )
    assert gemini["model"] == "gemini-2.5-flash"
    assert [content["role"] for content in gemini["contents"]] == ["user", "model"]
    assert gemini["config"] == {
        "system_instruction": "Be brief.",
        "max_output_tokens": 20,
        "temperature": 0.3,
        "response_mime_type": "application/json",
        "http_options": {"timeout": 6000},
    }


# --- the probe (POST /api/models/{ref}/test) ----------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_ping_calls_each_provider_once(
    kind: str, pool: ClientPool, fake: FakeProviders
) -> None:
    fake.requests.clear()
    answer = await pool.ping(models(fake.url)[kind].name)
    assert answer.ok, answer
    (seen,) = fake.requests
    assert seen.path == EXPECTED[kind][0]


@pytest.mark.parametrize("kind", KINDS)
async def test_ping_with_a_wrong_key_is_auth_without_the_key(
    kind: str, fake: FakeProviders
) -> None:
    wrong = "sk-wrong-key-1234567890"
    pool = ClientPool.from_models(
        models(fake.url).values(), environ={**ENV, "PROVIDER_TEST_KEY": wrong}
    )
    fake.requests.clear()
    answer = await pool.ping(models(fake.url)[kind].name)
    await pool.close()
    assert answer.kind == "auth" and answer.status == 401, answer
    assert len(fake.requests) == 1  # no retries
    assert wrong not in json.dumps(answer.as_dict())


@pytest.mark.parametrize("kind", KINDS)
async def test_ping_goes_through_the_pools_http_client(kind: str, fake: FakeProviders) -> None:
    """The server's /test hands the pool its guarded connections: every SDK must use them."""
    sent: list[str] = []

    async def record_request(request: httpx.Request) -> None:
        sent.append(request.url.path)

    http = httpx.AsyncClient(event_hooks={"request": [record_request]})
    pool = ClientPool.from_models(models(fake.url).values(), environ=ENV, http_client=http)
    try:
        answer = await pool.ping(models(fake.url)[kind].name)
        assert answer.ok, answer
        answer = await call_async(kind, pool, models(fake.url)[kind].name)
    finally:
        await pool.close()
    assert sent == [EXPECTED[kind][0]] * 2


async def test_ping_does_not_use_google_default_credentials() -> None:
    vertex = record(
        name="vertex/claude",
        tags=["host:vertex_ai", "vendor:anthropic"],
        deployment={
            "endpoint": "https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/us-east5"
        },
    )
    pool = ClientPool.from_models([vertex], environ={})
    answer = await pool.ping("vertex/claude")
    await pool.close()
    assert answer.kind == "missing_key" and "default credentials" in (answer.error or "")


# --- following the registry -------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelDeckServer]:
    live = ModelDeckServer(tmp_path_factory.mktemp("provider-server"), ADMIN_TOKEN)
    live.start()
    try:
        yield live
    finally:
        live.stop()


async def test_an_edit_rebuilds_only_that_models_client(
    server: ModelDeckServer, fake: FakeProviders, tmp_path: Path
) -> None:
    suffix = uuid.uuid4().hex[:6]
    bodies = {
        "claude": {
            "name": f"claude-{suffix}",
            "provider": "anthropic",
            "deployment": deployed(fake.url, "claude-sonnet-4-5"),
        },
        "mistral": {
            "name": f"mistral-{suffix}",
            "provider": "mistral",
            "deployment": deployed(fake.url, "mistral-large-latest"),
        },
        "gemini": {
            "name": f"gemini-{suffix}",
            "provider": "google",
            "deployment": deployed(fake.url, "gemini-2.5-flash"),
        },
    }
    async with AsyncRegistry(server.url, ADMIN_TOKEN, cache_dir=tmp_path) as registry:
        for body in bodies.values():
            await registry.create({**body, "context_window": 100000, "max_output_tokens": 1000})
        pool = await ClientPool(registry, environ=ENV, feed_wait=1).start()
        try:
            before = {kind: pool.client(body["name"]) for kind, body in bodies.items()}
            await registry.update(bodies["claude"]["name"], {"limits": {"max_retries": 5}})
            await _eventually(lambda: pool.client(bodies["claude"]["name"]) is not before["claude"])
            assert pool.client(bodies["claude"]["name"]).max_retries == 5
            for kind in ("mistral", "gemini"):
                assert pool.client(bodies[kind]["name"]) is before[kind]
            # The rebuilt client still reaches the provider.
            answer = await call_async("anthropic", pool, bodies["claude"]["name"])
            assert text_of("anthropic", answer) == "pong"
        finally:
            await pool.close()


async def _eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("the pool did not catch up in time")
        await asyncio.sleep(0.02)
