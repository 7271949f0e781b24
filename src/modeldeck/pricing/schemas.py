"""What a client sends to price a call, simulate a workload, count tokens or add a period."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
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

from modeldeck.pricing.engine import SERVICE_TIER_PATTERN
from modeldeck.pricing.periods import EndTime, PricingWrite, StartTime
from modeldeck.pricing.usage import MAX_TOKENS, USAGE_PROPERTY, UsageFormat
from modeldeck.records.fields import CAPABILITIES, PROVIDERS, STATUSES
from modeldeck.tokenizer.counting import MAX_TEXT_BYTES
from modeldeck.validation import (
    MAX_CONTEXT,
    Money,
    Number,
    Strict,
    Text,
    UTCMoment,
    WholeNumber,
    whole_number,
)

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


ServiceTier = Annotated[
    StrictStr,
    Field(
        pattern=SERVICE_TIER_PATTERN.pattern,
        description="Price at this service tier's rates (batch, flex, priority, …); "
        "default: standard",
    ),
]


def _one_of(choices: tuple[str, ...]) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return value

    return check


ProviderChoice = Annotated[
    StrictStr,
    AfterValidator(_one_of(PROVIDERS)),
    WithJsonSchema({"type": "string", "enum": list(PROVIDERS)}),
]
StatusChoice = Annotated[
    StrictStr,
    AfterValidator(_one_of(STATUSES)),
    WithJsonSchema({"type": "string", "enum": list(STATUSES)}),
]
CapabilityChoice = Annotated[
    StrictStr,
    AfterValidator(_one_of(CAPABILITIES)),
    WithJsonSchema({"type": "string", "enum": list(CAPABILITIES)}),
]
Word = Annotated[StrictStr, Field(min_length=1, max_length=128)]


class CostRequest(Strict):
    model: ModelRef
    usage: ProviderUsage
    usage_format: UsageFormat | None = None
    requests: Annotated[WholeNumber, Field(ge=1, le=MAX_TOKENS)] = 1
    at: UTCMoment | None = Field(
        default=None,
        description="Price with the period in effect then; its time of day picks a "
        "time-of-day window. Default: now",
    )
    service_tier: ServiceTier | None = None


def _minutes(time_of_day: str) -> int:
    hours, minutes = time_of_day.split(":")
    return int(hours) * 60 + int(minutes)


class MixSpan(Strict):
    """A share of a day's requests, spread evenly from `start` to `end` (UTC)."""

    start: StartTime
    end: EndTime
    share: Annotated[Number, Field(ge=0, le=1_000_000)]

    @field_validator("end")
    @classmethod
    def _some_time(cls, end: str, info: Any) -> str:
        if info.data.get("start") == ("00:00" if end == "24:00" else end):
            raise ValueError("must differ from start")
        return end


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
    service_tier: ServiceTier | None = None
    time_of_day: StartTime | None = Field(
        default=None, description="Make every request at this UTC time of day"
    )
    daily_mix: Annotated[list[MixSpan], Field(min_length=1, max_length=48)] | None = Field(
        default=None,
        description="How the requests spread over the UTC day; default: evenly, around the "
        "clock. Matters only for prices with time-of-day windows",
    )
    models: Annotated[list[ModelRef], Field(max_length=10_000)] | None = None
    custom_prices: Annotated[list[CustomPrice], Field(max_length=50)] = []
    include_retired: Annotated[
        StrictBool,
        Field(
            description="Also price retired models (by their status on `at`, else today); "
            "models named in `models` are always priced"
        ),
    ] = False

    # Which registry models to price (custom prices are always priced). All optional: an
    # absent filter leaves every model in.
    providers: Annotated[list[ProviderChoice], Field(max_length=len(PROVIDERS))] | None = Field(
        default=None, description="Only models of these providers"
    )
    vendors: Annotated[list[Word], Field(max_length=100)] | None = Field(
        default=None,
        description="Only models of these vendors, as their `vendor:` tag names them "
        "(vendor:anthropic for Claude on Bedrock, say)",
    )
    statuses: Annotated[list[StatusChoice], Field(max_length=len(STATUSES))] | None = Field(
        default=None,
        description="Only models with one of these statuses (on `at`, else today); naming "
        "retired prices retired models whatever `include_retired` says",
    )
    system: StrictBool | None = Field(
        default=None,
        description="true: only built-in catalog models; false: only your own (added, cloned "
        "or imported); absent: both",
    )
    tags: Annotated[list[Word], Field(max_length=100)] | None = Field(
        default=None, description="Only models with every one of these tags"
    )
    min_context_window: Annotated[WholeNumber, Field(gt=0, le=MAX_CONTEXT)] | None = Field(
        default=None, description="Only models whose context window is at least this"
    )
    max_input_price: Money | None = Field(
        default=None,
        description="Only models whose input price per million tokens (at the service tier "
        "asked for) is at most this",
    )
    max_output_price: Money | None = Field(
        default=None,
        description="Only models whose output price per million tokens (at the service tier "
        "asked for) is at most this",
    )
    include_free: StrictBool = Field(
        default=True,
        description="Also price models whose input and output rates are both 0 (and that "
        "charge no fee per request); false leaves them out",
    )
    required_capabilities: (
        Annotated[list[CapabilityChoice], Field(max_length=len(CAPABILITIES))] | None
    ) = Field(
        default=None,
        description="Capabilities the workload needs: a model without one of them does not "
        "fit (`fits` false, the reason in `fit_problems`)",
    )
    fitting_first: StrictBool = Field(
        default=False,
        description="Rank every model that fits before those that do not (each group "
        "cheapest first); default: cheapest first regardless",
    )

    _size = field_validator("text")(_text_size)

    @field_validator("daily_mix")
    @classmethod
    def _one_time(cls, mix: list[MixSpan] | None, info: Any) -> list[MixSpan] | None:
        if mix is not None and info.data.get("time_of_day") is not None:
            raise ValueError("give time_of_day or daily_mix, not both")
        if mix is not None and not any(span.share for span in mix):
            raise ValueError("must give some share of the requests to some time of day")
        return mix

    def minutes_mix(self) -> list[tuple[int, int, Fraction]] | None:
        """The request's time of day as (start, end, weight) minute spans; None: all day."""
        if self.time_of_day is not None:
            minute = _minutes(self.time_of_day)
            return [(minute, minute + 1, Fraction(1))]
        if self.daily_mix is None:
            return None
        return [
            (_minutes(span.start), _minutes(span.end), Fraction(repr(float(span.share))))
            for span in self.daily_mix
        ]

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
