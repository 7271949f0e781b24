"""Typed results of the Python client: the public records of DESIGN §2-§4, prices as Decimal.

Unknown fields are ignored, so an older client keeps working against a newer server.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from modeldeck.records.fields import SERVER_FIELDS

Source = Literal["server", "snapshot", "catalog"]


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Deployment(Record):
    endpoint: str | None = None
    api_version: str | None = None
    deployment: str | None = None
    api_key_env: str | None = None
    has_api_key: bool = False


class Capabilities(Record):
    streaming: bool = True
    temperature: bool = True
    tools: bool = False
    vision: bool = False
    json_mode: bool = False
    reasoning: bool = False


class Limits(Record):
    base_timeout_s: float = 120.0
    max_timeout_s: float = 300.0
    timeout_per_token_s: float = 0.05
    max_retries: int = 3

    def timeout_for(self, expected_tokens: int) -> float:
        """DESIGN §2: min(max_timeout_s, base_timeout_s + timeout_per_token_s * N)."""
        return min(
            self.max_timeout_s, self.base_timeout_s + self.timeout_per_token_s * expected_tokens
        )


class TokenWeights(Record):
    input: float = 1.0
    cached_input: float = 1.0
    output: float = 1.0
    reasoning: float = 1.0


class Tier(Record):
    above_input_tokens: int
    input: Decimal | None = None
    output: Decimal | None = None
    cached_input: Decimal | None = None
    cache_write: Decimal | None = None
    reasoning: Decimal | None = None


class Pricing(Record):
    """A price period (DESIGN §3); in a history also when it ends and whether it is current."""

    currency: str = "USD"
    unit: str = "per_1m_tokens"
    input: Decimal | None = None
    cached_input: Decimal | None = None
    cache_write: Decimal | None = None
    output: Decimal | None = None
    reasoning: Decimal | None = None
    per_request: Decimal | None = None
    tiers: tuple[Tier, ...] = ()
    effective_from: datetime | None = None
    source: str | None = None
    effective_until: datetime | None = None
    current: bool | None = None
    priced: bool | None = None


class Model(Record):
    """One model as the API shows it (DESIGN §2)."""

    id: str
    name: str
    display_name: str = ""
    description: str = ""
    provider: str
    deployment: Deployment = Deployment()
    parameters_b: float | None = None
    complexity_factor: float | None = None
    context_window: int
    max_output_tokens: int
    capabilities: Capabilities = Capabilities()
    limits: Limits = Limits()
    token_weights: TokenWeights = TokenWeights()
    pricing: Pricing | None = None
    status: str = "active"
    deprecation_date: date | None = None
    tags: tuple[str, ...] = ()
    is_system: bool = False
    is_default: bool = False
    enabled: bool = True
    version: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def deployment_name(self) -> str:
        """The name the provider knows it by: `deployment.deployment`, else `name`."""
        return self.deployment.deployment or self.name

    def timeout_for(self, expected_tokens: int) -> float:
        return self.limits.timeout_for(expected_tokens)

    def writable(self) -> dict[str, Any]:
        """This record as a body for `create`/`replace` (server-managed fields left out)."""
        body = self.model_dump(
            mode="python",
            exclude=set(SERVER_FIELDS),
        )
        body["deployment"].pop("has_api_key", None)
        body["tags"] = list(self.tags)
        if body["pricing"] is not None:
            for extra in ("effective_until", "current", "priced"):
                body["pricing"].pop(extra, None)
            body["pricing"]["tiers"] = [dict(tier) for tier in body["pricing"]["tiers"]]
        return body


class ModelList(list[Model]):
    """Models with where they came from: the server, the on-disk snapshot or the catalog.

    `total` is how many matched in all (more than `len` when a `limit` cut the page).
    """

    def __init__(
        self,
        models: Iterable[Model] = (),
        *,
        revision: int = 0,
        total: int | None = None,
        source: Source = "server",
        stale: bool = False,
        saved_at: datetime | None = None,
    ) -> None:
        super().__init__(models)
        self.revision = revision
        self.total = len(self) if total is None else total
        self.source: Source = source
        self.stale = stale
        self.saved_at = saved_at

    @property
    def default(self) -> Model | None:
        return next((model for model in self if model.is_default), None)

    def find(self, ref: str) -> Model | None:
        """By id, or by name ignoring case."""
        key = ref.lower()
        return next((model for model in self if model.id == ref or model.name.lower() == key), None)

    def __repr__(self) -> str:
        return (
            f"ModelList({len(self)} models, revision={self.revision}, source={self.source!r}, "
            f"stale={self.stale})"
        )


class CostLine(Record):
    component: str
    tokens: int
    rate: Decimal
    amount: Decimal


class PricePeriodUsed(Record):
    effective_from: datetime | None = None
    effective_until: datetime | None = None
    source: str | None = None
    rates: dict[str, Decimal | None] = {}


class CostResult(Record):
    """The exact cost of a usage on one model, with its breakdown."""

    model: str
    model_id: str | None = None
    usage: dict[str, int] = {}
    total: Decimal
    currency: str = "USD"
    requests: int = 1
    lines: tuple[CostLine, ...] = ()
    tier: Tier | None = None
    price_period: PricePeriodUsed | None = None
    source: Source = "server"


class SimulationRow(Record):
    """One model (or custom price) priced for a workload."""

    model: str
    model_id: str | None = None
    display_name: str | None = None
    provider: str | None = None
    custom: bool = False
    currency: str = "USD"
    cost_per_request: Decimal | None = None
    total_cost: Decimal | None = None
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    tokenizer: str | None = None
    tokens_exact: bool = True
    weighted_tokens: Decimal | None = None
    compute_units: Decimal | None = None
    tier: Tier | None = None
    price_effective_from: datetime | None = None
    fits: bool = True
    fit_problems: tuple[str, ...] = ()


class FieldChange(Record):
    field: str
    before: Any = None
    after: Any = None


class HistoryEntry(Record):
    """One change of a model in its audit trail: who, when, before → after."""

    revision: int
    action: str
    actor: str
    at: datetime
    model_id: str
    model_name: str
    changes: tuple[FieldChange, ...] = ()
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


class Change(Record):
    action: str
    model_id: str | None = None
    model_name: str | None = None


class ChangeEvent(Record):
    """One committed revision of the registry and the models it touched."""

    revision: int
    at: datetime | None = None
    actor: str | None = None
    changes: tuple[Change, ...] = ()


class ChangeBatch(Record):
    """Events after a revision (`GET /api/changes`); `more` when the page was full."""

    revision: int
    events: tuple[ChangeEvent, ...] = ()
    more: bool = False

    @property
    def last_revision(self) -> int:
        """Where the next request should resume from."""
        return self.events[-1].revision if self.events and self.more else self.revision
