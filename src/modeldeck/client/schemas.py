"""Typed results of the Python client: the public records of DESIGN §2-§4, prices as Decimal.

Unknown fields are ignored, so an older client keeps working against a newer server.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from modeldeck.records.alias import AliasFallback, AliasPublic, AliasTarget
from modeldeck.records.model import (
    CapabilitiesPublic,
    DeploymentPublic,
    LimitsPublic,
    ModelPublic,
    PricePeriod,
    Pricing,
    Record,
    Tier,
    TokenWeightsPublic,
)

Source = Literal["server", "snapshot", "catalog", "environment"]

__all__ = [
    "Alias",
    "AliasFallback",
    "AliasList",
    "AliasTarget",
    "Capabilities",
    "Change",
    "ChangeBatch",
    "ChangeEvent",
    "CostLine",
    "CostResult",
    "Deployment",
    "FieldChange",
    "HistoryEntry",
    "Limits",
    "Model",
    "ModelList",
    "PricePeriod",
    "PricePeriodUsed",
    "Pricing",
    "Record",
    "SimulationRow",
    "Tier",
    "TokenWeights",
]


# The public model record is one type, shared with the server's OpenAPI document.
Deployment = DeploymentPublic
Capabilities = CapabilitiesPublic
Limits = LimitsPublic
TokenWeights = TokenWeightsPublic
Model = ModelPublic


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


Alias = AliasPublic


class AliasList(list[Alias]):
    """Aliases with where they came from (the server, or the on-disk snapshot; offline with
    none saved, the list is empty: the built-in catalog has no aliases)."""

    def __init__(
        self,
        aliases: Iterable[Alias] = (),
        *,
        revision: int = 0,
        source: Source = "server",
        stale: bool = False,
        saved_at: datetime | None = None,
    ) -> None:
        super().__init__(aliases)
        self.revision = revision
        self.source: Source = source
        self.stale = stale
        self.saved_at = saved_at

    def find(self, ref: str) -> Alias | None:
        """By id, or by name ignoring case."""
        key = ref.lower()
        return next((alias for alias in self if alias.id == ref or alias.name.lower() == key), None)

    def __repr__(self) -> str:
        return (
            f"AliasList({len(self)} aliases, revision={self.revision}, source={self.source!r}, "
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


class WindowUsed(Record):
    """The time-of-day window a request fell in (UTC, "HH:MM", end exclusive)."""

    start: str
    end: str
    name: str | None = None


class WindowShare(Record):
    """The share of a workload's requests priced in a time-of-day window (None: outside)."""

    window: WindowUsed | None = None
    share: Decimal


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
    service_tier: str = "standard"
    window: WindowUsed | None = None
    price_period: PricePeriodUsed | None = None
    source: Source = "server"
    stale: bool = False


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
    service_tier: str = "standard"
    time_mix: tuple[WindowShare, ...] = ()
    price_effective_from: datetime | None = None
    input_price: Decimal | None = None
    output_price: Decimal | None = None
    context_window: int | None = None
    max_output_tokens: int | None = None
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
    """A model (`model_id`) or an alias (`alias_id`, actions `alias_*`) one revision changed."""

    action: str
    model_id: str | None = None
    model_name: str | None = None
    alias_id: str | None = None
    alias_name: str | None = None


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
