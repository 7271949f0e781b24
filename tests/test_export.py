"""Exporting: our JSON round-trips through import exactly; a LiteLLM proxy config; no secrets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from conftest import SECRET_KEY
from modeldeck.catalog.export import (
    ExportedModel,
    export_litellm_config,
    export_modeldeck,
    exportable_models,
)
from modeldeck.catalog.importers import parse_import
from modeldeck.catalog.plan import apply_plan, plan_import
from modeldeck.crypto import KeyVault
from modeldeck.db import Database
from modeldeck.models import service
from modeldeck.models.schemas import ModelWrite, PricingWrite
from modeldeck.models.service import add_price_period
from modeldeck.models.tables import ModelRow
from modeldeck.records.model import ModelPublic

pytestmark = [pytest.mark.anyio, pytest.mark.dated]

API_KEY = "sk-test-EXPORT-must-never-leak-1234567890"
TAG = "export:test"


def ctx() -> service.WriteContext:
    return service.WriteContext(actor="test-export", vault=KeyVault(SECRET_KEY))


def model(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "acme/chat",
        "display_name": "Acme Chat",
        "description": "A model for the export tests.",
        "provider": "azure_openai",
        "deployment": {
            "endpoint": "https://acme.openai.azure.com",
            "api_version": "2025-01-01-preview",
            "deployment": "acme-chat-prod",
            "api_key_env": "ACME_AZURE_KEY",
        },
        "parameters_b": 70.5,
        "context_window": 128000,
        "max_output_tokens": 16384,
        "capabilities": {"tools": True, "vision": True, "json_mode": True},
        "limits": {"base_timeout_s": 30, "max_timeout_s": 90, "timeout_per_token_s": 0.01},
        "token_weights": {"input": 1, "cached_input": 0.5, "output": 2, "reasoning": 2},
        "pricing": {
            "input": "2.5",
            "cached_input": "1.25",
            "output": "10",
            "tiers": [{"above_input_tokens": 200000, "input": "5", "output": "15"}],
            "effective_from": "2024-05-13T00:00:00Z",
            "source": "https://example.com/prices",
        },
        "status": "deprecated",
        "deprecation_date": "2027-01-14",
        "tags": [TAG, "team:search"],
    }
    body.update(overrides)
    return body


async def make_models(database: Database) -> None:
    """Three ordinary models: one with a price history and a stored key, one unpriced, one bare."""
    async with database.write() as session:
        body = model(deployment={**model()["deployment"], "api_key": API_KEY})
        await service.create_model(session, ctx(), ModelWrite.model_validate(body), body=body)
        later = {
            "input": "2",
            "output": "8",
            "reasoning": "12",
            "per_request": "0.001",
            "effective_from": "2025-03-01T00:00:00Z",
        }
        await add_price_period(
            session, ctx(), "acme/chat", PricingWrite.model_validate(later), if_match=None
        )
        unpriced = model(name="acme/local", provider="openai_compatible", pricing=None)
        unpriced["deployment"] = {"endpoint": "http://localhost:8080/v1", "deployment": "llama"}
        await service.create_model(session, ctx(), ModelWrite.model_validate(unpriced))
        bare = {
            "name": "acme/bare",
            "provider": "other",
            "context_window": 8192,
            "max_output_tokens": 1024,
            "tags": [TAG],
        }
        await service.create_model(session, ctx(), ModelWrite.model_validate(bare))


async def ours(database: Database) -> list[ExportedModel]:
    async with database.read() as session:
        return [m for m in await exportable_models(session) if TAG in m.tags]


async def test_export_then_import_gives_the_same_records_and_price_history(
    database: Database,
) -> None:
    await make_models(database)
    exported = export_modeldeck(await ours(database))
    document = json.loads(exported)
    assert document["format"] == "modeldeck" and document["version"] == 1
    assert [m["name"] for m in document["models"]] == ["acme/bare", "acme/chat", "acme/local"]
    chat = document["models"][1]
    assert [p["input"] for p in chat["price_history"]] == [2.5, 2]
    assert chat["pricing"]["input"] == 2  # the current period

    async with database.write() as session:
        for name in ("acme/bare", "acme/chat", "acme/local"):
            await service.delete_model(session, ctx(), name, if_match=None)
    async with database.write() as session:
        plan = await plan_import(session, parse_import(exported, "modeldeck"))
        assert plan.counts["added"] == 3
        await apply_plan(session, plan, ctx=ctx())
    assert export_modeldeck(await ours(database)) == exported

    async with database.write() as session:
        again = await plan_import(session, parse_import(exported, "modeldeck"))
    assert (again.counts["added"], again.counts["changed"], again.counts["unchanged"]) == (0, 0, 3)


async def test_an_export_imports_as_the_records_it_was_made_from(database: Database) -> None:
    await make_models(database)
    models = await ours(database)
    records = parse_import(export_modeldeck(models), "modeldeck")
    for record, source in zip(records, sorted(models, key=lambda m: m.name), strict=True):
        body = {key: value for key, value in source.writable().items() if key != "price_history"}
        assert record.model == ModelWrite.model_validate(body)
        assert record.price_history is not None and source.price_history is not None
        assert [p.effective_from for p in record.price_history] == [
            p.effective_from for p in source.price_history
        ]


async def test_a_period_added_to_the_export_is_added_to_the_history_on_import(
    database: Database,
) -> None:
    await make_models(database)
    document = json.loads(export_modeldeck(await ours(database)))
    chat = document["models"][1]
    chat["price_history"].append(
        {**chat["price_history"][-1], "effective_from": "2026-01-01T00:00:00Z", "input": 1.5}
    )
    async with database.write() as session:
        plan = await plan_import(session, parse_import(json.dumps(document), "modeldeck"))
        assert [(c.name, [x["field"] for x in c.changes]) for c in plan.changed] == [
            ("acme/chat", ["price_history.2026-01-01T00:00:00Z"])
        ]
        await apply_plan(session, plan, ctx=ctx())
    [chat_after] = [m for m in await ours(database) if m.name == "acme/chat"]
    assert [p.input for p in chat_after.price_history or ()] == [
        Decimal("2.5"),
        Decimal("2"),
        Decimal("1.5"),
    ]
    chat["price_history"][0]["input"] = 9  # rewriting an old period is refused, per model
    async with database.write() as session:
        plan = await plan_import(session, parse_import(json.dumps(document), "modeldeck"))
    assert [(p.name, p.code) for p in plan.skipped] == [("acme/chat", "price_history_conflict")]


async def test_no_export_ever_contains_a_secret(database: Database) -> None:
    await make_models(database)
    async with database.read() as session:
        ciphertext = (
            await session.execute(
                select(ModelRow.api_key_ciphertext).where(ModelRow.name == "acme/chat")
            )
        ).scalar_one()
        everything = await exportable_models(session)
    assert ciphertext  # the key is stored…
    for text in (export_modeldeck(everything), export_litellm_config(everything)):
        assert API_KEY not in text and ciphertext not in text  # …and never exported
        assert "sk-test" not in text and "has_api_key" not in text
    config = yaml.safe_load(export_litellm_config(everything))
    keys = {entry["litellm_params"].get("api_key") for entry in config["model_list"]}
    assert all(key is None or key.startswith("os.environ/") for key in keys)
    for record in json.loads(export_modeldeck(everything))["models"]:
        assert set(record["deployment"]) == {"endpoint", "api_version", "deployment", "api_key_env"}


async def test_the_litellm_config_lists_the_models_with_a_deployment(database: Database) -> None:
    await make_models(database)
    config = yaml.safe_load(export_litellm_config(await ours(database)))
    by_name = {entry["model_name"]: entry for entry in config["model_list"]}
    assert sorted(by_name) == ["acme/chat", "acme/local"]  # acme/bare has no deployment
    chat = by_name["acme/chat"]
    limits = {model.name: model.limits for model in await ours(database)}
    assert chat["litellm_params"] == {
        "model": "azure/acme-chat-prod",
        "api_base": "https://acme.openai.azure.com",
        "api_version": "2025-01-01-preview",
        "api_key": "os.environ/ACME_AZURE_KEY",
        "timeout": limits["acme/chat"].max_timeout_s,
        "max_retries": limits["acme/chat"].max_retries,
    }
    assert by_name["acme/local"]["litellm_params"] == {
        "model": "openai/llama",
        "api_base": "http://localhost:8080/v1",
        "timeout": limits["acme/local"].max_timeout_s,
        "max_retries": limits["acme/local"].max_retries,
    }
    info = chat["model_info"]
    assert info["max_input_tokens"] == 128000 and info["supports_vision"] is True
    # Prices per token, written as exact decimals (2 per 1M = 0.000002 per token).
    assert Decimal(repr(info["input_cost_per_token"])) * 1_000_000 == Decimal("2")
    assert Decimal(repr(info["output_cost_per_reasoning_token"])) * 1_000_000 == Decimal("12")
    assert info["input_cost_per_request"] == 0.001
    assert "model_info" in by_name["acme/local"]
    assert "input_cost_per_token" not in by_name["acme/local"]["model_info"]


def test_litellm_config_prices_are_written_as_exact_decimals_with_tiers() -> None:
    raw: dict[str, Any] = {
        "id": "m-id",
        "name": "m",
        "provider": "openai",
        "deployment": {"api_key_env": "OPENAI_API_KEY"},
        "context_window": 1000,
        "max_output_tokens": 100,
        "capabilities": {},
        "pricing": {
            "input": Decimal("1.25"),
            "output": Decimal("10"),
            "cached_input": Decimal("0.125"),
            "cache_write": None,
            "reasoning": None,
            "per_request": None,
            "tiers": [{"above_input_tokens": 200000, "input": Decimal("2.5"), "output": None}],
        },
    }
    public = ModelPublic.model_validate(raw)
    text = export_litellm_config([public])
    assert "input_cost_per_token: 0.00000125\n" in text
    assert "cache_read_input_token_cost: 0.000000125\n" in text
    assert "input_cost_per_token_above_200k_tokens: 0.0000025\n" in text
    assert "output_cost_per_token_above_200k_tokens" not in text
    [entry] = yaml.safe_load(text)["model_list"]
    assert entry["litellm_params"]["model"] == "openai/m"
    assert entry["model_info"]["output_cost_per_token"] == 1e-05
    assert export_litellm_config([public.model_copy(update={"enabled": False})]) == (
        "model_list: []\n"
    )
    assert export_litellm_config([public.model_copy(update={"status": "retired"})]) == (
        "model_list: []\n"
    )
    # Prices read from JSON (floats) are exact by their repr.
    floats = raw | {"pricing": raw["pricing"] | {"input": 0.1, "output": 0.3}}
    assert "input_cost_per_token: 0.0000001\n" in export_litellm_config(
        [ModelPublic.model_validate(floats)]
    )


def test_the_export_is_deterministic_and_sorted_by_name() -> None:
    first = {
        "name": "b",
        "provider": "other",
        "deployment": {"has_api_key": True, "api_key": "leak"},
        "context_window": 10,
        "max_output_tokens": 5,
        "pricing": None,
        "created_at": datetime(2024, 1, 1, tzinfo=UTC),
        "id": "x",
    }
    second = {**first, "name": "A"}
    first_model, second_model = (ExportedModel.model_validate(m) for m in (first, second))
    text = export_modeldeck([first_model, second_model])
    assert text == export_modeldeck([second_model, first_model])
    assert "leak" not in text and '"id"' not in text and "created_at" not in text
    assert [m["name"] for m in json.loads(text)["models"]] == ["A", "b"]
