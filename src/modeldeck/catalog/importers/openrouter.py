"""OpenRouter's `/api/v1/models` dump: `{"data": [...]}`, USD per token as decimal strings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from modeldeck.catalog.importers.records import (
    PER_MILLION,
    SKIP_NO_CONTEXT,
    SKIP_NO_TEXT_OUTPUT,
    Converted,
    Entry,
    ImportFormatError,
    Malformed,
    RecordError,
    Skip,
    day,
    mapping,
    number,
    pricing_body,
    stored,
    tag,
    text_value,
    token_count,
)

OPENROUTER_ENDPOINT = "https://openrouter.ai/api/v1"
OPENROUTER_KEY_ENV = "OPENROUTER_API_KEY"
FIELD_NAMES = {
    "name": "id",
    "display_name": "name",
    "description": "description",
    "context_window": "context_length",
    "max_output_tokens": "top_provider.max_completion_tokens",
    "pricing.input": "pricing.prompt",
    "pricing.output": "pricing.completion",
    "pricing.cached_input": "pricing.input_cache_read",
    "pricing.cache_write": "pricing.input_cache_write",
    "pricing.reasoning": "pricing.internal_reasoning",
    "pricing.per_request": "pricing.request",
    "pricing.effective_from": "created",
    "deprecation_date": "expiration_date",
}


def _decimal_text(value: Any, field: str) -> Decimal:
    """OpenRouter's prices: decimal strings (numbers are accepted too), read exactly."""
    if isinstance(value, str):
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            raise Malformed(field, f"must be a decimal number, got {value!r}") from None
        if not parsed.is_finite():
            raise Malformed(field, "must be a finite number")
        return parsed
    return number(value, field)


def entries(document: Any, source: str) -> Iterator[Entry]:
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise ImportFormatError(
            source, [RecordError("top level", None, 'must be an object with a "data" list')]
        )
    for index, record in enumerate(document["data"]):
        model_id = record.get("id") if isinstance(record, dict) else None
        model_id = model_id if isinstance(model_id, str) else ""
        label = f"data[{index}]" + (f" ({json.dumps(model_id)})" if model_id else "")
        yield label, model_id, partial(convert, record)


def convert(record: Any) -> Converted | Skip:
    if not isinstance(record, dict):
        raise Malformed(None, f"must be an object, got {type(record).__name__}")
    model_id = record.get("id")
    if not isinstance(model_id, str) or not model_id:
        raise Malformed("id", f"must be the model's id, got {model_id!r}")
    architecture = mapping(record.get("architecture"), "architecture")
    outputs = architecture.get("output_modalities")
    if isinstance(outputs, list) and "text" not in outputs:
        return Skip(SKIP_NO_TEXT_OUTPUT, f"produces {', '.join(map(str, outputs))}, not text")
    context = token_count(record, "context_length")
    if context is None:
        return Skip(SKIP_NO_CONTEXT, "no context window (context_length)")
    top = mapping(record.get("top_provider"), "top_provider")
    completion = token_count(top, "max_completion_tokens", "top_provider.max_completion_tokens")
    output = min(completion or context, context)

    prices = mapping(record.get("pricing"), "pricing")

    def price(field: str) -> Decimal | None:
        value = prices.get(field)
        if value is None:
            return None
        return stored(_decimal_text(value, f"pricing.{field}") * PER_MILLION)

    rates: dict[str, Decimal | None] = {}
    if prices.get("prompt") != "-1" and prices.get("completion") != "-1":  # -1: router, varies
        rates = {
            "input": price("prompt"),
            "output": price("completion"),
            "cached_input": price("input_cache_read"),
            "cache_write": price("input_cache_write"),
            "reasoning": price("internal_reasoning") or None,
            "per_request": None
            if prices.get("request") is None
            else stored(_decimal_text(prices["request"], "pricing.request")) or None,
        }
    created = record.get("created")
    effective_from = None
    if created is not None:
        if isinstance(created, bool) or not isinstance(created, int):
            raise Malformed("created", f"must be a Unix time in seconds, got {created!r}")
        effective_from = datetime.fromtimestamp(created, UTC)
    pricing = pricing_body(rates, [], effective_from=effective_from)
    parameters = record.get("supported_parameters") or []
    if not isinstance(parameters, list):
        raise Malformed("supported_parameters", "must be a list")
    inputs = architecture.get("input_modalities")
    vendor = model_id.lstrip("~").partition("/")[0]
    body: dict[str, Any] = {
        "display_name": text_value(record.get("name"), "name", 200),
        "description": text_value(record.get("description"), "description", 4000, multiline=True),
        "provider": "openai_compatible",
        "deployment": {
            "endpoint": OPENROUTER_ENDPOINT,
            "deployment": model_id,
            "api_key_env": OPENROUTER_KEY_ENV,
        },
        "context_window": context,
        "max_output_tokens": output,
        "capabilities": {
            "streaming": True,
            "temperature": "temperature" in parameters,
            "tools": "tools" in parameters,
            "vision": isinstance(inputs, list) and "image" in inputs,
            "json_mode": "response_format" in parameters or "structured_outputs" in parameters,
            "reasoning": "reasoning" in parameters or "include_reasoning" in parameters,
        },
        "status": "active",
        "deprecation_date": None,
        "retires_on": None,
        "tags": ["host:openrouter", *tag("vendor", vendor)],
    }
    # OpenRouter's `expiration_date` is the day the model leaves it: a scheduled retirement.
    expires = record.get("expiration_date")
    if expires is not None:
        body["retires_on"] = day(str(expires)[:10], "expiration_date")
    if pricing is not None:
        body["pricing"] = pricing
    return Converted(body, source_provider=vendor)
