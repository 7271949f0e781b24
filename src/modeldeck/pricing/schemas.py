"""What a client sends to price a call, simulate a workload, count tokens or add a period."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    WithJsonSchema,
    field_validator,
)

from modeldeck.pricing.periods import PricingWrite
from modeldeck.pricing.usage import MAX_TOKENS, USAGE_PROPERTY, UsageFormat
from modeldeck.tokenizer.counting import MAX_TEXT_BYTES
from modeldeck.validation import Number, Strict, Text, UTCMoment, WholeNumber, whole_number

Count = Annotated[WholeNumber, Field(ge=0, le=MAX_TOKENS)]
ModelRef = Annotated[StrictStr, Field(min_length=1, max_length=128)]


def _json_integers(value: Any) -> Any:
    """1545.0 is the integer 1545, as JSON Schema's `integer` (and the document) says."""
    if isinstance(value, dict):
        return {key: _json_integers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_integers(item) for item in value]
    return whole_number(value)


# Checked by the cost engine, which names each field as the provider spells it. The document
# describes it as USAGE_PROPERTY (openapi.py), whose references pydantic cannot resolve.
ProviderUsage = Annotated[
    dict[str, Any],
    AfterValidator(_json_integers),
    WithJsonSchema({"type": "object", "description": USAGE_PROPERTY["description"]}),
]


class CostRequest(Strict):
    model: ModelRef
    usage: ProviderUsage
    usage_format: UsageFormat | None = None
    requests: Annotated[WholeNumber, Field(ge=1, le=MAX_TOKENS)] = 1
    at: UTCMoment | None = None


def _text_size(value: str | None) -> str | None:
    if value is not None and len(value.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES:
        raise ValueError(f"must be at most {MAX_TEXT_BYTES:,} bytes of UTF-8")
    return value


class TokensRequest(Strict):
    text: StrictStr
    model: ModelRef | None = None

    _size = field_validator("text")(_text_size)


class CustomPrice(Strict):
    """A what-if row: "self-hosting at $X in / $Y out"."""

    name: Annotated[Text, Field(min_length=1, max_length=128)]
    pricing: PricingWrite
    context_window: Annotated[WholeNumber, Field(gt=0, le=100_000_000)] | None = None
    max_output_tokens: Annotated[WholeNumber, Field(gt=0, le=100_000_000)] | None = None


class SimulateRequest(Strict):
    """A workload: `requests` calls, each with these tokens (or a sample text to count)."""

    # The document says what the handler checks: exactly one of input_tokens and text.
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["input_tokens"], "properties": {"input_tokens": {"type": "integer"}}},
                {"required": ["text"], "properties": {"text": {"type": "string"}}},
            ]
        }
    )

    requests: Annotated[WholeNumber, Field(ge=1, le=MAX_TOKENS)] = 1
    input_tokens: Count | None = None
    text: StrictStr | None = None
    output_tokens: Count = 0
    reasoning_tokens: Count = 0
    cached_share: Annotated[Number, Field(ge=0, le=1)] = 0.0
    at: UTCMoment | None = None
    models: Annotated[list[ModelRef], Field(max_length=10_000)] | None = None
    custom_prices: Annotated[list[CustomPrice], Field(max_length=50)] = []
    include_retired: Annotated[
        StrictBool,
        Field(
            description="Also price retired models (by their status on `at`, else today); "
            "models named in `models` are always priced"
        ),
    ] = False

    _size = field_validator("text")(_text_size)

    @field_validator("reasoning_tokens")
    @classmethod
    def _within_output(cls, value: int, info: Any) -> int:
        output = info.data.get("output_tokens")
        if output is not None and value > output:
            raise ValueError("must not exceed output_tokens (reasoning is part of the output)")
        return value

    def cached_of(self, input_tokens: int) -> int:
        """Cached input tokens per request: the cached share, rounded to whole tokens."""
        return int((Decimal(input_tokens) * Decimal(repr(self.cached_share))).to_integral_value())
