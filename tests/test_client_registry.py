"""The Python client against a real `modeldeck serve`: typed results, typed errors, fallback."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from fake_openai import ModelDeckServer
from modeldeck import cost
from modeldeck.auth.tokens import create_token
from modeldeck.client import (
    AsyncRegistry,
    ChangeBatch,
    Conflict,
    CostResult,
    Forbidden,
    HistoryEntry,
    Model,
    ModelList,
    NotFound,
    PreconditionFailed,
    Pricing,
    Registry,
    RegistryFallbackWarning,
    RegistryUnavailable,
    SimulationRow,
    Unauthorized,
    ValidationFailed,
)
from modeldeck.client.registry import Breaker
from modeldeck.client.snapshot import CATALOG_NAMESPACE
from modeldeck.db import Database

pytestmark = pytest.mark.dated

ADMIN_TOKEN = "registry-tests-admin-token"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelDeckServer]:
    live = ModelDeckServer(tmp_path_factory.mktemp("registry-server"), ADMIN_TOKEN)
    live.start()
    try:
        yield live
    finally:
        live.stop()


async def _make_token(database_url: str, role: str) -> str:
    database = Database(database_url)
    try:
        async with database.write() as session:
            return await create_token(session, name=f"client-tests-{role}", role=role)
    finally:
        await database.dispose()


@pytest.fixture(scope="module")
def reader_token(server: ModelDeckServer) -> str:
    return asyncio.run(_make_token(server.database_url, "reader"))


@pytest.fixture
def registry(server: ModelDeckServer, tmp_path: Path) -> Iterator[Registry]:
    with Registry(server.url, ADMIN_TOKEN, cache_dir=tmp_path / "cache") as client:
        yield client


def model_body(**overrides: Any) -> dict[str, Any]:
    """A valid ordinary model with a unique name; keyword overrides replace fields."""
    body: dict[str, Any] = {
        "name": f"client-test-{uuid.uuid4().hex[:8]}",
        "display_name": "Client test",
        "provider": "openai_compatible",
        "deployment": {"endpoint": "http://127.0.0.1:9/v1", "api_key_env": "CLIENT_TEST_KEY"},
        "context_window": 32000,
        "max_output_tokens": 4000,
        "parameters_b": 70,
        "pricing": {"input": "0.15", "cached_input": "0.075", "output": "0.6"},
    }
    body.update(overrides)
    return body


class Recording(httpx.HTTPTransport):
    """A real transport that remembers each status code and request header set."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, int, httpx.Headers]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        self.seen.append((request.url.path, response.status_code, request.headers))
        return response


# --- reads ------------------------------------------------------------------------------------


def test_models_returns_every_model_typed_with_its_revision(registry: Registry) -> None:
    models = registry.models()
    assert isinstance(models, ModelList)
    assert models.source == "server" and models.stale is False
    assert len(models) >= 65 and models.total == len(models)
    assert all(isinstance(model, Model) for model in models)
    assert models.revision >= 1
    gpt4o = models.find("GPT-4O")
    assert gpt4o is not None and gpt4o.name == "gpt-4o"
    assert isinstance(gpt4o.pricing, Pricing)
    assert gpt4o.pricing.input == Decimal("2.5") and isinstance(gpt4o.pricing.input, Decimal)


def test_models_filters_are_passed_to_the_server(registry: Registry) -> None:
    azure = registry.models(provider="azure_openai")
    assert azure and {model.provider for model in azure} == {"azure_openai"}
    assert all(model.is_system for model in registry.models(system=True))
    page = registry.models(sort="name", limit=2)
    assert len(page) == 2 and page.total >= 65


def test_get_by_name_or_id_and_names_with_a_slash(registry: Registry) -> None:
    by_name = registry.get("gpt-4o")
    assert registry.get(by_name.id) == by_name
    azure = registry.get("azure/gpt-4o")
    assert azure.provider == "azure_openai" and azure.deployment_name == "gpt-4o"


def test_default_and_pricing(registry: Registry) -> None:
    default = registry.default()
    assert default.is_default
    pricing = registry.pricing("gpt-4o")
    assert pricing is not None and pricing.output == Decimal(10)
    history = registry.prices("gpt-4o")
    assert history and history[-1].current is True


