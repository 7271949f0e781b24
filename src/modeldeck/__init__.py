"""Model Deck: the LLM models an organisation's apps may call, how to reach them, what they cost."""

from modeldeck.pricing.engine import CostBreakdown, CostError, PriceSheet, Usage, cost
from modeldeck.tokens import TokenCount, count_tokens

__version__ = "0.1.0"

__all__ = [
    "CostBreakdown",
    "CostError",
    "PriceSheet",
    "TokenCount",
    "Usage",
    "__version__",
    "cost",
    "count_tokens",
]
