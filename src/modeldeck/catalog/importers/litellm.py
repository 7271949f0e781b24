"""LiteLLM's `model_prices_and_context_window` map: USD per token, keyed by model."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from functools import partial
from typing import Any

from modeldeck.catalog.importers.records import (
    SKIP_DOCUMENTATION,
    SKIP_NO_CONTEXT,
    SKIP_NOT_CHAT,
    Converted,
    Entry,
    ImportFormatError,
    Malformed,
    RecordError,
    Skip,
    day,
    mapping,
    number,
    per_token,
    pricing_body,
    stored,
    tag,
    token_count,
)

# LiteLLM modes of models that generate text from a prompt; the rest (embedding,
# image_generation, audio_*, rerank, moderation, realtime, …) are not LLMs an app chats with.
TEXT_MODES = ("chat", "responses", "completion")

LITELLM_PROVIDERS = {
    "openai": "openai",
    "text-completion-openai": "openai",
    "azure": "azure_openai",
    "azure_text": "azure_openai",
    "anthropic": "anthropic",
    "gemini": "google",
    "mistral": "mistral",
    "codestral": "mistral",
}
# Hosts whose chat API is OpenAI's; everything else unknown is "other" (the tag keeps the host).
LITELLM_OPENAI_COMPATIBLE = frozenset(
    {
        "aihubmix",
        "anyscale",
        "azure_ai",
        "baseten",
        "cerebras",
        "dashscope",
        "databricks",
        "deepinfra",
        "deepseek",
        "featherless_ai",
        "fireworks_ai",
        "friendliai",
        "groq",
        "hyperbolic",
        "lambda_ai",
        "meta_llama",
        "moonshot",
        "nebius",
        "novita",
        "nscale",
        "ollama",
        "openrouter",
        "ovhcloud",
        "perplexity",
        "sambanova",
        "scaleway",
        "together_ai",
        "vercel_ai_gateway",
        "volcengine",
        "wandb",
        "xai",
        "zai",
    }
)
LITELLM_TIER = re.compile(
    r"^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|"
    r"cache_creation_input_token_cost|output_cost_per_reasoning_token)_above_(\d+)k_tokens$"
)
LITELLM_TIER_RATES = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_read_input_token_cost": "cached_input",
    "cache_creation_input_token_cost": "cache_write",
    "output_cost_per_reasoning_token": "reasoning",
}
FIELD_NAMES = {
    "name": "key",
    "context_window": "max_input_tokens",
    "max_output_tokens": "max_output_tokens",
    "pricing.input": "input_cost_per_token",
    "pricing.output": "output_cost_per_token",
    "pricing.cached_input": "cache_read_input_token_cost",
    "pricing.cache_write": "cache_creation_input_token_cost",
    "pricing.cache_write_1h": "cache_creation_input_token_cost_above_1hr",
    "pricing.reasoning": "output_cost_per_reasoning_token",
    "pricing.per_request": "input_cost_per_request",
    "pricing.source": "source",
    "deprecation_date": "deprecation_date",
    "tags": "litellm_provider",
}


def litellm_provider(host: str) -> str:
    """Model Deck's provider for a LiteLLM `litellm_provider`."""
    if host in LITELLM_PROVIDERS:
        return LITELLM_PROVIDERS[host]
    if host.startswith("vertex_ai"):
        return "google"
    return "openai_compatible" if host in LITELLM_OPENAI_COMPATIBLE else "other"


def entries(document: Any, source: str) -> Iterator[Entry]:
    if not isinstance(document, dict):
        raise ImportFormatError(
            source,
            [RecordError("top level", None, "must be an object of LiteLLM model records")],
        )
    for key, record in document.items():
        yield f"key {json.dumps(key)}", key, partial(convert, key, record)