def test_cost_is_exact_and_matches_the_pure_function(registry: Registry) -> None:
    usage = {
        "prompt_tokens": 1200,
        "completion_tokens": 300,
        "prompt_tokens_details": {"cached_tokens": 1024},
    }
    result = registry.cost("gpt-4o", usage, requests=3)
    assert isinstance(result, CostResult)
    assert result.model == "gpt-4o" and result.requests == 3
    assert result.total == cost(registry.get("gpt-4o"), usage, requests=3).total
    assert {line.component for line in result.lines} >= {"input", "cached_input", "output"}
    past = registry.cost("gpt-4o", usage, at="2025-01-01T00:00:00Z")
    assert past.price_period is not None and past.price_period.effective_from is not None


def test_simulate_returns_typed_rows_cheapest_first(registry: Registry) -> None:
    rows = registry.simulate(input_tokens=1000, output_tokens=200, requests=10)
    assert rows and all(isinstance(row, SimulationRow) for row in rows)
    totals = [row.total_cost for row in rows if row.total_cost is not None]
    assert totals == sorted(totals)


def test_history_lists_changes_newest_first(registry: Registry) -> None:
    made = registry.create(model_body())
    registry.update(made.name, {"tags": ["history"]})
    history = registry.history(made.name)
    assert [entry.action for entry in history] == ["update", "create"]
    assert isinstance(history[0], HistoryEntry)
    assert any(change.field == "tags" for change in history[0].changes)


# --- writes -----------------------------------------------------------------------------------


def test_create_update_replace_clone_default_delete(registry: Registry) -> None:
    made = registry.create(model_body())
    assert made.version == 1 and not made.is_system
    assert made.pricing is not None and made.pricing.input == Decimal("0.15")

    patched = registry.update(made.name, {"tags": ["a", "b"], "description": None})
    assert patched.tags == ("a", "b") and patched.version == 2

    replaced = registry.replace(
        made.name, patched.model_copy(update={"display_name": "Replaced"}), if_match=patched
    )
    assert replaced.display_name == "Replaced" and replaced.tags == ("a", "b")

    copy = registry.clone(made.name, made.name + "-copy")
    assert copy.name == made.name + "-copy" and copy.id != made.id

    previous_default = registry.default()
    assert registry.make_default(copy.name).is_default
    assert registry.default().id == copy.id
    registry.make_default(previous_default.id)

    registry.delete(copy.name)
    registry.delete(made.id)
    with pytest.raises(NotFound):
        registry.get(made.id)


def test_a_system_model_named_with_a_slash_can_be_edited(registry: Registry) -> None:
    edited = registry.update("azure/gpt-4o-mini", {"tags": ["edited-by-client"]})
    assert edited.name == "azure/gpt-4o-mini" and "edited-by-client" in edited.tags
    assert registry.history("azure/gpt-4o-mini")[0].action == "update"


# --- typed errors -----------------------------------------------------------------------------


def test_not_found_carries_the_problem_details(registry: Registry) -> None:
    with pytest.raises(NotFound) as caught:
        registry.get("no-such-model")
    assert caught.value.status == 404
    assert caught.value.title == "Not found"
    assert "no-such-model" in caught.value.detail


def test_duplicate_name_is_a_conflict(registry: Registry) -> None:
    made = registry.create(model_body())
    with pytest.raises(Conflict) as caught:
        registry.create(model_body(name=made.name.upper()))
    assert caught.value.status == 409
    assert caught.value.errors == [{"field": "name", "message": "is already taken"}]


def test_stale_if_match_is_precondition_failed(registry: Registry) -> None:
    made = registry.create(model_body())
    registry.update(made.name, {"tags": ["first"]}, if_match=made.version)
    with pytest.raises(PreconditionFailed) as caught:
        registry.update(made.name, {"tags": ["second"]}, if_match=made)
    assert caught.value.status == 412 and "version 2" in caught.value.detail


def test_invalid_fields_are_validation_failed_naming_each_field(registry: Registry) -> None:
    with pytest.raises(ValidationFailed) as caught:
        registry.create(model_body(context_window=1000, max_output_tokens=2000))
    assert caught.value.status == 422
    assert [error["field"] for error in caught.value.errors] == ["max_output_tokens"]
    assert "max_output_tokens" in str(caught.value)


def test_writes_need_an_admin_token(
    server: ModelDeckServer, reader_token: str, tmp_path: Path
) -> None:
    with Registry(server.url, cache_dir=tmp_path) as anonymous:
        with pytest.raises(Unauthorized) as caught:
            anonymous.create(model_body())
        assert caught.value.status == 401
    with Registry(server.url, reader_token, cache_dir=tmp_path) as reader:
        assert reader.get("gpt-4o").name == "gpt-4o"
        with pytest.raises(Forbidden):
            reader.delete("gpt-4o")
    with (
        Registry(server.url, "not-a-token", cache_dir=tmp_path) as wrong,
        pytest.raises(Unauthorized),
    ):
        wrong.get("gpt-4o")


