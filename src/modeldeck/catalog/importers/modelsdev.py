"""models.dev: `providers.<id>.models.<id>`, USD per 1M tokens, over provider-independent models."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

from modeldeck.catalog.importers.records import (
    SKIP_EMBEDDING,
    SKIP_NO_CONTEXT,
    SKIP_NO_TEXT_OUTPUT,
    Converted,
    Entry,
    ImportFormatError,
    Malformed,
    RecordError,
    Skip,
    day,
    env_var,
    mapping,
    midnight,
    per_million,
    pricing_body,
    tag,
    text_value,
    token_count,
)

MODELSDEV_NPM = {
    "@ai-sdk/openai": "openai",
    "@ai-sdk/azure": "azure_openai",
    "@ai-sdk/anthropic": "anthropic",
    "@ai-sdk/google": "google",
    "@ai-sdk/google-vertex": "google",
    "@ai-sdk/google-vertex/anthropic": "google",
    "@ai-sdk/mistral": "mistral",
    "@ai-sdk/openai-compatible": "openai_compatible",
}
FIELD_NAMES = {
    "display_name": "name",
    "context_window": "limit.context",
    "max_output_tokens": "limit.output",
    "pricing.input": "cost.input",
    "pricing.output": "cost.output",
    "pricing.cached_input": "cost.cache_read",
    "pricing.cache_write": "cost.cache_write",
    "pricing.reasoning": "cost.reasoning",
    "pricing.effective_from": "release_date",
    "deployment.endpoint": "api",
    "deployment.deployment": "model id",
}
EMBEDDING_NAME = re.compile(r"embed", re.IGNORECASE)


def modelsdev_provider(npm: Any, api: str | None, provider_id: str) -> str:
    """Model Deck's provider from the AI SDK package models.dev names, and the API address."""
    mapped = MODELSDEV_NPM.get(npm) if isinstance(npm, str) else None
    if mapped == "openai" and api is not None and provider_id != "openai":
        return "openai_compatible"  # OpenAI's SDK pointed at another host
    if mapped is not None:
        return mapped
    return "openai_compatible" if api is not None else "other"


def entries(document: Any, source: str) -> Iterator[Entry]:
    if not isinstance(document, dict) or not isinstance(document.get("providers"), dict):
        raise ImportFormatError(
            source,
            [RecordError("top level", None, 'must be an object with a "providers" object')],
        )
    base_models = document.get("models") or {}
    if not isinstance(base_models, dict):
        raise ImportFormatError(source, [RecordError("models", None, "must be an object")])
    for provider_id, provider in document["providers"].items():
        where = f"providers[{json.dumps(provider_id)}]"
        if not isinstance(provider, dict) or not isinstance(provider.get("models"), dict):
            raise ImportFormatError(
                source, [RecordError(where, None, 'must be an object with a "models" object')]
            )
        for model_id, record in provider["models"].items():
            yield (
                f"{where}.models[{json.dumps(model_id)}]",
                f"{provider_id}/{model_id}",
                partial(convert, provider_id, provider, model_id, record, base_models),
            )


def convert(
    provider_id: str,
    provider: Mapping[str, Any],
    model_id: str,
    record: Any,
    base_models: Mapping[str, Any],
) -> Converted | Skip:
    if not isinstance(record, dict):
        raise Malformed(None, f"must be an object, got {type(record).__name__}")
    base_ref = record.get("base_model")
    if base_ref is not None:
        # A provider's copy of a provider-independent model: its own fields win.
        omit = set(record.get("base_model_omit") or ())
        base = mapping(base_models.get(base_ref) if isinstance(base_ref, str) else None, "base")
        record = {key: value for key, value in base.items() if key not in omit} | record
    modalities = mapping(record.get("modalities"), "modalities")
    outputs = modalities.get("output")
    if isinstance(outputs, list) and "text" not in outputs:
        return Skip(SKIP_NO_TEXT_OUTPUT, f"produces {', '.join(map(str, outputs))}, not text")
    if EMBEDDING_NAME.search(model_id):
        return Skip(SKIP_EMBEDDING, "an embedding model, not a chat model")
    limit = mapping(record.get("limit"), "limit")
    context = token_count(limit, "context", "limit.context")
    if context is None:
        return Skip(SKIP_NO_CONTEXT, "no context window (limit.context)")
    output = min(token_count(limit, "output", "limit.output") or context, context)

    cost = mapping(record.get("cost"), "cost")
    tiers = []
    raw_tiers = cost.get("tiers") or []
    if not isinstance(raw_tiers, list):
        raise Malformed("cost.tiers", "must be a list")
    for index, tier in enumerate(raw_tiers):
        shown = f"cost.tiers[{index}]"
        tier = mapping(tier, shown)
        size = token_count(mapping(tier.get("tier"), f"{shown}.tier"), "size", f"{shown}.tier.size")
        if size is None:
            raise Malformed(f"{shown}.tier.size", "is missing")
        tiers.append(
            {
                "above_input_tokens": size,
                "input": per_million(tier, "input", f"{shown}.input"),
                "output": per_million(tier, "output", f"{shown}.output"),
                "cached_input": per_million(tier, "cache_read", f"{shown}.cache_read"),
                "cache_write": per_million(tier, "cache_write", f"{shown}.cache_write") or None,
            }
        )
    released = record.get("release_date")
    effective_from = None if released is None else midnight(day(released, "release_date"))
    rates = {
        "input": per_million(cost, "input", "cost.input"),
        "output": per_million(cost, "output", "cost.output"),
        "cached_input": per_million(cost, "cache_read", "cost.cache_read"),
        "cache_write": per_million(cost, "cache_write", "cost.cache_write"),
        "reasoning": per_million(cost, "reasoning", "cost.reasoning"),
    }
    pricing = pricing_body(rates, tiers, effective_from=effective_from)

    override = mapping(record.get("provider"), "provider")
    npm = override.get("npm", provider.get("npm"))
    api = override.get("api", provider.get("api"))
    api = api if isinstance(api, str) and api.startswith(("https://", "http://")) else None
    inputs = modalities.get("input")

    def flag(field: str, default: bool) -> bool:
        value = record.get(field)
        if value is not None and not isinstance(value, bool):
            raise Malformed(field, f"must be true or false, got {value!r}")
        return default if value is None else value

    body: dict[str, Any] = {
        "display_name": text_value(record.get("name"), "name", 200),
        "provider": modelsdev_provider(npm, api, provider_id),
        "deployment": {
            # `${RESOURCE}` placeholders are per organisation: the admin fills the endpoint in.
            "endpoint": api if api is not None and "${" not in api else None,
            "deployment": model_id,
            "api_key_env": env_var(provider.get("env")),
        },
        "context_window": context,
        "max_output_tokens": output,
        "capabilities": {
            "streaming": True,
            "temperature": flag("temperature", True),
            "tools": flag("tool_call", False),
            "vision": isinstance(inputs, list) and "image" in inputs,
            "json_mode": flag("structured_output", False),
            "reasoning": flag("reasoning", False),
        },
        "status": "deprecated" if record.get("status") == "deprecated" else "active",
        "deprecation_date": None,
        "retires_on": None,
        "tags": tag("modelsdev_provider", provider_id),
    }
    if pricing is not None:
        body["pricing"] = pricing
    return Converted(body, source_provider=provider_id)
