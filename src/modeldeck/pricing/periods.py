"""A price period as a client writes it, and the rules every price must satisfy (DESIGN §3)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictStr, field_validator

from modeldeck.pricing.engine import (
    MAX_SERVICE_TIERS,
    MAX_WINDOWS,
    SERVICE_TIER_PATTERN,
    STANDARD,
    CostError,
    PriceSheet,
)
from modeldeck.validation import MAX_CONTEXT, Money, Strict, Text, UTCMoment, WholeNumber


class TierWrite(Strict):
    above_input_tokens: Annotated[WholeNumber, Field(gt=0, le=MAX_CONTEXT)]
    input: Money | None = None
    output: Money | None = None
    cached_input: Money | None = None
    cache_write: Money | None = None
    reasoning: Money | None = None
    cache_write_1h: Money | None = None


def _distinct_thresholds(tiers: list[TierWrite]) -> list[TierWrite]:
    thresholds = [tier.above_input_tokens for tier in tiers]
    if len(set(thresholds)) != len(thresholds):
        raise ValueError("two tiers share one above_input_tokens threshold")
    return sorted(tiers, key=lambda tier: tier.above_input_tokens)


class RatesWrite(Strict):
    """Rates per 1M tokens (and per request), with their long-context tiers."""

    input: Money
    output: Money
    cached_input: Money | None = None
    cache_write: Money | None = None
    cache_write_1h: Money | None = Field(
        default=None, description="Writes to a 1-hour cache (Anthropic's); null: cache_write"
    )
    reasoning: Money | None = None
    per_request: Money | None = None
    tiers: Annotated[list[TierWrite], Field(max_length=16)] = []

    _tiers = field_validator("tiers")(_distinct_thresholds)


StartTime = Annotated[
    StrictStr,
    Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description='UTC time of day, "HH:MM"'),
]
EndTime = Annotated[
    StrictStr,
    Field(
        pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$",
        description='UTC time of day, "HH:MM" (exclusive; "24:00" is midnight); before '
        "`start`, the window runs past midnight",
    ),
]


class WindowWrite(RatesWrite):
    """Rates for a time of day (UTC), e.g. DeepSeek's off-peak hours."""

    start: StartTime
    end: EndTime
    name: Annotated[Text, Field(min_length=1, max_length=64)] | None = None


def _apart(windows: list[WindowWrite]) -> list[WindowWrite]:
    """No minute of the day in two windows (the engine's rule, said where the field is)."""
    try:
        PriceSheet.parse({"input": 0, "output": 0, "windows": [w.model_dump() for w in windows]})
    except CostError as error:
        index = error.field.removeprefix("pricing.windows.").partition(".")[0]
        where = f"window {index}: " if index.isdigit() else ""
        raise ValueError(where + error.message) from None
    return sorted(windows, key=lambda window: window.start)


class ServiceTierRates(RatesWrite):
    """The rates of one service tier (batch, flex, priority, …); they may have windows."""

    windows: Annotated[list[WindowWrite], Field(max_length=MAX_WINDOWS)] = []

    _windows = field_validator("windows")(_apart)


ServiceTierName = Annotated[StrictStr, Field(pattern=SERVICE_TIER_PATTERN.pattern)]


class PricingWrite(RatesWrite):
    """One price period (DESIGN §3); `effective_from` defaults to the moment it is saved."""

    currency: Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    unit: Literal["per_1m_tokens"] = "per_1m_tokens"
    windows: Annotated[list[WindowWrite], Field(max_length=MAX_WINDOWS)] = []
    service_tiers: Annotated[
        dict[ServiceTierName, ServiceTierRates],
        # The document says what is refused: a name that is not a tier's (patternProperties
        # alone would let any other key through).
        Field(max_length=MAX_SERVICE_TIERS, json_schema_extra={"additionalProperties": False}),
    ] = {}
    effective_from: UTCMoment | None = None
    source: Annotated[Text, Field(max_length=2048)] | None = None

    _windows = field_validator("windows")(_apart)

    @field_validator("service_tiers")
    @classmethod
    def _variants_only(cls, tiers: dict[str, ServiceTierRates]) -> dict[str, ServiceTierRates]:
        if STANDARD in tiers:
            raise ValueError("standard is the period's own rates; name only the other tiers")
        return dict(sorted(tiers.items()))

    def rates(self) -> dict[str, Any]:
        """What a price is, without when it started or where it was read."""
        return self.model_dump(exclude={"effective_from", "source"})