def _litellm_tiers(record: Mapping[str, Any]) -> tuple[dict[str, Decimal | None], list[Any]]:
    """Long-context tiers: `*_above_200k_tokens` fields, or LiteLLM's `tiered_pricing` ranges.

    Returns base rates from a `tiered_pricing` range that starts at 0 (for records that give
    their prices only that way) and the tiers.
    """
    tiers: dict[int, dict[str, Any]] = {}
    for field in record:
        found = LITELLM_TIER.match(field)
        if found is not None:
            tier = tiers.setdefault(int(found.group(2)) * 1000, {})
            tier[LITELLM_TIER_RATES[found.group(1)]] = per_token(record, field)
    base: dict[str, Decimal | None] = {}
    ranges = record.get("tiered_pricing")
    if ranges is not None:
        if not isinstance(ranges, list):
            raise Malformed("tiered_pricing", "must be a list of price ranges")
        for index, band in enumerate(ranges):
            shown = f"tiered_pricing[{index}]"
            band = mapping(band, shown)
            bounds = band.get("range")
            if not isinstance(bounds, list) or not bounds:
                raise Malformed(f"{shown}.range", "must be a list [from, to]")
            start = number(bounds[0], f"{shown}.range")
            rates = {
                ours: per_token(band, field)
                for field, ours in LITELLM_TIER_RATES.items()
                if band.get(field) is not None
            }
            if start == 0:
                base = rates
            elif start == int(start):
                tiers.setdefault(int(start), {}).update(rates)
            else:
                raise Malformed(f"{shown}.range", "must start at a whole number of tokens")
    return base, [{"above_input_tokens": above, **rates} for above, rates in tiers.items()]


def convert(key: str, record: Any) -> Converted | Skip:
    if key == "sample_spec":
        return Skip(SKIP_DOCUMENTATION, "sample_spec documents LiteLLM's fields; it is no model")
    if not isinstance(record, dict):
        raise Malformed(None, f"must be an object, got {type(record).__name__}")
    mode = record.get("mode")
    if mode not in TEXT_MODES:
        what = f"mode {mode!r}" if mode is not None else "no mode"
        return Skip(SKIP_NOT_CHAT, f"{what}: not a chat or text-generation model")
    host = record.get("litellm_provider")
    if not isinstance(host, str) or not host:
        raise Malformed("litellm_provider", f"must be a provider name, got {host!r}")
    context = token_count(record, "max_input_tokens") or token_count(record, "max_tokens")
    output = token_count(record, "max_output_tokens") or token_count(record, "max_tokens")
    if context is None:
        return Skip(SKIP_NO_CONTEXT, "no context window (max_input_tokens)")
    # max_input_tokens counts input only; the window holds the output as well.
    output = output or context
    context = max(context, output)

    base, tiers = _litellm_tiers(record)
    rates = {
        "input": per_token(record, "input_cost_per_token"),
        "output": per_token(record, "output_cost_per_token"),
        "cached_input": per_token(record, "cache_read_input_token_cost"),
        "cache_write": per_token(record, "cache_creation_input_token_cost"),
        "cache_write_1h": per_token(record, "cache_creation_input_token_cost_above_1hr"),
        "reasoning": per_token(record, "output_cost_per_reasoning_token"),
    }
    for rate, value in base.items():
        if rates.get(rate) is None:
            rates[rate] = value
    request = record.get("input_cost_per_request")
    rates["per_request"] = (
        None if request is None else stored(number(request, "input_cost_per_request"))
    )
    pricing = pricing_body(rates, tiers, source=record.get("source"))

    def supports(field: str) -> bool:
        value = record.get(field)
        if value is not None and not isinstance(value, bool):
            raise Malformed(field, f"must be true or false, got {value!r}")
        return bool(value)

    body: dict[str, Any] = {
        "provider": litellm_provider(host),
        "context_window": context,
        "max_output_tokens": output,
        "capabilities": {
            "streaming": record.get("supports_native_streaming") is not False,
            "temperature": True,
            "tools": supports("supports_function_calling"),
            "vision": supports("supports_vision"),
            "json_mode": supports("supports_response_schema"),
            "reasoning": supports("supports_reasoning"),
        },
        "status": "active",
        "deprecation_date": None,
        "retires_on": None,
        "tags": tag("litellm_provider", host) + (tag("api", str(mode)) if mode != "chat" else []),
    }
    # LiteLLM's `deprecation_date` is the day the provider shuts the model down: a scheduled
    # retirement (the status follows it at read time), not a deprecation.
    shutdown = record.get("deprecation_date")
    if shutdown is not None:
        body["retires_on"] = day(shutdown, "deprecation_date")
    if pricing is not None:
        body["pricing"] = pricing
    return Converted(body, source_provider=host)
