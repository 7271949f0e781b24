"""The Python client: `Registry`, `AsyncRegistry` and `ClientPool` (DESIGN §7).

Providers the pool builds: openai, azure_openai and openai_compatible (OpenAI-protocol
clients from the `openai` SDK). Models of other providers stay readable in the pool
(`pool.model(name)`), but `pool.client(name)` raises `UnsupportedProvider` naming the SDK to
install.
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
    from modeldeck.client.pool import ClientPool
    from modeldeck.client.probe import Ping


def __getattr__(name: str) -> Any:
    """`ClientPool` and `Ping` load the openai SDK (about a second): only when first used."""
    if name == "ClientPool":
        from modeldeck.client.pool import ClientPool

        return ClientPool
    if name == "Ping":
        from modeldeck.client.probe import Ping

        return Ping
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AsyncRegistry",
    "BadRequest",
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
