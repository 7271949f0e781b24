"""What the API answers, as schemas: the success bodies of the OpenAPI document.

They describe the bytes the handlers already send (tests validate real answers against
them); no handler validates its answer through them, so the hot reads stay bytes from the
snapshot. Money is a JSON number written exactly (never through a float on the server);
timestamps are ISO 8601 in UTC with a `Z`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from modeldeck.records.model import (
    CapabilitiesPublic as CapabilitiesPublic,
)
from modeldeck.records.model import (
    DeploymentPublic as DeploymentPublic,
)
from modeldeck.records.model import (
    LimitsPublic as LimitsPublic,
)
from modeldeck.records.model import ModelPublic as ModelPublic
from modeldeck.records.model import PricePeriod as PricePeriod
from modeldeck.records.model import Pricing as Pricing
from modeldeck.records.model import ProviderName
from modeldeck.records.model import Tier as Tier
from modeldeck.records.model import (
    TokenWeightsPublic as TokenWeightsPublic,
)


class Answer(BaseModel):
    # Closed: a key the server sends but the schema does not name is a test failure.
    # Built on first use (the document, a test), not at import: a start builds none of them.
    model_config = ConfigDict(extra="forbid", defer_build=True)


class FieldProblem(Answer):
    field: str = Field(description='The field at fault, as a path: "pricing.tiers[0].input"')
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details: every error the API answers, as `application/problem+json`."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    type: str = Field(description="A URI naming the kind of problem")
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldProblem] = Field(
        default=[], description="Each invalid field and what is wrong with it (validation only)"
    )


class ModelList(Answer):
    data: list[ModelPublic]
    count: int = Field(description="How many models match the filters, before paging")
    revision: int


class PriceHistory(Answer):
    data: list[PricePeriod] = Field(description="Oldest first")
    count: int
    model: str


class AddedPricePeriod(Answer):
    model: ModelPublic
    period: PricePeriod


class FieldChange(Answer):
    field: str
    before: Any
    after: Any


class AuditEntry(Answer):
    revision: int
    action: str
    actor: str
    at: datetime
    model_id: str | None
    model_name: str | None
    changes: list[FieldChange]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(Answer):
    data: list[AuditEntry] = Field(description="Newest first")
    count: int


class ModelRef(Answer):
    id: str
    name: str


class Usage(Answer):
    input_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cache_write_1h_tokens: int


class CostLine(Answer):
    component: Literal[
        "input",
        "cached_input",
        "cache_write",
        "cache_write_1h",
        "output",
        "reasoning",
        "per_request",
    ]
    tokens: int
    rate: float
    amount: float


class Rates(Answer):
    input: float | None
    cached_input: float | None
    cache_write: float | None
    cache_write_1h: float | None
    output: float | None
    reasoning: float | None
    per_request: float | None


class PricePeriodUsed(Answer):
    effective_from: datetime | None
    effective_until: datetime | None
    source: str | None
    rates: Rates


class WindowUsed(Answer):
    start: str = Field(description='"HH:MM", UTC')
    end: str = Field(description='"HH:MM", UTC (exclusive)')
    name: str | None


class CostAnswer(Answer):
    """The exact cost of a usage: `total` is the sum of the lines' amounts."""

    model: ModelRef
    usage: Usage
    total: float
    currency: str
    requests: int
    lines: list[CostLine]
    tier: Tier | None = Field(description="The long-context tier that applied, if any")
    service_tier: str = Field(description="Whose rates priced it: standard, batch, flex, …")
    window: WindowUsed | None = Field(
        description="The time-of-day window the request fell in, if the rates have any"
    )
    price_period: PricePeriodUsed = Field(
        description="The period in effect; `rates` are those of the service tier and window "
        "that applied"
    )


class WindowShare(Answer):
    window: WindowUsed | None
    share: float


class SimulationRow(Answer):
    model: str
    model_id: str | None
    display_name: str
    provider: ProviderName | None
    custom: bool
    currency: str
    cost_per_request: float
    total_cost: float
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    tokenizer: str
    tokens_exact: bool
    weighted_tokens: float
    compute_units: float | None
    tier: Tier | None
    service_tier: str
    time_mix: list[WindowShare] = Field(
        description="The share of the requests priced in each time-of-day window (window null: "
        "the rates outside any); empty when the rates have no windows"
    )
    price_effective_from: datetime | None
    input_price: float = Field(
        description="Input price per million tokens at the service tier asked for (its base "
        "rate, before any long-context tier)"
    )
    output_price: float = Field(
        description="Output price per million tokens at the service tier asked for (its base "
        "rate, before any long-context tier)"
    )
    context_window: int | None
    max_output_tokens: int | None
    fits: bool
    fit_problems: list[str] = Field(
        description="Why the workload does not fit: input + output above the context window, "
        "output above max output, or required capabilities the model lacks"
    )


class SimulationAnswer(Answer):
    data: list[SimulationRow] = Field(
        description="Cheapest first (with `fitting_first`, every model that fits first)"
    )
    count: int
    requests: int
    at: datetime | None
    service_tier: str
    not_offered: list[str] = Field(
        description="Models (and custom prices) left out: they have no rates for the "
        "service tier asked for"
    )
    revision: int


class TokenCountAnswer(Answer):
    model: str | None
    tokens: int
    tokenizer: str
    exact: bool
    chars: int


class ChangedModel(Answer):
    """One model or alias a revision changed (the other's two fields are null)."""

    action: str = Field(
        description="A model's: create, update, delete, …; an alias's: alias_created, "
        "alias_updated, alias_deleted"
    )
    model_id: str | None
    model_name: str | None
    alias_id: str | None
    alias_name: str | None


class ChangeEvent(Answer):
    """Everything one revision changed."""

    revision: int
    at: datetime
    actor: str
    changes: list[ChangedModel]


class ChangesPage(Answer):
    revision: int = Field(description="The latest revision; pass it as `since` next time")
    events: list[ChangeEvent] = Field(description="Oldest first")
    more: bool = Field(description="More events follow; ask again with the last revision")


class DeploymentCheck(Answer):
    ok: bool
    model: str
    deployment: str
    latency_ms: float | None
    error: str | None = None
    kind: str | None = Field(default=None, description="What went wrong, when ok is false")
    status: int | None = Field(default=None, description="The provider's HTTP status, if any")


class ApiToken(Answer):
    id: int
    name: str
    role: Literal["admin", "reader"]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenList(Answer):
    data: list[ApiToken]
    count: int


class ModelConfig(Answer):
    """Seed 004's model configuration, as `/api/config/models` answers it."""

    name: str
    max_tokens: int
    supports_streaming: bool
    supports_temperature: bool
    api_version: str
    azure_endpoint: str
    description: str
    base_timeout: float
    max_timeout: float
    token_factor: float


class ConfigStatus(Answer):
    status: Literal["created", "updated", "deleted"]
    model_id: str


class Health(Answer):
    status: Literal["ok"]
