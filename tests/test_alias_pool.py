"""Aliases from the Python client: the registry's calls, the pool's resolution and candidates,
following alias changes through the feed, and answering them offline."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fake_openai import FakeOpenAI, ModelDeckServer, fake_openai
from modeldeck.client import (
    AsyncRegistry,
    ClientPool,
    ModelDisabled,
    NotFound,
    Registry,
    RegistryFallbackWarning,
    UnknownModel,
    ValidationFailed,
)

pytestmark = pytest.mark.anyio

ADMIN_TOKEN = "alias-pool-tests-admin-token"
KEY = "test-key"
ENV = {"POOL_TEST_KEY": KEY}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelDeckServer]:
    live = ModelDeckServer(tmp_path_factory.mktemp("alias-pool-server"), ADMIN_TOKEN)
    live.start()
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with fake_openai(keys={KEY}, deployments={"east", "west", "mini"}) as provider:
        yield provider


@pytest.fixture
async def registry(server: ModelDeckServer, tmp_path: Path) -> AsyncIterator[AsyncRegistry]:
    async with AsyncRegistry(server.url, ADMIN_TOKEN, cache_dir=tmp_path) as client:
        yield client


def azure(endpoint: str, deployment: str) -> dict[str, Any]:
    return {
        "name": f"{deployment}-{uuid.uuid4().hex[:8]}",
        "provider": "azure_openai",
        "deployment": {
            "endpoint": endpoint,
            "api_version": "2024-10-21",
            "deployment": deployment,
            "api_key_env": "POOL_TEST_KEY",
        },
        "context_window": 128000,
        "max_output_tokens": 16384,
        "limits": {"max_retries": 0},
    }


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("the pool did not catch up in time")
        await asyncio.sleep(0.01)


async def ask(pool: ClientPool, name: str) -> str | None:
    answer = await pool.client(name).chat.completions.create(
        **pool.chat_params(name, messages=[{"role": "user", "content": "hi"}], max_tokens=5)
    )
    return answer.choices[0].message.content


async def three_models(registry: AsyncRegistry, fake: FakeOpenAI) -> tuple[Any, Any, Any]:
    east = await registry.create(azure(fake.url, "east"))
    west = await registry.create(azure(fake.url, "west"))
    mini = await registry.create(azure(fake.url, "mini"))
    return east, west, mini


async def test_an_alias_calls_its_first_usable_target_and_follows_edits(
    registry: AsyncRegistry, fake: FakeOpenAI
) -> None:
    east, west, mini = await three_models(registry, fake)
    name = f"chat-{uuid.uuid4().hex[:6]}"
    await registry.create_alias(
        {
            "name": name,
            "targets": [{"model": east.name, "weight": 3}, {"model": west.name}],
            "fallbacks": [{"model": mini.name}],
        }
    )
    async with ClientPool(registry, environ=ENV) as pool:
        assert name in pool.alias_names
        assert pool.resolve(name) == east.name
        assert pool.client(name) is pool.client(east.name)
        assert pool.chat_params(name)["model"] == "east"
        assert await ask(pool, name) == "pong"
        assert fake.requests[-1].path == "/openai/deployments/east/chat/completions"

        # Disabling the first target moves the alias to the next one, as soon as it is seen.
        await registry.update(east.name, {"enabled": False})
        await eventually(lambda: pool.resolve(name) == west.name)
        assert await ask(pool, name) == "pong"
        assert fake.requests[-1].path == "/openai/deployments/west/chat/completions"

        # An edit of the alias itself reaches the pool through the feed.
        await registry.replace_alias(name, {"name": name, "targets": [{"model": mini.name}]})
        await eventually(lambda: pool.resolve(name) == mini.name)
        assert [c.name for c in pool.candidates(name)] == [mini.name]

        await registry.delete_alias(name)
        await eventually(lambda: name not in pool.alias_names)
        with pytest.raises(UnknownModel, match="No model named"):
            pool.client(name)
        await registry.update(east.name, {"enabled": True})


async def test_candidates_spread_by_weight_then_fall_back_in_order(
    registry: AsyncRegistry, fake: FakeOpenAI
) -> None:
    east, west, mini = await three_models(registry, fake)
    name = f"cheap-{uuid.uuid4().hex[:6]}"
    await registry.create_alias(
        {
            "name": name,
            "targets": [
                {"model": east.name, "weight": 3, "rpm": 600, "tpm": 450000},
                {"model": west.name, "weight": 1},
            ],
            "fallbacks": [{"model": mini.name}],
        }
    )
    async with ClientPool(registry, environ=ENV) as pool:
        listed = pool.candidates(name, weighted=False)
        assert [(c.name, c.weight, c.rpm, c.tpm, c.fallback) for c in listed] == [
            (east.name, 3, 600, 450000, False),
            (west.name, 1, None, None, False),
            (mini.name, 1, None, None, True),
        ]
        rng = random.Random(20261201)
        draws = 4000
        first = Counter(pool.candidates(name, rng=rng)[0].name for _ in range(draws))
        # Weights 3:1: the first candidate is east three times in four (binomial sd ≈ 0.007).
        assert abs(first[east.name] / draws - 0.75) < 0.03, first
        assert set(first) == {east.name, west.name}
        for _ in range(50):  # the fallback always comes after every target
            assert pool.candidates(name, rng=rng)[-1].name == mini.name

        await registry.update(west.name, {"enabled": False})
        await eventually(lambda: not pool.model(west.name).enabled)
        assert [c.name for c in pool.candidates(name)] == [east.name, mini.name]
        # A model's own name is a candidate list of one.
        assert [c.name for c in pool.candidates(mini.name)] == [mini.name]
        await registry.update(west.name, {"enabled": True})


async def test_an_alias_with_nothing_usable_says_so(
    registry: AsyncRegistry, fake: FakeOpenAI
) -> None:
    east = await registry.create(azure(fake.url, "east"))
    name = f"lonely-{uuid.uuid4().hex[:6]}"
    await registry.create_alias({"name": name, "targets": [{"model": east.name}]})
    await registry.update(east.name, {"enabled": False})
    async with ClientPool(registry, environ=ENV) as pool:
        with pytest.raises(ModelDisabled, match=r"disabled"):
            pool.client(name)
        with pytest.raises(ModelDisabled, match=f"Alias {name!r} has no usable model"):
            pool.candidates(name)


async def test_aliases_are_answered_offline_from_the_saved_snapshot(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    (tmp_path / "server").mkdir()
    live = ModelDeckServer(tmp_path / "server", ADMIN_TOKEN)
    live.start()
    try:
        async with AsyncRegistry(live.url, ADMIN_TOKEN, cache_dir=tmp_path) as registry:
            east = await registry.create(azure(fake.url, "east"))
            await registry.create_alias({"name": "chat", "targets": [{"model": east.name}]})
            online = await registry.aliases()
            assert online.source == "server" and [a.name for a in online] == ["chat"]
            await registry.models()  # the model list is saved too
    finally:
        live.stop()
    # A new process: nothing in memory, the server down. Both lists come from disk.
    async with AsyncRegistry(live.url, cache_dir=tmp_path, timeout=1) as registry:
        with pytest.warns(RegistryFallbackWarning):
            offline = await registry.aliases()
        assert offline.source == "snapshot" and offline.stale
        assert offline[0].source == "snapshot" and offline[0].stale
        with pytest.warns(RegistryFallbackWarning):
            pool = await ClientPool(registry, environ=ENV).start(follow=False)
        try:
            assert pool.resolve("chat") == east.name
            assert await ask(pool, "chat") == "pong"
        finally:
            await pool.close()
    # With no snapshot at all there are no aliases, and it says so.
    async with AsyncRegistry(live.url, cache_dir=tmp_path / "empty", timeout=1) as registry:
        with pytest.warns(RegistryFallbackWarning, match="no aliases were saved"):
            assert list(await registry.aliases()) == []


def test_the_sync_registry_manages_aliases_with_clear_errors(
    server: ModelDeckServer, tmp_path: Path
) -> None:
    with Registry(server.url, ADMIN_TOKEN, cache_dir=tmp_path) as registry:
        model = registry.create(
            {
                "name": f"sync-{uuid.uuid4().hex[:8]}",
                "provider": "openai",
                "context_window": 8000,
                "max_output_tokens": 1000,
            }
        )
        name = f"sync-alias-{uuid.uuid4().hex[:6]}"
        made = registry.create_alias({"name": name, "targets": [{"model": model.id}]})
        assert made.targets[0].model == model.name and made.version == 1
        assert registry.alias(name.upper()) == made
        # A record read back is a valid write; If-Match with the record guards the version.
        edited = made.model_copy(update={"description": "edited"})
        saved = registry.replace_alias(name, edited, if_match=made)
        assert saved.version == 2 and saved.description == "edited"
        with pytest.raises(ValidationFailed) as refused:
            registry.create_alias({"name": "x" + name, "targets": [{"model": "no-such"}]})
        assert refused.value.errors[0]["field"] == "targets[0].model"
        registry.delete_alias(name, if_match=2)
        with pytest.raises(NotFound):
            registry.alias(name)


async def test_a_server_without_aliases_gives_a_pool_with_none(tmp_path: Path) -> None:
    """A newer client on an older server (no /api/aliases): models work, there are no aliases."""
    model = {
        "id": str(uuid.uuid4()),
        "name": "old-server-model",
        "provider": "openai",
        "deployment": {"api_key_env": "POOL_TEST_KEY"},
        "context_window": 8000,
        "max_output_tokens": 1000,
    }

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/models":
            return httpx.Response(200, json={"data": [model], "count": 1, "revision": 3})
        return httpx.Response(404, json={"title": "Not found", "status": 404, "detail": "no"})

    transport = httpx.MockTransport(handler)
    async with AsyncRegistry("http://old.example", cache_dir=tmp_path, transport=transport) as reg:
        pool = await ClientPool(reg, environ=ENV).start(follow=False)
        try:
            assert pool.names == ["old-server-model"] and pool.alias_names == []
            assert pool.resolve("old-server-model") == "old-server-model"
        finally:
            await pool.close()
