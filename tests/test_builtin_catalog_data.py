"""The built-in catalog's data (DESIGN §2, §3, §8): its shape, sane values, coverage, and
every price period matching the public catalog it was read from, exactly.

The package never reads data/catalog-sources at run time; these tests do, to check the shipped file
against its sources and to check that scripts/build_catalog.py reproduces it byte for byte.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import Counter
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
PRICE_FIELDS = (
    "input",
    "cached_input",
    "cache_write",
    "cache_write_1h",
    "output",
    "reasoning",
    "per_request",
)
TIER_PRICE_FIELDS = (
    "input",
    "output",
    "cached_input",
    "cache_write",
    "reasoning",
    "cache_write_1h",
)
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
def genai() -> dict[str, Any]:
    """genai-prices' providers by id (its prices are decimal strings already)."""
    document = _read_exact(CATALOG_SOURCES / "genai-prices.json")
    return {provider["id"]: provider for provider in document["providers"]}


@pytest.fixture(scope="module")
def provenance(build_script: ModuleType) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = build_script.provenance(CATALOG_SOURCES)
    return found


def _periods(models: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(model["name"], period) for model in models for period in model["price_history"]]


def _prices(pricing: dict[str, Any]) -> list[tuple[str, Any]]:
    found = [(field, pricing.get(field)) for field in PRICE_FIELDS]
    for index, tier in enumerate(pricing["tiers"]):
        found += [(f"tiers[{index}].{field}", tier.get(field)) for field in TIER_PRICE_FIELDS]
    return found


def test_the_catalog_ships_inside_the_package(catalog: dict[str, Any]) -> None:
    assert set(catalog) == {"catalog_version", "default_model", "models"}
    date.fromisoformat(catalog["catalog_version"])
    assert isinstance(catalog["models"], list)


def test_it_lists_every_current_model_of_the_vendors_and_hosts(
    models: list[dict[str, Any]],
) -> None:
    assert len(models) >= 120
    tags = Counter(tag for model in models for tag in model["tags"])
    for vendor in ("openai", "anthropic", "google", "mistral", "deepseek", "xai", "cohere"):
        assert tags[f"vendor:{vendor}"] >= 2, vendor
    for host in ("azure", "bedrock", "together_ai"):
        assert tags[f"host:{host}"] >= 5, host
    names = {model["name"] for model in models}
    # The flagships issue 12 found missing.
    assert {"gpt-5.5", "gpt-6.1-sol", "o3-pro", "claude-opus-5-5", "claude-sonnet-5-5"} <= names
    assert {"claude-haiku-5-5", "gemini-3.5-flash-lite", "gemini-4-argon"} <= names
    assert {"mistral-large-4", "deepseek-v3.2", "grok-4.7", "command-a-03-2025"} <= names


def test_it_covers_at_least_8_vendors(models: list[dict[str, Any]]) -> None:
    vendors = set()
    for model in models:
        tags = [tag for tag in model["tags"] if tag.startswith("vendor:")]
        assert len(tags) == 1, f"{model['name']} needs exactly one vendor tag: {model['tags']}"
        vendors.add(tags[0])
    assert len(vendors) >= 8, vendors


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


def test_open_weight_models_name_their_one_reference_host(models: list[dict[str, Any]]) -> None:
    hosted = [model for model in models if "host:together_ai" in model["tags"]]
    families = {tag for model in hosted for tag in model["tags"] if tag.startswith("family:")}
    assert {"family:llama", "family:qwen", "family:gpt-oss", "family:deepseek"} <= families
    for model in hosted:
        assert "together ai" in model["description"].lower(), model["name"]
        assert model["deployment"]["endpoint"] == "https://api.together.xyz/v1"
    # Gemma, which Together no longer serves, ships from Google's own API, free of charge.
    gemma = [model for model in models if "family:gemma" in model["tags"]]
    assert gemma and all(model["provider"] == "google" for model in gemma)
    for model in gemma:
        (period,) = model["price_history"]
        assert (period["input"], period["output"]) == ("0", "0"), model["name"]


def test_no_embedding_image_audio_or_realtime_model_ships(models: list[dict[str, Any]]) -> None:
    banned = re.compile(r"embed|image|tts|transcribe|realtime|audio|voice|whisper|ocr", re.I)
    for model in models:
        assert not banned.search(model["name"]), model["name"]


def test_no_model_shut_down_by_the_catalog_day_ships(
    catalog: dict[str, Any], provenance: dict[str, dict[str, str]], litellm: dict[str, Any]
) -> None:
    day = date.fromisoformat(catalog["catalog_version"])
    for name, source in provenance.items():
        record = litellm.get(source["litellm"]) or {}
        shutdown = record.get("deprecation_date")
        assert shutdown is None or date.fromisoformat(shutdown) > day, name
        assert record.get("mode") in (None, "chat", "responses"), name


