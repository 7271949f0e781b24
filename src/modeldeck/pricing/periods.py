"""A price period as a client writes it, and the rules every price must satisfy (DESIGN §3)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictStr, field_validator

from modeldeck.validation import MAX_CONTEXT, Money, Strict, Text, UTCMoment, WholeNumber


class TierWrite(Strict):
    above_input_tokens: Annotated[WholeNumber, Field(gt=0, le=MAX_CONTEXT)]
    input: Money | None = None
    output: Money | None = None
    cached_input: Money | None = None
    cache_write: Money | None = None
    reasoning: Money | None = None


class PricingWrite(Strict):
    """One price period (DESIGN §3); `effective_from` defaults to the moment it is saved."""

    currency: Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    unit: Literal["per_1m_tokens"] = "per_1m_tokens"
    input: Money
    output: Money
    cached_input: Money | None = None
    cache_write: Money | None = None
    reasoning: Money | None = None
    per_request: Money | None = None
    tiers: Annotated[list[TierWrite], Field(max_length=16)] = []
    effective_from: UTCMoment | None = None
    source: Annotated[Text, Field(max_length=2048)] | None = None

    @field_validator("tiers")
    @classmethod
    def _distinct_thresholds(cls, tiers: list[TierWrite]) -> list[TierWrite]:
        thresholds = [tier.above_input_tokens for tier in tiers]
        if len(set(thresholds)) != len(thresholds):
            raise ValueError("two tiers share one above_input_tokens threshold")
        return sorted(tiers, key=lambda tier: tier.above_input_tokens)

    def rates(self) -> dict[str, Any]:
        """What a price is, without when it started or where it was read."""
        return self.model_dump(exclude={"effective_from", "source"})
