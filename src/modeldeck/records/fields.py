"""What the server derives and owns in a model record, the same on both sides of the wire."""

from __future__ import annotations

import re

GPT3_PARAMETERS_B = 175

# A model's name: what a `ref` that is not an id must look like.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9._\-:/@]{1,128}$")

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
# What a model can do (`capabilities`), each a flag.
CAPABILITIES = ("streaming", "temperature", "tools", "vision", "json_mode", "reasoning")

# Where a deployment is reached: every field of `deployment` but the key (never shown).
DEPLOYMENT_FIELDS = ("endpoint", "api_version", "deployment", "api_key_env")
# A price period: its rates, and everything that says what they are and since when.
RATE_FIELDS = (
    "input",
    "cached_input",
    "cache_write",
    "cache_write_1h",
    "output",
    "reasoning",
    "per_request",
)
# Time-of-day windows and service tiers hold rates of their own (DESIGN §3).
PERIOD_FIELDS = (
    "effective_from",
    "currency",
    "unit",
    *RATE_FIELDS,
    "tiers",
    "windows",
    "service_tiers",
    "source",
)

# Fields the server owns: accepted in a body (so GET → edit → PUT works) but never trusted.
SERVER_FIELDS = ("id", "complexity_factor", "is_system", "version", "created_at", "updated_at")


def possible_ref(ref: str) -> bool:
    """Could `ref` name a model at all (an id is a name's shape too)? Else it matches nothing."""
    return NAME_PATTERN.match(ref) is not None


def complexity_factor(parameters_b: float | None) -> float | None:
    """Size relative to GPT-3 davinci (175 B parameters)."""
    if parameters_b is None:
        return None
    return round(parameters_b / GPT3_PARAMETERS_B, 6)
