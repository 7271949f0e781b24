"""What the server derives and owns in a model record, the same on both sides of the wire."""

from __future__ import annotations

GPT3_PARAMETERS_B = 175

# Who serves a model (`provider`) and where it is in its life (`status`).
PROVIDERS = (
    "openai",
    "azure_openai",
    "openai_compatible",
    "anthropic",
    "google",
    "mistral",
    "other",
)
STATUSES = ("active", "deprecated", "retired")

# Fields the server owns: accepted in a body (so GET → edit → PUT works) but never trusted.
SERVER_FIELDS = ("id", "complexity_factor", "is_system", "version", "created_at", "updated_at")


def complexity_factor(parameters_b: float | None) -> float | None:
    """Size relative to GPT-3 davinci (175 B parameters)."""
    if parameters_b is None:
        return None
    return round(parameters_b / GPT3_PARAMETERS_B, 6)