def test_max_output_tokens_fits_in_the_context_window(models: list[dict[str, Any]]) -> None:
    for model in models:
        context, output = model["context_window"], model["max_output_tokens"]
        assert isinstance(context, int), model["name"]
        assert isinstance(output, int), model["name"]
        assert 0 < output <= context <= 100_000_000, model["name"]


def test_parameter_counts_are_positive_and_only_for_open_weight_models(
    models: list[dict[str, Any]],
) -> None:
    open_weights = re.compile(r"family:(llama|qwen|gpt-oss|gemma|deepseek|mi[sx]tral|pixtral)")
    for model in models:
        size = model["parameters_b"]
        if size is None:
            continue
        assert any(open_weights.match(tag) for tag in model["tags"]), model["name"]
        assert isinstance(size, int | float), model["name"]
        assert 0 < size < 10_000, model["name"]
    assert sum(model["parameters_b"] is not None for model in models) >= 10


def test_every_model_has_a_price_history_oldest_first(models: list[dict[str, Any]]) -> None:
    for model in models:
        assert "pricing" not in model, model["name"]  # the loader derives it from the history
        starts = [period["effective_from"] for period in model["price_history"]]
        assert starts, model["name"]
        assert starts == sorted(set(starts)), model["name"]
    assert sum(len(model["price_history"]) > 1 for model in models) >= 10


def test_all_prices_are_decimal_strings_from_0_to_10000(models: list[dict[str, Any]]) -> None:
    for name, pricing in _periods(models):
        assert pricing["currency"] == "USD"
        assert pricing["unit"] == "per_1m_tokens"
        assert pricing["input"] is not None, name
        assert pricing["output"] is not None, name
        for field, value in _prices(pricing):
            if value is None:
                continue
            where = f"{name}: {pricing['effective_from']}: {field} = {value!r}"
            assert isinstance(value, str), where
            assert PLAIN_DECIMAL.match(value), where
            price = Decimal(value)
            assert price.is_finite(), where
            assert Decimal(0) <= price <= Decimal(10_000), where


def test_tiers_are_sorted_by_threshold(models: list[dict[str, Any]]) -> None:
    for name, pricing in _periods(models):
        thresholds = [tier["above_input_tokens"] for tier in pricing["tiers"]]
        assert thresholds == sorted(set(thresholds)), name
        assert all(isinstance(t, int) and t > 0 for t in thresholds), name
    assert any(pricing["tiers"] for _, pricing in _periods(models))


def test_effective_from_is_an_iso_8601_utc_timestamp(models: list[dict[str, Any]]) -> None:
    for name, pricing in _periods(models):
        moment = pricing["effective_from"]
        assert UTC_TIMESTAMP.match(moment), (name, moment)
        parsed = datetime.fromisoformat(moment)
        assert parsed.tzinfo is not None
        assert parsed.utcoffset() == timedelta(0)
        assert parsed <= datetime(2100, 1, 1, tzinfo=UTC)


def test_source_is_an_https_url(models: list[dict[str, Any]]) -> None:
    for name, pricing in _periods(models):
        url = urlparse(pricing["source"])
        assert url.scheme == "https", name
        assert url.netloc, name


def test_known_price_changes_are_dated(models: list[dict[str, Any]]) -> None:
    by_name = {model["name"]: model["price_history"] for model in models}
    o3 = [(p["effective_from"], p["input"], p["output"]) for p in by_name["o3"]]
    assert o3 == [("2025-04-16T00:00:00Z", "10", "40"), ("2025-06-10T00:00:00Z", "2", "8")]
    for name in ("claude-opus-4-6", "claude-sonnet-4-6"):
        long_context, flat = by_name[name]
        assert [tier["above_input_tokens"] for tier in long_context["tiers"]] == [200000], name
        assert flat["effective_from"] == "2026-03-13T00:00:00Z" and flat["tiers"] == [], name


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


def test_the_loader_reads_every_model_with_its_history(shipped_bytes: bytes) -> None:
    from modeldeck.catalog.builtin import parse_catalog

    catalog = parse_catalog(shipped_bytes.decode("utf-8"))
    day_end = datetime.fromisoformat(catalog.version).replace(tzinfo=UTC) + timedelta(days=1)
    for model in catalog.models:
        history = catalog.price_history(model.name)
        assert history, model.name
        started = [period for period in history if period.effective_from < day_end]
        assert model.pricing == (started[-1] if started else history[0]).pricing, model.name
    o3 = catalog.price_history("o3")
    assert [period.pricing.output for period in o3 if period.pricing] == [40, 8]


