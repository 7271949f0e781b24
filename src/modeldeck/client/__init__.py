"""The Python client: `Registry`, `AsyncRegistry` and `ClientPool` (DESIGN §7).

Clients the pool builds, by the model's provider and tags (`providers.client_kind`):

- openai, azure_openai, openai_compatible: `openai.AsyncOpenAI` / `AsyncAzureOpenAI`.
- anthropic: `anthropic.AsyncAnthropic` (`pip install 'modeldeck[anthropic]'`).
- google: google-genai's `Client(...).aio` (`modeldeck[google]`).
- mistral: `mistralai.client.Mistral` (`modeldeck[mistral]`).
- tag `host:bedrock` with a Claude model: `anthropic.AsyncAnthropicBedrock` (a Bedrock API
  key; region from the endpoint, else AWS_REGION); tag `host:vertex…` with Claude or Gemini:
  `AsyncAnthropicVertex` or genai on Vertex (project and region from the endpoint).

The SDKs are imported only when such a client is built; without one, `pool.client(name)`
raises `MissingExtra` (an `UnsupportedProvider`) naming the extra. Other models stay readable
(`pool.model(name)`), and `chat_params`/`timeout_for` work for every model from its record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modeldeck.client.errors import (
    BadRequest,
    ChangeFeedWarning,
    ClientPoolError,
    Conflict,
    Forbidden,
    MissingApiKey,
    MissingEndpoint,
    MissingExtra,
    ModelDeckError,
    ModelDisabled,
    NotFound,
    PreconditionFailed,
    RegistryFallbackWarning,
    RegistryUnavailable,
    ServerError,
    Unauthorized,
    UnknownModel,
    UnsupportedProvider,
    ValidationFailed,
)
from modeldeck.client.registry import AsyncRegistry, Registry
from modeldeck.client.schemas import (
    Alias,
    AliasFallback,
    AliasList,
    AliasTarget,
    Capabilities,
    Change,
    ChangeBatch,
    ChangeEvent,
    CostLine,
    CostResult,
    Deployment,
    FieldChange,
    HistoryEntry,
    Limits,
    Model,
    ModelList,
    Pricing,
    SimulationRow,
    Tier,
    TokenWeights,
)

if TYPE_CHECKING:
    from modeldeck.client.pool import Candidate, ClientPool
    from modeldeck.client.probe import Ping


def __getattr__(name: str) -> Any:
    """`ClientPool` and `Ping` load the openai SDK (about a second): only when first used."""
    if name == "ClientPool":
        from modeldeck.client.pool import ClientPool

        return ClientPool
    if name == "Candidate":
        from modeldeck.client.pool import Candidate

        return Candidate
    if name == "Ping":
        from modeldeck.client.probe import Ping

        return Ping
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Alias",
    "AliasFallback",
    "AliasList",
    "AliasTarget",
    "AsyncRegistry",
    "BadRequest",
    "Candidate",
    "Capabilities",
    "Change",
    "ChangeBatch",
    "ChangeEvent",
    "ChangeFeedWarning",
    "ClientPool",
    "ClientPoolError",
    "Conflict",
    "CostLine",
    "CostResult",
    "Deployment",
    "FieldChange",
    "Forbidden",
    "HistoryEntry",
    "Limits",
    "MissingApiKey",
    "MissingEndpoint",
    "MissingExtra",
    "Model",
    "ModelDeckError",
    "ModelDisabled",
    "ModelList",
    "NotFound",
    "Ping",
    "PreconditionFailed",
    "Pricing",
    "Registry",
    "RegistryFallbackWarning",
    "RegistryUnavailable",
    "ServerError",
    "SimulationRow",
    "Tier",
    "TokenWeights",
    "Unauthorized",
    "UnknownModel",
    "UnsupportedProvider",
    "ValidationFailed",
]
