"""The client pool with the real `openai` SDK over loopback, following a real server's feed."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from conftest import Backend, settings_for
from fake_openai import FakeOpenAI, ModelDeckServer, fake_openai
from modeldeck.api.deployments import router as deployments_router
from modeldeck.app import create_app
from modeldeck.client import (
    AsyncRegistry,
    ClientPool,
    MissingApiKey,
    MissingEndpoint,
    Model,
    ModelDisabled,
    RegistryFallbackWarning,
    UnknownModel,
    UnsupportedProvider,
)
from modeldeck.client.snapshot import catalog_records
from modeldeck.db import Database

pytestmark = pytest.mark.anyio

ADMIN_TOKEN = "pool-tests-admin-token"
KEY = "test-key"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelDeckServer]:
    live = ModelDeckServer(tmp_path_factory.mktemp("pool-server"), ADMIN_TOKEN)
    live.start()
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with fake_openai(keys={KEY}, deployments={"gpt-4o", "o1hp"}) as provider:
        yield provider


@pytest.fixture
def second_fake() -> Iterator[FakeOpenAI]:
    with fake_openai(keys={KEY}, deployments={"gpt-4o", "o1hp"}) as provider:
        yield provider


@pytest.fixture
async def registry(server: ModelDeckServer, tmp_path: Path) -> AsyncIterator[AsyncRegistry]:
    async with AsyncRegistry(server.url, ADMIN_TOKEN, cache_dir=tmp_path) as client:
        yield client


def azure_model(endpoint: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"pool-azure-{uuid.uuid4().hex[:8]}",
        "provider": "azure_openai",
        "deployment": {
            "endpoint": endpoint,
            "api_version": "2024-10-21",
            "deployment": "gpt-4o",
            "api_key_env": "POOL_TEST_KEY",
        },
        "context_window": 128000,
        "max_output_tokens": 16384,
        "limits": {
            "base_timeout_s": 7,
            "max_timeout_s": 45,
            "timeout_per_token_s": 0.01,
            "max_retries": 1,
        },
    }
    body.update(overrides)
    return body


def compatible_model(endpoint: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"pool-compatible-{uuid.uuid4().hex[:8]}",
        "provider": "openai_compatible",
        "deployment": {
            "endpoint": f"{endpoint}/v1",
            "deployment": "served-model",
            "api_key_env": "POOL_TEST_KEY",
        },
        "context_window": 32000,
        "max_output_tokens": 4000,
        "limits": {"max_retries": 0},
    }
    body.update(overrides)
    return body


def record(**overrides: Any) -> Model:
    """A model record as the API returns it, for pools made without a server."""
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "name": "gpt-4o",
        "provider": "openai",
        "deployment": {"api_key_env": "POOL_TEST_KEY"},
        "context_window": 128000,
        "max_output_tokens": 16384,
        "version": 1,
    }
    body.update(overrides)
    return Model.model_validate(body)


ENV = {"POOL_TEST_KEY": KEY}


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("the pool did not catch up in time")
        await asyncio.sleep(0.01)


@pytest.fixture
async def pool(registry: AsyncRegistry) -> AsyncIterator[ClientPool]:
    started = await ClientPool(registry, environ=ENV).start()
    try:
        yield started
    finally:
        await started.close()


async def ask(pool: ClientPool, name: str) -> str | None:
    client = pool.client(name)
    answer = await client.chat.completions.create(
        **pool.chat_params(name, messages=[{"role": "user", "content": "hi"}], max_tokens=5)
    )
    return answer.choices[0].message.content


# --- clients from records ---------------------------------------------------------------------


async def test_azure_client_calls_the_deployment_with_api_version_and_api_key(
    registry: AsyncRegistry, fake: FakeOpenAI
) -> None:
    made = await registry.create(azure_model(fake.url))
    async with ClientPool(registry, environ=ENV) as pool:
        assert isinstance(pool.client(made.name), openai.AsyncAzureOpenAI)
        assert await ask(pool, made.name) == "pong"
    sent = fake.requests[-1]
    assert sent.path == "/openai/deployments/gpt-4o/chat/completions"
    assert sent.query == {"api-version": "2024-10-21"}
    assert sent.headers["api-key"] == KEY
    assert "authorization" not in sent.headers
    assert sent.body["model"] == "gpt-4o"


async def test_openai_compatible_client_calls_v1_with_the_bearer_key(
    registry: AsyncRegistry, fake: FakeOpenAI
) -> None:
    made = await registry.create(compatible_model(fake.url))
    async with ClientPool(registry, environ=ENV) as pool:
        assert await ask(pool, made.name) == "pong"
        sync_answer = pool.sync_client(made.name).chat.completions.create(
            **pool.chat_params(made.name, messages=[{"role": "user", "content": "hi"}])
        )
        assert sync_answer.choices[0].message.content == "pong"
    assert [sent.path for sent in fake.requests] == ["/v1/chat/completions"] * 2
    assert fake.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert fake.requests[0].body["model"] == "served-model"


async def test_retries_and_timeouts_come_from_the_record(
    registry: AsyncRegistry, fake: FakeOpenAI
) -> None:
    made = await registry.create(azure_model(fake.url))
    async with ClientPool(registry, environ=ENV) as pool:
        client = pool.client(made.name)
        assert client.max_retries == 1
        assert isinstance(client.timeout, httpx.Timeout)
        assert client.timeout.read == 45 and client.timeout.connect == 7
        sync = pool.sync_client(made.name)
        assert sync.max_retries == 1 and isinstance(sync, openai.AzureOpenAI)
        assert pool.sync_client(made.name) is sync  # built once


async def test_a_wrong_key_reaches_the_provider_as_a_401(
    registry: AsyncRegistry, fake: FakeOpenAI
) -> None:
    made = await registry.create(azure_model(fake.url))
    async with ClientPool(registry, environ={"POOL_TEST_KEY": "wrong"}) as pool:
        with pytest.raises(openai.AuthenticationError):
            await ask(pool, made.name)


def test_chat_params_drop_what_the_model_does_not_support() -> None:
    plain = record(name="o1hp", capabilities={"temperature": False, "streaming": False})
    reasoning = record(
        name="reasoner",
        capabilities={"temperature": False, "reasoning": True, "tools": True},
        deployment={"deployment": "o1-prod", "api_key_env": "POOL_TEST_KEY"},
    )
    full = record(name="full", capabilities={"tools": True, "json_mode": True})
    pool = ClientPool.from_models([plain, reasoning, full], environ=ENV)
    asked = {
        "messages": [],
        "temperature": 0.2,
        "top_p": 0.9,
        "stream": True,
        "tools": [{"type": "function"}],
        "tool_choice": "auto",
        "response_format": {"type": "json_object"},
        "max_tokens": 100,
    }

    fitted = pool.chat_params("o1hp", **asked)
    assert fitted["model"] == "o1hp"
    for dropped in ("temperature", "top_p", "stream", "tools", "tool_choice", "response_format"):
        assert dropped not in fitted

    fitted = pool.chat_params("reasoner", **asked)
    assert fitted["model"] == "o1-prod"
    assert fitted["max_completion_tokens"] == 100 and "max_tokens" not in fitted
    assert fitted["tools"] and "temperature" not in fitted

    fitted = pool.chat_params("full", **asked)
    assert {key: fitted[key] for key in asked} == asked
    assert pool.chat_params("full", messages=[], timeout=3)["timeout"] == 3


def test_chat_params_fit_reasoning_models_by_provider() -> None:
    o_series = record(name="o3", capabilities={"temperature": False, "reasoning": True})
    deepseek = record(
        name="deepseek-reasoner",
        provider="openai_compatible",
        deployment={"endpoint": "http://127.0.0.1:9/v1", "api_key_env": "POOL_TEST_KEY"},
        capabilities={"temperature": True, "reasoning": True},
    )
    plain = record(name="gpt-4o")
    pool = ClientPool.from_models([o_series, deepseek, plain], environ=ENV)
    asked = {
        "messages": [],
        "max_tokens": 100,
        "reasoning_effort": "low",
        "presence_penalty": 0.5,
        "frequency_penalty": 0.5,
        "logit_bias": {"1": 5},
        "logprobs": True,
        "top_logprobs": 2,
    }

    # OpenAI's reasoning models refuse max_tokens and every sampling knob (a 400 otherwise).
    fitted = pool.chat_params("o3", **asked)
    assert fitted["max_completion_tokens"] == 100 and "max_tokens" not in fitted
    assert fitted["reasoning_effort"] == "low"
    for refused in ("presence_penalty", "frequency_penalty", "logit_bias", "logprobs"):
        assert refused not in fitted
    assert "top_logprobs" not in fitted

    # Other providers' reasoning models take max_tokens (max_completion_tokens is ignored).
    fitted = pool.chat_params("deepseek-reasoner", **asked)
    assert fitted["max_tokens"] == 100 and "max_completion_tokens" not in fitted
    assert fitted["presence_penalty"] == 0.5
    assert "logprobs" not in fitted and "top_logprobs" not in fitted

    # A model that does not reason refuses reasoning_effort and keeps the rest.
    fitted = pool.chat_params("gpt-4o", **asked)
    assert "reasoning_effort" not in fitted
    assert {key: fitted[key] for key in asked if key != "reasoning_effort"} == {
        key: value for key, value in asked.items() if key != "reasoning_effort"
    }


def test_timeout_for_is_base_plus_per_token_capped_at_max() -> None:
    limits = {
        "base_timeout_s": 10,
        "max_timeout_s": 60,
        "timeout_per_token_s": 0.02,
        "max_retries": 2,
    }
    pool = ClientPool.from_models([record(name="timed", limits=limits)], environ=ENV)
    assert pool.timeout_for("timed", 0) == 10
    assert pool.timeout_for("timed", 1000) == pytest.approx(30)
    assert pool.timeout_for("timed", 10_000) == 60
    assert pool.chat_params("timed", messages=[], max_tokens=500)["timeout"] == pytest.approx(20)
    assert pool.chat_params("timed", messages=[], max_completion_tokens=2000)["timeout"] == 50
    # Without a token limit the model may write its whole max output.
    assert pool.chat_params("timed", messages=[])["timeout"] == 60


def test_clear_errors_for_models_without_a_client() -> None:
    pool = ClientPool.from_models(
        [
            record(name="no-key", deployment={"api_key_env": "UNSET_VARIABLE"}),
            record(name="llama", provider="other", tags=["vendor:meta"]),  # hosted nowhere known
            record(name="azure-nowhere", provider="azure_openai"),
            record(name="off", enabled=False),
        ],
        environ=ENV,
    )
    with pytest.raises(MissingApiKey, match="UNSET_VARIABLE"):
        pool.client("no-key")
    with pytest.raises(UnsupportedProvider, match="OpenAI-compatible endpoint"):
        pool.client("llama")
    with pytest.raises(MissingEndpoint, match="AZURE_OPENAI_ENDPOINT"):
        pool.client("azure-nowhere")
    with pytest.raises(ModelDisabled, match="off"):
        pool.client("off")
    with pytest.raises(UnknownModel, match="Did you mean 'no-key'"):
        pool.client("no-ky")
    # Records stay readable for every model, including those without a client.
    assert pool.model("llama").provider == "other"


def test_azure_endpoint_may_come_from_the_environment() -> None:
    azure = record(name="azure/gpt-4o", provider="azure_openai")
    pool = ClientPool.from_models(
        [azure], environ=ENV | {"AZURE_OPENAI_ENDPOINT": "https://contoso.openai.azure.com"}
    )
    client = pool.client("azure/gpt-4o")
    assert str(client.base_url).startswith("https://contoso.openai.azure.com/openai/deployments/")


def test_lookups_ignore_case_and_accept_ids() -> None:
    model = record(name="GPT-4o")
    pool = ClientPool.from_models([model], environ=ENV)
    assert pool.client("gpt-4o") is pool.client("GPT-4o") is pool.client(model.id)


# --- following the registry -------------------------------------------------------------------


async def test_editing_the_endpoint_moves_the_next_call_to_the_new_server(
    registry: AsyncRegistry, pool: ClientPool, fake: FakeOpenAI, second_fake: FakeOpenAI
) -> None:
    made = await registry.create(azure_model(fake.url))
    await eventually(lambda: made.name in pool.names)
    assert await ask(pool, made.name) == "pong"
    assert len(fake.requests) == 1

    await registry.update(made.name, {"deployment": {"endpoint": second_fake.url}})
    await eventually(lambda: pool.model(made.name).deployment.endpoint == second_fake.url)

    assert await ask(pool, made.name) == "pong"
    assert len(fake.requests) == 1 and len(second_fake.requests) == 1
    assert second_fake.requests[0].path == "/openai/deployments/gpt-4o/chat/completions"


async def test_editing_one_model_leaves_the_other_clients_identical(
    registry: AsyncRegistry, pool: ClientPool, fake: FakeOpenAI
) -> None:
    first = await registry.create(azure_model(fake.url))
    second = await registry.create(compatible_model(fake.url))
    await eventually(lambda: {first.name, second.name} <= set(pool.names))
    first_client, second_client = pool.client(first.name), pool.client(second.name)

    await registry.update(first.name, {"limits": {"max_retries": 4}})
    await eventually(lambda: pool.client(first.name).max_retries == 4)
    assert pool.client(first.name) is not first_client
    assert pool.client(second.name) is second_client

    # A change that does not touch how the model is reached keeps even its own client.
    client = pool.client(second.name)
    await registry.update(second.name, {"tags": ["unrelated"]})
    await eventually(lambda: pool.model(second.name).tags == ("unrelated",))
    assert pool.client(second.name) is client


async def test_a_deleted_model_raises_a_clear_error(
    registry: AsyncRegistry, pool: ClientPool, fake: FakeOpenAI
) -> None:
    made = await registry.create(compatible_model(fake.url))
    await eventually(lambda: made.name in pool.names)
    await registry.delete(made.name)
    await eventually(lambda: made.name not in pool.names)
    with pytest.raises(UnknownModel, match=r"was deleted from the registry \(revision \d+\)"):
        pool.client(made.name)


async def test_disabling_and_enabling_a_model_follows_the_registry(
    registry: AsyncRegistry, pool: ClientPool, fake: FakeOpenAI
) -> None:
    made = await registry.create(compatible_model(fake.url))
    await eventually(lambda: made.name in pool.names)
    await registry.update(made.name, {"enabled": False})
    await eventually(lambda: not pool.model(made.name).enabled)
    with pytest.raises(ModelDisabled):
        pool.client(made.name)
    await registry.update(made.name, {"enabled": True})
    await eventually(lambda: pool.model(made.name).enabled)
    assert await ask(pool, made.name) == "pong"


async def test_a_new_default_is_picked_up(
    registry: AsyncRegistry, pool: ClientPool, fake: FakeOpenAI
) -> None:
    previous = pool.default_name
    assert previous is not None
    made = await registry.create(compatible_model(fake.url))
    await registry.make_default(made.name)
    try:
        await eventually(lambda: pool.default_name == made.name)
        assert pool.default_client() is pool.client(made.name)
    finally:
        await registry.make_default(previous)
    await eventually(lambda: pool.default_name == previous)


async def test_renaming_a_model_moves_its_client(
    registry: AsyncRegistry, pool: ClientPool, fake: FakeOpenAI
) -> None:
    made = await registry.create(compatible_model(fake.url))
    await eventually(lambda: made.name in pool.names)
    await registry.update(made.name, {"name": made.name + "-renamed"})
    await eventually(lambda: made.name + "-renamed" in pool.names)
    assert made.name not in pool.names
    assert await ask(pool, made.name + "-renamed") == "pong"


async def test_the_pool_starts_offline_from_the_catalog(tmp_path: Path) -> None:
    registry = AsyncRegistry("http://127.0.0.1:9", cache_dir=tmp_path)
    with pytest.warns(RegistryFallbackWarning):
        pool = await ClientPool(registry, environ={"OPENAI_API_KEY": KEY}).start()
    try:
        assert pool.default_name == "gpt-4o-mini"
        assert isinstance(pool.client("gpt-4o"), openai.AsyncOpenAI)
        assert pool.model("gpt-4o").id == next(
            item["id"] for item in catalog_records() if item["name"] == "gpt-4o"
        )
    finally:
        await pool.close()
        await registry.aclose()


async def test_the_pool_keeps_its_clients_through_an_outage_and_catches_up(
    tmp_path: Path, fake: FakeOpenAI, second_fake: FakeOpenAI
) -> None:
    (tmp_path / "server").mkdir()
    live = ModelDeckServer(tmp_path / "server", ADMIN_TOKEN)
    live.start()
    try:
        async with AsyncRegistry(live.url, ADMIN_TOKEN, cache_dir=tmp_path) as registry:
            made = await registry.create(compatible_model(fake.url))
            async with ClientPool(registry, environ=ENV) as pool:
                client = pool.client(made.name)
                live.stop()
                await asyncio.sleep(0.3)
                assert pool.client(made.name) is client
                assert await ask(pool, made.name) == "pong"  # the provider is still up

                live.start()
                endpoint = f"{second_fake.url}/v1"
                await registry.update(made.name, {"deployment": {"endpoint": endpoint}})
                await eventually(
                    lambda: pool.model(made.name).deployment.endpoint == endpoint, timeout=15
                )
                assert await ask(pool, made.name) == "pong"
                assert len(second_fake.requests) == 1
    finally:
        live.stop()


async def test_a_registry_answering_404_after_an_offline_start_is_retried_not_hammered(
    tmp_path: Path,
) -> None:
    answers = {"mode": "down", "requests": 0}

    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        answers["requests"] += 1
        if answers["mode"] == "down":
            raise httpx.ConnectError("connection refused")
        return httpx.Response(404, json={"title": "Not found", "detail": "no such page"})

    registry = AsyncRegistry(
        "http://modeldeck.invalid", cache_dir=tmp_path, transport=httpx.MockTransport(handler)
    )
    with pytest.warns(RegistryFallbackWarning):
        pool = await ClientPool(registry, environ={"OPENAI_API_KEY": KEY}).start()
    try:
        answers["mode"], answers["requests"] = "404", 0
        await asyncio.sleep(0.6)
        assert answers["requests"] <= 3  # backs off like an outage; never a busy loop
        assert pool.default_name == "gpt-4o-mini"  # the catalog clients stay
    finally:
        await pool.close()
        await registry.aclose()


# --- bootstrap from the environment (seed 004) ------------------------------------------------


async def test_an_empty_registry_gets_a_default_model_from_azure_environment(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    (tmp_path / "server").mkdir()
    live = ModelDeckServer(tmp_path / "server", ADMIN_TOKEN)
    live.start()
    environ = {
        "AZURE_OPENAI_ENDPOINT": fake.url,
        "AZURE_OPENAI_DEPLOYMENT_NAME": "o1hp",
        "AZURE_OPENAI_API_KEY": KEY,
    }
    try:
        async with AsyncRegistry(live.url, ADMIN_TOKEN, cache_dir=tmp_path) as registry:
            pool = await ClientPool(registry, environ=environ).start(bootstrap_default=True)
            try:
                assert pool.default_name == "o1hp"
                made = pool.model("o1hp")
                assert made.provider == "azure_openai" and not made.is_system
                assert made.deployment.endpoint == fake.url
                assert made.deployment.api_version == "2025-01-01-preview"
                assert made.capabilities.temperature is False  # seed 004's defaults
                assert await ask(pool, "o1hp") == "pong"
                assert fake.requests[-1].path == "/openai/deployments/o1hp/chat/completions"
            finally:
                await pool.close()
            # The registry is no longer empty: a second start changes nothing.
            again = await ClientPool(registry, environ=environ).start(bootstrap_default=True)
            await again.close()
            assert len([model for model in await registry.models() if not model.is_system]) == 1
    finally:
        live.stop()


# --- POST /api/models/{ref}/test --------------------------------------------------------------


@pytest.fixture
async def app_client(backend: Backend, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The app in process on the test database; `/test` may reach the loopback fake provider."""
    settings = settings_for(
        backend.url, test_allow_networks="127.0.0.1", test_key_env_allow="POOL_TEST_KEY,*_API_KEY"
    )
    app = create_app(settings, database=database)
    if not any(getattr(route, "path", "").endswith("/test") for route in app.routes):
        app.include_router(deployments_router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {backend.admin_token}"},
    ) as client:
        yield client