# --- the change feed --------------------------------------------------------------------------


def test_changes_after_a_revision_are_typed(registry: Registry) -> None:
    start = registry.models().revision
    made = registry.create(model_body())
    batch = registry.changes(start)
    assert isinstance(batch, ChangeBatch)
    assert batch.revision > start
    touched = [change for event in batch.events for change in event.changes]
    assert any(
        change.model_id == made.id and change.action == "create" and change.model_name == made.name
        for change in touched
    )


def test_changes_long_polls_until_a_write(registry: Registry, server: ModelDeckServer) -> None:
    since = registry.changes(0, limit=1).revision
    body = model_body()

    def write_later() -> None:
        time.sleep(0.3)
        httpx.post(f"{server.url}/api/models", json=body, headers=server.admin).raise_for_status()

    writer = threading.Thread(target=write_later)
    started = time.monotonic()
    writer.start()
    batch = registry.changes(since, wait=10)
    writer.join()
    assert time.monotonic() - started < 5
    assert [change.model_name for event in batch.events for change in event.changes] == [
        body["name"]
    ]


# --- the on-disk snapshot ---------------------------------------------------------------------


def test_the_full_list_is_saved_atomically_and_revalidated_with_its_etag(
    server: ModelDeckServer, tmp_path: Path
) -> None:
    recording = Recording()
    with Registry(server.url, cache_dir=tmp_path, transport=recording) as first:
        fresh = first.models()
        again = first.models()
    assert [status for _, status, _ in recording.seen] == [200, 304]
    saved = json.loads(first.snapshot_path.read_text())
    assert "if-none-match" not in recording.seen[0][2]
    assert recording.seen[1][2]["if-none-match"] == saved["etag"]
    assert [model.id for model in again] == [model.id for model in fresh]
    assert again.source == "server" and not again.stale

    assert saved["format"] == 1 and saved["etag"] and saved["list"]["revision"] == fresh.revision
    assert [path.name for path in tmp_path.iterdir()] == [first.snapshot_path.name]

    # A new process reuses the file: its first request is already conditional.
    recording = Recording()
    with Registry(server.url, cache_dir=tmp_path, transport=recording) as second:
        reused = second.models()
    assert recording.seen[0][1] == 304
    assert recording.seen[0][2]["if-none-match"] == saved["etag"]
    assert [model.id for model in reused] == [model.id for model in fresh]


def test_reads_fall_back_to_the_snapshot_then_the_catalog_and_recover(
    tmp_path: Path,
) -> None:
    live = ModelDeckServer(tmp_path / "server", ADMIN_TOKEN)
    (tmp_path / "server").mkdir()
    live.start()
    try:
        # A quick circuit breaker: once the server is back, a background retry finds it soon.
        breaker = Breaker(base=0.05, cap=0.2)
        with Registry(
            live.url, ADMIN_TOKEN, cache_dir=tmp_path / "cache", breaker=breaker
        ) as registry:
            made = registry.create(model_body())
            fresh = registry.models()
            live.stop()

            with pytest.warns(RegistryFallbackWarning, match="snapshot") as caught:
                offline = registry.models()
            assert caught[0].filename == __file__  # the warning points at the caller
            assert offline.source == "snapshot" and offline.stale is True
            assert [model.id for model in offline] == [model.id for model in fresh]
            with pytest.warns(RegistryFallbackWarning):
                assert registry.get(made.name) == fresh.find(made.name)
            with pytest.warns(RegistryFallbackWarning):
                assert registry.default() == fresh.default
            with pytest.warns(RegistryFallbackWarning):
                offline_cost = registry.cost(made.name, {"prompt_tokens": 1000})
            assert offline_cost.total == Decimal("0.00015") and offline_cost.source == "snapshot"
            with pytest.warns(RegistryFallbackWarning):
                assert [model.name for model in registry.models(q=made.name)] == [made.name]
            with pytest.raises(RegistryUnavailable, match="unreachable"):
                registry.create(model_body())
            with pytest.raises(RegistryUnavailable):
                registry.changes(0)

            # Another process, no snapshot yet: the built-in catalog.
            with Registry(live.url, cache_dir=tmp_path / "empty") as newcomer:
                with pytest.warns(RegistryFallbackWarning, match="built-in catalog"):
                    catalog = newcomer.models()
                assert catalog.source == "catalog" and catalog.stale is True
                assert all(model.is_system for model in catalog)
                assert catalog.default is not None and catalog.default.name == "gpt-4o-mini"
                gpt4o = catalog.find("gpt-4o")
                assert gpt4o is not None
                assert gpt4o.id == str(uuid.uuid5(CATALOG_NAMESPACE, "gpt-4o"))
                with pytest.warns(RegistryFallbackWarning):
                    assert newcomer.get("gpt-4o").pricing == gpt4o.pricing

            live.start()
            deadline = time.monotonic() + 10
            while not registry.online and time.monotonic() < deadline:
                time.sleep(0.02)
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                back = registry.models()
            assert back.source == "server" and back.stale is False
            assert back.find(made.name) is not None
    finally:
        live.stop()


