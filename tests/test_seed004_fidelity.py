"""Seed 004 fidelity (issue 13 §6): the chat service's deployment is its own Azure model.

`AZURE_OPENAI_DEPLOYMENT_NAME=gpt-4o` must not attach the chat service to the catalog's
`azure/gpt-4o` (no endpoint, deprecated one day) nor let `pool.client("gpt-4o")` reach OpenAI;
an `o1hp` deployment is a reasoning model (max_completion_tokens, no temperature).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from fake_openai import FakeOpenAI, ModelDeckServer, fake_openai
from modeldeck.client import AsyncRegistry, ClientPool, Model
from modeldeck.client.bootstrap import is_reasoning_name, plan_default
from modeldeck.client.snapshot import catalog_records

ADMIN_TOKEN = "fidelity-admin-token"
KEY = "fidelity-key"


def catalog() -> list[Model]:
    """The built-in catalog as a registry serves it once another model is the default."""
    return [Model.model_validate(body | {"is_default": False}) for body in catalog_records()]


def environ(endpoint: str, deployment: str) -> dict[str, str]:
    return {
        "AZURE_OPENAI_ENDPOINT": endpoint,
        "AZURE_OPENAI_DEPLOYMENT_NAME": deployment,
        "AZURE_OPENAI_API_KEY": KEY,
    }


def own(body: dict[str, Any]) -> Model:
    return Model.model_validate(body | {"id": str(uuid.uuid4()), "version": 1})


# --- the plan ---------------------------------------------------------------------------------


def test_a_deployment_named_like_a_catalog_model_is_a_new_ordinary_azure_model() -> None:
    plan = plan_default(catalog(), environ("https://contoso.openai.azure.com/", "gpt-4o"))
    assert plan is not None and plan.ref is None  # created, never a patch of a system model
    body = plan.body
    assert body["name"] == "azure-gpt-4o"  # gpt-4o (OpenAI) and azure/gpt-4o are the catalog's
    assert body["provider"] == "azure_openai" and body["is_default"]
    assert body["deployment"] == {
        "endpoint": "https://contoso.openai.azure.com",
        "api_version": "2025-01-01-preview",
        "deployment": "gpt-4o",
        "api_key_env": "AZURE_OPENAI_API_KEY",
    }
    twin = next(model for model in catalog() if model.name == "azure/gpt-4o")
    # The catalog's knowledge of the model is copied: size, capabilities, prices.
    assert body["context_window"] == twin.context_window
    assert body["capabilities"] == twin.capabilities.model_dump()
    assert twin.pricing is not None
    assert str(body["pricing"]["input"]) == str(twin.pricing.input)
    assert "status" not in body and "deprecation_date" not in body


def test_a_free_deployment_name_is_kept() -> None:
    plan = plan_default(catalog(), environ("https://x.openai.azure.com", "o1hp"))
    assert plan is not None and plan.body["name"] == "o1hp"


@pytest.mark.parametrize("name", ["o1hp", "o1", "o3-mini", "O4-mini", "gpt-5", "gpt-5.1-x"])
def test_o_series_and_gpt5_deployments_are_reasoning_models(name: str) -> None:
    assert is_reasoning_name(name)
    plan = plan_default(catalog(), environ("https://x.openai.azure.com", name))
    assert plan is not None
    capabilities = plan.body["capabilities"]
    assert capabilities["reasoning"] is True and capabilities["temperature"] is False


@pytest.mark.parametrize("name", ["gpt-4o-prod", "my-chat", "gpt-5-chat", "omni"])
def test_other_deployments_are_not_reasoning_models(name: str) -> None:
    assert not is_reasoning_name(name)
    plan = plan_default(catalog(), environ("https://x.openai.azure.com", name))
    assert plan is not None
    assert plan.body["capabilities"].get("reasoning", False) is False


# --- the pool finds the deployment by its name ------------------------------------------------


def test_the_pool_resolves_the_deployment_name_to_the_organisations_azure_model() -> None:
    env = environ("https://contoso.openai.azure.com", "gpt-4o")
    plan = plan_default(catalog(), env)
    assert plan is not None
    mine = own(plan.body)
    pool = ClientPool.from_models([*catalog(), mine], environ=env)
    assert isinstance(pool.client("gpt-4o"), openai.AsyncAzureOpenAI)
    assert pool.client("gpt-4o") is pool.client("azure-gpt-4o")
    assert pool.client("GPT-4o") is pool.client("azure-gpt-4o")
    assert pool.model("gpt-4o").id == mine.id
    assert pool.chat_params("gpt-4o", messages=[])["model"] == "gpt-4o"
    assert pool.default_name == "azure-gpt-4o"
    # The catalog's models keep their own names.
    assert pool.model("azure/gpt-4o").is_system
    assert pool.model("gpt-5").provider == "openai"


def test_an_own_model_of_that_name_keeps_it_and_ambiguity_resolves_to_the_default() -> None:
    def azure(name: str, deployment: str, **extra: Any) -> Model:
        return own(
            {
                "name": name,
                "provider": "azure_openai",
                "deployment": {
                    "endpoint": "https://x.openai.azure.com",
                    "deployment": deployment,
                    "api_key_env": "AZURE_OPENAI_API_KEY",
                },
                "context_window": 128000,
                "max_output_tokens": 4096,
            }
            | extra
        )

    env = {"AZURE_OPENAI_API_KEY": KEY, "OPENAI_API_KEY": KEY}
    mine = own({"name": "chat", "provider": "openai", "context_window": 1, "max_output_tokens": 1})
    other = azure("azure-chat", "chat")
    pool = ClientPool.from_models([mine, other], environ=env)
    assert pool.model("chat").id == mine.id  # an own model's name is never taken

    first, second = azure("east", "gpt-4o"), azure("west", "gpt-4o", is_default=True)
    pool = ClientPool.from_models([*catalog(), first, second], environ=env)
    assert pool.model("gpt-4o").id == second.id
    pool = ClientPool.from_models([*catalog(), first, azure("west", "gpt-4o")], environ=env)
    assert pool.model("gpt-4o").provider == "openai"  # two, neither default: no guess


# --- end to end: a real server, the bootstrap, the fake Azure ---------------------------------


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with fake_openai(keys={KEY}, deployments={"gpt-4o", "o1hp"}) as provider:
        yield provider


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ModelDeckServer]:
    (tmp_path / "server").mkdir()
    live = ModelDeckServer(tmp_path / "server", ADMIN_TOKEN)
    live.start()
    try:
        yield live
    finally:
        live.stop()


@pytest.mark.anyio
async def test_bootstrapping_gpt_4o_leaves_the_system_model_alone_and_calls_azure(
    tmp_path: Path, fake: FakeOpenAI, server: ModelDeckServer
) -> None:
    env = environ(fake.url, "gpt-4o")
    async with AsyncRegistry(server.url, ADMIN_TOKEN, cache_dir=tmp_path) as registry:
        system_before = await registry.get("azure/gpt-4o")
        pool = await ClientPool(registry, environ=env).start(bootstrap_default=True)
        try:
            assert pool.default_name == "azure-gpt-4o"
            made = pool.model("gpt-4o")
            assert made.name == "azure-gpt-4o" and not made.is_system
            assert made.provider == "azure_openai" and made.deployment.endpoint == fake.url
            assert await registry.get("azure/gpt-4o") == system_before  # not attached
            client = pool.client("gpt-4o")
            answer = await client.chat.completions.create(
                **pool.chat_params("gpt-4o", messages=[{"role": "user", "content": "hi"}])
            )
            assert answer.choices[0].message.content == "pong"
            assert fake.requests[-1].path == "/openai/deployments/gpt-4o/chat/completions"
        finally:
            await pool.close()
        # Seed 004's chat service lists exactly that deployment.
        async with httpx.AsyncClient(base_url=server.url) as http:
            response = await http.get(
                "/api/config/models",
                params={"provider": "azure_openai"},
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            )
        assert response.status_code == 200, response.text
        assert list(response.json()) == ["azure-gpt-4o"]


@pytest.mark.anyio
async def test_a_bootstrapped_o1hp_gets_max_completion_tokens(
    tmp_path: Path, fake: FakeOpenAI, server: ModelDeckServer
) -> None:
    async with AsyncRegistry(server.url, ADMIN_TOKEN, cache_dir=tmp_path) as registry:
        pool = await ClientPool(registry, environ=environ(fake.url, "o1hp")).start(
            bootstrap_default=True
        )
        try:
            model = pool.model("o1hp")
            assert model.capabilities.reasoning and not model.capabilities.temperature
            params = pool.chat_params(
                "o1hp", messages=[{"role": "user", "content": "hi"}], max_tokens=50, temperature=1
            )
            assert params["max_completion_tokens"] == 50
            assert "max_tokens" not in params and "temperature" not in params
            await pool.client("o1hp").chat.completions.create(**params)
            sent = fake.requests[-1].body
            assert sent["max_completion_tokens"] == 50 and "max_tokens" not in sent
        finally:
            await pool.close()
