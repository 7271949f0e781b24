"""The built-in catalog's data (DESIGN §2, §3, §8): its shape, sane values, and prices that
match the public catalogs they were read from, exactly.

The package never reads data/catalog-sources at run time; these tests do, to check the shipped file
against its sources and to check that scripts/build_catalog.py reproduces it byte for byte.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlparse

import pytest

from conftest import CATALOG_SOURCES

REPO_ROOT = Path(__file__).resolve().parents[1]
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build_catalog.py"

NAME_PATTERN = re.compile(r"^[A-Za-z0-9._\-:/@]{1,128}$")
PLAIN_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$")  # no exponent, no 0 tail
UTC_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
PROVIDERS = {
    "openai",
    "azure_openai",
    "openai_compatible",
    "anthropic",
    "google",
    "mistral",
    "other",
}
PRICE_FIELDS = ("input", "cached_input", "cache_write", "output", "reasoning", "per_request")
TIER_PRICE_FIELDS = ("input", "output", "cached_input", "cache_write", "reasoning")
MILLION = Decimal(1_000_000)
# Reasoning models whose APIs reject `temperature`.
NO_TEMPERATURE = re.compile(r"^(azure/)?(o1|o3|o3-mini|o4-mini|gpt-5([.-].*)?)$")


@pytest.fixture(scope="module")
def shipped_bytes() -> bytes:
    return resources.files("modeldeck.catalog").joinpath("builtin.json").read_bytes()


@pytest.fixture(scope="module")
def catalog(shipped_bytes: bytes) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(shipped_bytes)
    return data


@pytest.fixture(scope="module")
def models(catalog: dict[str, Any]) -> list[dict[str, Any]]:
    return list(catalog["models"])


@pytest.fixture(scope="module")
def build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_catalog", BUILD_SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(spec.name, None)
    return module


def _read_exact(path: Path) -> dict[str, Any]:
    """A JSON file with every non-integer number read as the Decimal of its literal text."""
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle, parse_float=Decimal)
    return data


@pytest.fixture(scope="module")
def litellm() -> dict[str, Any]:
    return _read_exact(CATALOG_SOURCES / "litellm-model-prices.json")


@pytest.fixture(scope="module")
def modelsdev() -> dict[str, Any]:
    return _read_exact(CATALOG_SOURCES / "models-dev.json")


def _prices(pricing: dict[str, Any]) -> list[tuple[str, Any]]:
    found = [(field, pricing.get(field)) for field in PRICE_FIELDS]
    for index, tier in enumerate(pricing["tiers"]):
        found += [(f"tiers[{index}].{field}", tier.get(field)) for field in TIER_PRICE_FIELDS]
    return found


def test_the_catalog_ships_inside_the_package(catalog: dict[str, Any]) -> None:
    assert set(catalog) == {"catalog_version", "default_model", "models"}
    date.fromisoformat(catalog["catalog_version"])
    assert isinstance(catalog["models"], list)


def test_it_lists_at_least_40_models(models: list[dict[str, Any]]) -> None:
    assert len(models) >= 40


def test_it_covers_at_least_6_vendors(models: list[dict[str, Any]]) -> None:
    vendors = set()
    for model in models:
        tags = [tag for tag in model["tags"] if tag.startswith("vendor:")]
        assert len(tags) == 1, f"{model['name']} needs exactly one vendor tag: {model['tags']}"
        vendors.add(tags[0])
    assert len(vendors) >= 6, vendors


def test_names_are_unique_ignoring_case_and_well_formed(models: list[dict[str, Any]]) -> None:
    names = [model["name"] for model in models]
    for name in names:
        assert NAME_PATTERN.match(name), name
    assert len({name.lower() for name in names}) == len(names)


def test_models_are_sorted_by_name(models: list[dict[str, Any]]) -> None:
    names = [model["name"].lower() for model in models]
    assert names == sorted(names)


def test_the_default_model_is_one_of_the_models(catalog: dict[str, Any]) -> None:
    assert catalog["default_model"] == "gpt-4o-mini"
    assert catalog["default_model"] in {model["name"] for model in catalog["models"]}


def test_providers_say_how_the_model_is_reached(models: list[dict[str, Any]]) -> None:
    for model in models:
        assert model["provider"] in PROVIDERS, model["name"]
        deployment = model["deployment"]
        assert set(deployment) == {"endpoint", "api_version", "deployment", "api_key_env"}
        assert re.match(r"^[A-Z_][A-Z0-9_]*$", deployment["api_key_env"]), model["name"]
        if model["provider"] == "openai_compatible":
            assert urlparse(deployment["endpoint"]).scheme == "https", model["name"]
            assert any(tag.startswith("host:") for tag in model["tags"]), model["name"]
        if model["provider"] == "azure_openai":
            assert model["name"].startswith("azure/")
            assert deployment["api_version"], model["name"]
            assert deployment["endpoint"] is None  # per organisation


def test_meta_llama_models_name_their_one_host(models: list[dict[str, Any]]) -> None:
    llamas = [model for model in models if "vendor:meta" in model["tags"]]
    assert llamas
    hosts = {tag for model in llamas for tag in model["tags"] if tag.startswith("host:")}
    assert len(hosts) == 1, hosts
    host = hosts.pop().removeprefix("host:").split("_")[0]
    for model in llamas:
        assert host.lower() in model["description"].lower(), model["name"]
        assert model["deployment"]["endpoint"]


def test_max_output_tokens_fits_in_the_context_window(models: list[dict[str, Any]]) -> None:
    for model in models:
        context, output = model["context_window"], model["max_output_tokens"]
        assert isinstance(context, int), model["name"]
        assert isinstance(output, int), model["name"]
        assert 0 < output <= context <= 100_000_000, model["name"]


def test_parameter_counts_are_positive_and_only_for_open_weight_vendors(
    models: list[dict[str, Any]],
) -> None:
    closed = {"vendor:openai", "vendor:anthropic", "vendor:google"}
    for model in models:
        size = model["parameters_b"]
        if closed & set(model["tags"]):
            assert size is None, model["name"]
        elif size is not None:
            assert isinstance(size, int | float), model["name"]
            assert 0 < size < 10_000, model["name"]
    assert sum(model["parameters_b"] is not None for model in models) >= 10


def test_all_prices_are_decimal_strings_from_0_to_10000(models: list[dict[str, Any]]) -> None:
    for model in models:
        pricing = model["pricing"]
        assert pricing["currency"] == "USD"
        assert pricing["unit"] == "per_1m_tokens"
        assert pricing["input"] is not None, model["name"]
        assert pricing["output"] is not None, model["name"]
        for field, value in _prices(pricing):
            if value is None:
                continue
            where = f"{model['name']}: pricing.{field} = {value!r}"
            assert isinstance(value, str), where
            assert PLAIN_DECIMAL.match(value), where
            price = Decimal(value)
            assert price.is_finite(), where
            assert Decimal(0) <= price <= Decimal(10_000), where


def test_tiers_are_sorted_by_threshold(models: list[dict[str, Any]]) -> None:
    for model in models:
        thresholds = [tier["above_input_tokens"] for tier in model["pricing"]["tiers"]]
        assert thresholds == sorted(set(thresholds)), model["name"]
        assert all(isinstance(t, int) and t > 0 for t in thresholds), model["name"]
    assert any(model["pricing"]["tiers"] for model in models)


def test_effective_from_is_an_iso_8601_utc_timestamp(models: list[dict[str, Any]]) -> None:
    for model in models:
        moment = model["pricing"]["effective_from"]
        assert UTC_TIMESTAMP.match(moment), (model["name"], moment)
        parsed = datetime.fromisoformat(moment)
        assert parsed.tzinfo is not None
        assert parsed.utcoffset() == timedelta(0)
        assert parsed <= datetime(2100, 1, 1, tzinfo=UTC)


def test_source_is_an_https_url(models: list[dict[str, Any]]) -> None:
    for model in models:
        url = urlparse(model["pricing"]["source"])
        assert url.scheme == "https", model["name"]
        assert url.netloc, model["name"]


def test_status_and_deprecation_date_agree(models: list[dict[str, Any]]) -> None:
    for model in models:
        assert model["status"] in {"active", "deprecated"}, model["name"]
        if model["deprecation_date"] is not None:
            assert model["status"] == "deprecated", model["name"]
            date.fromisoformat(model["deprecation_date"])


def test_reasoning_models_that_reject_temperature_say_so(models: list[dict[str, Any]]) -> None:
    for model in models:
        if NO_TEMPERATURE.match(model["name"]):
            assert model["capabilities"]["temperature"] is False, model["name"]
            assert model["capabilities"]["reasoning"] is True, model["name"]


def test_limits_follow_the_reasoning_capability(models: list[dict[str, Any]]) -> None:
    for model in models:
        limits = model["limits"]
        assert 0 < limits["base_timeout_s"] <= limits["max_timeout_s"], model["name"]
        if model["capabilities"]["reasoning"]:
            assert (limits["base_timeout_s"], limits["max_timeout_s"]) == (300, 900)
        else:
            assert (limits["base_timeout_s"], limits["max_timeout_s"]) == (120, 300)


def test_every_model_passes_the_api_schema(models: list[dict[str, Any]]) -> None:
    from modeldeck.models.schemas import ModelWrite

    for model in models:
        ModelWrite.model_validate(model)


def test_every_model_comes_from_the_curated_table(
    models: list[dict[str, Any]], build_script: ModuleType
) -> None:
    assert sorted(entry.name for entry in build_script.ENTRIES) == sorted(
        model["name"] for model in models
    )


def _per_million_from_litellm(record: dict[str, Any], field: str) -> Decimal | None:
    value = record.get(field)
    return None if value is None else Decimal(value) * MILLION


def _expected_from_litellm(record: dict[str, Any]) -> dict[str, Decimal | None]:
    expected = {
        "input": _per_million_from_litellm(record, "input_cost_per_token"),
        "output": _per_million_from_litellm(record, "output_cost_per_token"),
        "cached_input": _per_million_from_litellm(record, "cache_read_input_token_cost"),
        "cache_write": _per_million_from_litellm(record, "cache_creation_input_token_cost"),
        "reasoning": _per_million_from_litellm(record, "output_cost_per_reasoning_token"),
        "per_request": None,
    }
    if expected["cache_write"] == 0:  # "no surcharge": billed at the input rate, i.e. null
        expected["cache_write"] = None
    if expected["reasoning"] == expected["output"]:  # not a distinct reasoning price
        expected["reasoning"] = None
    for field in record:
        match = re.fullmatch(r"input_cost_per_token_above_(\d+)k_tokens", field)
        if match:
            suffix = f"above_{match.group(1)}k_tokens"
            tier = f"tier {int(match.group(1)) * 1000}"
            expected[f"{tier}.input"] = _per_million_from_litellm(record, field)
            expected[f"{tier}.output"] = _per_million_from_litellm(
                record, f"output_cost_per_token_{suffix}"
            )
            expected[f"{tier}.cached_input"] = _per_million_from_litellm(
                record, f"cache_read_input_token_cost_{suffix}"
            )
    return expected


def _expected_from_modelsdev(record: dict[str, Any]) -> dict[str, Decimal | None]:
    cost = record["cost"]

    def get(mapping: dict[str, Any], field: str) -> Decimal | None:
        value = mapping.get(field)
        return None if value is None else Decimal(value)

    expected = {
        "input": get(cost, "input"),
        "output": get(cost, "output"),
        "cached_input": get(cost, "cache_read"),
        "cache_write": get(cost, "cache_write"),
        "reasoning": get(cost, "reasoning"),
        "per_request": None,
    }
    if expected["reasoning"] == expected["output"]:
        expected["reasoning"] = None
    for tier in cost.get("tiers", []):
        name = f"tier {tier['tier']['size']}"
        expected[f"{name}.input"] = get(tier, "input")
        expected[f"{name}.output"] = get(tier, "output")
        expected[f"{name}.cached_input"] = get(tier, "cache_read")
    return expected


def _shipped(pricing: dict[str, Any]) -> dict[str, Decimal | None]:
    def exact(value: str | None) -> Decimal | None:
        return None if value is None else Decimal(value)

    found = {field: exact(pricing[field]) for field in PRICE_FIELDS}
    for tier in pricing["tiers"]:
        name = f"tier {tier['above_input_tokens']}"
        for field in ("input", "output", "cached_input"):
            found[f"{name}.{field}"] = exact(tier.get(field))
    return found


def test_every_price_matches_the_public_source(
    models: list[dict[str, Any]],
    build_script: ModuleType,
    litellm: dict[str, Any],
    modelsdev: dict[str, Any],
) -> None:
    by_name = {model["name"]: model for model in models}
    for entry in build_script.ENTRIES:
        if entry.litellm:
            expected = _expected_from_litellm(litellm[entry.litellm])
        else:
            provider, _, model_id = entry.modelsdev.partition("/")
            expected = _expected_from_modelsdev(
                modelsdev["providers"][provider]["models"][model_id]
            )
        shipped = _shipped(by_name[entry.name]["pricing"])
        assert shipped == expected, entry.name  # Decimal ==: exact, whatever the notation


def test_the_script_regenerates_byte_identical_output(
    tmp_path: Path, build_script: ModuleType, shipped_bytes: bytes
) -> None:
    first = build_script.write_catalog(tmp_path / "first.json", CATALOG_SOURCES)
    second = build_script.write_catalog(tmp_path / "second.json", CATALOG_SOURCES)
    assert (tmp_path / "first.json").read_bytes() == first == second
    assert first == shipped_bytes, "builtin.json is stale: run scripts/build_catalog.py"
    assert first.endswith(b"}\n")  # trailing newline
    assert b'\n  "models": [' in first  # 2-space indent
