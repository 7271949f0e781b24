"""The public model record (DESIGN §2): one type for the API's document and the client.

The server sends these records as bytes from its snapshot (never through this type, so the
hot reads stay fast); the OpenAPI document describes them with this type, tests check real
answers against it, and the Python client parses them into it. Unknown fields are ignored
on parsing, so an older client keeps working against a newer server, while the document
stays closed (`additionalProperties: false`), so an undocumented key fails the contract.
Money is an exact `Decimal`, written as a JSON number.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, WithJsonSchema

from modeldeck.records.fields import PROVIDERS, SERVER_FIELDS, STATUSES

Money = Annotated[Decimal, WithJsonSchema({"type": "number"})]
# Known values are documented; a value a newer server adds still parses.
ProviderName = Annotated[str, WithJsonSchema({"type": "string", "enum": list(PROVIDERS)})]
StatusName = Annotated[str, WithJsonSchema({"type": "string", "enum": list(STATUSES)})]
# The server always sends these; a record an app builds by hand may leave them out.
Moment = Annotated[
    datetime | None, WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization")
]


def _sent(schema: dict[str, Any]) -> None:
    """In the document, a `Moment` has no default: the server always sends it."""
    schema.pop("default", None)


SENT = Field(default=None, json_schema_extra=_sent)


class Record(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        # What the server sends always has every field: required in the document.
        json_schema_serialization_defaults_required=True,
        json_schema_extra={"additionalProperties": False},
    )


class Served(Record):
    """A record as a client received it, with where it came from.

    `source`: "server", "snapshot" (the client's saved list), "catalog" (the built-in catalog)
    or "environment" (the default model made from `AZURE_OPENAI_*` while the server is down);
    `stale` unless it came from the server just now. Neither is part of the record: not in its
    JSON, its schema or `==`.
    """

    _served_from: str = PrivateAttr(default="server")
    _stale: bool = PrivateAttr(default=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BaseModel):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    __hash__ = Record.__hash__

    def served(self, source: str, *, stale: bool) -> None:
        """Mark where this record came from (the client does, as it parses an answer)."""
        self._served_from = source
        self._stale = stale

    @property
    def stale(self) -> bool:
        """True when not answered by the server just now (a snapshot, the catalog, …)."""
        return self._stale


class DeploymentPublic(Record):
    endpoint: str | None = None
    api_version: str | None = None
    deployment: str | None = None
    api_key_env: str | None = None
    has_api_key: bool = Field(
        default=False, description="A key is stored (encrypted); it is never returned"
    )


class CapabilitiesPublic(Record):
    streaming: bool = True
    temperature: bool = True
    tools: bool = False
    vision: bool = False
    json_mode: bool = False
    reasoning: bool = False


class LimitsPublic(Record):
    base_timeout_s: float = 120.0
    max_timeout_s: float = 300.0
    timeout_per_token_s: float = 0.05
    max_retries: int = 3

    def timeout_for(self, expected_tokens: int) -> float:
        """DESIGN §2: min(max_timeout_s, base_timeout_s + timeout_per_token_s * N)."""
        return min(
            self.max_timeout_s, self.base_timeout_s + self.timeout_per_token_s * expected_tokens
        )


class TokenWeightsPublic(Record):
    input: float = 1.0
    cached_input: float = 1.0
    output: float = 1.0
    reasoning: float = 1.0


class Tier(Record):
    above_input_tokens: int
    input: Money | None = None
    output: Money | None = None
    cached_input: Money | None = None
    cache_write: Money | None = None
    reasoning: Money | None = None
    cache_write_1h: Money | None = None


class Rates(Record):
    """Rates per million tokens (and per request), with their long-context tiers."""

    input: Money | None = None
    cached_input: Money | None = None
    cache_write: Money | None = None
    cache_write_1h: Money | None = None
    output: Money | None = None
    reasoning: Money | None = None
    per_request: Money | None = None
    tiers: tuple[Tier, ...] = ()


class Window(Rates):
    """Rates for a time of day, UTC: from `start` (inclusive) to `end` (exclusive)."""

    start: str = Field(description='"HH:MM", UTC')
    end: str = Field(description='"HH:MM", UTC; before `start`, the window runs past midnight')
    name: str | None = None


class ServiceTierRates(Rates):
    """The rates of a service tier other than standard (batch, flex, priority, …)."""

    windows: tuple[Window, ...] = ()


class Pricing(Rates, Served):
    """A model's prices per million tokens, exact decimals (DESIGN §3).

    Its own rates are the standard tier's; `windows` replace them at times of day, and
    `service_tiers` name the rates of the other tiers.
    """

    currency: str = "USD"
    unit: str = Field(default="per_1m_tokens", json_schema_extra={"enum": ["per_1m_tokens"]})
    windows: tuple[Window, ...] = ()
    service_tiers: dict[str, ServiceTierRates] = {}
    effective_from: Moment = SENT
    source: str | None = None

    @property
    def served_from(self) -> str:
        """Where the client got this price from (`source` is where the price came from)."""
        return self._served_from


class PricePeriod(Pricing):
    """One price period of a model's history, with its derived end."""

    priced: bool = True
    effective_until: datetime | None = None
    current: bool = False


class ModelPublic(Served):
    """A model as the API shows it (its ETag is `"<version>-<hash>"`)."""

    id: str
    name: str
    display_name: str = ""
    description: str = ""
    provider: ProviderName
    deployment: DeploymentPublic = DeploymentPublic()
    parameters_b: float | None = None
    complexity_factor: float | None = Field(
        default=None, description="parameters_b / 175 (GPT-3 davinci)"
    )
    context_window: int
    max_output_tokens: int
    capabilities: CapabilitiesPublic = CapabilitiesPublic()
    limits: LimitsPublic = LimitsPublic()
    token_weights: TokenWeightsPublic = TokenWeightsPublic()
    pricing: Pricing | None = Field(
        default=None, description="The price period in effect now; null: unpriced"
    )
    status: StatusName = Field(
        default="active",
        description="Derived at read time: retired on and after retires_on, deprecated on and "
        "after deprecation_date (or when the vendor deprecated it undated), else active",
    )
    deprecation_date: date | None = Field(
        default=None, description="The day the vendor deprecated the model; null: not deprecated"
    )
    retires_on: date | None = Field(
        default=None,
        description="The announced shutdown day; on and after it the model is retired. "
        "A future day is a scheduled retirement, not a deprecation",
    )
    tags: tuple[str, ...] = ()
    is_system: bool = False
    is_default: bool = False
    enabled: bool = True
    version: int = 0
    created_at: Moment = SENT
    updated_at: Moment = SENT

    @property
    def source(self) -> str:
        """Where the client got this record: "server", "snapshot", "catalog", "environment"."""
        return self._served_from

    @property
    def deployment_name(self) -> str:
        """The name the provider knows it by: `deployment.deployment`, else `name`."""
        return self.deployment.deployment or self.name

    def timeout_for(self, expected_tokens: int) -> float:
        return self.limits.timeout_for(expected_tokens)

    def writable(self) -> dict[str, Any]:
        """This record as a body for `create`/`replace` (server-managed fields left out)."""
        body = self.model_dump(mode="python", exclude=set(SERVER_FIELDS))
        body["deployment"].pop("has_api_key", None)
        body["tags"] = list(self.tags)
        if body["pricing"] is not None:
            body["pricing"] = _listed(body["pricing"])
        return body


def _listed(value: Any) -> Any:
    """Tuples as lists, all the way down (a body is JSON)."""
    if isinstance(value, dict):
        return {key: _listed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_listed(item) for item in value]
    return value
