"""Why a cost question cannot be answered: one error type per cause, each naming its field."""

from __future__ import annotations

__all__ = [
    "CostError",
    "InvalidPricing",
    "InvalidUsage",
    "NoPriceAt",
    "UnknownServiceTier",
    "Unpriced",
]


class CostError(ValueError):
    """A cost question that cannot be answered; `field` names the culprit (dotted path)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidUsage(CostError):
    """The usage (or `requests`) is not a valid token count."""


class InvalidPricing(CostError):
    """A price period is malformed: a missing, negative, non-finite or absurd price."""


class Unpriced(CostError):
    """The model has no pricing."""


class NoPriceAt(CostError):
    """`at` falls before the first price period."""


class UnknownServiceTier(CostError):
    """The price period offers no rates for the service tier asked for."""