def test_a_5xx_counts_as_unreachable_for_reads_and_fails_writes(tmp_path: Path) -> None:
    def failing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"title": "Unavailable", "detail": "database is down"})

    transport = httpx.MockTransport(failing)
    with Registry("http://modeldeck.invalid", cache_dir=tmp_path, transport=transport) as registry:
        with pytest.warns(RegistryFallbackWarning, match="HTTP 503"):
            assert registry.models().source == "catalog"
        with pytest.raises(RegistryUnavailable, match="database is down") as caught:
            registry.create(model_body())
        assert caught.value.status == 503


def _snapshot_file(document: Any) -> bytes:
    stored = {"format": 1, "etag": '"7"', "saved_at": "2025-01-01T00:00:00Z", "list": document}
    return json.dumps(stored).encode()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b'{"format": 1, "etag": "x", "list": {"data": [{"id"', id="truncated"),
        pytest.param(_snapshot_file({"data": [{"id": "a", "name": "x"}]}), id="record-fields"),
        pytest.param(_snapshot_file({"data": [1, 2]}), id="record-not-an-object"),
        pytest.param(_snapshot_file({"data": [], "revision": "abc"}), id="revision"),
        pytest.param(_snapshot_file({"data": None, "revision": 3}), id="data-missing"),
    ],
)
def test_a_corrupt_snapshot_falls_back_to_the_catalog_instead_of_crashing(
    tmp_path: Path, content: bytes
) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    transport = httpx.MockTransport(down)
    with Registry("http://modeldeck.invalid", cache_dir=tmp_path, transport=transport) as registry:
        registry.snapshot_path.parent.mkdir(parents=True, exist_ok=True)
        registry.snapshot_path.write_bytes(content)
        with pytest.warns(RegistryFallbackWarning, match="built-in catalog"):
            models = registry.models()
        assert models.source == "catalog" and len(models) >= 40
        with pytest.warns(RegistryFallbackWarning):
            assert registry.get("gpt-4o").name == "gpt-4o"
        with pytest.warns(RegistryFallbackWarning):
            assert registry.default().is_default


# --- async ------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_async_registry_has_the_same_api(server: ModelDeckServer, tmp_path: Path) -> None:
    async with AsyncRegistry(server.url, ADMIN_TOKEN, cache_dir=tmp_path) as registry:
        models = await registry.models()
        assert models.source == "server" and len(models) >= 65
        made = await registry.create(model_body())
        assert (await registry.get(made.name)).id == made.id
        updated = await registry.update(made.name, {"tags": ["async"]}, if_match=made)
        assert updated.tags == ("async",)
        with pytest.raises(PreconditionFailed):
            await registry.update(made.name, {"tags": []}, if_match=made)
        assert (await registry.cost(made, {"prompt_tokens": 2000})).total == Decimal("0.0003")
        assert (await registry.history(made.name))[0].action == "update"
        batch = await registry.changes(models.revision)
        assert batch.revision > models.revision
        assert (await registry.default()).is_default
        await registry.delete(made.name)
        with pytest.raises(NotFound):
            await registry.get(made.name)


@pytest.mark.anyio
async def test_async_registry_falls_back_too(tmp_path: Path) -> None:
    async with AsyncRegistry("http://127.0.0.1:9", cache_dir=tmp_path) as registry:
        with pytest.warns(RegistryFallbackWarning):
            models = await registry.models()
        assert models.source == "catalog"
        with pytest.warns(RegistryFallbackWarning):
            assert (await registry.get("o3")).capabilities.reasoning is True


def test_the_client_asks_for_the_servers_largest_page() -> None:
    from modeldeck.client.wire import MAX_LIST
    from modeldeck.records.query import MAX_LIMIT

    assert MAX_LIST == MAX_LIMIT


def test_importing_the_client_does_not_load_the_web_framework_or_the_openai_sdk() -> None:
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, modeldeck.client; print(sorted({'fastapi', 'sqlalchemy', 'openai'}"
            " & set(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"
