"""Model Deck: the LLM models an organisation's apps may call, how to reach them, what they cost."""

from typing import TYPE_CHECKING, Any

from modeldeck.pricing.engine import CostBreakdown, CostError, PriceSheet, Usage, cost
from modeldeck.tokenizer import TokenCount, count_tokens

if TYPE_CHECKING:
    from modeldeck.client import (
        AsyncRegistry,
        ClientPool,
        Model,
        ModelDeckError,
        ModelList,
        Registry,
        RegistryFallbackWarning,
        RegistryUnavailable,
    )

__version__ = "0.1.0"

# The client is imported on first use, so `import modeldeck` stays light (the pool loads openai).
_CLIENT = (
    "AsyncRegistry",
    "ClientPool",
    "Model",
    "ModelDeckError",
    "ModelList",
    "Registry",
    "RegistryFallbackWarning",
    "RegistryUnavailable",
)


def __getattr__(name: str) -> Any:
    if name in _CLIENT:
        import modeldeck.client

        return getattr(modeldeck.client, name)
    raise AttributeError(f"module 'modeldeck' has no attribute {name!r}")


__all__ = [
    "AsyncRegistry",
    "ClientPool",
    "CostBreakdown",
    "CostError",
    "Model",
    "ModelDeckError",
    "ModelList",
    "PriceSheet",
    "Registry",
    "RegistryFallbackWarning",
    "RegistryUnavailable",
    "TokenCount",
    "Usage",
    "__version__",
    "cost",
    "count_tokens",
]