def test_every_model_comes_from_the_sources(
    models: list[dict[str, Any]], provenance: dict[str, dict[str, str]]
) -> None:
    assert sorted(provenance) == sorted(model["name"] for model in models)


# --- every shipped price, recomputed from the source it names -------------------------------

GENAI_FIELDS = {
    "input_mtok": "input",
    "cache_read_mtok": "cached_input",
    "cache_write_mtok": "cache_write",
    "cache_write_1h_mtok": "cache_write_1h",
    "output_mtok": "output",
    "output_reasoning_mtok": "reasoning",
}


def _expected_from_genai(price: dict[str, Any]) -> dict[str, Decimal | None]:
    expected: dict[str, Decimal | None] = dict.fromkeys(PRICE_FIELDS)
    for field, ours in GENAI_FIELDS.items():
        value = price.get(field)
        if isinstance(value, dict):
            expected[ours] = Decimal(value["base"])
            for tier in value["tiers"]:
                expected[f"tier {tier['start']}.{ours}"] = Decimal(tier["price"])
        elif value is not None:
            expected[ours] = Decimal(value)
    if price.get("requests_kcount") is not None:
        expected["per_request"] = Decimal(price["requests_kcount"]) / 1000
    if expected["reasoning"] == expected["output"]:
        expected["reasoning"] = None
    return expected