async def create(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/api/models", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_deployment_answers_ok_with_its_latency(
    app_client: httpx.AsyncClient, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POOL_TEST_KEY", KEY)
    made = await create(app_client, azure_model(fake.url))
    response = await app_client.post(f"/api/models/{made['name']}/test")
    assert response.status_code == 200
    answer = response.json()
    assert answer["ok"] is True and answer["latency_ms"] >= 0
    assert answer["model"] == made["name"] and answer["deployment"] == "gpt-4o"
    sent = fake.requests[-1]
    assert sent.body["max_tokens"] == 1 and sent.body["messages"][0]["content"] == "ping"


async def test_a_stored_key_is_used_and_never_shown(
    app_client: httpx.AsyncClient, fake: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "stored-secret-" + uuid.uuid4().hex
    fake.keys.add(secret)
    body = azure_model(fake.url)
    body["deployment"] = body["deployment"] | {"api_key": secret, "api_key_env": None}
    made = await create(app_client, body)
    with caplog.at_level(logging.DEBUG):
        response = await app_client.post(f"/api/models/{made['id']}/test")
    assert response.json()["ok"] is True
    assert fake.requests[-1].headers["api-key"] == secret
    assert secret not in response.text and secret not in caplog.text


async def test_a_bad_key_is_an_auth_failure_in_plain_words_without_the_key(
    app_client: httpx.AsyncClient,
    fake: FakeOpenAI,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = "wrong-secret-" + uuid.uuid4().hex
    monkeypatch.setenv("POOL_TEST_KEY", secret)
    made = await create(app_client, compatible_model(fake.url))
    body = azure_model(fake.url)
    body["deployment"] = body["deployment"] | {"api_key": secret, "api_key_env": None}
    stored = await create(app_client, body)
    for name in (made["name"], stored["name"]):
        with caplog.at_level(logging.DEBUG):
            response = await app_client.post(f"/api/models/{name}/test")
        answer = response.json()
        assert response.status_code == 200
        assert answer["ok"] is False and answer["kind"] == "auth" and answer["status"] == 401
        assert "refused" in answer["error"]
        # The fake echoes the key it was sent, as real providers partly do; we never pass it on.
        assert secret not in response.text and secret not in caplog.text
    assert fake.requests[0].headers["authorization"] == f"Bearer {secret}"
    assert fake.requests[1].headers["api-key"] == secret


async def test_an_unknown_deployment_is_not_found(
    app_client: httpx.AsyncClient, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POOL_TEST_KEY", KEY)
    body = azure_model(fake.url)
    body["deployment"] = body["deployment"] | {"deployment": "no-such-deployment"}
    made = await create(app_client, body)
    answer = (await app_client.post(f"/api/models/{made['name']}/test")).json()
    assert answer["ok"] is False and answer["kind"] == "not_found"
    assert "Deployment 'no-such-deployment' was not found" in answer["error"]
    assert "does not exist" in answer["error"]  # the provider's own words, scrubbed


async def test_a_slow_deployment_is_a_timeout(
    app_client: httpx.AsyncClient, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POOL_TEST_KEY", KEY)
    fake.delay = 3
    limits = {"base_timeout_s": 0.5, "max_timeout_s": 0.5, "max_retries": 3}
    made = await create(app_client, azure_model(fake.url, limits=limits))
    before = len(fake.requests)
    answer = (await app_client.post(f"/api/models/{made['name']}/test")).json()
    assert len(fake.requests) - before == 1  # one attempt: a test call is never retried
    assert answer["ok"] is False and answer["kind"] == "timeout"
    assert answer["error"].startswith("No answer from") and "0.5 s" in answer["error"]


async def test_unreachable_and_misconfigured_deployments_say_why(
    app_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POOL_TEST_KEY", KEY)
    monkeypatch.delenv("AZURE_OPENAI_ENDPOINT", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    nowhere = await create(app_client, compatible_model("http://127.0.0.1:9"))
    other = await create(app_client, compatible_model("http://127.0.0.1:9", provider="other"))
    cases = {
        nowhere["name"]: "connection",
        other["name"]: "unsupported",
        "claude-opus-4-1": "missing_key",
        "gpt-4o": "missing_key",
        "azure/gpt-4o": "missing_endpoint",  # a name with a slash reaches the route too
    }
    for name, kind in cases.items():
        response = await app_client.post(f"/api/models/{name}/test")
        assert response.status_code == 200, response.text
        assert response.json()["kind"] == kind, response.json()
    missing = (await app_client.post("/api/models/gpt-4o/test")).json()
    assert "OPENAI_API_KEY" in missing["error"]


async def test_testing_needs_an_admin_and_an_existing_model(
    app_client: httpx.AsyncClient, backend: Backend
) -> None:
    assert (await app_client.post("/api/models/no-such-model/test")).status_code == 404
    reader = {"Authorization": f"Bearer {backend.reader_token}"}
    response = await app_client.post("/api/models/gpt-4o/test", headers=reader)
    assert response.status_code == 403
