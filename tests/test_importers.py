"""Importing the public catalogs (whole files) and our own export: parse, plan, apply."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from conftest import CATALOG_SOURCES, SECRET_KEY, Backend, public_records
from modeldeck import serialization
from modeldeck.api.errors import Problem
from modeldeck.audit.tables import AuditEntryRow
from modeldeck.catalog.importers import (
    ImportFormatError,
    ImportRecord,
    parse_import,
    read_catalog,
    select_records,
)
from modeldeck.catalog.plan import ImportPlan, ImportResult, apply_plan, plan_import
from modeldeck.crypto import KeyVault
from modeldeck.db import Database
from modeldeck.models import service
from modeldeck.models.schemas import ModelWrite
from modeldeck.models.tables import ModelRow

pytestmark = [pytest.mark.anyio, pytest.mark.dated]

LITELLM = CATALOG_SOURCES / "litellm-model-prices.json"
MODELSDEV = CATALOG_SOURCES / "models-dev.json"
OPENROUTER = CATALOG_SOURCES / "openrouter-models.json"


def ctx(actor: str = "test-importer") -> service.WriteContext:
    return service.WriteContext(actor=actor, vault=KeyVault(SECRET_KEY))


@cache
def records_of(path: Path, format: str) -> tuple[ImportRecord, ...]:
    """Each whole file parsed once per test session (parsing is pure)."""
    return tuple(read_catalog(path, format))


def by_name(records: tuple[ImportRecord, ...] | list[ImportRecord], name: str) -> ImportRecord:
    return next(record for record in records if record.name == name)


def skip_reasons(records: tuple[ImportRecord, ...] | list[ImportRecord]) -> Counter[str]:
    return Counter(record.skip.code for record in records if record.skip is not None)


# --- the whole files, parsed (no database) --------------------------------------------------


def test_the_whole_litellm_map_gives_3295_text_models_and_says_why_it_skips_the_rest() -> None:
    records = records_of(LITELLM, "litellm")
    source = json.loads(LITELLM.read_text())
    assert len(records) == len(source) == 4553  # 4,552 models and `sample_spec`
    assert sum(record.model is not None for record in records) == 3295
    assert skip_reasons(records) == {
        "not_chat": 1052,  # image_generation 414, embedding 153, audio_transcription 106, …
        "no_context_window": 205,  # neither max_input_tokens nor max_tokens (or 0)
        "documentation": 1,  # sample_spec
    }
    modes = Counter(
        source[record.renamed_from or record.name].get("mode") for record in records if record.model
    )
    assert modes == {"chat": 3143, "responses": 121, "completion": 31}
    assert by_name(records, "sample_spec").skip is not None
    embedding = by_name(records, "amazon.titan-embed-text-v1").skip
    assert embedding is not None
    assert embedding.reason == "mode 'embedding': not a chat or text-generation model"


def test_the_whole_models_dev_file_gives_4933_models() -> None:
    records = records_of(MODELSDEV, "modelsdev")
    source = json.loads(MODELSDEV.read_text())
    assert len(records) == sum(len(p["models"]) for p in source["providers"].values()) == 5276
    assert sum(record.model is not None for record in records) == 4933
    assert skip_reasons(records) == {
        "no_text_output": 157,  # image 79 (+2 image+pdf), video 47, audio 29
        "no_context_window": 136,  # no limit.context, or 0
        "embedding": 50,  # text-embedding-3-large, mistral-embed, …
    }
    assert by_name(records, "openai/gpt-image-1").skip is not None


def test_the_whole_openrouter_dump_gives_364_models() -> None:
    records = records_of(OPENROUTER, "openrouter")
    assert len(records) == 364
    assert all(record.model is not None for record in records)
    unpriced = sorted(
        record.name for record in records if record.model and not record.model.pricing
    )
    assert unpriced == ["openrouter/auto", "openrouter/bodybuilder", "openrouter/pareto-code"]


def test_names_outside_our_rule_are_cleaned_and_say_what_they_were() -> None:
    litellm = records_of(LITELLM, "litellm")
    renamed = {r.renamed_from: r.name for r in litellm if r.renamed_from}
    assert renamed == {
        "bedrock/*/1-month-commitment/cohere.command-light-text-v14": (
            "bedrock/1-month-commitment/cohere.command-light-text-v14"
        ),
        "bedrock/*/1-month-commitment/cohere.command-text-v14": (
            "bedrock/1-month-commitment/cohere.command-text-v14"
        ),
        "bedrock/*/6-month-commitment/cohere.command-light-text-v14": (
            "bedrock/6-month-commitment/cohere.command-light-text-v14"
        ),
        "bedrock/*/6-month-commitment/cohere.command-text-v14": (
            "bedrock/6-month-commitment/cohere.command-text-v14"
        ),
    }
    openrouter = records_of(OPENROUTER, "openrouter")
    assert by_name(openrouter, "openai/gpt-latest").renamed_from == "~openai/gpt-latest"
    modelsdev = records_of(MODELSDEV, "modelsdev")
    assert sum(record.renamed_from is not None for record in modelsdev) == 17


# --- conversions, spot-checked against the source records -----------------------------------


def model_of(records: tuple[ImportRecord, ...], name: str) -> ModelWrite:
    model = by_name(records, name).model
    assert model is not None
    return model


def test_litellm_prices_per_token_become_exact_prices_per_million() -> None:
    model = model_of(records_of(LITELLM, "litellm"), "gpt-4o-2024-08-06")
    # source: input 2.5e-06, output 1e-05, cache_read 1.25e-06 per token
    assert model.pricing is not None
    assert model.pricing.input == Decimal("2.5")
    assert model.pricing.output == Decimal("10")
    assert model.pricing.cached_input == Decimal("1.25")
    assert model.pricing.cache_write is None
    assert model.pricing.source == "https://developers.openai.com/api/docs/pricing"
    assert model.pricing.effective_from is None  # LiteLLM dates no price: it starts on import
    assert (model.provider, model.context_window, model.max_output_tokens) == (
        "openai",
        128000,
        16384,
    )
    assert model.capabilities.tools and model.capabilities.vision and model.capabilities.json_mode
    assert not model.capabilities.reasoning
    # LiteLLM's deprecation_date is a shutdown day: a scheduled retirement, not a deprecation.
    assert (model.status, model.deprecation_date) == ("active", None)
    assert model.retires_on == date(2027, 1, 14)
    assert model.tags == ["litellm_provider:openai"]


def test_litellm_long_context_prices_become_a_tier() -> None:
    model = model_of(records_of(LITELLM, "litellm"), "gemini/gemini-2.5-pro")
    assert model.provider == "google"
    assert model.pricing is not None
    assert (model.pricing.input, model.pricing.output) == (Decimal("1.25"), Decimal("10"))
    [tier] = model.pricing.tiers  # the _priority and _batches variants are not tiers
    assert tier.above_input_tokens == 200_000
    assert (tier.input, tier.output, tier.cached_input) == (
        Decimal("2.5"),
        Decimal("15"),
        Decimal("0.25"),
    )


def test_litellm_tiered_pricing_ranges_give_the_base_rates_and_the_tiers() -> None:
    model = model_of(records_of(LITELLM, "litellm"), "dashscope/qwen-flash")
    assert model.pricing is not None
    assert (model.pricing.input, model.pricing.output) == (Decimal("0.05"), Decimal("0.4"))
    [tier] = model.pricing.tiers
    assert (tier.above_input_tokens, tier.input, tier.output) == (
        256_000,
        Decimal("0.25"),
        Decimal("2"),
    )


def test_a_zero_cache_write_price_means_no_surcharge() -> None:
    model = model_of(records_of(LITELLM, "litellm"), "deepseek/deepseek-chat")
    assert model.pricing is not None
    assert model.pricing.cache_write is None  # source: cache_creation_input_token_cost 0.0
    assert model.pricing.cached_input == Decimal("0.028")  # 2.8e-08 per token
    assert model.provider == "openai_compatible"


def test_float_noise_beyond_twelve_decimal_places_is_rounded_off() -> None:
    model = model_of(records_of(LITELLM, "litellm"), "databricks/databricks-claude-sonnet-4-1")
    assert model.pricing is not None
    assert model.pricing.input == Decimal("2.99999")  # 2.9999900000000002e-06 per token
    assert model.pricing.output == Decimal("15.00002")  # 1.5000020000000002e-05
    assert model.pricing.cache_write == Decimal("3.74997")


@pytest.mark.parametrize(
    ("name", "provider", "tags"),
    [
        ("azure/gpt-4o-2024-08-06", "azure_openai", ["litellm_provider:azure"]),
        ("gemini-2.5-flash", "google", ["litellm_provider:vertex_ai-language-models"]),
        ("ai21.j2-mid-v1", "other", ["litellm_provider:bedrock"]),
        ("o1-pro", "openai", ["litellm_provider:openai", "api:responses"]),
        ("mistral/mistral-large-2512", "mistral", ["litellm_provider:mistral"]),
    ],
)
def test_litellm_providers_map_to_ours_and_the_host_stays_in_a_tag(
    name: str, provider: str, tags: list[str]
) -> None:
    model = model_of(records_of(LITELLM, "litellm"), name)
    assert (model.provider, model.tags) == (provider, tags)


def test_models_dev_prices_are_per_million_already_and_the_release_date_starts_them() -> None:
    model = model_of(records_of(MODELSDEV, "modelsdev"), "openai/gpt-4o")
    assert model.pricing is not None
    assert (model.pricing.input, model.pricing.output, model.pricing.cached_input) == (
        Decimal("2.5"),
        Decimal("10"),
        Decimal("1.25"),
    )
    assert model.pricing.effective_from == datetime(2024, 5, 13, tzinfo=UTC)
    assert (model.context_window, model.max_output_tokens) == (128000, 16384)
    assert model.capabilities.vision and model.capabilities.tools and model.capabilities.json_mode
    assert model.display_name == "GPT-4o"
    assert model.provider == "openai"
    assert model.deployment.deployment == "gpt-4o"
    assert model.deployment.api_key_env == "OPENAI_API_KEY"
    assert model.tags == ["modelsdev_provider:openai"]


def test_models_dev_tiers_cache_writes_and_float_noise() -> None:
    records = records_of(MODELSDEV, "modelsdev")
    gpt = model_of(records, "302ai/gpt-5.4")
    assert gpt.pricing is not None
    assert gpt.pricing.cache_write is None  # cost.cache_write 0
    assert [(t.above_input_tokens, t.input, t.output) for t in gpt.pricing.tiers] == [
        (272000, Decimal("5"), Decimal("22.5"))
    ]
    gemma = model_of(records, "amazon-bedrock/google.gemma-3-12b-it")
    assert gemma.pricing is not None
    assert gemma.pricing.input == Decimal("0.05")  # 0.049999999999999996 in the file
    assert gemma.provider == "other"


def test_models_dev_provider_models_inherit_their_base_model() -> None:
    source = json.loads(MODELSDEV.read_text())
    own = source["providers"]["aihubmix"]["models"]["glm-5.2"]
    base = source["models"][own["base_model"]]
    model = model_of(records_of(MODELSDEV, "modelsdev"), "aihubmix/glm-5.2")
    assert model.context_window == (own.get("limit") or base["limit"])["context"]
    assert model.display_name == own.get("name", base.get("name"))


def test_models_dev_openai_compatible_hosts_get_their_endpoint() -> None:
    source = json.loads(MODELSDEV.read_text())
    provider = source["providers"]["deepseek"]
    model = model_of(records_of(MODELSDEV, "modelsdev"), "deepseek/deepseek-chat")
    assert model.provider == "openai_compatible"
    assert model.deployment.endpoint == provider["api"].rstrip("/")
    assert model.deployment.api_key_env == "DEEPSEEK_API_KEY"


def test_openrouter_price_strings_become_exact_prices_per_million() -> None:
    model = model_of(records_of(OPENROUTER, "openrouter"), "anthropic/claude-opus-4.7-fast")
    assert model.pricing is not None
    # source: prompt "0.00003", completion "0.00015", cache read "0.000003", write "0.0000375"
    assert (model.pricing.input, model.pricing.output) == (Decimal("30"), Decimal("150"))
    assert model.pricing.cached_input == Decimal("3")
    assert model.pricing.cache_write == Decimal("37.5")
    assert model.pricing.effective_from == datetime.fromtimestamp(1778613011, UTC)
    assert (model.context_window, model.max_output_tokens) == (1000000, 128000)
    assert model.capabilities.tools and model.capabilities.reasoning and model.capabilities.vision
    assert model.deployment.endpoint == "https://openrouter.ai/api/v1"
    assert model.deployment.deployment == "anthropic/claude-opus-4.7-fast"
    assert model.tags == ["host:openrouter", "vendor:anthropic"]


def test_openrouter_repeating_decimals_are_cut_at_twelve_places() -> None:
    model = model_of(records_of(OPENROUTER, "openrouter"), "google/gemini-2.5-flash")
    assert model.pricing is not None
    assert model.pricing.cache_write == Decimal("0.083333333333")  # 0.0000000833333333333…
    assert model.pricing.reasoning is None  # internal_reasoning equals completion


def test_openrouter_expiration_dates_schedule_a_retirement() -> None:
    model = model_of(records_of(OPENROUTER, "openrouter"), "x-ai/grok-4")
    assert (model.status, model.deprecation_date) == ("active", None)
    assert model.retires_on == date(2026, 5, 15)


# --- selection and duplicates ---------------------------------------------------------------


def test_provider_and_match_select_a_subset() -> None:
    records = list(records_of(LITELLM, "litellm"))
    azure = select_records(records, provider="azure_openai")
    assert len(azure) == 206 and all(r.model and r.model.provider == "azure_openai" for r in azure)
    by_host = select_records(records, provider="deepseek")
    assert {r.source_provider for r in by_host} == {"deepseek"}
    matched = parse_import(LITELLM.read_text(), "litellm", match="GPT-4O-2024-*")
    assert {r.name for r in matched} == {
        "gpt-4o-2024-05-13",
        "gpt-4o-2024-08-06",
        "gpt-4o-2024-11-20",
    }


def test_a_name_used_twice_ignoring_case_keeps_the_first() -> None:
    text = json.dumps(
        {
            "My-Model": litellm_record(),
            "my-model": litellm_record(input_cost_per_token=1e-06),
        }
    )
    first, second = parse_import(text, "litellm")
    assert first.model is not None and first.name == "My-Model"
    assert second.skip is not None and second.skip.code == "duplicate_name"
    assert 'key "My-Model"' in second.skip.reason


# --- malformed files and records ------------------------------------------------------------


def litellm_record(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "litellm_provider": "openai",
        "mode": "chat",
        "max_input_tokens": 128000,
        "max_output_tokens": 4096,
        "input_cost_per_token": 2.5e-06,
        "output_cost_per_token": 1e-05,
    }
    record.update(overrides)
    return {key: value for key, value in record.items() if value is not None}


def test_a_file_that_is_not_json_names_the_line_and_column() -> None:
    with pytest.raises(ImportFormatError) as caught:
        parse_import('{"gpt": {\n  "mode": chat}\n}', "litellm", source="prices.json")
    assert str(caught.value) == "prices.json: line 2, column 11: Expecting value"


@pytest.mark.parametrize(
    ("format", "text", "message"),
    [
        ("litellm", "[1, 2]", "top level: must be an object of LiteLLM model records"),
        ("modelsdev", '{"models": {}}', 'top level: must be an object with a "providers" object'),
        (
            "modelsdev",
            '{"providers": {"x": []}}',
            'providers["x"]: must be an object with a "models" object',
        ),
        ("openrouter", '{"models": []}', 'top level: must be an object with a "data" list'),
        (
            "modeldeck",
            '{"format": "other"}',
            'format: must be an object with "format": "modeldeck"',
        ),
        ("modeldeck", '{"format": "modeldeck", "version": 2}', "version: must be 1, got 2"),
    ],
)
def test_a_file_of_the_wrong_shape_is_refused_saying_what_was_expected(
    format: str, text: str, message: str
) -> None:
    with pytest.raises(ImportFormatError) as caught:
        parse_import(text, format, source="f.json")
    assert str(caught.value).endswith(message)
    assert str(caught.value).startswith("f.json: ")


def test_malformed_records_are_all_named_with_their_position_and_field() -> None:
    text = json.dumps(
        {
            "fine": litellm_record(),
            "bad-price": litellm_record(input_cost_per_token="cheap"),
            "bad-window": litellm_record(max_input_tokens=-5),
            "too-dear": litellm_record(output_cost_per_token=0.5),
            "not-an-object": [1],
        }
    )
    with pytest.raises(ImportFormatError) as caught:
        parse_import(text, "litellm", source="prices.json")
    assert [str(error) for error in caught.value.errors] == [
        "key \"bad-price\": input_cost_per_token: must be a number, got 'cheap'",
        'key "bad-window": max_input_tokens: must be a positive whole number of tokens, got -5',
        'key "too-dear": output_cost_per_token (pricing.output): '
        "Value error, must be at most 10000 per million tokens",
        'key "not-an-object": must be an object, got list',
    ]
    assert str(caught.value).splitlines()[0] == (
        "prices.json: 4 malformed records; nothing was imported"
    )


def test_a_malformed_openrouter_record_names_its_index_and_id() -> None:
    document = {"data": [{"id": "a/b", "context_length": "big", "pricing": {}}]}
    with pytest.raises(ImportFormatError) as caught:
        parse_import(json.dumps(document), "openrouter", source="or.json")
    assert str(caught.value) == (
        "or.json: data[0] (\"a/b\"): context_length: must be a whole number of tokens, got 'big'"
    )


def test_an_import_file_carrying_an_api_key_is_refused() -> None:
    document = {
        "format": "modeldeck",
        "version": 1,
        "models": [
            {
                "name": "m",
                "provider": "openai",
                "context_window": 10,
                "max_output_tokens": 5,
                "deployment": {"api_key": "sk-live"},
            }
        ],
    }
    with pytest.raises(ImportFormatError) as caught:
        parse_import(json.dumps(document), "modeldeck")
    assert 'models[0] ("m"): deployment.api_key: an import file never carries API keys' in str(
        caught.value
    )
    assert "sk-live" not in str(caught.value)


# --- whole files into the registry, once per backend ----------------------------------------


@dataclass
class Imported:
    """What one whole-file import did, captured before its transaction was rolled back."""

    records: tuple[ImportRecord, ...]
    plan: ImportPlan
    result: ImportResult
    replan: ImportPlan
    models: dict[str, dict[str, Any]]
    audit_actions: Counter[str]
    revision_before: int


async def _import_whole_file(backend: Backend, path: Path, format: str) -> Imported:
    records = records_of(path, format)
    async with backend.database.engine.connect() as connection:
        transaction = await connection.begin()
        try:
            database = Database.bound_to(backend.database, connection)
            async with database.write() as session:
                revision_before = (
                    await session.execute(select(func.max(AuditEntryRow.revision)))
                ).scalar_one()
                plan = await plan_import(session, records)
                result = await apply_plan(session, plan, ctx=ctx())
            async with database.write() as session:
                replan = await plan_import(session, records_of(path, format))
                models = {model["name"]: model for model in await public_records(session)}
                audit = (
                    await session.execute(
                        select(AuditEntryRow.action, func.count())
                        .where(AuditEntryRow.revision == result.revision)
                        .group_by(AuditEntryRow.action)
                    )
                ).all()
        finally:
            await transaction.rollback()
    return Imported(
        records,
        plan,
        result,
        replan,
        models,
        Counter({action: count for action, count in audit}),
        revision_before,
    )


@pytest.fixture(scope="module")
async def litellm_import(backend: Backend) -> Imported:
    return await _import_whole_file(backend, LITELLM, "litellm")


@pytest.fixture(scope="module")
async def modelsdev_import(backend: Backend) -> Imported:
    return await _import_whole_file(backend, MODELSDEV, "modelsdev")


@pytest.fixture(scope="module")
async def openrouter_import(backend: Backend) -> Imported:
    return await _import_whole_file(backend, OPENROUTER, "openrouter")


def assert_imported(imported: Imported, *, added: int, system_skips: int) -> None:
    plan = imported.plan
    parsed_models = sum(record.model is not None for record in imported.records)
    assert parsed_models == added + system_skips
    assert plan.counts == {
        "added": added,
        "changed": 0,
        "unchanged": 0,
        "skipped": len(imported.records) - added,
        "retired": 0,
    }
    assert plan.skip_reasons() == {
        **skip_reasons(imported.records),
        **({"system_model": system_skips} if system_skips else {}),
    }
    assert imported.result.added == added
    assert imported.result.revision == imported.revision_before + 1  # one revision for all
    assert imported.audit_actions == {"import": added}
    # Importing the same file again changes nothing.
    assert imported.replan.counts["added"] == imported.replan.counts["changed"] == 0
    assert imported.replan.counts["unchanged"] == added


async def test_the_whole_litellm_map_imports_in_one_revision_and_again_changes_nothing(
    litellm_import: Imported,
) -> None:
    # 3295 text models, less the 37 whose names are built-in system models (gpt-4o, …).
    assert_imported(litellm_import, added=3206, system_skips=89)
    skipped = {p.name for p in litellm_import.plan.skipped if p.code == "system_model"}
    assert {"gpt-4o", "azure/gpt-4o", "claude-opus-4-5", "o3"} <= skipped


async def test_the_whole_models_dev_file_imports_and_again_changes_nothing(
    modelsdev_import: Imported,
) -> None:
    # 4933 models, less 5 named like system models (azure/gpt-4o, azure/gpt-4.1, …).
    assert_imported(modelsdev_import, added=4917, system_skips=16)


async def test_the_whole_openrouter_dump_imports_and_again_changes_nothing(
    openrouter_import: Imported,
) -> None:
    assert_imported(openrouter_import, added=364, system_skips=0)


async def test_imported_prices_are_stored_exactly(
    litellm_import: Imported, openrouter_import: Imported
) -> None:
    gpt = litellm_import.models["gpt-4o-2024-08-06"]
    assert not gpt["is_system"] and not gpt["is_default"]  # the seeded default stays
    assert gpt["pricing"]["input"] == Decimal("2.5")
    assert gpt["pricing"]["cached_input"] == Decimal("1.25")
    assert [period["input"] for period in gpt["price_history"]] == [Decimal("2.5")]
    gemini = litellm_import.models["gemini/gemini-2.5-pro"]
    assert gemini["pricing"]["tiers"][0]["output"] == Decimal("15")
    noisy = litellm_import.models["databricks/databricks-claude-sonnet-4-1"]
    assert noisy["pricing"]["input"] == Decimal("2.99999")
    fast = openrouter_import.models["anthropic/claude-opus-4.7-fast"]
    assert (fast["pricing"]["input"], fast["pricing"]["cache_write"]) == (
        Decimal("30"),
        Decimal("37.5"),
    )
    assert fast["pricing"]["effective_from"] == datetime.fromtimestamp(1778613011, UTC)


async def test_system_models_keep_their_catalog_values_after_an_ordinary_import(
    litellm_import: Imported,
) -> None:
    gpt = litellm_import.models["gpt-4o"]
    assert gpt["is_system"] and gpt["version"] == 1
    assert gpt["tags"] == ["family:gpt-4o", "vendor:openai"]


# --- plan and apply on small files ----------------------------------------------------------


def litellm_text(**records: dict[str, Any]) -> str:
    return json.dumps(records)


async def plan_text(
    database: Database, text: str, *, as_system: bool = False, format: str = "litellm"
) -> ImportPlan:
    async with database.write() as session:
        return await plan_import(session, parse_import(text, format), as_system=as_system)


async def import_text(
    database: Database, text: str, *, as_system: bool = False, format: str = "litellm"
) -> tuple[ImportPlan, ImportResult]:
    async with database.write() as session:
        plan = await plan_import(session, parse_import(text, format), as_system=as_system)
        return plan, await apply_plan(session, plan, ctx=ctx())


async def public(database: Database, name: str) -> dict[str, Any]:
    async with database.read() as session:
        models = await public_records(session)
    return next(model for model in models if model["name"] == name)


async def test_a_price_change_is_planned_field_by_field_and_adds_a_period(
    database: Database,
) -> None:
    await import_text(database, litellm_text(**{"acme/chat": litellm_record()}))
    changed = litellm_record(input_cost_per_token=3e-06, max_input_tokens=200000)
    plan = await plan_text(database, litellm_text(**{"acme/chat": changed}))
    assert plan.counts == {"added": 0, "changed": 1, "unchanged": 0, "skipped": 0, "retired": 0}
    assert plan.changed[0].changes == [
        {"field": "context_window", "before": 128000, "after": 200000},
        {"field": "pricing.input", "before": Decimal("2.5"), "after": Decimal("3")},
    ]
    shown = json.loads(serialization.dumps(plan.as_json()))  # what `import --dry-run --json` prints
    assert shown["changed"][0]["changes"][1] == {
        "field": "pricing.input",
        "before": 2.5,
        "after": 3,
    }
    async with database.write() as session:
        plan = await plan_import(
            session, parse_import(litellm_text(**{"acme/chat": changed}), "litellm")
        )
        result = await apply_plan(session, plan, ctx=ctx("importer-2"))
        entry = (
            await session.execute(
                select(AuditEntryRow).where(AuditEntryRow.revision == result.revision)
            )
        ).scalar_one()
    assert (entry.action, entry.actor, entry.model_name) == ("import", "importer-2", "acme/chat")
    assert entry.before is not None and entry.after is not None
    assert entry.before["pricing"]["input"] == Decimal("2.5")
    assert entry.after["pricing"]["input"] == Decimal("3")
    model = await public(database, "acme/chat")
    assert [period["input"] for period in model["price_history"]] == [Decimal("2.5"), Decimal("3")]
    assert model["version"] == 2 and model["context_window"] == 200000


async def test_reimporting_keeps_what_an_admin_set_that_the_file_does_not_say(
    database: Database,
) -> None:
    await import_text(database, litellm_text(**{"acme/chat": litellm_record()}))
    async with database.write() as session:
        await service.update_model(
            session,
            ctx(),
            "acme/chat",
            {
                "deployment": {"endpoint": "https://llm.example.com/v1", "api_key_env": "ACME_KEY"},
                "tags": ["litellm_provider:openai", "team:search"],
                "limits": {"base_timeout_s": 10, "max_timeout_s": 20},
            },
            merge=True,
            if_match=None,
        )
    plan = await plan_text(database, litellm_text(**{"acme/chat": litellm_record()}))
    assert plan.counts["unchanged"] == 1
    plan, _ = await import_text(
        database, litellm_text(**{"acme/chat": litellm_record(supports_vision=True)})
    )
    assert plan.changed[0].changes == [
        {"field": "capabilities.vision", "before": False, "after": True}
    ]
    model = await public(database, "acme/chat")
    assert model["deployment"]["endpoint"] == "https://llm.example.com/v1"
    assert model["tags"] == ["litellm_provider:openai", "team:search"]
    assert model["limits"]["base_timeout_s"] == 10


async def test_an_ordinary_import_never_changes_a_system_model(database: Database) -> None:
    plan, result = await import_text(
        database, litellm_text(**{"GPT-4o": litellm_record(input_cost_per_token=9e-06)})
    )
    assert result.revision is None and plan.counts["skipped"] == 1
    [skipped] = plan.skipped
    assert skipped.code == "system_model" and "never changes it" in (skipped.reason or "")
    assert (await public(database, "gpt-4o"))["pricing"]["input"] == Decimal("2.5")


async def test_an_as_system_import_changes_catalog_fields_but_never_ordinary_models(
    database: Database,
) -> None:
    await import_text(database, litellm_text(**{"acme/chat": litellm_record()}))
    gpt = litellm_record(max_input_tokens=100000)
    plan = await plan_text(
        database, litellm_text(**{"gpt-4o": gpt, "acme/chat": litellm_record()}), as_system=True
    )
    assert [p.code for p in plan.skipped] == ["ordinary_model"]
    [change] = plan.changed
    fields = {c["field"] for c in change.changes}
    assert "context_window" in fields
    assert "tags" not in fields  # an admin's field on a system model: never imported


async def test_a_new_import_becomes_the_default_only_when_there_is_none(
    database: Database,
) -> None:
    plan, result = await import_text(database, litellm_text(**{"acme/a": litellm_record()}))
    assert plan.new_default is None and result.default is None
    async with database.write() as session:
        await session.execute(update(ModelRow).values(is_default=False))
    text = litellm_text(**{"acme/b": litellm_record(), "acme/c": litellm_record()})
    plan, result = await import_text(database, text)
    assert plan.new_default == result.default == "acme/b"
    assert (await public(database, "acme/b"))["is_default"]
    assert not (await public(database, "acme/c"))["is_default"]


async def test_progress_is_reported_up_to_the_total(database: Database) -> None:
    text = litellm_text(**{f"acme/m{n}": litellm_record() for n in range(3)})
    calls: list[tuple[int, int]] = []
    async with database.write() as session:
        plan = await plan_import(session, parse_import(text, "litellm"))
        await apply_plan(session, plan, ctx=ctx(), progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (3, 3)


async def test_a_malformed_file_writes_nothing(database: Database) -> None:
    async with database.read() as session:
        before = (await session.execute(select(func.count(ModelRow.id)))).scalar_one()
    text = litellm_text(
        **{"acme/ok": litellm_record(), "acme/bad": litellm_record(max_output_tokens="lots")}
    )
    with pytest.raises(ImportFormatError, match='key "acme/bad": max_output_tokens'):
        async with database.write() as session:
            await apply_plan(
                session, await plan_import(session, parse_import(text, "litellm")), ctx=ctx()
            )
    async with database.read() as session:
        after = (await session.execute(select(func.count(ModelRow.id)))).scalar_one()
    assert after == before


async def test_a_plan_made_before_another_write_is_refused_and_writes_nothing(
    database: Database,
) -> None:
    text = litellm_text(**{"acme/late": litellm_record()})
    async with database.write() as session:
        plan = await plan_import(session, parse_import(text, "litellm"))
    async with database.write() as session:
        await service.create_model(
            session,
            ctx(),
            ModelWrite.model_validate(
                {
                    "name": "acme/other",
                    "provider": "openai",
                    "context_window": 10,
                    "max_output_tokens": 5,
                }
            ),
        )
    with pytest.raises(Problem) as caught:
        async with database.write() as session:
            await apply_plan(session, plan, ctx=ctx())
    assert caught.value.status == 409 and "plan it again" in caught.value.detail
    async with database.read() as session:
        assert not await session.scalar(select(ModelRow.id).where(ModelRow.name == "acme/late"))


async def test_the_default_cannot_be_disabled_by_an_import(database: Database) -> None:
    await import_text(database, litellm_text(**{"acme/a": litellm_record()}))
    async with database.write() as session:
        await service.make_default(session, ctx(), "acme/a")
    body = {
        "format": "modeldeck",
        "version": 1,
        "models": [
            {
                "name": "acme/a",
                "provider": "openai",
                "context_window": 128000,
                "max_output_tokens": 4096,
                "enabled": False,
            }
        ],
    }
    plan = await plan_text(database, json.dumps(body), format="modeldeck")
    assert [p.code for p in plan.skipped] == ["default_model"]


async def test_the_default_cannot_be_retired_by_an_import(database: Database) -> None:
    await import_text(database, litellm_text(**{"acme/a": litellm_record()}))
    async with database.write() as session:
        await service.make_default(session, ctx(), "acme/a")
    body = {
        "format": "modeldeck",
        "version": 1,
        "models": [
            {
                "name": "acme/a",
                "provider": "openai",
                "context_window": 128000,
                "max_output_tokens": 4096,
                "status": "retired",
            }
        ],
    }
    plan = await plan_text(database, json.dumps(body), format="modeldeck")
    assert [p.code for p in plan.skipped] == ["default_model"]


async def test_an_import_never_moves_a_stored_api_key_to_another_endpoint(
    database: Database,
) -> None:
    await import_text(database, litellm_text(**{"acme/keyed": litellm_record()}))
    async with database.write() as session:
        await service.update_model(
            session,
            ctx(),
            "acme/keyed",
            {"deployment": {"endpoint": "https://llm.example.com/v1", "api_key": "sk-stored"}},
            merge=True,
            if_match=None,
        )
    record = {
        "name": "acme/keyed",
        "provider": "openai",
        "context_window": 128000,
        "max_output_tokens": 4096,
        "deployment": {"endpoint": "https://elsewhere.example.com/v1"},
    }
    body = {"format": "modeldeck", "version": 1, "models": [record]}
    plan = await plan_text(database, json.dumps(body), format="modeldeck")
    assert [p.code for p in plan.skipped] == ["stored_api_key"]
    assert plan.counts["changed"] == 0