def _genai_periods(model: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    """(start day or None for the launch price, prices), time-of-day windows left out."""
    raw = model["prices"]
    entries = raw if isinstance(raw, list) else [{"prices": raw}]
    found = []
    for entry in entries:
        constraint = entry.get("constraint")
        if constraint is None:
            found.append((None, entry["prices"]))
        elif constraint["_type"] == "StartDateConstraint":
            found.append((constraint["start_date"], entry["prices"]))
    return sorted(found, key=lambda item: item[0] or "")


def _per_million_from_litellm(record: dict[str, Any], field: str) -> Decimal | None:
    value = record.get(field)
    return None if value is None else Decimal(value) * MILLION


def _expected_from_litellm(record: dict[str, Any]) -> dict[str, Decimal | None]:
    expected = {
        "input": _per_million_from_litellm(record, "input_cost_per_token"),
        "output": _per_million_from_litellm(record, "output_cost_per_token"),
        "cached_input": _per_million_from_litellm(record, "cache_read_input_token_cost"),
        "cache_write": _per_million_from_litellm(record, "cache_creation_input_token_cost"),
        "cache_write_1h": _per_million_from_litellm(
            record, "cache_creation_input_token_cost_above_1hr"
        ),
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
    return {key: value for key, value in expected.items() if value is not None or "." not in key}


def _shipped(pricing: dict[str, Any]) -> dict[str, Decimal | None]:
    def exact(value: str | None) -> Decimal | None:
        return None if value is None else Decimal(value)

    found = {field: exact(pricing[field]) for field in PRICE_FIELDS}
    for tier in pricing["tiers"]:
        name = f"tier {tier['above_input_tokens']}"
        for field in TIER_PRICE_FIELDS:
            if tier.get(field) is not None:
                found[f"{name}.{field}"] = exact(tier[field])
    return found


def test_every_price_matches_the_source_it_names(
    models: list[dict[str, Any]],
    provenance: dict[str, dict[str, str]],
    genai: dict[str, Any],
    litellm: dict[str, Any],
) -> None:
    for model in models:
        source = provenance[model["name"]]
        shipped = [
            (period["effective_from"][:10], _shipped(period)) for period in model["price_history"]
        ]
        if source["source"] == "litellm":
            assert [prices for _, prices in shipped] == [
                _expected_from_litellm(litellm[source["model"]])
            ], model["name"]
            continue
        record = next(m for m in genai[source["provider"]]["models"] if m["id"] == source["model"])
        expected = [(day, _expected_from_genai(price)) for day, price in _genai_periods(record)]
        # Dated periods start on their day; the launch price on the release day, or it is
        # left out when no source dates the release before the first change.
        assert [prices for _, prices in shipped] in (
            [prices for _, prices in expected],
            [prices for _, prices in expected[1:]],
        ), model["name"]
        dated = [day for day, _ in expected if day is not None]
        if dated:
            assert [day for day, _ in shipped][-len(dated) :] == dated, model["name"]


def _genai_rates_at(
    record: dict[str, Any], day: str, minute: int, tier: str | None, names: dict[Any, Any]
) -> dict[str, Any] | None:
    """genai-prices' own rule (`ModelInfo.get_prices`): of the prices whose constraint holds (a
    start date on or before the day, a time of day inside its window) the last listed wins;
    then each price the first active variant of the tier gives replaces the standard one.
    None: no variant of that tier by then."""
    raw = record["prices"]
    chosen = None
    for entry in raw if isinstance(raw, list) else [{"prices": raw}]:
        constraint = entry.get("constraint")
        if constraint is None:
            chosen = entry["prices"]
        elif constraint["_type"] == "StartDateConstraint":
            if constraint["start_date"] <= day:
                chosen = entry["prices"]
        else:
            start = int(constraint["start_time"][:2]) * 60 + int(constraint["start_time"][3:5])
            end = int(constraint["end_time"][:2]) * 60 + int(constraint["end_time"][3:5])
            if start <= minute < end:
                chosen = entry["prices"]
    if tier is None:
        return chosen
    if chosen is None:
        return None
    overrides: dict[str, Any] = {}
    for candidate in record.get("price_variants", []):
        items = list(candidate["when"].items())
        if len(items) != 1 or names.get(items[0]) != tier:
            continue
        starts = (candidate.get("constraint") or {}).get("start_date")
        if starts is None or starts <= day:
            for key, price in candidate["prices"].items():
                if key != "_type" and price is not None:
                    overrides.setdefault(key, price)
    return {**chosen, **overrides} if overrides else None


def _applied(sheet: Any) -> dict[str, Decimal | None]:
    found: dict[str, Decimal | None] = {field: getattr(sheet, field) for field in PRICE_FIELDS}
    for tier in sheet.tiers:
        for field in TIER_PRICE_FIELDS:
            if getattr(tier, field) is not None:
                found[f"tier {tier.above_input_tokens}.{field}"] = getattr(tier, field)
    return found


def test_time_of_day_and_service_tier_rates_are_genai_prices_own(
    models: list[dict[str, Any]],
    provenance: dict[str, dict[str, str]],
    genai: dict[str, Any],
    build_script: ModuleType,
) -> None:
    """At sample days, hours and tiers, the engine applies the rates genai-prices gives, save
    for the two documented choices: windows only from a model's first dated change, and a
    tier's first recorded rates back to the start of the period they were recorded in."""
    from modeldeck.pricing.engine import Usage, cost

    names = build_script.SERVICE_TIERS
    usage = Usage(input_tokens=1000, output_tokens=1000)
    checked = Counter[str]()
    for model in models:
        source = provenance[model["name"]]
        if source["source"] == "litellm":
            continue
        record = next(m for m in genai[source["provider"]]["models"] if m["id"] == source["model"])
        history = model["price_history"]
        offered = sorted({tier for period in history for tier in period["service_tiers"]})
        variant_days = {
            names.get(next(iter(v["when"].items()))): (v.get("constraint") or {}).get(
                "start_date", ""
            )
            for v in reversed(record.get("price_variants", []))
        }
        priced = {"name": model["name"], "pricing": None, "price_history": history}
        for index, period in enumerate(history):
            day = period["effective_from"][:10]
            for minute in (15, 120, 300, 420, 720, 1020, 1410):
                moment = f"{day}T{minute // 60:02d}:{minute % 60:02d}:00Z"
                for tier in (None, *offered):
                    if tier is not None and day < variant_days.get(tier, ""):
                        continue  # backdated: genai-prices recorded it later
                    expected = _genai_rates_at(record, day, minute, tier, names)
                    if period["windows"] == [] and index == 0 and tier is None:
                        expected = _genai_rates_at(record, day, -1, None, names)  # no windows
                    try:
                        applied = cost(priced, usage, at=moment, service_tier=tier).applied_rates()
                    except ValueError:
                        assert expected is None, (model["name"], moment, tier)
                        continue
                    assert expected is not None, (model["name"], moment, tier)
                    assert _applied(applied) == _expected_from_genai(expected), (
                        model["name"],
                        moment,
                        tier,
                    )
                    checked["window" if applied is not None and period["windows"] else "rates"] += 1
                    checked[tier or "standard"] += 1
    # The check covered windows and every tier the catalog ships.
    assert checked["window"] and checked["batch"] and checked["flex"] and checked["priority"]


def test_the_check_option_agrees_with_the_shipped_file(build_script: ModuleType) -> None:
    assert build_script.main(["--check"]) == 0


def test_the_script_regenerates_byte_identical_output(
    tmp_path: Path, build_script: ModuleType, shipped_bytes: bytes
) -> None:
    first = build_script.write_catalog(tmp_path / "first.json", CATALOG_SOURCES)
    second = build_script.write_catalog(tmp_path / "second.json", CATALOG_SOURCES)
    assert (tmp_path / "first.json").read_bytes() == first == second
    assert first == shipped_bytes, "builtin.json is stale: run scripts/build_catalog.py"
    assert first.endswith(b"}\n")  # trailing newline
    assert b'\n  "models": [' in first  # 2-space indent
